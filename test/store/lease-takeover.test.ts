import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/database.js';
import { claimDue, findExpiredLeases, recordInterrupted, releaseUnstarted } from '../../src/store/queue.repository.js';
import { dialects } from '../helpers/databases.js';
import { storeWithAccounts, type TestStore } from '../helpers/store-fixture.js';

const LEASE_MS = 7000;

// A sweep reads an expired lease, then writes "interrupted": in between, the worker may have given
// the delivery back unstarted and claimed it again, with the same worker id and the same attempt
// number (a given-back claim is not an attempt). That claim is alive; the sweep must not take it.
describe.each(await dialects())('taking over an expired lease on %s', (dialect) => {
  let fixture: TestStore;
  let store: Store;
  let n = 0;

  beforeAll(async () => {
    fixture = await storeWithAccounts(dialect, ['a0']);
    store = fixture.store;
  });
  afterAll(() => fixture.drop());

  const dueDelivery = async () => {
    const id = `post_${String(n++).padStart(26, '0')}`;
    await store.db.insertInto('posts').values({ id, user_id: 'u', content: 'x', media: '{"images":[]}', segments: '[]', platform_options: '{}', stagger_minutes: 0, scheduled_for: 1, published_at: null, created_at: 0, updated_at: 0 }).execute();
    await store.db
      .insertInto('deliveries')
      .values({ id: `${id}_d`, post_id: id, account_id: 'a0', platform: 'webhook', status: 'pending', due_at: 1, attempts: 0, budget_start: 0, locked_by: null, lease_until: null, last_error: null, remote_id: null, remote_url: null, published_at: null, created_at: 0, updated_at: 0 })
      .execute();
    return `${id}_d`;
  };
  const interrupted = { status: 'unknown' as const, error: { code: 'interrupted', message: 'stopped mid-attempt', permanent: false } };
  const facts = (now: number) => ({ worker: 'w', startedAt: now, finishedAt: now, result: 'interrupted' });

  it('leaves a delivery given back and claimed again since the sweep read it', async () => {
    const id = await dueDelivery();
    const [claimed] = await claimDue(store.db, dialect, 'w', 1000, 1000 + LEASE_MS, 10);
    expect(claimed!.id).toBe(id);

    const sweepNow = 1000 + LEASE_MS + 1;
    const [stale] = await findExpiredLeases(store.db, sweepNow, false, 10);
    expect(stale).toMatchObject({ id, lockedBy: 'w', attempts: 1 });

    expect(await releaseUnstarted(store.db, 'w', claimed!, sweepNow)).toBe(true);
    const [again] = await claimDue(store.db, dialect, 'w', sweepNow, sweepNow + LEASE_MS, 10);
    expect(again).toMatchObject({ id, lockedBy: 'w', attempts: 1 }); // the same worker and attempt as the sweep read

    expect(await recordInterrupted(store.db, dialect, stale!, interrupted, facts(sweepNow), sweepNow)).toBe(false);
    const row = await store.db.selectFrom('deliveries').select(['status', 'locked_by', 'attempts']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'publishing', locked_by: 'w', attempts: 1 });
  });

  it('takes a delivery whose lease is still over', async () => {
    const id = await dueDelivery();
    await claimDue(store.db, dialect, 'w', 1000, 1000 + LEASE_MS, 10);
    const sweepNow = 1000 + LEASE_MS + 1;
    const [stale] = await findExpiredLeases(store.db, sweepNow, false, 10);
    expect(await recordInterrupted(store.db, dialect, stale!, interrupted, facts(sweepNow), sweepNow)).toBe(true);
    const row = await store.db.selectFrom('deliveries').select(['status', 'locked_by']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'unknown', locked_by: null });
  });
});
