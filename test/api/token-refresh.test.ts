import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlatformRegistry } from '../../src/platforms/registry.js';
import { webhookPlatform } from '../../src/platforms/webhook.platform.js';
import { createXPlatform } from '../../src/platforms/x.platform.js';
import { CredentialService } from '../../src/services/credentials.service.js';
import { dialects } from '../helpers/databases.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { XFake } from '../peers/x-fake.js';

const PUBLIC_URL = 'https://octopost.example';
const CLIENT = { id: 'cmVmcmVzaC10ZXN0LWNsaWVudA', secret: 'refresh-test-secret', callbackUrls: [`${PUBLIC_URL}/v1/accounts/connect/x/callback`] };
const HOUR = 3_600_000;

/**
 * Staying connected: credentials are refreshed before they expire (X access tokens live two
 * hours, refresh tokens rotate); a refused refresh makes the account inactive with its reason,
 * and what was scheduled for it fails as "reconnect" instead of being sent with dead credentials.
 */
describe.each(await dialects())('token refresh on %s', (dialect) => {
  let t: TestApp;
  let clock: FakeClock;
  let fake: XFake;
  let accountId: string;
  const refreshDue = () => new CredentialService(t.app.ctx).refreshDue(AbortSignal.timeout(10_000));
  const account = async () => (await t.request('GET', `/v1/accounts/${accountId}`)).json;

  beforeEach(async () => {
    clock = new FakeClock();
    fake = await new XFake(CLIENT).start();
    const platforms = new PlatformRegistry([
      webhookPlatform,
      createXPlatform({ clientId: CLIENT.id, clientSecret: CLIENT.secret, apiBaseUrl: fake.url, authorizeUrl: `${fake.url}/i/oauth2/authorize` }),
    ]);
    t = await createTestApp(dialect, { clock, platforms, worker: true, config: { publicUrl: PUBLIC_URL } });
    // Connect through the API as a browser would.
    const started = await t.server.inject({ method: 'GET', url: '/v1/accounts/connect/x', headers: { authorization: `Bearer ${t.key}`, accept: 'application/json' } });
    const { code, state } = fake.approve(started.json().authorize_url);
    const done = await t.server.inject({ method: 'GET', url: `/v1/accounts/connect/x/callback?code=${code}&state=${state}`, headers: { accept: 'application/json' } });
    expect(done.statusCode, done.body).toBe(201);
    accountId = done.json().id;
  });
  afterEach(async () => {
    await t.close();
    await fake.close();
  });

  it('refreshes before expiry, rotating the refresh token, and publishes with the new token', async () => {
    const before = await account();
    expect(Math.abs(Date.parse(before.token_expires_at) - (clock.now() + 2 * HOUR))).toBeLessThan(60_000);
    expect(await refreshDue()).toBe(0); // not yet: X tokens are refreshed 15 minutes ahead

    clock.advance(2 * HOUR - 10 * 60_000);
    await fake.expireAccessToken(); // the old token no longer works on X's side
    expect(await refreshDue()).toBe(1);
    const after = await account();
    expect(after.is_active).toBe(true);
    expect(Math.abs(Date.parse(after.token_expires_at) - (clock.now() + 2 * HOUR))).toBeLessThan(60_000);

    const post = await t.request('POST', '/v1/posts', { content: 'Still connected', accounts: [accountId] });
    await t.request('POST', `/v1/posts/${post.json.id}/publish`);
    await t.app.scheduler!.drain();
    const published = (await t.request('GET', `/v1/posts/${post.json.id}`)).json;
    expect(published.status).toBe('published');
    expect(fake.published().map((p) => p.text)).toEqual(['Still connected']);
    expect(fake.problems).toEqual([]);
  });

  it('a token endpoint that never answers: the refresh gives up after 30 s, well within its lease, and tries again later', async () => {
    clock.advance(2 * HOUR - 10 * 60_000);
    fake.hangNextRefresh();
    // No limit of its own here: without the refresh's 30 s limit this would wait for ever.
    expect(await new CredentialService(t.app.ctx).refreshDue(new AbortController().signal)).toBe(1);
    const after = await account();
    expect(after.is_active).toBe(true);
    expect(fake.requests.filter((r) => r === 'POST /2/oauth2/token')).toHaveLength(2); // connect + the hanging one
    expect(await refreshDue()).toBe(0); // postponed five minutes
    clock.advance(5 * 60_000);
    expect(await refreshDue()).toBe(1);
    expect(Math.abs(Date.parse((await account()).token_expires_at) - (clock.now() + 2 * HOUR))).toBeLessThan(60_000);
  }, 45_000);

  it('refreshes just in time when publishing with expired credentials', async () => {
    clock.advance(3 * HOUR); // the background refresh never ran (the worker was down)
    await fake.expireAccessToken();
    const post = await t.request('POST', '/v1/posts', { content: 'Back after a pause', accounts: [accountId] });
    await t.request('POST', `/v1/posts/${post.json.id}/publish`);
    await t.app.scheduler!.drain();
    expect((await t.request('GET', `/v1/posts/${post.json.id}`)).json.status).toBe('published');
    expect(fake.requests.filter((r) => r === 'POST /2/oauth2/token')).toHaveLength(2); // connect + one refresh
  });

  it('the refreshed credentials refused when publishing: the account becomes inactive', async () => {
    clock.advance(3 * HOUR);
    await fake.expireAccessToken();
    fake.failNext('token_revoked'); // refreshed just in time, then the new token is refused
    const post = await t.request('POST', '/v1/posts', { content: 'Refused', accounts: [accountId] });
    await t.request('POST', `/v1/posts/${post.json.id}/publish`);
    await t.app.scheduler!.drain();
    expect((await t.request('GET', `/v1/posts/${post.json.id}`)).json.deliveries[0].last_error).toMatchObject({ reconnect: true });
    expect(fake.requests.filter((r) => r === 'POST /2/oauth2/token')).toHaveLength(2); // connect + the refresh
    expect((await account()).is_active).toBe(false);
  });

  it('a refused refresh makes the account inactive with its reason; its scheduled post fails as "reconnect"', async () => {
    const scheduled = await t.request('POST', '/v1/posts', { content: 'Later', accounts: [accountId], scheduled_for: new Date(clock.now() + 3 * HOUR).toISOString() });
    expect(scheduled.status).toBe(201);
    fake.refuseNextRefresh();
    clock.advance(2 * HOUR - 10 * 60_000);
    await refreshDue();
    // Refused, but the access token still works for ten minutes: the account stays usable until then.
    expect((await account()).is_active).toBe(true);
    fake.refuseNextRefresh();
    clock.advance(9 * 60_000);
    expect(await refreshDue()).toBe(1);
    const after = await account();
    expect(after.is_active).toBe(false);
    expect(after.inactive_reason).toMatch(/reconnect/i);

    clock.advance(HOUR + 5 * 60_000);
    await t.app.scheduler!.drain();
    const post = (await t.request('GET', `/v1/posts/${scheduled.json.id}`)).json;
    expect(post.status).toBe('failed');
    expect(post.deliveries[0].last_error).toMatchObject({ code: 'reconnect_required', permanent: true, reconnect: true });
    expect(fake.published()).toHaveLength(0);

    // Reconnecting the same X identity keeps the account (same id) and makes it active again.
    const started = await t.server.inject({ method: 'GET', url: '/v1/accounts/connect/x', headers: { authorization: `Bearer ${t.key}`, accept: 'application/json' } });
    const { code, state } = fake.approve(started.json().authorize_url);
    const again = await t.server.inject({ method: 'GET', url: `/v1/accounts/connect/x/callback?code=${code}&state=${state}`, headers: { accept: 'application/json' } });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: accountId, is_active: true, inactive_reason: null });
  });
});
