import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/database.js';
import { lockDeliveriesOfPost } from '../../src/store/delivery.repository.js';
import { postgresAvailable } from '../helpers/databases.js';
import { storeWithAccounts, type TestStore } from '../helpers/store-fixture.js';

// A change of a post (schedule, edit, cancel...) locks it, then its deliveries. Recording an
// outcome locks deliveries, then updates their post's row (published_at): if the change held the
// post's row while waiting for a delivery, the two deadlocked. So the change's own lock is not the
// row's, yet it still keeps a second change of the same post waiting.
describe.runIf(await postgresAvailable())('the lock a change of a post takes (PostgreSQL)', () => {
  let fixture: TestStore;
  let store: Store;

  beforeAll(async () => {
    fixture = await storeWithAccounts('postgres', ['a0']);
    store = fixture.store;
    await store.db.insertInto('posts').values({ id: 'p', user_id: 'u', content: 'x', media: '{"images":[]}', segments: '[]', platform_options: '{}', stagger_minutes: 0, scheduled_for: null, published_at: null, created_at: 0, updated_at: 0 }).execute();
  });
  afterAll(() => fixture.drop());

  /** Runs `fn` in a transaction of its own that gives up waiting for a lock after 200 ms. */
  const elsewhere = (fn: (trx: typeof store.db) => Promise<unknown>) =>
    store.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL lock_timeout = '200ms'`.execute(trx);
      return fn(trx);
    });

  it("leaves the post's row free for outcome recording, and keeps a second change of the post waiting", async () => {
    await store.db.transaction().execute(async (change) => {
      await lockDeliveriesOfPost(change, 'postgres', 'p');
      await elsewhere((trx) => sql`UPDATE posts SET published_at = 1 WHERE id = 'p'`.execute(trx));
      await expect(elsewhere((trx) => lockDeliveriesOfPost(trx, 'postgres', 'p'))).rejects.toMatchObject({ code: '55P03' });
    });
    await elsewhere((trx) => lockDeliveriesOfPost(trx, 'postgres', 'p')); // released with the change's transaction
  });
});
