import type { Kysely } from 'kysely';
import type { NextStep } from '../core/retry-policy.js';
import { toIso } from '../core/time.js';
import type { PlatformAdapter } from '../platforms/platform.js';
import { type DeliveryRecord, firstMaybeSentAt } from '../store/delivery.repository.js';
import type { Database } from '../store/schema.js';

/**
 * Some networks drop a repeated post only for a while (`repeatWindowMs`: Mastodon keeps an
 * Idempotency-Key for an hour). Once an attempt of a delivery may have gone out (its answer lost,
 * its worker gone), a try after that window could post it twice. Such a delivery becomes `unknown`
 * instead, with a note saying why, and a person decides. Networks without a window are unaffected.
 */

/** How long before the window closes a retry must be due: it can start later (a busy worker). */
export const PLAN_MARGIN_MS = 5 * 60_000;
/** How long before the window closes a try may still start: node clocks differ, a request takes time. */
export const START_MARGIN_MS = 60_000;

type Db = Kysely<Database>;
export type RepeatVerdict = { step: NextStep; note?: undefined } | { step: { next: 'unknown' }; note: string };

/**
 * What follows an attempt that did not publish. A retry due too late for the window, or a delivery
 * ending `failed` (out of tries, or refused for good: it invites a manual Retry at any later time),
 * becomes `unknown` when an attempt of its budget may have gone out. `maybeSentAt`: when the
 * attempt just made began, if it may have gone out; `retryAt`: when the step's retry would be due.
 */
export async function keepRepeatsInWindow(db: Db, adapter: PlatformAdapter<any>, delivery: DeliveryRecord, step: NextStep, maybeSentAt: number | null, retryAt: number): Promise<RepeatVerdict> {
  const windowMs = adapter.repeatWindowMs;
  if (windowMs === undefined || (step.next !== 'retry' && step.next !== 'failed')) return { step };
  const earlier = await earlierMaybeSentAt(db, delivery);
  const since = earlier === null ? maybeSentAt : maybeSentAt === null ? earlier : Math.min(earlier, maybeSentAt);
  if (since === null) return { step };
  if (step.next === 'retry' && retryAt <= since + windowMs - PLAN_MARGIN_MS) return { step };
  const why = step.next === 'retry' ? 'the next try would come after that' : 'no tries are left, and a later Retry would come after that';
  return { step: { next: 'unknown' }, note: lateNote(adapter, windowMs, since, why) };
}

/**
 * Before a try: a note when an earlier attempt of its budget may have gone out and the window has
 * (nearly) closed since, so that this try must not be made; null when it may.
 */
export async function tooLateToRepeat(db: Db, adapter: PlatformAdapter<any>, delivery: DeliveryRecord, now: number): Promise<string | null> {
  const windowMs = adapter.repeatWindowMs;
  if (windowMs === undefined) return null;
  const since = await earlierMaybeSentAt(db, delivery);
  if (since === null || now <= since + windowMs - START_MARGIN_MS) return null;
  return lateNote(adapter, windowMs, since, 'this try came after that, so it was not sent');
}

/**
 * The earliest attempt of the budget before this one that may have gone out. The budget's first
 * attempt has none to look up. A failed look-up throws: the attempt is then left to its lease and
 * taken back as interrupted.
 */
function earlierMaybeSentAt(db: Db, delivery: DeliveryRecord): Promise<number | null> | null {
  return delivery.attempts - delivery.budgetStart > 1 ? firstMaybeSentAt(db, delivery) : null;
}

function lateNote(adapter: PlatformAdapter<any>, windowMs: number, since: number, why: string): string {
  return `The attempt at ${toIso(since)} may have gone out, and ${adapter.name} drops a repeat only within ${Math.round(windowMs / 60_000)} minutes of it: ${why}.`;
}
