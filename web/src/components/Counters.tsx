import type { Platform } from '../api/types.ts';
import { countersFor } from '../lib/content-check.ts';

/** "webhook 120 / 100,000" for each selected network; over the limit says by how much. */
export function Counters({ text, platforms, label }: { text: string; platforms: Platform[]; label: string }) {
  if (platforms.length === 0) return null;
  return (
    <ul className="counters" aria-label={`Characters in ${label}`}>
      {countersFor(text, platforms).map((c) => {
        const over = c.count > c.limit;
        return (
          <li key={c.platform} className={over ? 'counter over' : c.count > c.limit * 0.9 ? 'counter near' : 'counter'}>
            <span className="counter-name">{c.platform}</span> {c.count.toLocaleString()} / {c.limit.toLocaleString()}
            {over && <strong> ({(c.count - c.limit).toLocaleString()} too many)</strong>}
          </li>
        );
      })}
    </ul>
  );
}
