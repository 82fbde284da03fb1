import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/database.js';
import { requestStopAfterAttempt, requeueFinishedDeliveries } from '../../src/store/delivery.repository.js';
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

    expect(await releaseUnstarted(store.db, 'w', claimed!, sweepNow, { status: 'cancelled' })).toBe(true);
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

  // A Stop pressed while a worker holds a delivery (stop_after_attempt) reaches the other two ways
  // out of `publishing` as well as the worker's own outcome (test/api/stop-post.test.ts).
  const stopped = { status: 'failed' as const, error: { code: 'http_503', message: 'You stopped its retries.', permanent: false, stopped: true } };
  const stateOf = (id: string) => store.db.selectFrom('deliveries').select(['status', 'attempts', 'locked_by', 'last_error']).where('id', '=', id).executeTakeFirstOrThrow();

  it('a claim given back unstarted ends as stopped when a person stopped it meanwhile, else waits again', async () => {
    const kept = await dueDelivery();
    const halted = await dueDelivery();
    const claims = await claimDue(store.db, dialect, 'w', 1000, 1000 + LEASE_MS, 10);
    const claimOf = (id: string) => claims.find((d) => d.id === id)!;
    expect(await requestStopAfterAttempt(store.db, [halted])).toBe(1);
    // The repository applies the end it is given (the scheduler gives `cancelled` for a first attempt).
    expect(await releaseUnstarted(store.db, 'w', claimOf(kept), 1100, stopped)).toBe(true);
    expect(await releaseUnstarted(store.db, 'w', claimOf(halted), 1100, stopped)).toBe(true);
    expect(await stateOf(kept)).toEqual({ status: 'pending', attempts: 0, locked_by: null, last_error: null });
    expect(await stateOf(halted)).toEqual({ status: 'failed', attempts: 0, locked_by: null, last_error: JSON.stringify(stopped.error) });

    // A Retry claims the same attempt number again: the request was for the claim given back.
    const postId = (await store.db.selectFrom('deliveries').select('post_id').where('id', '=', halted).executeTakeFirstOrThrow()).post_id;
    expect(await requeueFinishedDeliveries(store.db, postId, 1200)).toBe(1);
    const again = (await claimDue(store.db, dialect, 'w', 1200, 1200 + LEASE_MS, 10)).find((d) => d.id === halted);
    expect(again).toMatchObject({ attempts: 1, stopAfterAttempt: null });
  });

  it("a sweep taking over a stopped delivery records the end instead of the retry; a stop of another attempt does not count", async () => {
    const halted = await dueDelivery();
    const other = await dueDelivery();
    await claimDue(store.db, dialect, 'w', 1000, 1000 + LEASE_MS, 10);
    await store.db.updateTable('deliveries').set({ stop_after_attempt: 1 }).where('id', '=', halted).execute();
    await store.db.updateTable('deliveries').set({ stop_after_attempt: 0 }).where('id', '=', other).execute();
    const sweepNow = 1000 + LEASE_MS + 1;
    const retry = { status: 'retrying' as const, dueAt: sweepNow + 60_000, error: { code: 'interrupted', message: 'cut off', permanent: false }, ifStopped: stopped };
    for (const stale of await findExpiredLeases(store.db, sweepNow, false, 10)) {
      expect(await recordInterrupted(store.db, dialect, stale, retry, facts(sweepNow), sweepNow)).toBe(true);
    }
    expect(await stateOf(halted)).toMatchObject({ status: 'failed', attempts: 1, last_error: JSON.stringify(stopped.error) });
    expect(await stateOf(other)).toMatchObject({ status: 'retrying', attempts: 1, last_error: JSON.stringify(retry.error) });
  });
});
