import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { connectWebhook, expectErrorBody } from '../helpers/api-client.js';
import { dialects } from '../helpers/databases.js';
import { waitUntil } from '../helpers/http-api.js';
import { useReceiverApp } from '../helpers/receiver-app.js';
import { claimDue } from '../../src/store/queue.repository.js';

/**
 * POST /v1/posts/:id/stop: a post being published stops what it still has waiting. A retry waiting
 * for its time (up to a day, when a network asks for it) or an account a stagger has not reached
 * yet no longer keeps the post `publishing`, where it could be neither edited nor deleted.
 */
const MINUTE = 60_000;

describe.each(await dialects())('stopping a post being published, on %s', (dialect) => {
  const app = useReceiverApp(dialect, { config: { retryDelaysMs: [MINUTE, 5 * MINUTE, 15 * MINUTE] } });
  const { tick } = app;
  const connect = (path: string) => connectWebhook(app.t.request, app.receiver.url(path));
  const get = async (id: string) => (await app.t.request('GET', `/v1/posts/${id}`)).json;
  const byAccount = (post: any, accountId: string) => post.deliveries.find((d: any) => d.account_id === accountId);

  it('a retry waiting for its time ends failed, saying so; the post is finished, and Retry sends it again', async () => {
    const ok = await connect('/ok');
    const down = await connect('/down');
    app.receiver.script('/down', [{ status: 503 }]);
    const post = (await app.t.request('POST', '/v1/posts', { content: 'x', accounts: [ok, down] })).json;
    expect((await app.t.request('POST', `/v1/posts/${post.id}/publish`)).status).toBe(202);
    await app.t.app.scheduler!.drain();
    expect((await get(post.id)).status).toBe('publishing');
    expect(byAccount(await get(post.id), down)).toMatchObject({ status: 'retrying', attempts: 1 });

    const stopped = await app.t.request('POST', `/v1/posts/${post.id}/stop`);
    expect(stopped.status, JSON.stringify(stopped.json)).toBe(200);
    expect(stopped.json.status).toBe('partially_failed');
    const d = byAccount(stopped.json, down);
    expect(d).toMatchObject({ status: 'failed', attempts: 1, next_attempt_at: null, last_error: { code: 'server_error', http_status: 503, stopped: true } });
    expect(d.last_error.message).toMatch(/503.*You stopped its retries\. Use Retry to try again\.$/);

    await tick(30 * MINUTE); // the retry's time passes: nothing is sent
    expect(app.receiver.on('/down')).toHaveLength(1);
    const retried = await app.t.request('POST', `/v1/posts/${post.id}/retry`);
    expect(retried.status).toBe(202);
    await app.t.app.scheduler!.drain();
    expect((await get(post.id)).status).toBe('published');
    expect(app.receiver.on('/down')).toHaveLength(2);
  });

  it('accounts a stagger has not reached yet are cancelled; the post is published to the others', async () => {
    const [a, b, c] = [await connect('/a'), await connect('/b'), await connect('/c')];
    const post = (await app.t.request('POST', '/v1/posts', { content: 'x', accounts: [a, b, c], scheduled_for: new Date(app.clock.now() + MINUTE).toISOString(), stagger_minutes: 10 })).json;
    await tick(MINUTE);
    expect((await get(post.id)).status).toBe('publishing');

    const stopped = await app.t.request('POST', `/v1/posts/${post.id}/stop`);
    expect(stopped.status).toBe(200);
    expect(stopped.json.status).toBe('published');
    expect(stopped.json.deliveries.map((d: any) => d.status).sort()).toEqual(['cancelled', 'cancelled', 'published']);
    await tick(30 * MINUTE);
    expect(app.receiver.requests.map((r) => r.path)).toEqual(['/a']);
    // Finished: it can be deleted now.
    expect((await app.t.request('DELETE', `/v1/posts/${post.id}`)).status).toBe(204);
  });

  it('"publish now" not started yet: stopped, it is a draft again, and can be published later', async () => {
    const acc = await connect('/later');
    const post = (await app.t.request('POST', '/v1/posts', { content: 'x', accounts: [acc] })).json;
    // Due now, but the worker has not claimed it yet (the fake clock has not moved its timer).
    await app.t.app.scheduler!.stop(0);
    expect((await app.t.request('POST', `/v1/posts/${post.id}/publish`)).status).toBe(202);
    const stopped = await app.t.request('POST', `/v1/posts/${post.id}/stop`);
    expect(stopped.status, JSON.stringify(stopped.json)).toBe(200);
    expect(stopped.json).toMatchObject({ status: 'draft', scheduled_for: null, deliveries: [] });
    expect((await app.t.request('PUT', `/v1/posts/${post.id}`, { content: 'edited' })).status).toBe(200);
  });

  it('stopped, retried and stopped again before its try: the note is said once', async () => {
    const acc = await connect('/again');
    app.receiver.script('/again', [{ status: 503 }]);
    const post = (await app.t.request('POST', '/v1/posts', { content: 'x', accounts: [acc] })).json;
    await app.t.request('POST', `/v1/posts/${post.id}/publish`);
    await app.t.app.scheduler!.drain();
    expect((await app.t.request('POST', `/v1/posts/${post.id}/stop`)).status).toBe(200);
    await app.t.app.scheduler!.stop(0); // the Retry below is not taken up before the second stop
    expect((await app.t.request('POST', `/v1/posts/${post.id}/retry`)).status).toBe(202);
    const again = await app.t.request('POST', `/v1/posts/${post.id}/stop`);
    expect(again.status).toBe(200);
    const message: string = again.json.deliveries[0].last_error.message;
    expect(message.match(/You stopped its retries/g)).toHaveLength(1);
    expect(message).toMatch(/You stopped its retries\. Use Retry to try again\.$/);
  });

  it('an account disconnected while the others wait, then stopped: a draft again, which publishes', async () => {
    const [a, b] = [await connect('/gone'), await connect('/stays')];
    app.receiver.script('/gone', [{ status: 503 }]);
    const post = (await app.t.request('POST', '/v1/posts', { content: 'x', accounts: [a, b], stagger_minutes: 10 })).json;
    await app.t.request('POST', `/v1/posts/${post.id}/publish`);
    await app.t.app.scheduler!.drain();
    expect(byAccount(await get(post.id), a)).toMatchObject({ status: 'retrying' });
    expect((await app.t.request('DELETE', `/v1/accounts/${a}`)).status).toBe(204); // its retry is cancelled
    const stopped = await app.t.request('POST', `/v1/posts/${post.id}/stop`); // and the staggered one
    expect(stopped.status).toBe(200);
    expect(stopped.json).toMatchObject({ status: 'draft', scheduled_for: null, deliveries: [] });
    const again = await app.t.request('POST', `/v1/posts/${post.id}/publish`);
    expect(again.status, JSON.stringify(again.json)).toBe(202);
    await app.t.app.scheduler!.drain();
    expect((await get(post.id)).status).toBe('published');
    expect(app.receiver.on('/stays')).toHaveLength(1);
  });

  it('409 with nothing waiting (a draft, a scheduled or a finished post), 404 for no post', async () => {
    const acc = await connect('/x');
    const draft = (await app.t.request('POST', '/v1/posts', { content: 'x', accounts: [acc] })).json;
    expectErrorBody(await app.t.request('POST', `/v1/posts/${draft.id}/stop`), 409, 'conflict');
    const scheduled = (await app.t.request('POST', '/v1/posts', { content: 'x', accounts: [acc], scheduled_for: new Date(app.clock.now() + MINUTE).toISOString() })).json;
    const refused = await app.t.request('POST', `/v1/posts/${scheduled.id}/stop`);
    expectErrorBody(refused, 409, 'conflict');
    expect(refused.json.error).toMatch(/this one is scheduled/);
    await tick(MINUTE);
    expect((await get(scheduled.id)).status).toBe('published');
    expectErrorBody(await app.t.request('POST', `/v1/posts/${scheduled.id}/stop`), 409, 'conflict');
    expectErrorBody(await app.t.request('POST', '/v1/posts/post_nope/stop'), 404, 'not_found');
    expect((await get(scheduled.id)).deliveries[0]).toMatchObject({ status: 'published' });
  });

  it('a delivery being sent finishes its attempt and is not retried; a later Retry retries as usual', async () => {
    const acc = await connect('/slow');
    app.receiver.script('/slow', [{ status: 503, delayMs: 1000 }]);
    const post = (await app.t.request('POST', '/v1/posts', { content: 'x', accounts: [acc] })).json;
    expect((await app.t.request('POST', `/v1/posts/${post.id}/publish`)).status).toBe(202);
    await app.receiver.waitFor(1, '/slow');

    const stopped = await app.t.request('POST', `/v1/posts/${post.id}/stop`);
    expect(stopped.status, JSON.stringify(stopped.json)).toBe(200);
    expect(stopped.json.deliveries[0]).toMatchObject({ status: 'publishing', stop_requested: true });
    const again = await app.t.request('POST', `/v1/posts/${post.id}/stop`);
    expectErrorBody(again, 409, 'conflict');
    expect(again.json.error).toMatch(/Already stopped/);

    await app.t.app.scheduler!.drain(); // the 503 comes back: a retry, which the stop ends
    const ended = await get(post.id);
    expect(ended.status).toBe('failed');
    expect(ended.deliveries[0]).toMatchObject({ status: 'failed', attempts: 1, next_attempt_at: null, stop_requested: false, last_error: { http_status: 503, stopped: true } });
    expect(ended.deliveries[0].last_error.message).toMatch(/503.*You stopped its retries\. Use Retry to try again\.$/);
    expect(ended.deliveries[0].history).toMatchObject([{ attempt: 1, outcome: 'failed' }]);
    await tick(30 * MINUTE);
    expect(app.receiver.on('/slow')).toHaveLength(1);

    // The stop was for that attempt only: a Retry's failing attempt waits for its retry.
    app.receiver.script('/slow', [{ status: 503 }]);
    expect((await app.t.request('POST', `/v1/posts/${post.id}/retry`)).status).toBe(202);
    await app.t.app.scheduler!.drain();
    expect((await get(post.id)).deliveries[0]).toMatchObject({ status: 'retrying', attempts: 2, stop_requested: false });
    await tick(MINUTE);
    expect((await get(post.id)).deliveries[0]).toMatchObject({ status: 'published', attempts: 3 });
  });

  // Recording a cross-link primary's outcome locks its row, then its followers' (to release them).
  // A Stop that locked a follower first, then waited for the primary, deadlocked with it: PostgreSQL
  // broke the cycle by failing one of the two (the Stop's 503, or the outcome written again).
  it.runIf(dialect === 'postgres')('a Stop and a cross-link primary\'s outcome written at the same moment do not deadlock', async () => {
    const [first, second] = [await connect('/f'), await connect('/p')];
    const post = (await app.t.request('POST', '/v1/posts', { content: 'x', accounts: [first, second] })).json;
    const db = app.t.app.ctx.store.db;
    const now = app.clock.now();
    const row = (id: string, accountId: string, extra: object) => ({
      id, post_id: post.id, account_id: accountId, platform: 'webhook', status: 'pending', due_at: now, attempts: 0, budget_start: 0, locked_by: null,
      lease_until: null, last_error: null, remote_id: null, remote_url: null, published_at: null, created_at: now, updated_at: now, ...extra,
    });
    // The follower first in any order a scan may find them in: the table's, and the (post, account) key's.
    await db.insertInto('deliveries').values(row('dlv_follower', first, { cross_link_from: 'dlv_primary', blocked: 1 })).execute();
    await db.insertInto('deliveries').values(row('dlv_primary', second, { status: 'publishing', attempts: 1, locked_by: 'elsewhere', lease_until: now + 3_600_000 })).execute();

    let stopped: Promise<{ status: number; json: any }> | undefined;
    await db.transaction().execute(async (outcome) => {
      await outcome.updateTable('deliveries').set({ status: 'published', locked_by: null }).where('id', '=', 'dlv_primary').execute();
      stopped = app.t.request('POST', `/v1/posts/${post.id}/stop`);
      const waiting = sql<{ n: number }>`SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
      await waitUntil('the Stop to wait for a lock', async () => (await waiting.execute(db)).rows[0]!.n > 0, { intervalMs: 10 });
      await outcome.updateTable('deliveries').set({ blocked: 0 }).where('cross_link_from', '=', 'dlv_primary').execute(); // the release
    });
    const answer = await stopped!;
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(Object.fromEntries(answer.json.deliveries.map((d: any) => [d.id, d.status]))).toEqual({ dlv_primary: 'published', dlv_follower: 'cancelled' });
  });

  it('a stopped delivery whose worker died: the sweep takes it back and ends it instead of repeating it', async () => {
    const acc = await connect('/orphan');
    const dueAt = app.clock.now() + MINUTE;
    const post = (await app.t.request('POST', '/v1/posts', { content: 'x', accounts: [acc], scheduled_for: new Date(dueAt).toISOString() })).json;
    const { db, dialect: storeDialect } = app.t.app.ctx.store;
    expect(await claimDue(db, storeDialect, 'dead-worker', dueAt, app.t.app.ctx.leaseClock.now() + MINUTE + 7000, 10)).toHaveLength(1);
    const stopped = await app.t.request('POST', `/v1/posts/${post.id}/stop`);
    expect(stopped.status, JSON.stringify(stopped.json)).toBe(200);
    expect(stopped.json.deliveries[0]).toMatchObject({ status: 'publishing', stop_requested: true });

    await tick(3 * MINUTE); // the lease runs out; a cut-off attempt to the webhook would be repeated
    await expect.poll(async () => (await get(post.id)).deliveries[0].status, { timeout: 10_000 }).toBe('failed');
    expect((await get(post.id)).deliveries[0]).toMatchObject({ attempts: 1, last_error: { code: 'interrupted', stopped: true } });
    await tick(30 * MINUTE);
    expect(app.receiver.on('/orphan')).toHaveLength(0);
  });

  it('a delivery being sent when stopped that publishes is published', async () => {
    const acc = await connect('/slow-ok');
    app.receiver.script('/slow-ok', [{ status: 200, delayMs: 1000 }]);
    const post = (await app.t.request('POST', '/v1/posts', { content: 'x', accounts: [acc] })).json;
    await app.t.request('POST', `/v1/posts/${post.id}/publish`);
    await app.receiver.waitFor(1, '/slow-ok');
    expect((await app.t.request('POST', `/v1/posts/${post.id}/stop`)).status).toBe(200);
    await app.t.app.scheduler!.drain();
    expect(await get(post.id)).toMatchObject({ status: 'published', deliveries: [{ status: 'published', stop_requested: false }] });
  });
});

// A worker claims ahead of its free slots: a delivery it holds but has not started is `publishing`
// too. Stopped, and then given back (the worker stopping), it ends as a stopped waiting one would.
describe.each(await dialects())('stopping a post whose delivery a worker holds unstarted, on %s', (dialect) => {
  const app = useReceiverApp(dialect, { config: { workerConcurrency: 1 } });

  it('the delivery given back unstarted is cancelled; the one being sent finishes and is not retried', async () => {
    const [sent, held] = [await connectWebhook(app.t.request, app.receiver.url('/sent')), await connectWebhook(app.t.request, app.receiver.url('/held'))];
    app.receiver.script('/sent', ['hang']);
    const post = (await app.t.request('POST', '/v1/posts', { content: 'x', accounts: [sent, held] })).json;
    expect((await app.t.request('POST', `/v1/posts/${post.id}/publish`)).status).toBe(202);
    await app.receiver.waitFor(1, '/sent'); // its one slot is busy: the other delivery waits, claimed
    const stopped = await app.t.request('POST', `/v1/posts/${post.id}/stop`);
    expect(stopped.status, JSON.stringify(stopped.json)).toBe(200);
    expect(stopped.json.deliveries.map((d: any) => [d.status, d.stop_requested])).toEqual([['publishing', true], ['publishing', true]]);

    await app.t.app.scheduler!.stop(0); // gives back what it holds unstarted, cuts off the attempt
    const after = (await app.t.request('GET', `/v1/posts/${post.id}`)).json;
    const [first, second] = after.deliveries;
    expect(second).toMatchObject({ account_id: held, status: 'cancelled', attempts: 0 });
    // The cut-off attempt would be repeated (the webhook deduplicates): stopped, it ends instead.
    expect(first).toMatchObject({ account_id: sent, status: 'failed', attempts: 1, last_error: { code: 'interrupted', stopped: true } });
    expect(after.status).toBe('failed');
    expect(app.receiver.on('/held')).toHaveLength(0);
  });
});
