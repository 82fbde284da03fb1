import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/database.js';
import { listDeliveries, lockDeliveriesOfPost } from '../../src/store/delivery.repository.js';
import { findPost, listPosts } from '../../src/store/post.repository.js';
import { dialects } from '../helpers/databases.js';
import { storeWithAccounts, type TestStore } from '../helpers/store-fixture.js';

// The post list and its deliveries are read as arrays of values (array-rows.ts) and turned into
// records by position: a column list out of step with its destructuring would put values in the
// wrong fields. Every column here holds a value of its own, and the records must be the same as
// those read the usual way, as objects by column name.
describe.each(await dialects())('reads as arrays on %s', (dialect) => {
  let fixture: TestStore;
  let store: Store;
  const postIds = ['post_00000000000000000000000001', 'post_00000000000000000000000002'];

  beforeAll(async () => {
    fixture = await storeWithAccounts(dialect, ['a0', 'a1']);
    store = fixture.store;
    for (const [n, id] of postIds.entries()) {
      await store.db
        .insertInto('posts')
        .values({
          id, user_id: 'u', content: `content ${n}`, media: `{"images":[{"url":"https://example.com/${n}.png"}]}`, segments: `[{"content":"part ${n}"}]`,
          platform_options: `{"mastodon":{"visibility":"unlisted${n}"}}`, stagger_minutes: 3 + n, scheduled_for: 1_000 + n, published_at: 2_000 + n,
          created_at: 3_000 + n, updated_at: 4_000 + n, cross_link: `{"primaryAccountId":"a0","primaryPlatform":"webhook","template":"t${n}"}`,
        })
        .execute();
      await store.db.insertInto('post_accounts').values([{ post_id: id, account_id: 'a1', position: 0 }, { post_id: id, account_id: 'a0', position: 1 }]).execute();
      await store.db
        .insertInto('deliveries')
        .values([0, 1].map((k) => ({
          id: `dlv_${n}${k}`, post_id: id, account_id: `a${k}`, platform: k ? 'mastodon' : 'webhook', status: k ? 'publishing' : 'failed',
          due_at: 10 + k, attempts: 20 + k, budget_start: 30 + k, locked_by: `worker ${k}`, lease_until: 40 + k,
          last_error: `{"code":"c${k}","message":"m${k}","permanent":true}`, remote_id: `r${k}`, remote_url: `https://example.com/r${k}`,
          published_at: 50 + k, created_at: 60 + k, updated_at: 70 + k, progress: `{"parts":[${k}]}`, cross_link_from: k ? `dlv_${n}0` : null,
          blocked: k, detail: `detail ${k}`,
        })))
        .execute();
    }
  });
  afterAll(() => fixture.drop());

  it('gives the same deliveries as a read by column name', async () => {
    const byName = (await Promise.all(postIds.map((id) => lockDeliveriesOfPost(store.db, dialect, id)))).flat();
    const listed = await listDeliveries(store.db, postIds);
    const sort = (list: typeof listed) => [...list].sort((a, b) => a.id.localeCompare(b.id));
    expect(sort(listed)).toEqual(sort(byName));
    expect(listed).toHaveLength(4);
    expect(listed.find((d) => d.id === 'dlv_11')).toMatchObject({ attempts: 21, budgetStart: 31, lockedBy: 'worker 1', blocked: true, crossLinkFrom: 'dlv_10', progress: { parts: [1] } });
  });

  it('gives the same posts as a read by column name, with and without a time window', async () => {
    const byName = await Promise.all([...postIds].reverse().map((id) => findPost(store.db, 'u', id)));
    const fields = byName.map((post) => {
      const { status: _status, ...rest } = post!;
      return rest;
    });
    expect(await listPosts(store.db, dialect, { userId: 'u', limit: 10 })).toEqual(fields);
    expect(await listPosts(store.db, dialect, { userId: 'u', from: 0, to: 10_000, limit: 10 })).toEqual(fields);
    expect(fields[0]).toMatchObject({ staggerMinutes: 4, scheduledFor: 1_001, accountIds: ['a1', 'a0'], crossLink: { template: 't1' } });
  });
});
