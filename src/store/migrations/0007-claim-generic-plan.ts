import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * PostgreSQL: the claim (0005) planned once per connection, with a plan that holds whatever the
 * table's statistics say. In 0005 the picked ids were `IN (SELECT ... LIMIT claim_limit ...)`.
 * Once deliveries has been analysed (autovacuum does it after enough writes), the plan cache of
 * PL/pgSQL priced its generic plan, which cannot know the limit and guesses a tenth of the due
 * rows, as a hash join over a sequential scan of every delivery; it judged that dearer than a
 * plan for the given values and so planned every claim afresh: 0.5-0.8 ms of server time a claim
 * on the bench machine. Pinned, the server's CPU per claimed delivery fell by ~12% (claims alone)
 * and ~9% (claim and outcome), medians of 6 runs by turns on analysed tables.
 * As `= ANY(ARRAY(...))` the picked ids are computed once, then looked up by primary key however
 * many the planner guesses, so the generic plan is the right one, and plan_cache_mode keeps it.
 * Same function, same signature: nodes of the previous version call it unchanged.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`
    CREATE OR REPLACE FUNCTION octopost_claim_due(claim_worker text, claim_now bigint, claim_lease_until bigint, claim_limit integer)
    RETURNS SETOF deliveries
    LANGUAGE plpgsql VOLATILE
    SET enable_bitmapscan = off
    SET enable_sort = off
    SET plan_cache_mode = force_generic_plan
    ROWS 50
    AS $$
    BEGIN
      RETURN QUERY
      UPDATE deliveries
         SET status = 'publishing', locked_by = claim_worker, lease_until = claim_lease_until,
             attempts = deliveries.attempts + 1, updated_at = claim_now
       WHERE deliveries.id = ANY(ARRAY(
         SELECT waiting.id FROM deliveries AS waiting
          WHERE waiting.status IN ('pending', 'retrying') AND waiting.due_at <= claim_now AND waiting.blocked = 0
          ORDER BY waiting.due_at
          LIMIT claim_limit
          FOR UPDATE SKIP LOCKED))
      RETURNING deliveries.*;
    END
    $$`.execute(db);
}
