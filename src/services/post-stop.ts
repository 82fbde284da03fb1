import type { Kysely } from 'kysely';
import { stoppedWaiting } from '../scheduler/stopped-retry.js';
import { type DeliveryRecord, requestStopAfterAttempt, setWaitingDeliveryOutcome } from '../store/delivery.repository.js';
import type { Database } from '../store/schema.js';
import type { AppContext } from './context.js';

/**
 * Stops what a post still has to do, in the caller's transaction, its deliveries locked: a retry
 * waiting for its time ends `failed` (Retry sends it again), or `unknown` where a repeat after the
 * network's window could post twice (stopped-retry.ts); a delivery not yet tried (a stagger, a
 * cross-link waiting for its primary) is `cancelled`. A delivery being sent right now finishes its
 * attempt, which is then not retried: the recording of its outcome reads the request. Returns how
 * many were stopped, or asked to stop (none: the post was stopped already).
 */
export async function stopDeliveries(ctx: AppContext, trx: Kysely<Database>, deliveries: DeliveryRecord[]): Promise<number> {
  const now = ctx.clock.now();
  let ended = 0;
  for (const delivery of deliveries) {
    if (delivery.status !== 'pending' && delivery.status !== 'retrying') continue;
    if (await setWaitingDeliveryOutcome(trx, delivery, await stoppedWaiting(ctx, delivery, trx), now)) ended++;
  }
  const notAskedYet = deliveries.filter((d) => d.status === 'publishing' && d.stopAfterAttempt !== d.attempts);
  return ended + (await requestStopAfterAttempt(trx, notAskedYet.map((d) => d.id)));
}
