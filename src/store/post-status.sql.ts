import { type RawBuilder, sql } from 'kysely';

/**
 * The post status of core/statuses.ts as one SQL expression over the post's deliveries, so lists
 * can filter and page by status in the database. A test checks it agrees with derivePostStatus.
 * `posts` must be in scope as the outer table.
 */
export const postStatusSql: RawBuilder<string> = sql<string>`(
  SELECT CASE
    WHEN COUNT(CASE WHEN d.status <> 'cancelled' THEN 1 END) = 0 THEN 'draft'
    WHEN COUNT(CASE WHEN d.status = 'pending' AND d.attempts = 0 THEN 1 END)
       = COUNT(CASE WHEN d.status <> 'cancelled' THEN 1 END)
      THEN CASE WHEN posts.scheduled_for IS NULL THEN 'publishing' ELSE 'scheduled' END
    WHEN COUNT(CASE WHEN d.status IN ('pending', 'publishing', 'retrying') THEN 1 END) > 0 THEN 'publishing'
    WHEN COUNT(CASE WHEN d.status = 'published' THEN 1 END)
       = COUNT(CASE WHEN d.status <> 'cancelled' THEN 1 END) THEN 'published'
    WHEN COUNT(CASE WHEN d.status = 'published' THEN 1 END) > 0 THEN 'partially_failed'
    ELSE 'failed'
  END
  FROM deliveries d WHERE d.post_id = posts.id
)`;
