import { type Kysely, sql } from 'kysely';
import { ACCOUNT_USE_RESOLUTION_MS, outcomeRowsJson, updateFromOutcomes } from './outcome-update.sql.js';
import { preparedStatement } from './pg-prepared.js';
import type { OutcomeEntry } from './queue.repository.js';
import type { Database } from './schema.js';

/**
 * recordOutcomes on PostgreSQL, as ONE statement (data-modifying CTEs): the deliveries' next
 * states, their attempt rows, the release of deliveries waiting for a cross-link primary, the
 * posts' first publication time and the accounts' last use. A single statement is atomic on its
 * own, so there is no BEGIN and COMMIT either: on this kind of machine each statement is a costly
 * socket write, and this took the statements per batch of outcomes from eight to one. Same guards
 * as the generic version: the worker must still hold the delivery, in the same attempt. Returns
 * the ids it recorded.
 *
 * The batch is one JSON parameter (outcomeRowsJson), so the text never changes and is prepared
 * once per connection (pg-prepared.ts). The planner cannot see how many rows it
 * holds, so the deliveries are also restricted to `= ANY(ARRAY(...))` of their ids: it looks them
 * up by primary key rather than scanning the table to hash-join them.
 */
const recordOutcomesStatement = preparedStatement(
  'octopost_record_outcomes',
  (outcomeRows: string) => sql<{ id: string }>`
    WITH v AS (
      SELECT * FROM json_to_recordset(${outcomeRows}::json) AS v(id text, status text, due_at bigint, remote_id text,
        remote_url text, at bigint, last_error text, detail text, worker text, attempts int, started_at bigint,
        wire text, may_release boolean, expired_before bigint, stopped_status text, stopped_error text)
    ),
    updated AS (
      ${updateFromOutcomes}
        AND deliveries.id = ANY(ARRAY(SELECT id FROM v))
      RETURNING deliveries.id, deliveries.post_id, deliveries.account_id, v.status, v.at, v.worker, v.attempts, v.started_at, v.wire,
                v.last_error, v.may_release
    ),
    attempts AS (
      INSERT INTO delivery_attempts (delivery_id, attempt, worker, started_at, finished_at, outcome, error)
      SELECT id, attempts, worker, started_at, at, wire, last_error FROM updated
    ),
    released AS (
      UPDATE deliveries SET blocked = 0
       WHERE blocked = 1 AND cross_link_from IN (SELECT id FROM updated WHERE status <> 'retrying' AND may_release)
    ),
    first_published AS (
      UPDATE posts SET published_at = p.at
        FROM (SELECT post_id, MIN(at) AS at FROM updated WHERE status = 'published' GROUP BY post_id) AS p
       WHERE posts.id = p.post_id AND posts.published_at IS NULL
    ),
    used AS (
      UPDATE accounts SET last_used_at = u.at
        FROM (SELECT account_id, MAX(at) AS at FROM updated WHERE status = 'published' GROUP BY account_id) AS u
       WHERE accounts.id = u.account_id AND COALESCE(accounts.last_used_at, 0) < u.at - ${ACCOUNT_USE_RESOLUTION_MS}
    )
    SELECT id FROM updated`,
  (outcomeRows) => [outcomeRows, ACCOUNT_USE_RESOLUTION_MS],
);

export async function recordOutcomesPostgres(db: Kysely<Database>, entries: OutcomeEntry[]): Promise<Set<string>> {
  const result = await db.executeQuery(recordOutcomesStatement(db, outcomeRowsJson(entries)));
  return new Set(result.rows.map((r) => r.id));
}
