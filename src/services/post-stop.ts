import type { Kysely } from 'kysely';
import { keepRepeatsInWindow } from '../scheduler/repeat-window.js';
import { type DeliveryRecord, setWaitingDeliveryOutcome } from '../store/delivery.repository.js';
import type { Outcome } from '../store/queue.repository.js';
import type { Database } from '../store/schema.js';
import type { AppContext } from './context.js';

const STOPPED = 'You stopped its retries.';

/**
 * Stops what a post still has waiting, in the caller's transaction, its deliveries locked: a
 * retry waiting for its time ends `failed` (Retry sends it again), or `unknown` where a repeat
 * after the network's window could post twice (repeat-window.ts); a delivery not yet tried (a
 * stagger, a cross-link waiting for its primary) is `cancelled`. What is being sent right now
 * is not touched. Returns how many were stopped.
 */
export async function stopWaiting(ctx: AppContext, trx: Kysely<Database>, deliveries: DeliveryRecord[]): Promise<number> {
  const now = ctx.clock.now();
  let stopped = 0;
  for (const delivery of deliveries) {
    if (delivery.status !== 'pending' && delivery.status !== 'retrying') continue;
    const next = delivery.status === 'pending' ? null : await afterRetries(ctx, trx, delivery);
    if (await setWaitingDeliveryOutcome(trx, delivery, next ?? { status: 'cancelled' }, now)) stopped++;
  }
  return stopped;
}

async function afterRetries(ctx: AppContext, trx: Kysely<Database>, delivery: DeliveryRecord): Promise<Extract<Outcome, { status: 'failed' | 'unknown' }>> {
  const error = delivery.lastError ?? { code: 'stopped', message: '', permanent: false };
  // Stopped before, retried, and stopped again before its try: said once.
  const message = error.stopped ? error.message.replace(/ Use Retry to try again\.$/, '') : `${error.message} ${STOPPED}`.trim();
  const failed: Outcome = { status: 'failed', error: { ...error, message, stopped: true } };
  const adapter = ctx.platforms.get(delivery.platform);
  // Judged as its next try would be: every attempt made so far is an earlier one.
  const kept = adapter ? await keepRepeatsInWindow(ctx, adapter, { ...delivery, attempts: delivery.attempts + 1 }, failed, null, trx) : failed;
  if (kept.status === 'unknown') return kept;
  return { status: 'failed', error: { ...failed.error, message: `${failed.error.message} Use Retry to try again.` } };
}
