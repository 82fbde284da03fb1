import { sql } from 'kysely';

/**
 * The one UPDATE that moves a batch of deliveries to their next state, from a CTE `v` with the
 * columns (id, status, due_at, remote_id, remote_url, at, last_error, detail, worker, attempts),
 * shared by the SQLite and PostgreSQL recorders. Only while the worker still holds the delivery,
 * in the same attempt: a worker whose lease ran out mid-attempt may have claimed it again since.
 */
export const updateFromOutcomes = sql`
  UPDATE deliveries
     SET status = v.status,
         due_at = COALESCE(v.due_at, deliveries.due_at),
         remote_id = CASE WHEN v.status = 'published' THEN v.remote_id ELSE deliveries.remote_id END,
         remote_url = CASE WHEN v.status = 'published' THEN v.remote_url ELSE deliveries.remote_url END,
         published_at = CASE WHEN v.status = 'published' THEN v.at ELSE deliveries.published_at END,
         detail = CASE WHEN v.status = 'published' THEN v.detail ELSE deliveries.detail END,
         last_error = v.last_error,
         locked_by = NULL, lease_until = NULL, updated_at = v.at
    FROM v
   WHERE deliveries.id = v.id AND deliveries.locked_by = v.worker AND deliveries.status = 'publishing'
     AND deliveries.attempts = v.attempts`;
