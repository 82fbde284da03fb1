import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects } from './helpers/databases.js';
import { FakeClock } from './helpers/fake-clock.js';
import { Receiver, verifySignature } from './helpers/receiver.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';

const MINUTE = 60_000;

describe.each(await dialects())('scheduler on %s', (dialect) => {
  let t: TestApp;
  let clock: FakeClock;
  let receiver: Receiver;

  beforeEach(async () => {
    clock = new FakeClock();
    receiver = await new Receiver().start();
    t = await createTestApp(dialect, { clock, worker: true, config: { retryDelaysMs: [1 * MINUTE, 5 * MINUTE, 15 * MINUTE] } });
  });
  afterEach(async () => {
    await t.close();
    await receiver.stop();
  });

  const connect = async (path: string) => {
    const res = await t.request('POST', '/v1/accounts', { platform: 'webhook', url: receiver.url(path), secret: 'a-shared-secret', display_name: path });
    expect(res.status).toBe(201);
    return res.json.id as string;
  };
  const at = (ms: number) => new Date(clock.now() + ms).toISOString();
  const tick = async (ms: number) => {
    clock.advance(ms);
    await t.app.scheduler!.drain();
  };
  const post = async (id: string) => (await t.request('GET', `/v1/posts/${id}`)).json;

  it('publishes at the scheduled moment, not before, with a signed body and the idempotency key', async () => {
    const acc = await connect('/a');
    const created = await t.request('POST', '/v1/posts', { content: 'hello', accounts: [acc], scheduled_for: at(10 * MINUTE) });
    expect(created.json.status).toBe('scheduled');
    await tick(10 * MINUTE - 1);
    expect(receiver.requests).toHaveLength(0);
    await tick(1);
    const [req] = await receiver.waitFor(1);
    expect(req!.headers['idempotency-key']).toBe(created.json.deliveries[0].id);
    expect(verifySignature('a-shared-secret', req!.body, req!.headers['x-octopost-signature'])).toBe(true);
    expect(req!.json).toMatchObject({ post_id: created.json.id, content: 'hello', scheduled_for: created.json.scheduled_for });
    const after = await post(created.json.id);
    expect(after.status).toBe('published');
    expect(after.platform_results.webhook).toMatchObject({ success: true, post_id: expect.stringMatching(/^remote-/) });
    expect(after.published_at).toBe(new Date(clock.now()).toISOString());
  });

  it('retries a failing account after 1, 5 and 15 minutes while the other stays published', async () => {
    const ok = await connect('/ok');
    const flaky = await connect('/flaky');
    receiver.script('/flaky', [{ status: 500 }, { status: 500 }, { status: 500 }]);
    const created = await t.request('POST', '/v1/posts', { content: 'x', accounts: [ok, flaky], scheduled_for: at(MINUTE) });
    await tick(MINUTE);
    let p = await post(created.json.id);
    expect(p.status).toBe('publishing');
    const flakyDelivery = () => p.deliveries.find((d: any) => d.account_id === flaky);
    expect(flakyDelivery()).toMatchObject({ status: 'retrying', attempts: 1, next_attempt_at: at(MINUTE) });
    expect(flakyDelivery().last_error).toMatchObject({ code: 'server_error', permanent: false, http_status: 500 });
    for (const [delay, attempts] of [[MINUTE, 2], [5 * MINUTE, 3]] as const) {
      await tick(delay - 1);
      expect(receiver.on('/flaky')).toHaveLength(attempts - 1);
      await tick(1);
      expect(receiver.on('/flaky')).toHaveLength(attempts);
    }
    await tick(15 * MINUTE);
    p = await post(created.json.id);
    expect(p.status).toBe('published');
    expect(flakyDelivery()).toMatchObject({ status: 'published', attempts: 4 });
    expect(flakyDelivery().history.map((h: any) => h.outcome)).toEqual(['failed', 'failed', 'failed', 'published']);
    // Every attempt repeats the same key, so the receiver can deduplicate.
    expect(new Set(receiver.on('/flaky').map((r) => r.headers['idempotency-key'])).size).toBe(1);
  });

  it('fails after the configured retries, leaving the post partially failed, and retries by hand', async () => {
    const ok = await connect('/ok');
    const down = await connect('/down');
    receiver.script('/down', Array(4).fill({ status: 503 }));
    const created = await t.request('POST', '/v1/posts', { content: 'x', accounts: [ok, down], scheduled_for: at(MINUTE) });
    await tick(MINUTE);
    await tick(MINUTE);
    await tick(5 * MINUTE);
    await tick(15 * MINUTE);
    await tick(60 * MINUTE);
    expect(receiver.on('/down')).toHaveLength(4);
    let p = await post(created.json.id);
    expect(p.status).toBe('partially_failed');
    const failed = p.deliveries.find((d: any) => d.account_id === down);
    expect(failed).toMatchObject({ status: 'failed', attempts: 4, next_attempt_at: null });
    expect(failed.last_error.message).toMatch(/503/);
    expect(p.deliveries.find((d: any) => d.account_id === ok).status).toBe('published');
    expect(p.platform_results[`webhook:${down}`]).toMatchObject({ success: false });

    const retry = await t.request('POST', `/v1/posts/${created.json.id}/retry`, {});
    expect(retry.status).toBe(202);
    await tick(0);
    p = await post(created.json.id);
    expect(p.status).toBe('published');
    expect(receiver.on('/ok')).toHaveLength(1);
    expect((await t.request('POST', `/v1/posts/${created.json.id}/retry`, {})).status).toBe(409);
  });

  it('does not retry a 400, and marks the account inactive on 401', async () => {
    const bad = await connect('/bad');
    const auth = await connect('/auth');
    receiver.script('/bad', [{ status: 400 }]);
    receiver.script('/auth', [{ status: 401 }]);
    const p1 = await t.request('POST', '/v1/posts', { content: 'x', accounts: [bad], scheduled_for: at(MINUTE) });
    const p2 = await t.request('POST', '/v1/posts', { content: 'y', accounts: [auth], scheduled_for: at(MINUTE) });
    await tick(MINUTE);
    await tick(30 * MINUTE);
    expect(receiver.on('/bad')).toHaveLength(1);
    expect((await post(p1.json.id)).status).toBe('failed');
    expect((await post(p1.json.id)).deliveries[0].last_error).toMatchObject({ code: 'rejected', permanent: true, http_status: 400 });
    expect((await post(p2.json.id)).deliveries[0].last_error).toMatchObject({ code: 'unauthorized', reconnect: true });
    expect((await t.request('GET', `/v1/accounts/${auth}`)).json.is_active).toBe(false);
  });

  it('a 401 to an attempt that began before the account was reconnected leaves the reconnected account active', async () => {
    const acc = await connect('/rotated');
    receiver.script('/rotated', [{ status: 401, delayMs: 300 }]);
    const created = await t.request('POST', '/v1/posts', { content: 'x', accounts: [acc], scheduled_for: at(MINUTE) });
    clock.advance(MINUTE);
    await receiver.waitFor(1, '/rotated');
    const reconnected = await t.request('POST', '/v1/accounts', { platform: 'webhook', url: receiver.url('/rotated'), secret: 'a-new-shared-secret', display_name: '/rotated' });
    expect(reconnected.json.id).toBe(acc);
    await t.app.scheduler!.drain();
    expect((await post(created.json.id)).deliveries[0].last_error).toMatchObject({ code: 'unauthorized', reconnect: true });
    expect((await t.request('GET', `/v1/accounts/${acc}`)).json).toMatchObject({ is_active: true, inactive_reason: null });
  });

  it('waits at least as long as a Retry-After longer than the policy delay', async () => {
    const acc = await connect('/limited');
    receiver.script('/limited', [{ status: 429, headers: { 'retry-after': '600' } }]);
    const created = await t.request('POST', '/v1/posts', { content: 'x', accounts: [acc], scheduled_for: at(MINUTE) });
    await tick(MINUTE);
    expect((await post(created.json.id)).deliveries[0]).toMatchObject({ status: 'retrying', next_attempt_at: at(10 * MINUTE) });
    await tick(10 * MINUTE - 1);
    expect(receiver.on('/limited')).toHaveLength(1);
    await tick(1);
    expect(receiver.on('/limited')).toHaveLength(2);
    expect((await post(created.json.id)).status).toBe('published');
  });

  it("waits at most a day for an absurd Retry-After, and the post's pages still answer", async () => {
    const acc = await connect('/absurd');
    receiver.script('/absurd', [{ status: 429, headers: { 'retry-after': '99999999999999999999999' } }]);
    const created = await t.request('POST', '/v1/posts', { content: 'x', accounts: [acc], scheduled_for: at(MINUTE) });
    await tick(MINUTE);
    expect((await post(created.json.id)).deliveries[0]).toMatchObject({ status: 'retrying', next_attempt_at: at(24 * 60 * MINUTE) });
    expect((await t.request('GET', '/v1/posts')).status).toBe(200);
    await tick(24 * 60 * MINUTE);
    expect((await post(created.json.id)).status).toBe('published');
  });

  it('publishes with an odd time limit (30001ms), whose half is not a whole millisecond', async () => {
    const odd = await createTestApp(dialect, { clock, worker: true, config: { publishTimeoutMs: 30_001 } });
    try {
      const acc = (await odd.request('POST', '/v1/accounts', { platform: 'webhook', url: receiver.url('/odd'), secret: 'a-shared-secret' })).json.id;
      const created = await odd.request('POST', '/v1/posts', { content: 'x', accounts: [acc], scheduled_for: at(MINUTE) });
      clock.advance(MINUTE);
      await odd.app.scheduler!.drain();
      expect((await odd.request('GET', `/v1/posts/${created.json.id}`)).json.status).toBe('published');
    } finally {
      await odd.close();
    }
  });

  it('staggers the accounts of one post', async () => {
    const a = await connect('/s1');
    const b = await connect('/s2');
    const created = await t.request('POST', '/v1/posts', { content: 'x', accounts: [a, b], scheduled_for: at(MINUTE), stagger_minutes: 15 });
    expect(created.json.deliveries.map((d: any) => d.due_at)).toEqual([at(MINUTE), at(16 * MINUTE)]);
    await tick(MINUTE);
    expect(receiver.requests.map((r) => r.path)).toEqual(['/s1']);
    await tick(15 * MINUTE);
    expect(receiver.requests.map((r) => r.path)).toEqual(['/s1', '/s2']);
  });

  it('moving a scheduled post re-arms the timer; cancelling it stops it', async () => {
    const acc = await connect('/m');
    const created = await t.request('POST', '/v1/posts', { content: 'x', accounts: [acc], scheduled_for: at(60 * MINUTE) });
    await t.request('POST', `/v1/posts/${created.json.id}/schedule`, { scheduled_for: at(2 * MINUTE) });
    await tick(2 * MINUTE);
    expect(receiver.requests).toHaveLength(1);

    const other = await t.request('POST', '/v1/posts', { content: 'y', accounts: [acc], scheduled_for: at(MINUTE) });
    const cancelled = await t.request('POST', `/v1/posts/${other.json.id}/cancel`, {});
    expect(cancelled.json).toMatchObject({ status: 'draft', scheduled_for: null, deliveries: [] });
    await tick(10 * MINUTE);
    expect(receiver.requests).toHaveLength(1);
  });
  it('never runs more attempts at once than the concurrency limit, and notes when each account was last used', async () => {
    await t.close();
    t = await createTestApp(dialect, { clock, worker: true, config: { workerConcurrency: 4 } });
    const accounts = [];
    for (let i = 0; i < 12; i++) accounts.push(await connect(`/c${i}`));
    // Each answer takes 40 ms: attempts that overlap arrive within 40 ms of each other.
    receiver.setFallback({ status: 200, body: { id: 'remote' }, delayMs: 40 });
    const created = await t.request('POST', '/v1/posts', { content: 'busy', accounts, scheduled_for: at(MINUTE) });
    await tick(MINUTE);
    const arrivals = receiver.requests.map((r) => r.at).sort((a, b) => a - b);
    expect(arrivals).toHaveLength(12);
    const mostAtOnce = Math.max(...arrivals.map((start) => arrivals.filter((a) => a >= start && a < start + 35).length));
    expect(mostAtOnce).toBeLessThanOrEqual(4);
    expect(mostAtOnce).toBeGreaterThan(1); // and it does use the room it has
    expect((await post(created.json.id)).status).toBe('published');
    const used = await Promise.all(accounts.map(async (id) => (await t.request('GET', `/v1/accounts/${id}`)).json.last_used_at));
    expect(new Set(used)).toEqual(new Set([new Date(clock.now()).toISOString()]));
  });

  const deliveryStates = async (postId: string) =>
    (await t.app.ctx.store.db.selectFrom('deliveries').select(['status', 'attempts']).where('post_id', '=', postId).orderBy('id').execute()).map(
      (d) => `${d.status}/${d.attempts}`,
    );
  const untilStates = async (postId: string, expected: string[]) => {
    for (let i = 0; i < 100 && (await deliveryStates(postId)).join() !== expected.join(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await deliveryStates(postId)).toEqual(expected);
  };

  /**
   * One slot, held by an attempt that gets no answer (until its 2 s limit); then a post to two
   * accounts published now: both claimed, waiting behind it.
   */
  const oneSlotHeldTwoWaiting = async () => {
    await t.close();
    t = await createTestApp(dialect, { clock, worker: true, config: { workerConcurrency: 1 } });
    const silent = await connect('/silent');
    const later = [await connect('/b'), await connect('/c')];
    receiver.script('/silent', ['hang']);
    const first = await t.request('POST', '/v1/posts', { content: 'first', accounts: [silent], scheduled_for: at(MINUTE) });
    clock.advance(MINUTE);
    await receiver.waitFor(1, '/silent');
    const second = await t.request('POST', '/v1/posts', { content: 'second', accounts: later });
    expect((await t.request('POST', `/v1/posts/${second.json.id}/publish`, {})).status).toBe(202);
    await untilStates(second.json.id, ['publishing/1', 'publishing/1']);
    return { first: first.json.id as string, second: second.json.id as string };
  };
  const givenBack = async () => (await t.app.ctx.metrics.givenBack.get()).values[0]!.value;

  it('claims ahead of its free slots, and gives back unstarted what could not start in time', async () => {
    const { first, second } = await oneSlotHeldTwoWaiting();
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.requests).toHaveLength(1); // the one slot is the limit

    // The silent attempt runs into its 2 s limit only after the others' start-by moment (lease 7 s:
    // 2 s limit + 5 s, less the limit and a 1 s margin = 4 s): given back, claimed again, published.
    clock.advance(5000);
    await t.app.scheduler!.drain();
    expect(receiver.on('/b')).toHaveLength(1);
    expect(receiver.on('/c')).toHaveLength(1);
    expect(await deliveryStates(second)).toEqual(['published/1', 'published/1']); // the given-back claim is not an attempt
    expect(await deliveryStates(first)).toEqual(['retrying/1']);
    expect(await givenBack()).toBe(2);
  });

  it('stopping, gives back at once what it claimed and had not started', async () => {
    const { second } = await oneSlotHeldTwoWaiting();
    const stopped = t.app.scheduler!.stop(10_000); // the silent attempt still runs to its 2 s limit
    await untilStates(second, ['pending/0', 'pending/0']); // waiting for any worker, no attempt counted
    expect(receiver.requests).toHaveLength(1);
    await stopped;
    expect(receiver.requests).toHaveLength(1);
    expect(await givenBack()).toBe(2);
  });

  it('stopping while a claim is on its way, gives back what it brings instead of starting it', async () => {
    const acc = await connect('/late-claim');
    const created = await t.request('POST', '/v1/posts', { content: 'x', accounts: [acc], scheduled_for: at(MINUTE) });
    clock.set(clock.now() + MINUTE); // due, without firing the scheduler's timer
    t.app.scheduler!.poke(); // the claim leaves for the database...
    await t.app.scheduler!.stop(1000); // ...and the stop begins before it is back
    expect(receiver.requests).toHaveLength(0);
    expect(await deliveryStates(created.json.id)).toEqual(['pending/0']);
    expect(await givenBack()).toBe(1);
  });

  it('a claim that comes back after its start window (counted from its sending) gives back what it brings, then claims it anew', async () => {
    const acc = await connect('/slow-claim');
    const created = await t.request('POST', '/v1/posts', { content: 'x', accounts: [acc], scheduled_for: at(MINUTE) });
    clock.set(clock.now() + MINUTE); // due, without firing the scheduler's timer
    t.app.scheduler!.poke(); // the claim leaves for the database, its lease counting from now...
    clock.set(clock.now() + 4001); // ...and comes back after its whole start window (2 s limit: 4 s)
    await receiver.waitFor(1, '/slow-claim');
    await t.app.scheduler!.drain();
    expect(await givenBack()).toBe(1);
    expect(await deliveryStates(created.json.id)).toEqual(['published/1']);
    expect(receiver.on('/slow-claim')).toHaveLength(1);
  });

  it('stopping past its grace, cuts the attempt off and says so; maybe received, it waits the retry delay', async () => {
    const { first } = await oneSlotHeldTwoWaiting();
    await t.app.scheduler!.stop(300); // the silent attempt would run to its 2 s limit
    const [delivery] = (await post(first)).deliveries;
    expect(delivery).toMatchObject({ status: 'retrying', attempts: 1, last_error: { code: 'interrupted', permanent: false } });
    expect(delivery.last_error.message).toBe('Octopost was stopping and cut this attempt off; the post may have gone out.');
    // A receiver still working on the cut request must not meet the repeat (interrupted-attempts.test.ts: one not sent goes at once).
    expect(Date.parse(delivery.next_attempt_at)).toBe(clock.now() + 1000); // the first retry delay of this app's config
  });

  it('a clock jumping past the lease of a live attempt (sleep, NTP step): the sweep leaves it to end with its own outcome', async () => {
    const silent = await connect('/silent');
    receiver.script('/silent', ['hang']);
    const created = await t.request('POST', '/v1/posts', { content: 'x', accounts: [silent], scheduled_for: at(MINUTE) });
    clock.advance(MINUTE);
    await receiver.waitFor(1, '/silent');
    clock.advance(2 * MINUTE); // past the 7 s lease, and through the 60 s sweep
    await t.app.scheduler!.drain(); // until the attempt's own 2 s limit ends it
    const [delivery] = (await post(created.json.id)).deliveries;
    expect(delivery).toMatchObject({ status: 'retrying', attempts: 1, last_error: { code: 'timeout' } });
    expect(delivery.history.map((h: any) => h.outcome)).toEqual(['ambiguous']);
    expect((await t.app.ctx.metrics.recoveredLeases.get()).values.every((v) => v.value === 0)).toBe(true);
    expect(receiver.on('/silent')).toHaveLength(1);
  });

  it('ends an attempt without an answer at the time limit, while the others claimed with it go on', async () => {
    const silent = await connect('/silent');
    const prompt = await connect('/prompt');
    const slow = await connect('/slow');
    receiver.script('/silent', ['hang']);
    receiver.script('/slow', [{ status: 200, body: { id: 'late-but-in-time' }, delayMs: 500 }]);
    const created = await t.request('POST', '/v1/posts', { content: 'x', accounts: [silent, prompt, slow], scheduled_for: at(MINUTE) });
    const started = Date.now();
    await tick(MINUTE); // drain: until all three are recorded, the silent one at the 2 s limit
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    const byAccount = Object.fromEntries((await post(created.json.id)).deliveries.map((d: any) => [d.account_id, d]));
    expect(byAccount[prompt]).toMatchObject({ status: 'published' });
    expect(byAccount[slow]).toMatchObject({ status: 'published', post_id: 'late-but-in-time' });
    // The webhook deduplicates by Idempotency-Key, so an unanswered attempt is safe to repeat.
    expect(byAccount[silent]).toMatchObject({ status: 'retrying', last_error: { code: 'timeout', permanent: false } });
  });
});
