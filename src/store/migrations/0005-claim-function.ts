import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * PostgreSQL: the claim as a function, only to pin its plan. The claim must walk the partial due
 * index in due order and stop after `limit` rows. Right after many deliveries are inserted (a bulk
 * import, a fresh install), before autovacuum has analysed the table, the planner guesses a handful
 * of due rows and prefers a bitmap scan of every due row plus a sort: during a burst of 10,000 that
 * cost ~1.5 ms of server CPU per claim (the index also still lists every row already claimed).
 * A function's SET clause is the only way to give one statement its own planner settings without
 * a transaction around it. PL/pgSQL rather than SQL: it keeps the plan for the connection's life
 * (~20% less server CPU per claim). SQLite keeps the claim inline (queue.repository.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`
    CREATE FUNCTION octopost_claim_due(claim_worker text, claim_now bigint, claim_lease_until bigint, claim_limit integer)
    RETURNS SETOF deliveries
    LANGUAGE plpgsql VOLATILE
    SET enable_bitmapscan = off
    SET enable_sort = off
    ROWS 50
    AS $$
    BEGIN
      RETURN QUERY
      UPDATE deliveries
         SET status = 'publishing', locked_by = claim_worker, lease_until = claim_lease_until,
             attempts = deliveries.attempts + 1, updated_at = claim_now
       WHERE deliveries.id IN (
         SELECT waiting.id FROM deliveries AS waiting
          WHERE waiting.status IN ('pending', 'retrying') AND waiting.due_at <= claim_now AND waiting.blocked = 0
          ORDER BY waiting.due_at
          LIMIT claim_limit
          FOR UPDATE SKIP LOCKED)
      RETURNING deliveries.*;
    END
    $$`.execute(db);
}
