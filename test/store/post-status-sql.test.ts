import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derivePostStatus, DELIVERY_STATUSES } from '../../src/core/statuses.js';
import type { Store } from '../../src/store/database.js';
import { findPost } from '../../src/store/post.repository.js';
import { dialects } from '../helpers/databases.js';
import { storeWithAccounts, type TestStore } from '../helpers/store-fixture.js';

// The status is derived twice (core in TypeScript, store in SQL, for filtering); they must agree.
describe.each(await dialects())('post status SQL on %s', (dialect) => {
  let fixture: TestStore;
  let store: Store;

  beforeAll(async () => {
    fixture = await storeWithAccounts(dialect, ['a0', 'a1', 'a2', 'a3']);
    store = fixture.store;
  });
  afterAll(() => fixture.drop());

  it('agrees with derivePostStatus for any mix of deliveries', async () => {
    const delivery = fc.record({ status: fc.constantFrom(...DELIVERY_STATUSES), attempts: fc.nat(3) });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(delivery, { maxLength: 4 }), async (scheduled, deliveries) => {
        const id = `post_${String(n++).padStart(26, '0')}`;
        await store.db.insertInto('posts').values({ id, user_id: 'u', content: 'x', media: '{"images":[]}', segments: '[]', platform_options: '{}', stagger_minutes: 0, scheduled_for: scheduled ? 1 : null, published_at: null, created_at: 0, updated_at: 0 }).execute();
        if (deliveries.length) {
          await store.db
            .insertInto('deliveries')
            .values(deliveries.map((x, i) => ({ id: `${id}_${i}`, post_id: id, account_id: `a${i}`, platform: 'webhook', status: x.status, due_at: 0, attempts: x.attempts, budget_start: 0, locked_by: null, lease_until: null, last_error: null, remote_id: null, remote_url: null, published_at: null, created_at: 0, updated_at: 0 })))
            .execute();
        }
        const post = await findPost(store.db, 'u', id);
        expect(post!.status).toBe(derivePostStatus(scheduled, deliveries));
      }),
      { numRuns: 120 },
    );
  });
});
