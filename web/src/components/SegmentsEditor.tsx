import type { Platform } from '../api/types.ts';
import { Counters } from './Counters.tsx';

/** Replies that follow the post (a thread), each counted against every selected network. */
export function SegmentsEditor({ segments, platforms, onChange }: { segments: { content: string }[]; platforms: Platform[]; onChange: (s: { content: string }[]) => void }) {
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
            <Counters text={s.content} platforms={platforms} label={`reply ${i + 1}`} />
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
