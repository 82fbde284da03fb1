import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectWebhook, expectErrorBody, otherUser, snapshotTables } from '../helpers/api-client.js';
import { dialects } from '../helpers/databases.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { Receiver, verifySignature } from '../helpers/receiver.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

const MINUTE = 60_000;
const SECRET = 'correct-horse-battery-staple';
const ACCOUNT_FIELDS = ['avatar_url', 'connected_at', 'deduplicates', 'display_name', 'id', 'inactive_reason', 'is_active', 'last_used_at', 'platform', 'platform_user_id', 'rules', 'token_expires_at', 'username'];

describe.each(await dialects())('accounts API on %s', (dialect) => {
  let t: TestApp;
  let clock: FakeClock;
  let receiver: Receiver;

  beforeEach(async () => {
    clock = new FakeClock();
    receiver = await new Receiver().start();
    t = await createTestApp(dialect, { clock, worker: true });
  });
  afterEach(async () => {
    await receiver.stop();
    await t.close();
  });

  const at = (ms: number) => new Date(clock.now() + ms).toISOString();
  const connect = (path: string, secret = SECRET) => connectWebhook(t.request, receiver.url(path), { secret, display_name: `hook ${path}` });
  const tick = async (ms: number) => {
    clock.advance(ms);
    await t.app.scheduler!.drain();
  };
  const getPost = async (id: string) => (await t.request('GET', `/v1/posts/${id}`)).json;

  it('connects a webhook account and shows it without credentials', async () => {
    const res = await t.request('POST', '/v1/accounts', { platform: 'webhook', url: receiver.url('/a'), secret: SECRET, display_name: 'My receiver' });
    expect(res.status).toBe(201);
    expect(Object.keys(res.json).sort()).toEqual(ACCOUNT_FIELDS);
    expect(res.json).toMatchObject({
      id: expect.stringMatching(/^acc_/),
      platform: 'webhook',
      display_name: 'My receiver',
      is_active: true,
      deduplicates: true,
      avatar_url: null,
      connected_at: at(0),
      last_used_at: null,
    });
    const one = await t.request('GET', `/v1/accounts/${res.json.id}`);
    expect(one.status).toBe(200);
    expect(one.json).toEqual(res.json);
    const all = await t.request('GET', '/v1/accounts');
    expect(all.json).toEqual({ accounts: [res.json] });

    // Publishing, which decrypts the credentials, does not leak them into any answer either.
    const post = await t.request('POST', '/v1/posts', { content: 'hi', accounts: [res.json.id] });
    await t.request('POST', `/v1/posts/${post.json.id}/publish`);
    await t.app.scheduler!.drain();
    expect((await getPost(post.json.id)).status).toBe('published');
    const bodies = [
      res,
      one,
      all,
      await t.request('GET', `/v1/accounts/${res.json.id}`),
      await t.request('GET', `/v1/posts/${post.json.id}`),
      await t.request('GET', '/v1/posts'),
      await t.request('GET', '/v1/presets'),
    ];
    for (const body of bodies) {
      const text = JSON.stringify(body.json);
      expect(text).not.toContain(SECRET);
      expect(text).not.toMatch(/credential|"secret"/i);
    }
    // The credentials are also not stored in the clear.
    const row = await t.app.ctx.store.db.selectFrom('accounts').select('credentials').where('id', '=', res.json.id).executeTakeFirstOrThrow();
    expect(row.credentials).not.toContain(SECRET);
  });

  it('validates the connect body, naming the field, and stores nothing when it refuses', async () => {
    const before = await snapshotTables(t);
    const cases: [Record<string, unknown>, number[], string][] = [
      [{ platform: 'webhook', secret: SECRET }, [400, 422], 'url'],
      [{ platform: 'webhook', url: 'ftp://example.com/hook', secret: SECRET }, [422], 'url'],
      [{ platform: 'webhook', url: 'javascript:alert(1)', secret: SECRET }, [422], 'url'],
      [{ platform: 'webhook', url: 'file:///etc/passwd', secret: SECRET }, [422], 'url'],
      [{ platform: 'webhook', url: 'not a url', secret: SECRET }, [422], 'url'],
      [{ platform: 'webhook', url: 'http://user:pw@example.com/hook', secret: SECRET }, [422], 'url'],
      [{ platform: 'webhook', url: receiver.url('/short'), secret: 'short12' }, [422], 'secret'],
      [{ platform: 'webhook', url: receiver.url('/nosecret') }, [400, 422], 'secret'],
      [{ platform: 'webhook', url: receiver.url('/x'), secret: SECRET, display_name: '' }, [422], 'display_name'],
      [{ platform: 'webhook', url: receiver.url('/x'), secret: SECRET, deduplicates: 'no' }, [400], 'deduplicates'],
      [{ platform: 'myspace', url: receiver.url('/x'), secret: SECRET }, [422], 'platform'],
      [{ url: receiver.url('/x'), secret: SECRET }, [400, 422], 'platform'],
    ];
    for (const [body, statuses, field] of cases) {
      const res = await t.request('POST', '/v1/accounts', body);
      expect(statuses, `${JSON.stringify(body)} → ${res.status} ${JSON.stringify(res.json)}`).toContain(res.status);
      expectErrorBody(res);
      expect(res.json.details.field, JSON.stringify(body)).toBe(field);
    }
    expect(await snapshotTables(t)).toEqual(before);
    // Eight characters is long enough.
    expect((await t.request('POST', '/v1/accounts', { platform: 'webhook', url: receiver.url('/eight'), secret: '12345678' })).status).toBe(201);
  });

  it('disconnects: 204, gone from lists, and its posts no longer go there', async () => {
    const gone = await connect('/gone');
    const stays = await connect('/stays');
    const solo = await t.request('POST', '/v1/posts', { content: 'solo', accounts: [gone], scheduled_for: at(10 * MINUTE) });
    const shared = await t.request('POST', '/v1/posts', { content: 'shared', accounts: [gone, stays], scheduled_for: at(10 * MINUTE) });
    const draft = await t.request('POST', '/v1/posts', { content: 'draft', accounts: [gone] });

    const res = await t.request('DELETE', `/v1/accounts/${gone}`);
    expect(res.status).toBe(204);
    expect(res.json).toBeUndefined();
    expectErrorBody(await t.request('GET', `/v1/accounts/${gone}`), 404, 'not_found');
    expect((await t.request('GET', '/v1/accounts')).json.accounts.map((a: any) => a.id)).toEqual([stays]);
    expectErrorBody(await t.request('DELETE', `/v1/accounts/${gone}`), 404, 'not_found');

    // A scheduled post left with no account to go to is a draft again, its time cleared.
    const soloAfter = await getPost(solo.json.id);
    expect(soloAfter).toMatchObject({ status: 'draft', scheduled_for: null, deliveries: [] });
    const sharedAfter = await getPost(shared.json.id);
    expect(sharedAfter.status).toBe('scheduled');
    expect(sharedAfter.deliveries.map((d: any) => [d.account_id, d.status])).toEqual([[stays, 'pending']]);

    await tick(10 * MINUTE);
    expect(receiver.on('/gone')).toHaveLength(0);
    expect(receiver.on('/stays')).toHaveLength(1);
    expect((await getPost(shared.json.id)).status).toBe('published');
    expect((await getPost(solo.json.id)).status).toBe('draft');

    // The disconnected account can no longer be chosen, nor can the post that only names it go out.
    const reuse = await t.request('POST', '/v1/posts', { content: 'x', accounts: [gone] });
    expectErrorBody(reuse, 422, 'validation_failed');
    expect(reuse.json.details.field).toBe('accounts[0]');
    expectErrorBody(await t.request('POST', `/v1/posts/${draft.json.id}/publish`), 422, 'validation_failed');
    await tick(MINUTE);
    expect(receiver.on('/gone')).toHaveLength(0);
  });

  it('reconnecting the same URL keeps the account id, takes the new secret and reactivates it', async () => {
    const id = await connect('/re', 'first-secret');
    const again = await t.request('POST', '/v1/accounts', { platform: 'webhook', url: receiver.url('/re'), secret: 'second-secret', display_name: 'renamed' });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ id, display_name: 'renamed', is_active: true, deduplicates: true });
    // Whether the receiver drops repeats changes only when a reconnect says so: left out, it stays.
    const noDedup = await t.request('POST', '/v1/accounts', { platform: 'webhook', url: receiver.url('/re'), secret: 'second-secret', display_name: 'renamed', deduplicates: false });
    expect(noDedup.json).toMatchObject({ id, deduplicates: false });
    const kept = await t.request('POST', '/v1/accounts', { platform: 'webhook', url: receiver.url('/re'), secret: 'second-secret', display_name: 'renamed' });
    expect(kept.json).toMatchObject({ id, deduplicates: false });
    expect((await t.request('GET', `/v1/accounts/${id}`)).json.deduplicates).toBe(false);
    const told = await t.request('POST', '/v1/accounts', { platform: 'webhook', url: receiver.url('/re'), secret: 'second-secret', display_name: 'renamed', deduplicates: true });
    expect(told.json).toMatchObject({ id, deduplicates: true });
    expect((await t.request('GET', '/v1/accounts')).json.accounts).toHaveLength(1);

    // The same URL spelled differently (scheme and host case) is the same receiver.
    const spelled = await t.request('POST', '/v1/accounts', { platform: 'webhook', url: receiver.url('/re').replace('http://', 'HTTP://'), secret: 'second-secret' });
    expect(spelled.json.id).toBe(id);

    const post = await t.request('POST', '/v1/posts', { content: 'signed', accounts: [id] });
    await t.request('POST', `/v1/posts/${post.json.id}/publish`);
    await t.app.scheduler!.drain();
    const [req] = receiver.on('/re');
    expect(verifySignature('second-secret', req!.body, req!.headers['x-octopost-signature'])).toBe(true);

    // A receiver that refuses the signature marks the account inactive; reconnecting revives it.
    receiver.script('/re', [{ status: 401 }]);
    const refused = await t.request('POST', '/v1/posts', { content: 'refused', accounts: [id] });
    await t.request('POST', `/v1/posts/${refused.json.id}/publish`);
    await t.app.scheduler!.drain();
    expect((await t.request('GET', `/v1/accounts/${id}`)).json.is_active).toBe(false);
    const inactive = await t.request('POST', '/v1/posts', { content: 'x', accounts: [id] });
    expectErrorBody(inactive, 422, 'validation_failed');
    const revived = await t.request('POST', '/v1/accounts', { platform: 'webhook', url: receiver.url('/re'), secret: 'third-secret' });
    expect(revived.status).toBe(200);
    expect(revived.json).toMatchObject({ id, is_active: true });

    // Another user connecting the same URL gets an account of their own.
    const mine = (await t.request('GET', `/v1/accounts/${id}`)).json;
    const b = await otherUser(t);
    const theirs = await connectWebhook(b.request, receiver.url('/re'));
    expect(theirs).not.toBe(id);
    expect((await t.request('GET', `/v1/accounts/${id}`)).json).toEqual(mine);
    expect((await b.request('GET', '/v1/accounts')).json.accounts.map((a: any) => a.id)).toEqual([theirs]);
  });
});
