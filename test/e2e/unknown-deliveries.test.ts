import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimDue } from '../../src/store/queue.repository.js';
import { dialects } from '../helpers/databases.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { Receiver } from '../helpers/receiver.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * The rule for an attempt whose outcome nobody knows (timeout after sending, a worker that died):
 * repeat it only where the account makes a repeat safe. `/nd` is a webhook connected with
 * `"deduplicates": false` (its receiver does not drop repeats), like a network without idempotency
 * keys: there the delivery becomes `unknown`, is never repeated by itself, and Retry lets the user
 * repeat it by hand. `/wh` is a webhook connected as usual.
 * In-process (the same code as the server), with a fake clock so minutes pass at once.
 */
const MINUTE = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(await dialects())('deliveries whose outcome is unknown, on %s', (dialect) => {
  let t: TestApp;
  let clock: FakeClock;
  let receiver: Receiver;

  beforeEach(async () => {
    clock = new FakeClock();
    receiver = await new Receiver().start();
    t = await createTestApp(dialect, {
      clock,
      worker: true,
      // Retries after 1, 5, 15 s; an attempt times out after 300 ms of real time; sweep every 5 s.
      config: { publishTimeoutMs: 300, sweepIntervalMs: 5000, retryDelaysMs: [1000, 5000, 15000] },
    });
  });
  afterEach(async () => {
    await t?.close();
    await receiver?.stop();
  });

  const connect = async (deduplicates: boolean, path: string) => {
    const res = await t.request('POST', '/v1/accounts', { platform: 'webhook', url: receiver.url(path), secret: 'a-shared-secret', ...(!deduplicates && { deduplicates }) });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(res.json.deduplicates).toBe(deduplicates);
    return res.json.id as string;
  };
  const at = (ms: number) => new Date(clock.now() + ms).toISOString();
  const tick = async (ms: number) => {
    clock.advance(ms);
    await t.app.scheduler!.drain();
  };
  const get = async (id: string) => (await t.request('GET', `/v1/posts/${id}`)).json;
  const createPost = async (accounts: string[]) => {
    const res = await t.request('POST', '/v1/posts', { content: 'maybe twice?', accounts, scheduled_for: at(MINUTE) });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    return res.json;
  };
  /** Moves the fake clock a step at a time, giving the sweep (which runs on its own) real time to finish. */
  const advanceUntil = async <T>(what: string, check: () => Promise<T | false>, stepMs = 1000, maxSteps = 300): Promise<T> => {
    for (let i = 0; i < maxSteps; i++) {
      const value = await check();
      if (value) return value;
      clock.advance(stepMs);
      await t.app.scheduler!.drain();
      await sleep(10);
    }
    throw new Error(`${what}: not reached after ${(maxSteps * stepMs) / 1000} s of fake time`);
  };

  it('a timed-out attempt on an account that cannot deduplicate becomes unknown, is not retried, and Retry repeats it by hand', async () => {
    const acc = await connect(false, '/nd');
    receiver.script('/nd', ['hang']);
    const created = await createPost([acc]);
    const deliveryId = created.deliveries[0].id as string;

    await tick(MINUTE); // the attempt hangs until its 300 ms time limit
    let p = await get(created.id);
    expect(p.status).toBe('failed');
    expect(p.deliveries[0]).toMatchObject({ status: 'unknown', attempts: 1, next_attempt_at: null, last_error: { code: 'timeout', permanent: false } });
    expect(p.deliveries[0].last_error.message).toMatch(/Sending it again could post it twice on this account/);
    expect(p.deliveries[0].history).toMatchObject([{ attempt: 1, outcome: 'ambiguous', error: { code: 'timeout' } }]);
    expect(p.platform_results.webhook).toMatchObject({ success: false });

    await tick(60 * MINUTE); // well past every retry delay
    expect(receiver.on('/nd')).toHaveLength(1);
    expect((await get(created.id)).deliveries[0]).toMatchObject({ status: 'unknown', attempts: 1 });

    // The user checked the account, the post is not there: retry by hand.
    const retry = await t.request('POST', `/v1/posts/${created.id}/retry`, {});
    expect(retry.status, JSON.stringify(retry.json)).toBe(202);
    await tick(0);
    p = await get(created.id);
    expect(p.status).toBe('published');
    expect(p.deliveries[0]).toMatchObject({ id: deliveryId, status: 'published', attempts: 2, post_id: expect.stringMatching(/^remote-/) });
    expect(p.deliveries[0].history.map((h: any) => h.outcome)).toEqual(['ambiguous', 'published']);
    expect(receiver.on('/nd').map((r) => r.headers['idempotency-key'])).toEqual([deliveryId, deliveryId]);
    expect((await t.request('POST', `/v1/posts/${created.id}/retry`, {})).status).toBe(409);
  });

  it('the same timeout on a webhook that deduplicates is retried by itself; the post ends partially failed', async () => {
    const wh = await connect(true, '/wh');
    const nd = await connect(false, '/nd');
    receiver.script('/wh', ['hang']);
    receiver.script('/nd', ['hang']);
    const created = await createPost([wh, nd]);
    const byAccount = (post: any, id: string) => post.deliveries.find((d: any) => d.account_id === id);

    await tick(MINUTE);
    let p = await get(created.id);
    expect(p.status).toBe('publishing'); // the webhook's retry is still waiting
    expect(byAccount(p, wh)).toMatchObject({ status: 'retrying', attempts: 1, next_attempt_at: at(1000), last_error: { code: 'timeout' } });
    expect(byAccount(p, nd)).toMatchObject({ status: 'unknown', attempts: 1, next_attempt_at: null });

    await tick(1000);
    await tick(30 * MINUTE);
    p = await get(created.id);
    expect(p.status).toBe('partially_failed');
    expect(byAccount(p, wh)).toMatchObject({ status: 'published', attempts: 2 });
    expect(byAccount(p, nd)).toMatchObject({ status: 'unknown', attempts: 1 });
    expect(receiver.on('/wh')).toHaveLength(2);
    expect(new Set(receiver.on('/wh').map((r) => r.headers['idempotency-key']))).toEqual(new Set([byAccount(p, wh).id]));
    expect(receiver.on('/nd')).toHaveLength(1);
  });

  it('a lease expiring on a worker that died: the deduplicating webhook is repeated with the same key, the other becomes unknown', async () => {
    const wh = await connect(true, '/wh');
    const nd = await connect(false, '/nd');
    const created = await createPost([wh, nd]);
    const byAccount = (post: any, id: string) => post.deliveries.find((d: any) => d.account_id === id);

    // Another worker claims both at their due time (lease 10 s) and dies before recording anything.
    const { db, dialect: storeDialect } = t.app.ctx.store;
    const claimed = await claimDue(db, storeDialect, 'dead-worker', clock.now() + MINUTE, clock.now() + MINUTE + 10_000, 10);
    expect(claimed.map((d) => d.id).sort()).toEqual(created.deliveries.map((d: any) => d.id).sort());

    // Our live scheduler reaches the due time: nothing is left for it to claim.
    await tick(MINUTE);
    let p = await get(created.id);
    expect(p.status).toBe('publishing');
    expect(p.deliveries.map((d: any) => d.status)).toEqual(['publishing', 'publishing']);
    expect(receiver.requests).toHaveLength(0);

    // Once the lease has run out, the sweep takes both back.
    p = await advanceUntil('both deliveries taken back and finished', async () => {
      const post = await get(created.id);
      // Both the post's status and its deliveries: GET reads them in separate statements, so
      // one answer may show finished deliveries next to a status read a moment earlier.
      return post.status !== 'publishing' && post.deliveries.every((d: any) => d.status === 'published' || d.status === 'unknown') && post;
    });
    expect(clock.now()).toBeGreaterThan(Date.parse(created.scheduled_for) + 10_000);
    expect(p.status).toBe('partially_failed');

    const whDelivery = byAccount(p, wh);
    expect(whDelivery).toMatchObject({ status: 'published', attempts: 2 });
    expect(whDelivery.history).toMatchObject([
      { attempt: 1, outcome: 'interrupted', error: { code: 'interrupted' } },
      { attempt: 2, outcome: 'published' },
    ]);
    expect(receiver.on('/wh').map((r) => r.headers['idempotency-key'])).toEqual([whDelivery.id]);

    const ndDelivery = byAccount(p, nd);
    expect(ndDelivery).toMatchObject({ status: 'unknown', attempts: 1, next_attempt_at: null, last_error: { code: 'interrupted', permanent: false } });
    expect(ndDelivery.last_error.message).toMatch(/Sending it again could post it twice on this account/);
    expect(ndDelivery.history).toMatchObject([{ attempt: 1, outcome: 'interrupted' }]);

    await tick(60 * MINUTE);
    expect(receiver.on('/nd')).toHaveLength(0);
    expect(receiver.on('/wh')).toHaveLength(1);
  });
});
