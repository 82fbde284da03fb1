import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateToLatest, type Store } from '../../src/store/database.js';
import { dialects } from '../helpers/databases.js';
import { storeWithAccounts, type TestStore } from '../helpers/store-fixture.js';

// Migration 0006 re-keys delivery_attempts by (delivery_id, attempt) and replaces its foreign key
// with a trigger: existing history must survive it, and deleting still cleans up.
describe.each(await dialects())('delivery attempts after migration 0006 on %s', (dialect) => {
  let fixture: TestStore;
  let store: Store;

  beforeEach(async () => {
    fixture = await storeWithAccounts(dialect, ['a'], { migrateTo: '0005-claim-function' });
    store = fixture.store;
    await store.db
      .insertInto('posts')
      .values({ id: 'p', user_id: 'u', content: 'x', media: '{"images":[]}', segments: '[]', platform_options: '{}', stagger_minutes: 0, scheduled_for: 1, published_at: null, created_at: 0, updated_at: 0 })
      .execute();
    await store.db
      .insertInto('deliveries')
      .values({ id: 'd', post_id: 'p', account_id: 'a', platform: 'webhook', status: 'published', due_at: 0, attempts: 2, budget_start: 0, locked_by: null, lease_until: null, last_error: null, remote_id: null, remote_url: null, published_at: 5, created_at: 0, updated_at: 0 })
      .execute();
  });
  afterEach(() => fixture.drop());

  const attempt = (n: number, id: string | null, outcome: string) => ({ id, delivery_id: 'd', attempt: n, worker: 'w', started_at: n, finished_at: n, outcome, error: null });
  const history = () => store.db.selectFrom('delivery_attempts').select(['attempt', 'outcome']).orderBy('attempt').execute();

  it('keeps the history, one row per attempt, and still removes it with its delivery', async () => {
    await store.db.insertInto('delivery_attempts').values([attempt(1, 'att_1', 'failed'), attempt(2, 'att_2', 'published')]).execute();
    await migrateToLatest(store);
    expect(await history()).toEqual([
      { attempt: 1, outcome: 'failed' },
      { attempt: 2, outcome: 'published' },
    ]);

    // A node of the previous version (still running during a rolling upgrade) writes the id.
    await store.db.insertInto('delivery_attempts').values(attempt(3, 'att_3', 'failed')).execute();
    await store.db.insertInto('delivery_attempts').values(attempt(4, null, 'published')).execute();
    await expect(store.db.insertInto('delivery_attempts').values(attempt(4, null, 'published')).execute()).rejects.toThrow(/unique|duplicate/i);
    expect(await history()).toHaveLength(4);

    // The post's deletion cascades to its deliveries; the trigger takes their attempts along.
    await store.db.deleteFrom('posts').where('id', '=', 'p').execute();
    expect(await history()).toEqual([]);
  });

  it('drops a repeated (delivery, attempt) pair rather than fail the upgrade', async () => {
    await store.db.insertInto('delivery_attempts').values([attempt(1, 'att_a', 'failed'), attempt(1, 'att_b', 'interrupted')]).execute();
    await migrateToLatest(store);
    expect(await history()).toEqual([{ attempt: 1, outcome: 'failed' }]);
  });
});
