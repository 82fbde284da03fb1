import { type Kysely, sql } from 'kysely';
import { updateFromOutcomes } from './outcome-update.sql.js';
import type { OutcomeEntry } from './queue.repository.js';
import type { Database } from './schema.js';

/**
 * recordOutcomes on PostgreSQL, as ONE statement (data-modifying CTEs): the deliveries' next
 * states, their attempt rows, the release of deliveries waiting for a cross-link primary, and the
 * posts' first publication time. A single statement is atomic on its own, so there is no BEGIN and
 * COMMIT either: on this kind of machine each statement is a costly socket write, and this took
 * the statements per batch of outcomes from eight to one. Same guards as the generic version:
 * the worker must still hold the delivery, in the same attempt. Returns the ids it recorded.
 */
export async function recordOutcomesPostgres(db: Kysely<Database>, entries: OutcomeEntry[]): Promise<Set<string>> {
  const rows = entries.map(({ delivery, outcome, attempt, mayReleaseWaiting }) => {
    const published = outcome.status === 'published';
    const error = published ? null : JSON.stringify(outcome.error);
    return sql`(${delivery.id}, ${outcome.status}, ${outcome.status === 'retrying' ? outcome.dueAt : null}::bigint,
      ${published ? outcome.remoteId : null}::text, ${published ? outcome.remoteUrl : null}::text, ${attempt.finishedAt}::bigint,
      ${error}::text, ${published ? (outcome.detail ?? null) : null}::text, ${attempt.worker}, ${delivery.attempts}::int,
      ${attempt.attemptId}, ${attempt.startedAt}::bigint, ${attempt.result}, ${mayReleaseWaiting !== false}::boolean)`;
  });
  const result = await sql<{ id: string }>`
    WITH v(id, status, due_at, remote_id, remote_url, at, last_error, detail, worker, attempts, attempt_id, started_at, wire, may_release) AS (
      VALUES ${sql.join(rows)}
    ),
    updated AS (
      ${updateFromOutcomes}
      RETURNING deliveries.id, deliveries.post_id, v.status, v.at, v.worker, v.attempts, v.attempt_id, v.started_at, v.wire,
                v.last_error, v.may_release
    ),
    attempts AS (
      INSERT INTO delivery_attempts (id, delivery_id, attempt, worker, started_at, finished_at, outcome, error)
      SELECT attempt_id, id, attempts, worker, started_at, at, wire, last_error FROM updated
    ),
    released AS (
      UPDATE deliveries SET blocked = 0
       WHERE blocked = 1 AND cross_link_from IN (SELECT id FROM updated WHERE status <> 'retrying' AND may_release)
    ),
    first_published AS (
      UPDATE posts SET published_at = p.at
        FROM (SELECT post_id, MIN(at) AS at FROM updated WHERE status = 'published' GROUP BY post_id) AS p
       WHERE posts.id = p.post_id AND posts.published_at IS NULL
    )
    SELECT id FROM updated`.execute(db);
  return new Set(result.rows.map((r) => r.id));
}
