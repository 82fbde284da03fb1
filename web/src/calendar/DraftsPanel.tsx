import { Draggable } from '@fullcalendar/interaction';
import { useEffect, useRef } from 'react';
import type { Post } from '../api/types.ts';
import { Link } from '../lib/router.tsx';
import { excerpt } from './events.ts';

/** Drafts beside the calendar, so they are not forgotten: drag one onto a day or time, or press Schedule…. */
export function DraftsPanel({ drafts, onSchedule }: { drafts: Post[] | undefined; onSchedule: (post: Post) => void }) {
  const listRef = useRef<HTMLUListElement>(null);
  useEffect(() => {
    if (!listRef.current) return;
    const draggable = new Draggable(listRef.current, {
      itemSelector: '.draft-item',
      eventData: (el) => ({ title: (el as HTMLElement).dataset.title ?? 'Draft', duration: '00:30', create: false }),
    });
    return () => draggable.destroy();
  }, [drafts !== undefined]);

  return (
    <aside className="drafts panel" aria-labelledby="drafts-title">
      <h2 id="drafts-title" className="h3">
        Drafts {drafts && <span className="count">{drafts.length}</span>}
      </h2>
      <p className="muted small">Drag a draft onto the calendar to schedule it, or press Schedule….</p>
      {drafts?.length === 0 && <p className="muted small">No draft. <Link to="/compose">Write one</Link>.</p>}
      <ul ref={listRef} className="draft-list" aria-label="Drafts">
        {drafts?.map((d) => (
          <li key={d.id} className="draft-item" data-post-id={d.id} data-title={excerpt(d.content, 60)}>
            <Link to={`/posts/${d.id}/edit`} className="draft-text clamp" draggable={false}>
              {d.content}
            </Link>
            <button type="button" className="button small" onClick={() => onSchedule(d)}>
              Schedule…<span className="visually-hidden"> this draft</span>
            </button>
          </li>
        ))}
      </ul>
    </aside>
  );
}
