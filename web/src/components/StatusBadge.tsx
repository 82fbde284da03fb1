import type { Delivery, PostStatus } from '../api/types.ts';
import { DELIVERY_LABEL, STATUS_LABEL } from '../lib/delivery-help.ts';

const ICON: Record<string, string> = {
  draft: '✎',
  scheduled: '◷',
  publishing: '↻',
  published: '✓',
  partially_failed: '!',
  failed: '✕',
  pending: '◷',
  retrying: '↻',
  unknown: '?',
  cancelled: '–',
};

/** Status as text and a symbol, never by colour alone. */
export function StatusBadge({ status }: { status: PostStatus }) {
  return (
    <span className={`badge badge-${status}`}>
      <span aria-hidden="true">{ICON[status]} </span>
      {STATUS_LABEL[status]}
    </span>
  );
}

export function DeliveryBadge({ status }: { status: Delivery['status'] }) {
  return (
    <span className={`badge badge-d-${status}`}>
      <span aria-hidden="true">{ICON[status]} </span>
      {DELIVERY_LABEL[status]}
    </span>
  );
}
