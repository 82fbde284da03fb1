import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NOT_REPEATED } from '../../src/scheduler/unknown-message.js';
import { claimDue } from '../../src/store/queue.repository.js';
import { dialects } from '../helpers/databases.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { waitUntil } from '../helpers/http-api.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { MastodonFake } from '../peers/mastodon-fake.js';

/**
 * Mastodon drops a repeated status (same Idempotency-Key) only for an hour. Once an attempt's
 * answer is lost, the delivery is repeated only while the repeat falls within that hour (less the
 * margins: with the 2 s limit here, retries due up to ~55.5 minutes after, tries starting up to
 * ~59.5); a try that would come later, or a delivery ending `failed` (which invites a Retry at any
 * time), becomes `unknown` and waits for a person: a repeat past the hour could post it twice.
 * In-process, with a fake clock; the fake instance forgets its keys when told the hour is over.
 */
const MINUTE = 60_000;

describe.each(await dialects())("repeats within Mastodon's Idempotency-Key hour, on %s", (dialect) => {
  let t: TestApp;
  let clock: FakeClock;
  let fake: MastodonFake;

  const start = async (retryDelaysMs: number[]) => {
    t = await createTestApp(dialect, { clock, worker: true, config: { publishTimeoutMs: 2000, sweepIntervalMs: MINUTE, retryDelaysMs } });
    const account = await t.request('POST', '/v1/accounts', { platform: 'mastodon', instance: fake.url, access_token: fake.createToken() });
    expect(account.status, JSON.stringify(account.json)).toBe(201);
    const post = await t.request('POST', '/v1/posts', { content: 'Once, please', accounts: [account.json.id] });
    expect(post.status, JSON.stringify(post.json)).toBe(201);
    return post.json.id as string;
  };
  const tick = async (ms: number) => {
    clock.advance(ms);
    await t.app.scheduler!.drain();
  };
  const delivery = async (postId: string) => (await t.request('GET', `/v1/posts/${postId}`)).json.deliveries[0];
  /** Publishes now; the status is created but its answer is lost, and the next try gets a 500. */
  const lostThenServerError = async (postId: string) => {
    fake.loseNextAnswer();
    expect((await t.request('POST', `/v1/posts/${postId}/publish`)).status).toBe(202);
    await t.app.scheduler!.drain();
    expect(await delivery(postId)).toMatchObject({ status: 'retrying', attempts: 1, last_error: { code: 'network_error' } });
    fake.failNext('server_error');
    await tick(MINUTE);
  };

  beforeEach(async () => {
    clock = new FakeClock();
    fake = await new MastodonFake().start();
  });
  afterEach(async () => {
    await t?.close();
    await fake.close();
  });

  it('a repeat due within the hour goes out with the same key: Mastodon answers with the status it made', async () => {
    const postId = await start([MINUTE, 5 * MINUTE]);
    await lostThenServerError(postId);
    expect(await delivery(postId)).toMatchObject({ status: 'retrying', attempts: 2 });
    await tick(5 * MINUTE);
    const done = await delivery(postId);
    expect(done).toMatchObject({ status: 'published', attempts: 3, post_url: `${fake.url}/@octo/${fake.statuses[0]!.id}` });
    expect(fake.statuses).toHaveLength(1);
    expect(fake.count('POST /api/v1/statuses')).toBe(3);
  });

  it('a retry that would come after the hour is not made: unknown, saying why', async () => {
    const postId = await start([MINUTE, 60 * MINUTE]);
    await lostThenServerError(postId);
    const d = await delivery(postId);
    expect(d).toMatchObject({ status: 'unknown', attempts: 2, next_attempt_at: null, last_error: { code: 'server_error' } });
    expect(d.last_error.message).toBe(
      `${fake.host} had a problem (500). Mastodon said: "We're sorry, but something went wrong on our end.". Mastodon drops a repeated post only within an hour of the attempt at ${d.history[0].started_at}, which may have gone out, and its next try would be due too late for that. ${NOT_REPEATED}`,
    );

    fake.expireIdempotencyKeys();
    await tick(2 * 60 * MINUTE);
    expect(fake.statuses).toHaveLength(1);
    expect(fake.count('POST /api/v1/statuses')).toBe(2);
  });

  it('running out of tries after a lost answer is unknown, not failed: a later Retry could post twice', async () => {
    const postId = await start([MINUTE]);
    await lostThenServerError(postId);
    const d = await delivery(postId);
    expect(d).toMatchObject({ status: 'unknown', attempts: 2, last_error: { code: 'server_error' } });
    expect(d.last_error.message).toMatch(/^\S+ had a problem \(500\)\. Mastodon said: .* Mastodon drops a repeated post only within an hour of the attempt at \S+Z, which may have gone out, so a Retry much later could post it twice\. Sending it again/);
    expect(d.last_error.message).not.toMatch(/Gave up/);
  });

  it('an account found disconnected on the repeat: unknown, since a Retry after reconnecting could post twice', async () => {
    const postId = await start([MINUTE]);
    fake.loseNextAnswer();
    expect((await t.request('POST', `/v1/posts/${postId}/publish`)).status).toBe(202);
    await t.app.scheduler!.drain();
    // Another post's 401 marked the account inactive meanwhile.
    await t.app.ctx.store.db.updateTable('accounts').set({ is_active: 0, inactive_reason: 'The access token was revoked' }).execute();
    await tick(MINUTE);
    const d = await delivery(postId);
    expect(d).toMatchObject({ status: 'unknown', attempts: 2, last_error: { code: 'reconnect_required', reconnect: true } });
    expect(d.last_error.message).toMatch(/must be reconnected; nothing was sent\. Mastodon drops a repeated post only within an hour of the attempt at \S+Z, which may have gone out, so a Retry much later/);
    expect(fake.count('POST /api/v1/statuses')).toBe(1);
  });

  it('stopped by its user while waiting to repeat a lost answer: unknown, not failed', async () => {
    const postId = await start([MINUTE]);
    fake.loseNextAnswer();
    expect((await t.request('POST', `/v1/posts/${postId}/publish`)).status).toBe(202);
    await t.app.scheduler!.drain();
    expect(await delivery(postId)).toMatchObject({ status: 'retrying', attempts: 1 });
    const stopped = await t.request('POST', `/v1/posts/${postId}/stop`);
    expect(stopped.status).toBe(200);
    const d = stopped.json.deliveries[0];
    expect(d).toMatchObject({ status: 'unknown', attempts: 1, last_error: { code: 'network_error' } });
    expect(d.last_error.message).toMatch(/You stopped its retries\. Mastodon drops a repeated post only within an hour of the attempt at \S+Z, which may have gone out, so a Retry much later could post it twice\. Sending it again/);
    expect(stopped.json.status).toBe('failed');
  });

  it('stopped while the attempt is being made, whose answer is then lost: unknown, not retried', async () => {
    const postId = await start([MINUTE]);
    fake.loseNextAnswer(1000);
    expect((await t.request('POST', `/v1/posts/${postId}/publish`)).status).toBe(202);
    await waitUntil('the status request', () => fake.count('POST /api/v1/statuses') === 1, { intervalMs: 10 });
    const stopped = await t.request('POST', `/v1/posts/${postId}/stop`);
    expect(stopped.status, JSON.stringify(stopped.json)).toBe(200);
    expect(stopped.json.deliveries[0]).toMatchObject({ status: 'publishing', stop_requested: true });
    await t.app.scheduler!.drain();
    const d = await delivery(postId);
    expect(d).toMatchObject({ status: 'unknown', attempts: 1, last_error: { code: 'network_error', stopped: true } });
    expect(d.last_error.message).toMatch(/You stopped its retries\. Mastodon drops a repeated post only within an hour of the attempt at \S+Z, which may have gone out, so a Retry much later could post it twice\./);
    await tick(30 * MINUTE);
    expect(fake.count('POST /api/v1/statuses')).toBe(1);
  });

  it('running out of tries with every answer received stays failed', async () => {
    const postId = await start([MINUTE]);
    fake.failNext('server_error');
    expect((await t.request('POST', `/v1/posts/${postId}/publish`)).status).toBe(202);
    await t.app.scheduler!.drain();
    fake.failNext('server_error');
    await tick(MINUTE);
    expect(await delivery(postId)).toMatchObject({ status: 'failed', attempts: 2, last_error: { code: 'server_error' } });
    expect(fake.statuses).toHaveLength(0);
  });

  it('a retry due within the hour that starts after it (a worker far behind) is not sent', async () => {
    const postId = await start([54 * MINUTE, MINUTE]);
    fake.loseNextAnswer();
    expect((await t.request('POST', `/v1/posts/${postId}/publish`)).status).toBe(202);
    await t.app.scheduler!.drain();
    expect(await delivery(postId)).toMatchObject({ status: 'retrying', attempts: 1 });
    fake.expireIdempotencyKeys();
    // One jump: the attempt starts at 70 minutes (its claim's reading of the clock does not matter).
    await tick(70 * MINUTE);
    const d = await delivery(postId);
    expect(d).toMatchObject({ status: 'unknown', attempts: 2, last_error: { code: 'not_repeated', permanent: false } });
    expect(d.last_error.message).toMatch(/^Mastodon drops a repeated post only within an hour of the attempt at \S+Z, which may have gone out, and this try came too late for that, so it was not sent\. Sending it again/);
    expect(d.history).toMatchObject([{ attempt: 1, outcome: 'ambiguous' }, { attempt: 2, outcome: 'skipped' }]);
    expect(fake.statuses).toHaveLength(1);
    expect(fake.count('POST /api/v1/statuses')).toBe(1);
  });

  it('a worker dying on a repeat near the end of the hour: taken back as unknown, not repeated', async () => {
    // The retry after the lost answer is due 54.5 minutes later, inside the window; a worker claims it and dies.
    const postId = await start([54.5 * MINUTE, MINUTE]);
    fake.loseNextAnswer();
    expect((await t.request('POST', `/v1/posts/${postId}/publish`)).status).toBe(202);
    await t.app.scheduler!.drain();
    const first = await delivery(postId);
    expect(first).toMatchObject({ status: 'retrying', attempts: 1 });
    const dueAt = Date.parse(first.next_attempt_at);
    const { db, dialect: storeDialect } = t.app.ctx.store;
    const claimed = await claimDue(db, storeDialect, 'dead-worker', dueAt, dueAt + 7000, 10);
    expect(claimed).toHaveLength(1);

    // The sweep finds the lease over 56.5 minutes after the first attempt began.
    await tick(dueAt - clock.now() + 2 * MINUTE);
    await expect.poll(async () => (await delivery(postId)).status, { timeout: 10_000 }).toBe('unknown');
    const d = await delivery(postId);
    expect(d).toMatchObject({ attempts: 2, last_error: { code: 'interrupted' } });
    expect(d.last_error.message).toMatch(/^The worker publishing this stopped mid-attempt \(crash or shutdown\); the post may or may not have gone out\. Mastodon drops a repeated post only within an hour of the attempt at \S+Z, which may have gone out, and its next try would be due too late for that\./);
    fake.expireIdempotencyKeys();
    await tick(10 * MINUTE);
    expect(fake.statuses).toHaveLength(1);
    expect(fake.count('POST /api/v1/statuses')).toBe(1);
  });
});
