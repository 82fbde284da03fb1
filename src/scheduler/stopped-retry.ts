import type { Kysely } from 'kysely';
import type { PlatformAdapter } from '../platforms/platform.js';
import type { AppContext } from '../services/context.js';
import type { DeliveryError, DeliveryRecord } from '../store/delivery.repository.js';
import type { EndOutcome, StoppedWaiting } from '../store/queue.repository.js';
import type { Database } from '../store/schema.js';
import { keepRepeatsInWindow } from './repeat-window.js';

const STOPPED = 'You stopped its retries.';
const RETRY_LATER = ' Use Retry to try again.';

/**
 * A waiting delivery (`attempts`: the attempts made so far), stopped: `cancelled` if it was never
 * tried (a stagger, a cross-link follower, a first try not started), else as its retry would be
 * (stoppedRetry), judged as its next try: every attempt made so far is an earlier one.
 */
export async function stoppedWaiting(ctx: AppContext, delivery: DeliveryRecord, db?: Kysely<Database>): Promise<StoppedWaiting> {
  if (delivery.attempts === 0) return { status: 'cancelled' };
  return stoppedRetry(ctx, ctx.platforms.get(delivery.platform), { ...delivery, attempts: delivery.attempts + 1 }, delivery.lastError, null, db);
}

/**
 * What a delivery becomes instead of its retry once a person has stopped it (POST
 * /v1/posts/:id/stop): `failed`, saying so, which Retry sends again, or `unknown` where a repeat
 * later could post twice (repeat-window.ts). For a retry waiting for its time, stopped at once, and
 * for an attempt being made when Stop was pressed, whose retry is then not made.
 *
 * `delivery.attempts` is the latest attempt that counts (for a waiting retry, the one it would
 * make); `maybeSentAt`, when that attempt began, if it may have gone out.
 */
export async function stoppedRetry(
  ctx: AppContext,
  adapter: PlatformAdapter<any> | undefined,
  delivery: DeliveryRecord,
  error: DeliveryError | null,
  maybeSentAt: number | null,
  db?: Kysely<Database>,
): Promise<EndOutcome> {
  const before = error ?? { code: 'stopped', message: '', permanent: false };
  // Stopped before, retried, and stopped again before its try: said once.
  const message = !before.stopped
    ? `${before.message} ${STOPPED}`.trim()
    : before.message.endsWith(RETRY_LATER)
      ? before.message.slice(0, -RETRY_LATER.length)
      : before.message;
  const failed: EndOutcome = { status: 'failed', error: { ...before, message, stopped: true } };
  const kept = adapter ? await keepRepeatsInWindow(ctx, adapter, delivery, failed, maybeSentAt, db) : failed;
  if (kept.status === 'unknown') return kept;
  return { status: 'failed', error: { ...failed.error, message: `${message}${RETRY_LATER}` } };
}
