import { type Kysely, type Selectable, sql } from 'kysely';
import type { DeliveryStatus } from '../core/statuses.js';
import { selectValues } from './array-rows.js';
import type { Dialect } from './database.js';
import type { Database, DeliveriesTable } from './schema.js';

type Db = Kysely<Database>;

export interface DeliveryError {
  code: string;
  message: string;
  permanent: boolean;
  http_status?: number;
  reconnect?: boolean;
  /** Its retries were stopped by a person (post-stop.ts). */
  stopped?: boolean;
}

export interface DeliveryRecord {
  id: string;
  postId: string;
  accountId: string;
  platform: string;
  status: DeliveryStatus;
  dueAt: number;
  attempts: number;
  budgetStart: number;
  lockedBy: string | null;
  leaseUntil: number | null;
  lastError: DeliveryError | null;
  remoteId: string | null;
  remoteUrl: string | null;
  publishedAt: number | null;
  createdAt: number;
  updatedAt: number;
  /** What the adapter saved between attempts (a thread's parts already posted). */
  progress: Record<string, unknown> | null;
  /** The primary delivery whose link this one carries (cross-link presets). */
  crossLinkFrom: string | null;
  /** Waiting for the primary delivery to finish. */
  blocked: boolean;
  detail: string | null;
  /** A Stop pressed while this attempt was being made: it is not retried (migration 0009). */
  stopAfterAttempt: number | null;
}

export function toDelivery(row: Selectable<DeliveriesTable>): DeliveryRecord {
  return {
    id: row.id,
    postId: row.post_id,
    accountId: row.account_id,
    platform: row.platform,
    status: row.status as DeliveryStatus,
    dueAt: row.due_at,
    attempts: row.attempts,
    budgetStart: row.budget_start,
    lockedBy: row.locked_by,
    leaseUntil: row.lease_until,
    lastError: row.last_error ? JSON.parse(row.last_error) : null,
    remoteId: row.remote_id,
    remoteUrl: row.remote_url,
    publishedAt: row.published_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    progress: row.progress ? JSON.parse(row.progress) : null,
    crossLinkFrom: row.cross_link_from,
    blocked: row.blocked === 1,
    detail: row.detail,
    stopAfterAttempt: row.stop_after_attempt ?? null,
  };
}

export interface NewDelivery {
  id: string;
  postId: string;
  accountId: string;
  platform: string;
  dueAt: number;
  now: number;
  /** Cross-link: the primary delivery it waits for and whose link it carries. */
  crossLinkFrom?: string | null;
}

export async function insertDeliveries(db: Db, deliveries: NewDelivery[]): Promise<void> {
  // Chunks keep each statement under SQLite's and PostgreSQL's bound-parameter limits.
  for (let i = 0; i < deliveries.length; i += 500) await insertChunk(db, deliveries.slice(i, i + 500));
}

async function insertChunk(db: Db, deliveries: NewDelivery[]): Promise<void> {
  if (deliveries.length === 0) return;
  await db
    .insertInto('deliveries')
    .values(
      deliveries.map((d) => ({
        id: d.id,
        post_id: d.postId,
        account_id: d.accountId,
        platform: d.platform,
        status: 'pending',
        due_at: d.dueAt,
        attempts: 0,
        budget_start: 0,
        locked_by: null,
        lease_until: null,
        last_error: null,
        remote_id: null,
        remote_url: null,
        published_at: null,
        created_at: d.now,
        updated_at: d.now,
        progress: null,
        cross_link_from: d.crossLinkFrom ?? null,
        blocked: d.crossLinkFrom ? 1 : 0,
        detail: null,
      })),
    )
    .execute();
}

/**
 * The deliveries of these posts (a page of the post list), in no particular order: readers put
 * each post's in its accounts' order (a sort of a 500-post page's ~1,000 rows by text id was ~1 ms
 * of PostgreSQL's time). Read as arrays (array-rows.ts).
 */
export async function listDeliveries(db: Db, postIds: string[]): Promise<DeliveryRecord[]> {
  if (postIds.length === 0) return [];
  const rows = await selectValues(db, db.selectFrom('deliveries').select(DELIVERY_COLUMNS).where('post_id', 'in', postIds));
  return rows.map(deliveryFromValues);
}

/** Every column of deliveries, in the order deliveryFromValues takes them. */
const DELIVERY_COLUMNS = [
  'id', 'post_id', 'account_id', 'platform', 'status', 'due_at', 'attempts', 'budget_start', 'locked_by', 'lease_until',
  'last_error', 'remote_id', 'remote_url', 'published_at', 'created_at', 'updated_at', 'progress', 'cross_link_from', 'blocked', 'detail', 'stop_after_attempt',
] as const satisfies readonly (keyof DeliveriesTable)[];

function deliveryFromValues(values: unknown[]): DeliveryRecord {
  const [id, post_id, account_id, platform, status, due_at, attempts, budget_start, locked_by, lease_until,
    last_error, remote_id, remote_url, published_at, created_at, updated_at, progress, cross_link_from, blocked, detail, stop_after_attempt] = values;
  return toDelivery({ id, post_id, account_id, platform, status, due_at, attempts, budget_start, locked_by, lease_until,
    last_error, remote_id, remote_url, published_at, created_at, updated_at, progress, cross_link_from, blocked, detail, stop_after_attempt } as Selectable<DeliveriesTable>);
}

/**
 * Locks a change of the post, then its deliveries, for the rest of the transaction (PostgreSQL).
 * The first lock serialises two changes of the same post, from any node: a draft has no
 * deliveries to lock, and two "publish now" of one draft (a double click, a client's retry) both
 * inserted its deliveries, the second failing with a 500. It is an advisory lock on the post's id,
 * not the post's row: recording an outcome locks deliveries and then updates their post's row,
 * so holding the row here while waiting for the deliveries deadlocked with it. The deliveries'
 * locks make a claim running at the same moment skip them instead of publishing a post that is
 * being moved or cancelled. SQLite transactions are already serial.
 *
 * They are locked in the order an outcome batch locks them (record-outcomes.pg.ts): a cross-link
 * primary before the deliveries waiting for it, which recording its outcome then releases, and by
 * id otherwise. In the order a scan met them, a Stop could hold a follower while waiting for the
 * primary whose outcome was waiting for that follower: a deadlock, which PostgreSQL broke by
 * failing one of them (the Stop answered 503).
 */
export async function lockDeliveriesOfPost(db: Db, dialect: Dialect, postId: string): Promise<DeliveryRecord[]> {
  if (dialect === 'postgres') await lockPostChanges(db, [postId]);
  let query = db.selectFrom('deliveries').selectAll().where('post_id', '=', postId);
  if (dialect === 'postgres') query = query.orderBy(sql`cross_link_from IS NOT NULL`).orderBy('id').forUpdate();
  return (await query.execute()).map(toDelivery);
}

/**
 * Removes the deliveries of a post that can be changed (draft or scheduled), before it is
 * unscheduled or placed in time again: those never started, and cancelled ones (an account
 * disconnected, a stop), which would otherwise keep its accounts from getting new deliveries.
 */
export async function deleteReplaceableDeliveries(db: Db, postId: string): Promise<void> {
  await deleteReplaceableDeliveriesOfPosts(db, [postId]);
}

/** Manual retry: failed and unknown deliveries go again now, each with a fresh retry budget. */
export async function requeueFinishedDeliveries(db: Db, postId: string, now: number, accountIds?: string[]): Promise<number> {
  let query = db
    .updateTable('deliveries')
    // A Stop of an earlier attempt left behind (by a node of the previous version) must not stop these.
    .set((eb) => ({ status: 'retrying', due_at: now, budget_start: eb.ref('attempts'), stop_after_attempt: null, updated_at: now }))
    .where('post_id', '=', postId)
    .where('status', 'in', ['failed', 'unknown']);
  if (accountIds?.length) query = query.where('account_id', 'in', accountIds);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Ends a delivery that waits (pending or retrying), while it still does as `delivery` says: a
 * claim may not take it in between (its row is locked, or SQLite is serial), but the guard costs
 * nothing. Returns whether it was changed.
 */
export async function setWaitingDeliveryOutcome(
  db: Db,
  delivery: Pick<DeliveryRecord, 'id' | 'status' | 'attempts'>,
  next: { status: 'cancelled' } | { status: 'failed' | 'unknown'; error: DeliveryError },
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('deliveries')
    .set({ status: next.status, ...('error' in next && { last_error: JSON.stringify(next.error) }), updated_at: now })
    .where('id', '=', delivery.id)
    .where('status', '=', delivery.status)
    .where('attempts', '=', delivery.attempts)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Asks deliveries being sent to stop after the attempt they are in (the caller holds their rows):
 * its outcome, if a retry, is recorded as the end it names instead (outcome-update.sql.ts). Returns
 * how many were asked. `updated_at` stays: while a delivery is publishing it is when its attempt
 * began, which a sweep taking it over times Mastodon's repeat window from.
 */
export async function requestStopAfterAttempt(db: Db, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db
    .updateTable('deliveries')
    .set((eb) => ({ stop_after_attempt: eb.ref('attempts') }))
    .where('id', 'in', ids)
    .where('status', '=', 'publishing')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * A disconnected account publishes nothing more. Deliveries to it that never started are removed
 * (as if the account had been taken off the post), retries waiting are cancelled, and a scheduled
 * post left with no delivery at all goes back to being a draft, its time cleared.
 */
export async function detachAccountFromQueue(db: Db, accountId: string, now: number): Promise<void> {
  // Deliveries waiting for this account's post (cross-links) go out without its link.
  await db
    .updateTable('deliveries')
    .set({ blocked: 0, updated_at: now })
    .where('blocked', '=', 1)
    .where('cross_link_from', 'in', (eb) => eb.selectFrom('deliveries as p').select('p.id').where('p.account_id', '=', accountId))
    .execute();
  const untouched = await db
    .selectFrom('deliveries')
    .select('post_id')
    .where('account_id', '=', accountId)
    .where('status', '=', 'pending')
    .where('attempts', '=', 0)
    .execute();
  await db.deleteFrom('deliveries').where('account_id', '=', accountId).where('status', '=', 'pending').where('attempts', '=', 0).execute();
  await db
    .updateTable('deliveries')
    .set({ status: 'cancelled', updated_at: now })
    .where('account_id', '=', accountId)
    .where('status', 'in', ['pending', 'retrying'])
    .execute();
  const postIds = [...new Set(untouched.map((r) => r.post_id))];
  for (let i = 0; i < postIds.length; i += 500) {
    await db
      .updateTable('posts')
      .set({ scheduled_for: null, updated_at: now })
      .where('id', 'in', postIds.slice(i, i + 500))
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('deliveries as d').select('d.id').whereRef('d.post_id', '=', 'posts.id'))))
      .execute();
  }
}

export async function nextDueAt(db: Db): Promise<number | null> {
  const row = await db
    .selectFrom('deliveries')
    .select((eb) => eb.fn.min('due_at').as('next'))
    .where('status', 'in', ['pending', 'retrying'])
    .where('blocked', '=', 0)
    .executeTakeFirst();
  return row?.next === null || row?.next === undefined ? null : Number(row.next);
}

export async function countDue(db: Db, now: number): Promise<number> {
  const row = await db
    .selectFrom('deliveries')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', 'in', ['pending', 'retrying'])
    .where('due_at', '<=', now)
    .where('blocked', '=', 0)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export interface AttemptRecord {
  deliveryId: string;
  attempt: number;
  worker: string;
  startedAt: number;
  finishedAt: number;
  outcome: string;
  error: DeliveryError | null;
}

export async function listAttempts(db: Db, deliveryIds: string[]): Promise<AttemptRecord[]> {
  if (deliveryIds.length === 0) return [];
  const rows = await db
    .selectFrom('delivery_attempts')
    .selectAll()
    .where('delivery_id', 'in', deliveryIds)
    .orderBy('delivery_id')
    .orderBy('attempt')
    .execute();
  return rows.map((r) => ({
    deliveryId: r.delivery_id,
    attempt: r.attempt,
    worker: r.worker,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    outcome: r.outcome,
    error: r.error ? JSON.parse(r.error) : null,
  }));
}

/**
 * When the earliest attempt of the delivery's current retry budget that may have gone out began
 * (its answer lost, or its worker gone mid-attempt); null when every one was answered. An attempt
 * before the budget (a manual Retry began a new one) was looked at by a person.
 */
export async function firstMaybeSentAt(db: Db, delivery: Pick<DeliveryRecord, 'id' | 'budgetStart'>): Promise<number | null> {
  const row = await db
    .selectFrom('delivery_attempts')
    .select((eb) => eb.fn.min('started_at').as('first'))
    .where('delivery_id', '=', delivery.id)
    .where('attempt', '>', delivery.budgetStart)
    .where('outcome', 'in', ['ambiguous', 'interrupted'])
    .executeTakeFirst();
  return row?.first == null ? null : Number(row.first);
}


/**
 * Minutes (epoch ms / 60000) at which each of `accountIds` already has a post going out or gone
 * out, from `from` on, leaving out `excludePostIds` (the posts being placed). For skip_taken and
 * the posting queue.
 */
export async function takenMinutes(db: Db, accountIds: string[], from: number, excludePostIds: string[] = []): Promise<Map<string, Set<number>>> {
  const map = new Map<string, Set<number>>();
  if (accountIds.length === 0) return map;
  let query = db
    .selectFrom('deliveries')
    .select(['account_id', 'due_at', 'published_at'])
    .where('account_id', 'in', accountIds)
    .where('status', 'in', ['pending', 'publishing', 'retrying', 'published'])
    .where((eb) => eb.or([eb('due_at', '>=', from), eb('published_at', '>=', from)]));
  if (excludePostIds.length) query = query.where('post_id', 'not in', excludePostIds);
  for (const row of await query.execute()) {
    const set = map.get(row.account_id) ?? new Set<number>();
    set.add(Math.floor(row.due_at / 60_000));
    if (row.published_at !== null) set.add(Math.floor(row.published_at / 60_000));
    map.set(row.account_id, set);
  }
  return map;
}

/** The account's posts going out (or gone out) from `from` on, by due time: fills the queue view. */
export async function upcomingDeliveriesOfAccount(db: Db, accountId: string, from: number): Promise<{ postId: string; dueAt: number }[]> {
  const rows = await db
    .selectFrom('deliveries')
    .select(['post_id', 'due_at'])
    .where('account_id', '=', accountId)
    .where('status', 'in', ['pending', 'publishing', 'retrying', 'published'])
    .where('due_at', '>=', from)
    .orderBy('due_at')
    .execute();
  return rows.map((r) => ({ postId: r.post_id, dueAt: r.due_at }));
}

/** The first key of Octopost's advisory locks on posts (the second is the post id's hash). */
const POST_CHANGE_LOCKS = 0x6f637470; // "octp"

/**
 * Advisory locks, one per post id, held to the end of the transaction; taken in the order of their
 * keys, so two transactions locking overlapping sets cannot deadlock on them.
 */
async function lockPostChanges(db: Db, postIds: string[]): Promise<void> {
  if (postIds.length === 0) return;
  await sql`
    SELECT pg_advisory_xact_lock(${POST_CHANGE_LOCKS}, key)
      FROM (SELECT DISTINCT hashtext(id) AS key FROM unnest(${postIds}::text[]) AS id) AS keys
     ORDER BY key`.execute(db); // a volatile function in the select list runs after the ORDER BY
}

/** lockDeliveriesOfPost for many posts at once (bulk scheduling). */
export async function lockDeliveriesOfPosts(db: Db, dialect: Dialect, postIds: string[]): Promise<void> {
  if (dialect === 'postgres') await lockPostChanges(db, postIds);
  for (let i = 0; i < postIds.length; i += 500) {
    let query = db.selectFrom('deliveries').select('id').where('post_id', 'in', postIds.slice(i, i + 500));
    if (dialect === 'postgres') query = query.forUpdate();
    await query.execute();
  }
}

/** deleteReplaceableDeliveries for many posts at once. */
export async function deleteReplaceableDeliveriesOfPosts(db: Db, postIds: string[]): Promise<void> {
  for (let i = 0; i < postIds.length; i += 500) {
    await db
      .deleteFrom('deliveries')
      .where('post_id', 'in', postIds.slice(i, i + 500))
      .where((eb) => eb.or([eb.and([eb('status', '=', 'pending'), eb('attempts', '=', 0)]), eb('status', '=', 'cancelled')]))
      .execute();
  }
}

/** Saves what the adapter needs to resume (a thread's posted parts), while this worker holds it. */
export async function saveDeliveryProgress(db: Db, id: string, worker: string, progress: Record<string, unknown>): Promise<void> {
  await db.updateTable('deliveries').set({ progress: JSON.stringify(progress) }).where('id', '=', id).where('locked_by', '=', worker).execute();
}

/** The primary delivery a cross-linked one waited for: how it ended, and its link. */
export async function findDeliveryById(db: Db, id: string): Promise<DeliveryRecord | undefined> {
  const row = await db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toDelivery(row) : undefined;
}
