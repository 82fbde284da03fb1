import type { Post } from '../api/types.ts';
import { Dialog } from '../components/Dialog.tsx';
import { excerpt } from './events.ts';

/**
 * Bulk Schedule: choosing drafts and a pattern (one a day at 9:00, Mon/Wed/Fri…) with a preview
 * arrives with the bulk-scheduling work. Until then the dialog says so plainly and lists the
 * drafts that would be scheduled, with the way to schedule them today.
 */
export function BulkScheduleDialog({ open, drafts, onClose }: { open: boolean; drafts: Post[]; onClose: () => void }) {
  return (
    <Dialog open={open} title="Bulk Schedule" onClose={onClose}>
      <div className="stack">
        <p>
          Scheduling many drafts at once, with a pattern such as <em>one post a day at 9:00</em> and a preview of the times, is not available in this
          version yet.
        </p>
        {drafts.length === 0 ? (
          <p className="muted">You have no draft to schedule.</p>
        ) : (
          <>
            <p>
              These {drafts.length} draft{drafts.length > 1 ? 's' : ''} would be scheduled:
            </p>
            <ul className="bulk-list">
              {drafts.map((d) => (
                <li key={d.id} className="break">
                  {excerpt(d.content, 100)}
                </li>
              ))}
            </ul>
            <p className="muted small">Meanwhile, drag each draft from the Drafts panel onto the calendar, or use its Schedule… button.</p>
          </>
        )}
        <div className="actions">
          <button type="button" className="button primary" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </Dialog>
  );
}
