import { useSyncExternalStore } from 'react';
import { errorMessage } from '../api/client.ts';

/** Small pieces that tell the user what happened: errors where they occur, a notice after an action. */
export function ErrorNote({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <div className="note note-error" role="alert">
      {title && <strong>{title} </strong>}
      {errorMessage(error)}
    </div>
  );
}

/** A field's problem, read with it (aria-describedby) and announced when it appears. */
export function FieldError({ id, message }: { id: string; message: string | null }) {
  if (!message) return null;
  return (
    <p id={id} className="field-error" role="alert">
      {message}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

// One notice at a time, shown by the layout in a polite live region (it survives page changes).
let notice: { text: string; id: number } | null = null;
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setTimeout> | undefined;

export function announce(text: string): void {
  notice = { text, id: Date.now() };
  listeners.forEach((l) => l());
  clearTimeout(timer);
  timer = setTimeout(() => {
    notice = null;
    listeners.forEach((l) => l());
  }, 8000);
}

export function NoticeArea() {
  const current = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => notice,
  );
  return (
    <div className="notice-area" role="status" aria-live="polite">
      {current && (
        <div className="note note-ok" key={current.id}>
          {current.text}
        </div>
      )}
    </div>
  );
}
