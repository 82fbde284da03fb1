import type { Kysely } from 'kysely';
import { toIso } from '../core/time.js';
import { platformDisplayName } from '../core/cross-link.js';
import type { PlatformAdapter } from '../platforms/platform.js';
import type { AppContext } from '../services/context.js';
import { type DeliveryRecord, firstMaybeSentAt } from '../store/delivery.repository.js';
import type { DeliveryError } from '../store/delivery.repository.js';
import type { EndOutcome } from '../store/queue.repository.js';
import type { Database } from '../store/schema.js';
import { unknownMessage } from './unknown-message.js';

type Db = Kysely<Database>;

/** An attempt's result that is not a publication: a retry planned, or an end. */
export type Unpublished = { status: 'retrying'; dueAt: number; error: DeliveryError } | EndOutcome;

/**
 * Some networks drop a repeated post only for a while (`repeatWindowMs`: Mastodon keeps an
 * Idempotency-Key for an hour). Once an attempt of a delivery may have gone out (its answer lost,
 * its worker gone), a try after that window could post it twice. Such a delivery becomes `unknown`
 * instead, saying why, and a person decides. Networks without a window are unaffected.
 *
 * A try must start early enough that its request reaches the network within the window: before
 * the window's end less the attempt's time limit (the request may leave late in it) and less
 * CLOCK_ALLOWANCE_MS (the attempts' start times are read on the nodes' clocks). A retry is only
 * planned LATE_START_ALLOWANCE_MS before that, as it may start late (a busy worker).
 * With the default 30 s limit: retries due up to 55 minutes after, tries starting up to 59.
 */
const CLOCK_ALLOWANCE_MS = 30_000;
const LATE_START_ALLOWANCE_MS = 4 * 60_000;

/**
 * What a delivery whose attempt did not publish becomes, with the window kept: a retry due too late
 * for it, or an end as `failed` (out of tries, or refused: it invites a manual Retry at any later
 * time), becomes `unknown` when an attempt of the current retry budget may have gone out.
 * `maybeSentAt`: when the attempt just made began, if it may have gone out.
 */
export async function keepRepeatsInWindow<T extends Unpublished>(
  ctx: AppContext,
  adapter: PlatformAdapter<any>,
  delivery: DeliveryRecord,
  outcome: T,
  maybeSentAt: number | null,
  db: Db = ctx.store.db,
): Promise<T | EndOutcome> {
  const windowMs = adapter.repeatWindowMs;
  if (windowMs === undefined || outcome.status === 'unknown') return outcome;
  const earlier = await earlierMaybeSentAt(ctx, delivery, db);
  if (earlier instanceof Error) return leftToPerson(outcome, earlier.message);
  const since = earlier === null ? maybeSentAt : maybeSentAt === null ? earlier : Math.min(earlier, maybeSentAt);
  if (since === null) return outcome;
  const retry = outcome.status === 'retrying';
  if (retry && outcome.dueAt <= latestStart(ctx, windowMs, since) - LATE_START_ALLOWANCE_MS) return outcome;
  return leftToPerson(outcome, lateNote(adapter, windowMs, since, retry ? 'and its next try would be due too late for that.' : 'so a Retry much later could post it twice.'));
}

/**
 * Before a try: why it must not be made (an earlier attempt of its budget may have gone out, and
 * the window has closed since), or null when it may.
 */
export async function tooLateToRepeat(ctx: AppContext, adapter: PlatformAdapter<any>, delivery: DeliveryRecord, now: number): Promise<string | null> {
  const windowMs = adapter.repeatWindowMs;
  if (windowMs === undefined) return null;
  const since = await earlierMaybeSentAt(ctx, delivery, ctx.store.db);
  if (since instanceof Error) return since.message;
  if (since === null || now <= latestStart(ctx, windowMs, since)) return null;
  return lateNote(adapter, windowMs, since, 'and this try came too late for that, so it was not sent.');
}

function latestStart(ctx: AppContext, windowMs: number, since: number): number {
  return since + windowMs - ctx.config.publishTimeoutMs - CLOCK_ALLOWANCE_MS;
}

/**
 * The earliest attempt of the budget before this one that may have gone out; none for the budget's
 * first. A look-up the database does not answer leaves the delivery to a person: not repeating is
 * the safe side, and the outcome is still recorded.
 */
async function earlierMaybeSentAt(ctx: AppContext, delivery: DeliveryRecord, db: Db): Promise<number | null | Error> {
  if (delivery.attempts - delivery.budgetStart <= 1) return null;
  try {
    return await firstMaybeSentAt(db, delivery);
  } catch (err) {
    ctx.logger.warn({ err, delivery: delivery.id }, 'reading earlier attempts failed; leaving the delivery to a person');
    return new Error("Octopost could not read this delivery's earlier attempts (the database did not answer), so it cannot tell whether one went out.");
  }
}

function lateNote(adapter: PlatformAdapter<any>, windowMs: number, since: number, end: string): string {
  const window = windowMs === 3_600_000 ? 'an hour' : `${Math.round(windowMs / 60_000)} minutes`;
  return `${platformDisplayName(adapter.name)} drops a repeated post only within ${window} of the attempt at ${toIso(since)}, which may have gone out, ${end}`;
}

function leftToPerson(outcome: Unpublished, note: string): EndOutcome {
  return { status: 'unknown', error: { ...outcome.error, message: unknownMessage(outcome.error.message, note) } };
}
