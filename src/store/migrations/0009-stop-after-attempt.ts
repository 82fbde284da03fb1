import { type Kysely, sql } from 'kysely';

/**
 * A Stop pressed while a delivery is being sent (POST /v1/posts/:id/stop) is kept on the delivery
 * as the number of the attempt it stops after: that attempt finishes, and if it asks for a retry the
 * delivery ends instead (failed, or unknown where a repeat could post twice). Keyed by attempt
 * rather than a flag, so that a request left behind (an attempt recorded by a node of the previous
 * version, which neither reads nor clears it) does not stop a later attempt, such as a Retry's.
 * Attempt numbers only grow, except when a claim not started is given back: that clears it, and so
 * does a Retry (for what a node of the previous version gave back).
 *
 * A nullable column with no default: adding it rewrites nothing and holds the table only for an
 * instant. Nodes of the previous version keep working with it (they never name it); while they run,
 * a Stop does not reach the attempts they record.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE deliveries ADD COLUMN stop_after_attempt INTEGER`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE deliveries DROP COLUMN stop_after_attempt`.execute(db);
}
