import { type CountTarget, countersFor, useContentRules } from '../lib/content-check.ts';

/**
 * "Mastodon 120 / 1,000" for each selected account's way of counting; over the limit says by how
 * much. `main`: the post itself, which carries a cross-link where a preset adds one.
 */
export function Counters({ text, targets, label, main = false }: { text: string; targets: CountTarget[]; label: string; main?: boolean }) {
  const rules = useContentRules();
  if (targets.length === 0 || !rules) return null;
  return (
    <ul className="counters" aria-label={`Characters in ${label}`}>
      {countersFor(rules, text, targets, main).map((c) => {
        const over = c.count > c.limit;
        return (
          <li key={c.key} className={over ? 'counter over' : c.count > c.limit * 0.9 ? 'counter near' : 'counter'}>
            <span className="counter-name">{c.label}</span> {c.count.toLocaleString()} / {c.limit.toLocaleString()}
            {c.withLink && <span className="muted"> with the link</span>}
            {over && <strong> ({(c.count - c.limit).toLocaleString()} too many)</strong>}
          </li>
        );
      })}
    </ul>
  );
}
