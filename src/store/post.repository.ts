import { type Compilable, type Expression, type ExpressionBuilder, type Kysely, type Selectable, type SqlBool, sql } from 'kysely';
import type { PostStatus } from '../core/statuses.js';
import { selectValues } from './array-rows.js';
import type { Dialect } from './database.js';
import { postStatusSql } from './post-status.sql.js';
import type { Database, PostsTable } from './schema.js';

export interface PostRecord {
  id: string;
  userId: string;
  content: string;
  media: { images: { url: string; alt_text?: string }[] };
  segments: { content: string }[];
  platformOptions: Record<string, unknown>;
  staggerMinutes: number;
  scheduledFor: number | null;
  publishedAt: number | null;
  createdAt: number;
  updatedAt: number;
  accountIds: string[];
  status: PostStatus;
  /** Cross-link preset settings copied when the post was made: the primary goes first, the others carry its link. */
  crossLink: CrossLink | null;
}

export interface CrossLink {
  primaryAccountId: string;
  primaryPlatform: string;
  template: string;
}

export type NewPost = Omit<PostRecord, 'status' | 'publishedAt'>;

type Db = Kysely<Database>;

/** A post without its status, which is derived from its deliveries (core/statuses.ts). */
export type PostFields = Omit<PostRecord, 'status'>;

function toRecord(row: Selectable<PostsTable> & { status: string }, accountIds: string[]): PostRecord {
  return { ...toFields(row, accountIds), status: row.status as PostStatus };
}

function toFields(row: Selectable<PostsTable>, accountIds: string[]): PostFields {
  return {
    id: row.id,
    userId: row.user_id,
    content: row.content,
    media: JSON.parse(row.media),
    segments: JSON.parse(row.segments),
    platformOptions: JSON.parse(row.platform_options),
    staggerMinutes: row.stagger_minutes,
    scheduledFor: row.scheduled_for,
    publishedAt: row.published_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    accountIds,
    crossLink: row.cross_link ? JSON.parse(row.cross_link) : null,
  };
}

function toRow(post: NewPost) {
  return {
    id: post.id,
    user_id: post.userId,
    content: post.content,
    media: JSON.stringify(post.media),
    segments: JSON.stringify(post.segments),
    platform_options: JSON.stringify(post.platformOptions),
    stagger_minutes: post.staggerMinutes,
    scheduled_for: post.scheduledFor,
    published_at: null,
    created_at: post.createdAt,
    updated_at: post.updatedAt,
    cross_link: post.crossLink ? JSON.stringify(post.crossLink) : null,
  };
}

export async function insertPost(db: Db, post: NewPost): Promise<void> {
  await db.insertInto('posts').values(toRow(post)).execute();
  await replacePostAccounts(db, post.id, post.accountIds);
}

export async function replacePostAccounts(db: Db, postId: string, accountIds: string[]): Promise<void> {
  await db.deleteFrom('post_accounts').where('post_id', '=', postId).execute();
  if (accountIds.length === 0) return;
  await db
    .insertInto('post_accounts')
    .values(accountIds.map((account_id, position) => ({ post_id: postId, account_id, position })))
    .execute();
}

export interface PostChanges {
  content?: string;
  media?: PostRecord['media'];
  segments?: PostRecord['segments'];
  platformOptions?: Record<string, unknown>;
  staggerMinutes?: number;
  scheduledFor?: number | null;
  crossLink?: CrossLink | null;
  updatedAt: number;
}

export async function updatePost(db: Db, id: string, changes: PostChanges): Promise<void> {
  await db
    .updateTable('posts')
    .set({
      ...(changes.content !== undefined && { content: changes.content }),
      ...(changes.media !== undefined && { media: JSON.stringify(changes.media) }),
      ...(changes.segments !== undefined && { segments: JSON.stringify(changes.segments) }),
      ...(changes.platformOptions !== undefined && { platform_options: JSON.stringify(changes.platformOptions) }),
      ...(changes.staggerMinutes !== undefined && { stagger_minutes: changes.staggerMinutes }),
      ...(changes.scheduledFor !== undefined && { scheduled_for: changes.scheduledFor }),
      ...(changes.crossLink !== undefined && { cross_link: changes.crossLink ? JSON.stringify(changes.crossLink) : null }),
      updated_at: changes.updatedAt,
    })
    .where('id', '=', id)
    .execute();
}

export async function deletePost(db: Db, id: string): Promise<void> {
  await db.deleteFrom('posts').where('id', '=', id).execute();
}

/** The post, only if it belongs to `userId` (another user's post is "not found", never "forbidden"). */
export async function findPost(db: Db, userId: string, id: string): Promise<PostRecord | undefined> {
  const row = await db
    .selectFrom('posts')
    .selectAll()
    .select(postStatusSql.as('status'))
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!row) return undefined;
  const accounts = await accountIdsByPost(db, [id]);
  return toRecord(row, accounts.get(id) ?? []);
}

export interface PostQuery {
  userId: string;
  statuses?: PostStatus[];
  accountId?: string;
  from?: number;
  to?: number;
  limit: number;
  /** Id of the last post of the previous page: ids are time-ordered, so "older than" is "id below". */
  before?: string;
}

/**
 * A page of posts, newest (highest id) first. With a time window (`from` and `to`: the calendar,
 * the queue) the posts in the window are found first through posts_user_time_id_idx, and only then
 * ordered by id: left to itself, PostgreSQL walks the id index backwards from the newest post and
 * filters by time (it assumes the window's posts are spread evenly over the ids), which for a
 * month a year back read ~60,000 rows to return 500. Without a window, the id index is the right
 * way in and the plain query stays.
 * - PostgreSQL: the window's rows come from a subquery fenced by OFFSET 0 (it cannot be merged
 *   into the ordered query, so nothing can walk the id index), and a top-N sort keeps the page.
 *   One pass: ~10 ms against ~12 ms for a month's 500-post page when the ids were found first
 *   and their rows looked up again.
 * - SQLite: the window's ids first (a MATERIALIZED CTE, SQLite 3.35+), then the page's rows by
 *   id. Sorting whole rows in SQLite's temporary b-tree was slower there (~11-16 ms against
 *   ~7-13 ms). The window's index holds the id (migration 0008), so the ids come from the index
 *   alone, without reading the window's rows.
 *
 * The posts come without their status: the reader loads their deliveries anyway and derives it
 * from them (one subquery per post here was ~10-20% of a 500-post page's time). Filtering by
 * status still uses the status in SQL.
 *
 * In the window's plan the ids are compared and sorted in memory, not read in index order, so on
 * PostgreSQL they are compared byte by byte (COLLATE "C"): the database's own collation (often a
 * locale's) made the sort of a month's ~4,000 ids ~1.5 ms of a 500-post page's time. For ids
 * (a prefix, then digits and lowercase letters) every usual collation gives the same order.
 */
export async function listPosts(db: Db, dialect: Dialect, q: PostQuery): Promise<PostFields[]> {
  const rows = (await selectValues(db, postsPageQuery(db, dialect, q))).map(postFromValues); // a page: as arrays (array-rows.ts)
  const accounts = await accountIdsByPost(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toFields(r, accounts.get(r.id) ?? []));
}

/** The statement behind listPosts: the columns of POST_COLUMNS, in that order. */
export function postsPageQuery(db: Db, dialect: Dialect, q: PostQuery): Compilable {
  const inWindow = q.from !== undefined && q.to !== undefined;
  const bytewise = (id: 'posts.id' | 'w.id') => (inWindow && dialect === 'postgres' ? sql`${sql.ref(id)} COLLATE "C"` : sql.ref(id));
  const filters = (eb: ExpressionBuilder<Database, 'posts'>) => {
    const conditions: Expression<SqlBool>[] = [eb('posts.user_id', '=', q.userId)];
    if (q.before) conditions.push(eb(bytewise('posts.id'), '<', q.before));
    if (q.statuses?.length) conditions.push(eb(postStatusSql, 'in', q.statuses));
    if (q.accountId) {
      conditions.push(
        eb.exists(
          eb
            .selectFrom('post_accounts as pa')
            .select('pa.post_id')
            .whereRef('pa.post_id', '=', 'posts.id')
            .where('pa.account_id', '=', q.accountId),
        ),
      );
    }
    const time = eb.fn.coalesce('posts.scheduled_for', 'posts.published_at');
    if (q.from !== undefined) conditions.push(eb(time, '>=', q.from));
    if (q.to !== undefined) conditions.push(eb(time, '<', q.to));
    return eb.and(conditions);
  };
  const window = () => db.selectFrom('posts').where(filters);
  return !inWindow
    ? db.selectFrom('posts').select(POST_COLUMNS).where(filters).orderBy('posts.id', 'desc').limit(q.limit)
    : dialect === 'postgres'
      ? db
          .selectFrom(window().select(POST_COLUMNS).offset(0).as('w'))
          .select(POST_COLUMNS.map((c) => `w.${c}` as const))
          .orderBy(bytewise('w.id'), 'desc')
          .limit(q.limit)
      : db
          .with(
            (cte) => cte('in_window').materialized(),
            () => window().select('posts.id'),
          )
          .selectFrom('posts')
          .select(POST_COLUMNS.map((c) => `posts.${c}` as const))
          .where((eb) => eb('posts.id', 'in', eb.selectFrom('in_window').select('in_window.id').orderBy('in_window.id', 'desc').limit(q.limit)))
          .orderBy('posts.id', 'desc');
}

/** Every column of posts, in the order postFromValues takes them. */
const POST_COLUMNS = [
  'id', 'user_id', 'content', 'media', 'segments', 'platform_options', 'stagger_minutes', 'scheduled_for', 'published_at', 'created_at', 'updated_at', 'cross_link',
] as const satisfies readonly (keyof PostsTable)[];

function postFromValues(values: unknown[]): Selectable<PostsTable> {
  const [id, user_id, content, media, segments, platform_options, stagger_minutes, scheduled_for, published_at, created_at, updated_at, cross_link] = values;
  return { id, user_id, content, media, segments, platform_options, stagger_minutes, scheduled_for, published_at, created_at, updated_at, cross_link } as Selectable<PostsTable>;
}

async function accountIdsByPost(db: Db, postIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  if (postIds.length === 0) return map;
  const rows = await selectValues(
    db,
    db
      .selectFrom('post_accounts')
      .select(['post_id', 'account_id'])
      .where('post_id', 'in', postIds)
      // Grouping below keeps this order within each post; no need to sort by the text post id too.
      .orderBy('position'),
  );
  for (const [postId, accountId] of rows as [string, string][]) {
    const list = map.get(postId) ?? [];
    list.push(accountId);
    map.set(postId, list);
  }
  return map;
}

/** Records the first moment one of each post's deliveries went out. */
export async function markPostsPublished(db: Db, postIds: string[], at: number): Promise<void> {
  await db.updateTable('posts').set({ published_at: at }).where('id', 'in', postIds).where('published_at', 'is', null).execute();
}

export interface PublishPayload {
  id: string;
  content: string;
  media: PostRecord['media'];
  segments: PostRecord['segments'];
  scheduledFor: number | null;
  crossLink: CrossLink | null;
}

/** The post columns a publish needs, and such a row as stored. */
export const PUBLISH_PAYLOAD_COLUMNS = ['id', 'content', 'media', 'segments', 'scheduled_for', 'cross_link'] as const;
export type PublishPayloadRow = Pick<Selectable<PostsTable>, (typeof PUBLISH_PAYLOAD_COLUMNS)[number]>;

/** What the scheduler sends, for a batch of claimed deliveries' posts, in one query. */
export async function loadPublishPayloads(db: Db, postIds: string[]): Promise<Map<string, PublishPayload>> {
  if (postIds.length === 0) return new Map();
  return publishPayloadsById(await db.selectFrom('posts').select(PUBLISH_PAYLOAD_COLUMNS).where('id', 'in', [...new Set(postIds)]).execute());
}

export function publishPayloadsById(rows: PublishPayloadRow[]): Map<string, PublishPayload> {
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        content: r.content,
        media: JSON.parse(r.media),
        segments: JSON.parse(r.segments),
        scheduledFor: r.scheduled_for,
        crossLink: r.cross_link ? JSON.parse(r.cross_link) : null,
      },
    ]),
  );
}

/** Many posts in few statements (CSV import): chunked multi-row inserts, inside the caller's transaction. */
export async function insertPostsBatch(db: Db, posts: NewPost[]): Promise<void> {
  const CHUNK = 500;
  for (let i = 0; i < posts.length; i += CHUNK) {
    const chunk = posts.slice(i, i + CHUNK);
    await db.insertInto('posts').values(chunk.map(toRow)).execute();
    const links = chunk.flatMap((post) => post.accountIds.map((account_id, position) => ({ post_id: post.id, account_id, position })));
    for (let j = 0; j < links.length; j += CHUNK) await db.insertInto('post_accounts').values(links.slice(j, j + CHUNK)).execute();
  }
}

/** The user's posts with these ids (others are left out), in few statements. */
export async function findPostsByIds(db: Db, userId: string, ids: string[]): Promise<Map<string, PostRecord>> {
  const map = new Map<string, PostRecord>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = await db.selectFrom('posts').selectAll().select(postStatusSql.as('status')).where('user_id', '=', userId).where('id', 'in', chunk).execute();
    const accounts = await accountIdsByPost(
      db,
      rows.map((r) => r.id),
    );
    for (const row of rows) map.set(row.id, toRecord(row, accounts.get(row.id) ?? []));
  }
  return map;
}

/** Sets each post's scheduled_for (and optionally one stagger for all) in one statement per chunk. */
export async function setScheduledTimes(db: Db, items: { id: string; at: number | null }[], updatedAt: number, staggerMinutes?: number): Promise<void> {
  for (let i = 0; i < items.length; i += 400) {
    const chunk = items.slice(i, i + 400);
    const cases = sql.join(chunk.map((item) => sql`WHEN ${item.id} THEN CAST(${item.at} AS BIGINT)`), sql` `);
    await db
      .updateTable('posts')
      .set({
        scheduled_for: sql<number | null>`CASE id ${cases} END`,
        updated_at: updatedAt,
        ...(staggerMinutes !== undefined && { stagger_minutes: staggerMinutes }),
      })
      .where(
        'id',
        'in',
        chunk.map((item) => item.id),
      )
      .execute();
  }
}
