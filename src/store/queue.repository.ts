import { type Kysely, sql } from 'kysely';
import type { Dialect } from './database.js';
import { type DeliveryError, type DeliveryRecord, toDelivery } from './delivery.repository.js';
import type { Database, DeliveriesTable } from './schema.js';
import { markPostsPublished } from './post.repository.js';
import { updateFromOutcomes } from './outcome-update.sql.js';
import { recordOutcomesPostgres } from './record-outcomes.pg.js';
import type { Selectable } from 'kysely';

type Db = Kysely<Database>;

/**
 * The claim, in one statement: take up to `limit` waiting deliveries whose time has come, oldest
 * due first, mark them publishing under this worker's lease and count the attempt, all at once.
 * On PostgreSQL, FOR UPDATE SKIP LOCKED lets any number of workers claim side by side without
 * waiting on each other or taking the same row. SQLite has one writer at a time, so the plain
 * statement is already exclusive.
 */
export async function claimDue(
  db: Db,
  dialect: Dialect,
  worker: string,
  now: number,
  leaseMs: number,
  limit: number,
): Promise<DeliveryRecord[]> {
  const lock = dialect === 'postgres' ? sql`FOR UPDATE SKIP LOCKED` : sql``;
  const result = await sql<Selectable<DeliveriesTable>>`
    UPDATE deliveries
       SET status = 'publishing', locked_by = ${worker}, lease_until = ${now + leaseMs},
           attempts = attempts + 1, updated_at = ${now}
     WHERE id IN (
       SELECT id FROM deliveries
        WHERE status IN ('pending', 'retrying') AND due_at <= ${now} AND blocked = 0
        ORDER BY due_at
        LIMIT ${limit}
        ${lock})
    RETURNING *`.execute(db);
  return result.rows.map(toDelivery).sort((a, b) => a.dueAt - b.dueAt);
}

export type Outcome =
  | { status: 'published'; remoteId: string | null; remoteUrl: string | null; detail?: string | null }
  | { status: 'retrying'; dueAt: number; error: DeliveryError }
  | { status: 'failed'; error: DeliveryError }
  | { status: 'unknown'; error: DeliveryError };

export interface AttemptFacts {
  attemptId: string;
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
}

/**
 * Records attempts and the deliveries' next states, several at once in one transaction (one commit
 * for many deliveries: the commit, not the statements, was most of the cost per delivery), each
 * only while its worker still holds the delivery (`locked_by = me`): a worker whose lease was taken
 * over must not overwrite the new owner's result. Returns, per entry, whether it was recorded.
 */
export async function recordOutcomes(db: Db, entries: OutcomeEntry[], dialect?: Dialect): Promise<boolean[]> {
  if (entries.length === 0) return [];
  if (dialect === 'postgres') {
    const recorded = new Set<string>();
    for (let i = 0; i < entries.length; i += 500) {
      for (const id of await recordOutcomesPostgres(db, entries.slice(i, i + 500))) recorded.add(id);
    }
    return entries.map((e) => recorded.has(e.delivery.id));
  }
  return db.transaction().execute(async (trx) => {
    const updated = new Set<string>();
    for (let i = 0; i < entries.length; i += 500) {
      for (const id of await updateDeliveries(trx, entries.slice(i, i + 500))) updated.add(id);
    }
    const kept = entries.map((e) => updated.has(e.delivery.id));
    const recorded = entries.filter((_, i) => kept[i]);
    if (recorded.length > 0) {
      await trx
        .insertInto('delivery_attempts')
        .values(
          recorded.map(({ delivery, outcome, attempt }) => ({
            id: attempt.attemptId,
            delivery_id: delivery.id,
            attempt: delivery.attempts,
            worker: attempt.worker,
            started_at: attempt.startedAt,
            finished_at: attempt.finishedAt,
            outcome: attempt.result,
            error: outcome.status === 'published' ? null : JSON.stringify(outcome.error),
          })),
        )
        .execute();
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
    }
    return kept;
  });
}

/**
 * The deliveries' next states in one statement for the whole batch (SQLite; PostgreSQL does this
 * and the rest in one statement, record-outcomes.pg.ts). Returns the ids it changed.
 */
async function updateDeliveries(db: Db, entries: OutcomeEntry[]): Promise<string[]> {
  const rows = entries.map(({ delivery, outcome, attempt }) => {
    const published = outcome.status === 'published';
    return sql`(${delivery.id}, ${outcome.status}, CAST(${outcome.status === 'retrying' ? outcome.dueAt : null} AS BIGINT),
      ${published ? outcome.remoteId : null}, ${published ? outcome.remoteUrl : null}, CAST(${attempt.finishedAt} AS BIGINT),
      ${published ? null : JSON.stringify(outcome.error)}, ${published ? (outcome.detail ?? null) : null}, ${attempt.worker}, CAST(${delivery.attempts} AS INTEGER))`;
  });
  const result = await sql<{ id: string }>`
    WITH v(id, status, due_at, remote_id, remote_url, at, last_error, detail, worker, attempts) AS (VALUES ${sql.join(rows)})
    ${updateFromOutcomes}
    RETURNING deliveries.id`.execute(db);
  return result.rows.map((r) => r.id);
}

/** One outcome; see recordOutcomes. */
export async function recordOutcome(db: Db, delivery: DeliveryRecord, outcome: Outcome, attempt: AttemptFacts): Promise<boolean> {
  const [kept] = await recordOutcomes(db, [{ delivery, outcome, attempt }]);
  return kept ?? false;
}

/**
 * Deliveries whose worker vanished mid-attempt (crash, SIGKILL, lost network): their lease ran
 * out while they were still `publishing`. `allOrphans` ignores the lease, for a single-node
 * SQLite worker starting up, which knows no other worker can hold them.
 */
export async function findExpiredLeases(db: Db, now: number, allOrphans: boolean, limit: number): Promise<DeliveryRecord[]> {
  let query = db.selectFrom('deliveries').selectAll().where('status', '=', 'publishing');
  if (!allOrphans) query = query.where('lease_until', '<', now);
  return (await query.orderBy('lease_until').limit(limit).execute()).map(toDelivery);
}

/** Marks that an expired lease has been dealt with; same `locked_by` guard as recordOutcome. */
export async function recordInterrupted(db: Db, delivery: DeliveryRecord, outcome: Outcome, attempt: AttemptFacts): Promise<boolean> {
  if (!delivery.lockedBy) return false;
  return recordOutcome(db, delivery, outcome, { ...attempt, worker: delivery.lockedBy });
}
