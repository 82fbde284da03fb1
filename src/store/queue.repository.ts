import { type Kysely, type Selectable, sql } from 'kysely';
import type { Dialect } from './database.js';
import { type DeliveryError, type DeliveryRecord, toDelivery } from './delivery.repository.js';
import type { Database, DeliveriesTable } from './schema.js';
import { markPostsPublished } from './post.repository.js';
import { ACCOUNT_USE_RESOLUTION_MS, outcomeRowsJson, updateFromOutcomes } from './outcome-update.sql.js';
import { recordOutcomesPostgres } from './record-outcomes.pg.js';

type Db = Kysely<Database>;

/**
 * The claim, in one statement: take up to `limit` waiting deliveries whose time has come, oldest
 * due first, mark them publishing under this worker's lease and count the attempt, all at once.
 * On PostgreSQL the statement is the function octopost_claim_due (migrations 0005 and 0007 say why);
 * its FOR UPDATE SKIP LOCKED lets any number of workers claim side by side without waiting on each
 * other or taking the same row. SQLite has one writer at a time, so the plain statement is
 * already exclusive. `now` decides what is due (this node's clock); `leaseUntil` is in the leases'
 * time (LeaseClock), as findExpiredLeases judges it.
 */
export async function claimDue(
  db: Db,
  dialect: Dialect,
  worker: string,
  now: number,
  leaseUntil: number,
  limit: number,
): Promise<DeliveryRecord[]> {
  const result =
    dialect === 'postgres'
      ? await sql<Selectable<DeliveriesTable>>`SELECT * FROM ${claimDuePostgres(worker, now, leaseUntil, limit)}`.execute(db)
      : await sql<Selectable<DeliveriesTable>>`
          UPDATE deliveries
             SET status = 'publishing', locked_by = ${worker}, lease_until = ${leaseUntil},
                 attempts = attempts + 1, updated_at = ${now}
           WHERE id IN (
             SELECT id FROM deliveries
              WHERE status IN ('pending', 'retrying') AND due_at <= ${now} AND blocked = 0
              ORDER BY due_at
              LIMIT ${limit})
          RETURNING *`.execute(db);
  return inDueOrder(result.rows);
}

/** PostgreSQL's claim statement (migration 0005), to select from. */
export function claimDuePostgres(worker: string, now: number, leaseUntil: number, limit: number) {
  return sql<Selectable<DeliveriesTable>>`octopost_claim_due(${worker}, ${now}, ${leaseUntil}, ${limit})`;
}

/** Claimed rows as deliveries, oldest due first (RETURNING keeps no order). */
export function inDueOrder(rows: Selectable<DeliveriesTable>[]): DeliveryRecord[] {
  return rows.map(toDelivery).sort((a, b) => a.dueAt - b.dueAt);
}

/** A delivery's end when not published: refused or out of tries, or left to a person. */
export type EndOutcome = { status: 'failed'; error: DeliveryError } | { status: 'unknown'; error: DeliveryError };

/** What a delivery stopped while waiting for its turn becomes (stopped-retry.ts). */
export type StoppedWaiting = EndOutcome | { status: 'cancelled' };

export type Outcome =
  | { status: 'published'; remoteId: string | null; remoteUrl: string | null; detail?: string | null }
  /** `ifStopped`: what it becomes instead when a person stopped it during the attempt (stopped-retry.ts). */
  | { status: 'retrying'; dueAt: number; error: DeliveryError; ifStopped: EndOutcome }
  | EndOutcome;

export interface AttemptFacts {
  worker: string;
  startedAt: number;
  finishedAt: number;
  /** What happened on the wire: published | failed | ambiguous | interrupted. */
  result: string;
}

export interface OutcomeEntry {
  delivery: DeliveryRecord;
  outcome: Outcome;
  attempt: AttemptFacts;
  /** Whether deliveries may be waiting for this one (cross-link primary); unknown counts as yes. */
  mayReleaseWaiting?: boolean;
  /** A sweep's take-over: only while the lease ended before this moment (leases' time). */
  leaseExpiredBefore?: number;
}

/**
 * Records attempts and the deliveries' next states, several at once in one transaction (one commit
 * for many deliveries: the commit, not the statements, was most of the cost per delivery), each
 * only while its worker still holds the delivery (`locked_by = me`): a worker whose lease was taken
 * over must not overwrite the new owner's result. Returns, per entry, whether it was recorded.
 */
export async function recordOutcomes(db: Db, dialect: Dialect, entries: OutcomeEntry[]): Promise<boolean[]> {
  if (entries.length === 0) return [];
  if (dialect === 'postgres') {
    const recorded = await recordOutcomesPostgres(db, entries);
    return entries.map((e) => recorded.has(e.delivery.id));
  }
  return db.transaction().execute(async (trx) => {
    const updated = new Set(await updateDeliveries(trx, entries));
    const kept = entries.map((e) => updated.has(e.delivery.id));
    const recorded = entries.filter((_, i) => kept[i]);
    if (recorded.length > 0) {
      await sql`
        INSERT INTO delivery_attempts (delivery_id, attempt, worker, started_at, finished_at, outcome, error)
        SELECT value ->> 'id', value ->> 'attempts', value ->> 'worker', value ->> 'started_at',
               value ->> 'at', value ->> 'wire', value ->> 'last_error'
          FROM json_each(${outcomeRowsJson(recorded)})`.execute(trx);
    }
    // A finished primary releases the deliveries waiting to carry its link (cross-link presets).
    const finished = recorded.filter((e) => e.outcome.status !== 'retrying' && e.mayReleaseWaiting !== false).map((e) => e.delivery.id);
    for (let i = 0; i < finished.length; i += 500) {
      await trx
        .updateTable('deliveries')
        .set({ blocked: 0 })
        .where('blocked', '=', 1)
        .where('cross_link_from', 'in', finished.slice(i, i + 500))
        .execute();
    }
    const published = recorded.filter((e) => e.outcome.status === 'published');
    if (published.length > 0) {
      const at = Math.min(...published.map((e) => e.attempt.finishedAt));
      await markPostsPublished(trx, [...new Set(published.map((e) => e.delivery.postId))], at);
      await markAccountsUsed(trx, [...new Set(published.map((e) => e.delivery.accountId))], Math.max(...published.map((e) => e.attempt.finishedAt)));
    }
    return kept;
  });
}

/**
 * The deliveries' next states in one statement for the whole batch (SQLite; PostgreSQL does this
 * and the rest in one statement, record-outcomes.pg.ts). Returns the ids it changed.
 */
async function updateDeliveries(db: Db, entries: OutcomeEntry[]): Promise<string[]> {
  const result = await sql<{ id: string }>`
    WITH v AS (
      SELECT value ->> 'id' AS id, value ->> 'status' AS status, value ->> 'due_at' AS due_at, value ->> 'remote_id' AS remote_id,
             value ->> 'remote_url' AS remote_url, value ->> 'at' AS at, value ->> 'last_error' AS last_error,
             value ->> 'detail' AS detail, value ->> 'worker' AS worker, value ->> 'attempts' AS attempts,
             value ->> 'expired_before' AS expired_before, value ->> 'stopped_status' AS stopped_status,
             value ->> 'stopped_error' AS stopped_error
        FROM json_each(${outcomeRowsJson(entries)}))
    ${updateFromOutcomes}
    RETURNING deliveries.id`.execute(db);
  return result.rows.map((r) => r.id);
}

async function markAccountsUsed(db: Db, accountIds: string[], at: number): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ last_used_at: at })
    .where('id', 'in', accountIds)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at - ACCOUNT_USE_RESOLUTION_MS)]))
    .execute();
}

/**
 * Deliveries whose worker vanished mid-attempt (crash, SIGKILL, lost network): their lease ran
 * out while they were still `publishing`. `leaseNow` is now in the leases' time (LeaseClock).
 * `allOrphans` ignores the lease, for a single-node SQLite worker starting up, which knows no
 * other worker can hold them.
 */
export async function findExpiredLeases(db: Db, leaseNow: number, allOrphans: boolean, limit: number): Promise<DeliveryRecord[]> {
  let query = db.selectFrom('deliveries').selectAll().where('status', '=', 'publishing');
  if (!allOrphans) query = query.where('lease_until', '<', leaseNow);
  return (await query.orderBy('lease_until').limit(limit).execute()).map(toDelivery);
}

/**
 * Marks that an expired lease has been dealt with; same `locked_by` guard as recordOutcomes, and
 * only while the lease is still over at `leaseNow` (leases' time; undefined: a lone SQLite worker
 * starting up takes back every orphan).
 */
export async function recordInterrupted(
  db: Db,
  dialect: Dialect,
  delivery: DeliveryRecord,
  outcome: Outcome,
  attempt: AttemptFacts,
  leaseNow: number | undefined,
): Promise<boolean> {
  if (!delivery.lockedBy) return false;
  const entry: OutcomeEntry = { delivery, outcome, attempt: { ...attempt, worker: delivery.lockedBy }, ...(leaseNow !== undefined && { leaseExpiredBefore: leaseNow }) };
  const [kept] = await recordOutcomes(db, dialect, [entry]);
  return kept ?? false;
}

/**
 * Gives back a claimed delivery whose attempt never started (the worker claimed ahead of its free
 * slots and they stayed busy too long, or it is shutting down): waiting again, as it was, its
 * attempt uncounted, for any worker to claim. Only while this worker still holds it, in the same
 * attempt. Waiting with no attempt made is `pending`; after one, `retrying`. If a person stopped it
 * meanwhile (stop_after_attempt), it ends as `ifStopped` instead, as a stopped waiting one would.
 */
export async function releaseUnstarted(
  db: Db,
  worker: string,
  delivery: DeliveryRecord,
  now: number,
  ifStopped: StoppedWaiting,
): Promise<boolean> {
  const stopped = sql<boolean>`stop_after_attempt = attempts`;
  const result = await db
    .updateTable('deliveries')
    .set({
      status: sql`CASE WHEN ${stopped} THEN ${ifStopped.status} WHEN attempts = 1 THEN 'pending' ELSE 'retrying' END`,
      ...('error' in ifStopped && { last_error: sql`CASE WHEN ${stopped} THEN ${JSON.stringify(ifStopped.error)} ELSE last_error END` }),
      attempts: sql`attempts - 1`,
      // Its attempt number goes back, to be claimed again: a request for it must not stop that claim.
      stop_after_attempt: null,
      locked_by: null,
      lease_until: null,
      updated_at: now,
    })
    .where('id', '=', delivery.id)
    .where('locked_by', '=', worker)
    .where('attempts', '=', delivery.attempts)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
