import type { CountTarget } from '../lib/content-check.ts';
import { Counters } from './Counters.tsx';

/** Replies that follow the post (a thread), each counted against every selected account's limit. */
export function SegmentsEditor({ segments, targets, onChange }: { segments: { content: string }[]; targets: CountTarget[]; onChange: (s: { content: string }[]) => void }) {
  return (
    <fieldset className="stack tight">
      <legend>Replies (thread)</legend>
      {segments.length === 0 && <p className="muted small">No reply. Add replies to post a thread.</p>}
      {segments.map((s, i) => (
        <div className="segment" key={i}>
          <div className="field">
            <label htmlFor={`segment-${i}`}>Reply {i + 1}</label>
            <textarea
              id={`segment-${i}`}
              rows={3}
              value={s.content}
              onChange={(e) => onChange(segments.map((x, j) => (j === i ? { content: e.target.value } : x)))}
            />
          </div>
          <div className="row between wrap">
            <Counters text={s.content} targets={targets} label={`reply ${i + 1}`} />
            <button type="button" className="button small" onClick={() => onChange(segments.filter((_, j) => j !== i))} aria-label={`Remove reply ${i + 1}`}>
              Remove
            </button>
          </div>
        </div>
      ))}
      <div>
        <button type="button" className="button small" onClick={() => onChange([...segments, { content: '' }])}>
          + Add reply
        </button>
      </div>
    </fieldset>
  );
}
