import { CompiledQuery, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postsPageQuery } from '../../src/store/post.repository.js';
import { dialects } from '../helpers/databases.js';
import { migrateStoreTo, storeWithAccounts, type TestStore } from '../helpers/store-fixture.js';

// Migration 0008: the calendar's window index holds the post id, so SQLite finds a month's ids
// (and applies the cursor) from the index alone instead of reading every row of the window.
const POSTS = 300;
const DAY = 86_400_000;

async function indexesOfPosts(fixture: TestStore, dialect: string): Promise<string[]> {
  const { db } = fixture.store;
  const { rows } =
    dialect === 'postgres'
      ? await sql<{ name: string }>`SELECT indexname AS name FROM pg_indexes WHERE tablename = 'posts' AND schemaname = current_schema()`.execute(db)
      : await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'posts'`.execute(db);
  return rows.map((r) => r.name);
}

describe.each(await dialects())('the window index of posts on %s', (dialect) => {
  let fixture: TestStore;
  beforeEach(async () => {
    fixture = await storeWithAccounts(dialect, []);
  });
  afterEach(() => fixture.drop());

  it('holds the id in place of the index it replaces, and migrating down puts the old one back', async () => {
    const latest = await indexesOfPosts(fixture, dialect);
    expect(latest).toContain('posts_user_time_id_idx');
    expect(latest).not.toContain('posts_user_time_idx');

    await migrateStoreTo(fixture.store, '0007-claim-generic-plan');
    const before = await indexesOfPosts(fixture, dialect);
    expect(before).toContain('posts_user_time_idx');
    expect(before).not.toContain('posts_user_time_id_idx');
  });
});

describe('a month page on sqlite', () => {
  const dialect = 'sqlite';
  let fixture: TestStore;
  beforeEach(async () => {
    fixture = await storeWithAccounts(dialect, []);
    const posts = Array.from({ length: POSTS }, (_, p) => ({
      id: `post_${String(p).padStart(26, '0')}`, user_id: 'u', content: `post ${p}`, media: '{"images":[]}', segments: '[]', platform_options: '{}',
      stagger_minutes: 0, scheduled_for: p * DAY, published_at: null, created_at: 0, updated_at: 0,
    }));
    for (let i = 0; i < posts.length; i += 100) await fixture.store.db.insertInto('posts').values(posts.slice(i, i + 100)).execute();
  });
  afterEach(() => fixture.drop());

  const planOf = async (before?: string) => {
    const { sql: text, parameters } = postsPageQuery(fixture.store.db, dialect, {
      userId: 'u', from: 30 * DAY, to: 60 * DAY, limit: 10, ...(before && { before }),
    }).compile();
    const { rows } = await fixture.store.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${text}`, [...parameters]));
    return rows.map((r) => r.detail);
  };

  it('finds the window from the index alone, with and without a cursor', async () => {
    expect(await planOf()).toContainEqual(expect.stringMatching(/^SEARCH posts USING COVERING INDEX posts_user_time_id_idx \(user_id=\? AND <expr>>\? AND <expr><\?\)/));
    expect(await planOf(`post_${String(50).padStart(26, '0')}`)).toContainEqual(expect.stringMatching(/USING COVERING INDEX posts_user_time_id_idx/));
  });
});
