import { useState } from 'react';
import type { Image } from '../api/types.ts';

/** Images by URL, each with its alt text (described for people who cannot see it). */
export function ImagesEditor({ images, onChange }: { images: Image[]; onChange: (images: Image[]) => void }) {
  const set = (i: number, patch: Partial<Image>) => onChange(images.map((img, j) => (j === i ? { ...img, ...patch } : img)));
  return (
    <fieldset className="stack tight">
      <legend>Images</legend>
      {images.length === 0 && <p className="muted small">No image. Add one by its address (URL).</p>}
      {images.map((img, i) => (
        <div className="image-row" key={i}>
          <div className="thumb" aria-hidden="true">
            {/^https?:\/\/\S+$/i.test(img.url.trim()) ? <Thumb url={img.url.trim()} /> : <span className="small muted">No image</span>}
          </div>
          <div className="stack tight grow">
            <div className="field">
              <label htmlFor={`img-url-${i}`}>Image {i + 1} address</label>
              <input id={`img-url-${i}`} type="url" inputMode="url" placeholder="https://…" value={img.url} onChange={(e) => set(i, { url: e.target.value })} />
            </div>
            <div className="field">
              <label htmlFor={`img-alt-${i}`}>Image {i + 1} alt text</label>
              <input id={`img-alt-${i}`} type="text" maxLength={2000} value={img.alt_text ?? ''} onChange={(e) => set(i, { alt_text: e.target.value })} />
            </div>
          </div>
          <button type="button" className="button small" onClick={() => onChange(images.filter((_, j) => j !== i))} aria-label={`Remove image ${i + 1}`}>
            Remove
          </button>
        </div>
      ))}
      <div>
        <button type="button" className="button small" onClick={() => onChange([...images, { url: '', alt_text: '' }])}>
          + Add image
        </button>
      </div>
    </fieldset>
  );
}

/** A preview; an address that does not load says so (the network may still fetch it: it is only a hint). */
function Thumb({ url }: { url: string }) {
  const [failed, setFailed] = useState<string | null>(null);
  if (failed === url) return <span className="small muted">No preview</span>;
  return <img src={url} alt="" loading="lazy" onError={() => setFailed(url)} />;
}
