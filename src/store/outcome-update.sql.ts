import { sql } from 'kysely';
import type { OutcomeEntry } from './queue.repository.js';

/** One outcome as the recorders' statements read it: a row of `v`, built from JSON. */
export interface OutcomeRow {
  id: string;
  status: string;
  due_at: number | null;
  remote_id: string | null;
  remote_url: string | null;
  at: number;
  last_error: string | null;
  detail: string | null;
  worker: string;
  attempts: number;
  started_at: number;
  wire: string;
  may_release: boolean;
  /** Only while the delivery's lease ended before this (a sweep's take-over), or null. */
  expired_before: number | null;
  /**
   * A retry's end instead, if a person stopped it during this attempt (Outcome's ifStopped). Left
   * out of every other row (the statements read a missing key as NULL): a batch's JSON stays as short.
   */
  stopped_status?: string;
  stopped_error?: string;
}

/**
 * A batch of outcomes goes to the database as ONE JSON parameter, whatever its size: a VALUES row
 * per outcome made 10-14 parameters each for the query builder and the driver to handle (~10 µs
 * of CPU per delivery in the burst benchmark), where JSON.stringify is native.
 */
export function outcomeRowsJson(entries: OutcomeEntry[]): string {
  return JSON.stringify(
    entries.map(({ delivery, outcome, attempt, mayReleaseWaiting, leaseExpiredBefore }): OutcomeRow => {
      const published = outcome.status === 'published';
      return {
        id: delivery.id,
        status: outcome.status,
        due_at: outcome.status === 'retrying' ? outcome.dueAt : null,
        remote_id: published ? outcome.remoteId : null,
        remote_url: published ? outcome.remoteUrl : null,
        at: attempt.finishedAt,
        last_error: published ? null : JSON.stringify(outcome.error),
        detail: published ? (outcome.detail ?? null) : null,
        worker: attempt.worker,
        attempts: delivery.attempts,
        started_at: attempt.startedAt,
        wire: attempt.result,
        may_release: mayReleaseWaiting !== false,
        expired_before: leaseExpiredBefore ?? null,
        ...(outcome.status === 'retrying' && { stopped_status: outcome.ifStopped.status, stopped_error: JSON.stringify(outcome.ifStopped.error) }),
      };
    }),
  );
}

/** A retry of an attempt during which a person stopped the delivery: it ends instead. */
const stopsHere = sql`v.stopped_status IS NOT NULL AND deliveries.stop_after_attempt = v.attempts`;

/**
 * The one UPDATE that moves a batch of deliveries to their next state, from a CTE `v` with the
 * columns of OutcomeRow,
 * shared by the SQLite and PostgreSQL recorders. Only while the worker still holds the delivery,
 * in the same attempt: a worker whose lease ran out mid-attempt may have claimed it again since.
 *
 * A sweep taking over an expired lease also asks that the lease be still over (`expired_before`):
 * between its read and this write the worker may have given the delivery back and claimed it again,
 * with the same attempt number (a given-back claim is not an attempt), and that claim is alive.
 *
 * A retry becomes the end it names instead (`stopped_status`, `stopped_error`) when a person stopped
 * the delivery during this attempt (`stop_after_attempt`, migration 0009): the row is locked by
 * the Stop's transaction or by this statement, so the request is either seen here or made after the
 * delivery is no longer `publishing`, when the Stop ends the waiting retry itself. What follows the
 * write still sees the outcome handed in: such an attempt is logged and counted as `retrying`, and
 * it releases no cross-link followers (the Stop has cancelled them).
 *
 * `locked_by = worker` is the whole "still publishing" test: the claim sets it with the status and
 * every way out of `publishing` (this UPDATE) clears it. Adding `status = 'publishing'` would let
 * PostgreSQL plan a bitmap scan of the partial lease index instead of one primary-key lookup per
 * row, and during a burst that index holds an entry for every delivery claimed since the last
 * vacuum: each batch then read them all (measured: ~100 µs of server CPU per delivery, not ~30).
 */
export const updateFromOutcomes = sql`
  UPDATE deliveries
     SET status = CASE WHEN ${stopsHere} THEN v.stopped_status ELSE v.status END,
         due_at = CASE WHEN ${stopsHere} THEN deliveries.due_at ELSE COALESCE(v.due_at, deliveries.due_at) END,
         remote_id = CASE WHEN v.status = 'published' THEN v.remote_id ELSE deliveries.remote_id END,
         remote_url = CASE WHEN v.status = 'published' THEN v.remote_url ELSE deliveries.remote_url END,
         published_at = CASE WHEN v.status = 'published' THEN v.at ELSE deliveries.published_at END,
         detail = CASE WHEN v.status = 'published' THEN v.detail ELSE deliveries.detail END,
         last_error = CASE WHEN ${stopsHere} THEN v.stopped_error ELSE v.last_error END,
         locked_by = NULL, lease_until = NULL, updated_at = v.at
    FROM v
   WHERE deliveries.id = v.id AND deliveries.locked_by = v.worker AND deliveries.attempts = v.attempts
     AND (v.expired_before IS NULL OR deliveries.lease_until < v.expired_before)`;

/** An account's last use is written at most this often: not a write on every delivery. */
export const ACCOUNT_USE_RESOLUTION_MS = 60_000;
