import { type Kysely, type Selectable, sql } from 'kysely';
import { type AccountRecord, accountsById, findAccountsByIds } from './account.repository.js';
import type { Dialect } from './database.js';
import type { DeliveryRecord } from './delivery.repository.js';
import { loadPublishPayloads, PUBLISH_PAYLOAD_COLUMNS, type PublishPayload, type PublishPayloadRow, publishPayloadsById } from './post.repository.js';
import { preparedStatement } from './pg-prepared.js';
import { claimDue, claimDuePostgres, inDueOrder } from './queue.repository.js';
import type { AccountsTable, Database, DeliveriesTable } from './schema.js';

/** Claimed deliveries with what publishing them needs: their posts and accounts, by id. */
export interface ClaimedWork {
  deliveries: DeliveryRecord[];
  posts: Map<string, PublishPayload>;
  accounts: Map<string, AccountRecord & { deleted: boolean }>;
}

/**
 * The scheduler's claim (claimDue) and the reads that follow it. On PostgreSQL all of it is one
 * statement: each statement costs a socket write that wakes the server, and in the burst benchmark
 * the two reads after each claim were over a third of the statements and ~20 µs of this process's
 * CPU per delivery. Each distinct post and account is looked up by primary key in a LATERAL
 * subquery (OFFSET 0 keeps the planner from flattening it into a join): with `id = ANY(...)`
 * the planner scanned the whole posts table on every claim whenever it judged the table small
 * (1,000 posts: ~0.6 ms a claim, 40% of the claim's server time in the burst benchmark). SQLite
 * runs the three in-process, in one transaction.
 */
export async function claimWork(
  db: Kysely<Database>,
  dialect: Dialect,
  worker: string,
  now: number,
  leaseUntil: number,
  limit: number,
): Promise<ClaimedWork> {
  if (dialect === 'postgres') return claimWorkPostgres(db, worker, now, leaseUntil, limit);
  // One transaction: if the reads fail, nothing stays claimed with no one publishing it.
  return db.transaction().execute(async (trx) => {
    const deliveries = await claimDue(trx, dialect, worker, now, leaseUntil, limit);
    if (deliveries.length === 0) return { deliveries, posts: new Map(), accounts: new Map() };
    const posts = await loadPublishPayloads(trx, deliveries.map((d) => d.postId));
    const accounts = await findAccountsByIds(trx, [...new Set(deliveries.map((d) => d.accountId))]);
    return { deliveries, posts, accounts };
  });
}

type ClaimWorkRow = { deliveries: Selectable<DeliveriesTable>[]; posts: PublishPayloadRow[]; accounts: Selectable<AccountsTable>[] };

const claimWorkStatement = preparedStatement(
  'octopost_claim_work',
  (worker: string, now: number, leaseUntil: number, limit: number) => sql<ClaimWorkRow>`
    WITH claimed AS (SELECT * FROM ${claimDuePostgres(worker, now, leaseUntil, limit)})
    SELECT
      (SELECT COALESCE(json_agg(claimed), '[]') FROM claimed) AS deliveries,
      (SELECT COALESCE(json_agg(p), '[]') FROM (SELECT DISTINCT post_id FROM claimed) AS c, LATERAL (
         SELECT ${sql.join(PUBLISH_PAYLOAD_COLUMNS.map((c) => sql.ref(`posts.${c}`)))} FROM posts WHERE posts.id = c.post_id OFFSET 0) AS p) AS posts,
      (SELECT COALESCE(json_agg(a), '[]') FROM (SELECT DISTINCT account_id FROM claimed) AS c, LATERAL (
         SELECT * FROM accounts WHERE accounts.id = c.account_id OFFSET 0) AS a) AS accounts`,
  (worker, now, leaseUntil, limit) => [worker, now, leaseUntil, limit], // as claimDuePostgres takes them
);

async function claimWorkPostgres(db: Kysely<Database>, worker: string, now: number, leaseUntil: number, limit: number): Promise<ClaimedWork> {
  const { rows } = await db.executeQuery(claimWorkStatement(db, worker, now, leaseUntil, limit));
  const row = rows[0] ?? { deliveries: [], posts: [], accounts: [] }; // a SELECT without FROM: always one row
  return {
    deliveries: inDueOrder(row.deliveries),
    posts: publishPayloadsById(row.posts),
    accounts: accountsById(row.accounts),
  };
}
