/**
 * The six post statuses of scheduling.md, derived from the deliveries and never stored apart
 * from them (a second copy of the state is what lets peers' posts get "stuck").
 * The store has the same rule as a SQL expression (post-status.sql.ts); a test keeps them equal.
 */
export const POST_STATUSES = ['draft', 'scheduled', 'publishing', 'published', 'partially_failed', 'failed'] as const;
export type PostStatus = (typeof POST_STATUSES)[number];

export const DELIVERY_STATUSES = ['pending', 'publishing', 'retrying', 'published', 'failed', 'unknown', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A delivery is finished when nothing more will happen to it without a person asking. */
export const FINISHED_DELIVERY_STATUSES: readonly DeliveryStatus[] = ['published', 'failed', 'unknown', 'cancelled'];
export const WAITING_DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'retrying'];

export interface DeliveryStatusFacts {
  status: DeliveryStatus;
  attempts: number;
}

export function isFinished(status: DeliveryStatus): boolean {
  return FINISHED_DELIVERY_STATUSES.includes(status);
}

/**
 * - no live delivery (none, or all cancelled): draft
 * - every live delivery pending and never attempted: scheduled if the post has a time, else publishing
 *   (publish-now is on its way)
 * - any live delivery not finished: publishing (retries waiting included)
 * - all finished: published if all published, partially_failed if some, failed if none
 */
export function derivePostStatus(isScheduled: boolean, deliveries: readonly DeliveryStatusFacts[]): PostStatus {
  const live = deliveries.filter((d) => d.status !== 'cancelled');
  if (live.length === 0) return 'draft';
  if (live.every((d) => d.status === 'pending' && d.attempts === 0)) return isScheduled ? 'scheduled' : 'publishing';
  if (live.some((d) => !isFinished(d.status))) return 'publishing';
  const published = live.filter((d) => d.status === 'published').length;
  if (published === live.length) return 'published';
  return published > 0 ? 'partially_failed' : 'failed';
}

/** What a person may still change: only posts that have not started going out. */
export function isEditable(status: PostStatus): boolean {
  return status === 'draft' || status === 'scheduled';
}
