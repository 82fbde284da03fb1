import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectErrorBody } from '../helpers/api-client.js';
import { dialects } from '../helpers/databases.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { MastodonFake } from '../peers/mastodon-fake.js';

const PUBLIC_URL = 'https://octopost.example';

/** Connecting in the browser through the API: start, approve on the (local) instance, callback. */
describe.each(await dialects())('OAuth connect on %s', (dialect) => {
  let t: TestApp;
  let fake: MastodonFake;

  beforeEach(async () => {
    fake = await new MastodonFake({ maxCharacters: 1000 }).start();
    t = await createTestApp(dialect, { config: { publicUrl: PUBLIC_URL } });
  });
  afterEach(async () => {
    await t.close();
    await fake.close();
  });

  async function start(query: string, accept = 'application/json') {
    return t.server.inject({ method: 'GET', url: `/v1/accounts/connect/mastodon?${query}`, headers: { authorization: `Bearer ${t.key}`, accept } });
  }
  /** The network sends the browser back: no API key, only the state names the user. */
  async function callback(query: Record<string, string>, accept = 'text/html') {
    return t.server.inject({ method: 'GET', url: `/v1/accounts/connect/mastodon/callback?${new URLSearchParams(query)}`, headers: { accept } });
  }

  it('connects a Mastodon account end to end and uses its instance limit', async () => {
    const started = await start(`instance=${encodeURIComponent(fake.url)}&return_to=/accounts`);
    expect(started.statusCode).toBe(200);
    const authorizeUrl = started.json().authorize_url as string;
    expect(new URL(authorizeUrl).searchParams.get('redirect_uri')).toBe(`${PUBLIC_URL}/v1/accounts/connect/mastodon/callback`);

    const approved = fake.approve(authorizeUrl);
    const done = await callback({ code: approved.code, state: approved.state! });
    expect(done.statusCode).toBe(302);
    const location = new URL(done.headers.location as string, PUBLIC_URL);
    expect(location.pathname).toBe('/accounts');
    const accountId = location.searchParams.get('connected');
    expect(accountId).toMatch(/^acc_/);
    expect(fake.problems).toEqual([]);

    const account = (await t.request('GET', `/v1/accounts/${accountId}`)).json;
    expect(account).toMatchObject({ platform: 'mastodon', is_active: true, rules: { max_length: 1000, url_length: 23 } });
    expect(JSON.stringify(account)).not.toContain('access_token');

    // The instance's own limit: 600 characters pass, 1,001 are refused naming the limit and count.
    expect((await t.request('POST', '/v1/posts', { content: 'a'.repeat(600), accounts: [accountId] })).status).toBe(201);
    const tooLong = await t.request('POST', '/v1/posts', { content: 'a'.repeat(1001), accounts: [accountId] });
    expectErrorBody(tooLong, 422, 'validation_failed');
    expect(tooLong.json.details).toMatchObject({ platform: 'mastodon', limit: 1000, count: 1001, field: 'content' });

    // The state is single use: a replayed callback connects nothing more.
    const replay = await callback({ code: approved.code, state: approved.state! }, 'application/json');
    expectErrorBody({ status: replay.statusCode, json: replay.json() }, 422, 'validation_failed');
    expect(replay.json().details.field).toBe('state');
    expect((await t.request('GET', '/v1/accounts')).json.accounts).toHaveLength(1);
  });

  it('redirects a browser to the network, and back with the reason when access is denied', async () => {
    const started = await start(`instance=${encodeURIComponent(fake.url)}`, 'text/html');
    expect(started.statusCode).toBe(302);
    const authorizeUrl = started.headers.location as string;
    expect(authorizeUrl.startsWith(`${fake.url}/oauth/authorize?`)).toBe(true);
    const state = new URL(authorizeUrl).searchParams.get('state')!;
    const denied = await callback({ error: 'access_denied', error_description: 'The resource owner denied the request', state });
    expect(denied.statusCode).toBe(302);
    const back = new URL(denied.headers.location as string, PUBLIC_URL);
    expect(back.pathname).toBe('/accounts');
    expect(back.searchParams.get('connect_error')).toContain('access_denied');
    expect((await t.request('GET', '/v1/accounts')).json.accounts).toHaveLength(0);
  });

  it('refuses bad starts with the field and reason', async () => {
    const noInstance = await start('');
    expect(noInstance.statusCode).toBeGreaterThanOrEqual(400);
    expect(noInstance.statusCode).toBeLessThan(500);
    expect(noInstance.json().details.field).toBe('instance');

    const webhook = await t.server.inject({ method: 'GET', url: '/v1/accounts/connect/webhook', headers: { authorization: `Bearer ${t.key}`, accept: 'application/json' } });
    expectErrorBody({ status: webhook.statusCode, json: webhook.json() }, 422, 'validation_failed');
    expect(webhook.json().error).toContain('POST /v1/accounts');

    const unknown = await t.server.inject({ method: 'GET', url: '/v1/accounts/connect/myspace', headers: { authorization: `Bearer ${t.key}`, accept: 'application/json' } });
    expectErrorBody({ status: unknown.statusCode, json: unknown.json() }, 422, 'validation_failed');

    const anonymous = await t.server.inject({ method: 'GET', url: `/v1/accounts/connect/mastodon?instance=${encodeURIComponent(fake.url)}` });
    expect(anonymous.statusCode).toBe(401);

    const forged = await callback({ code: 'x', state: 'not-a-state-we-issued' }, 'application/json');
    expectErrorBody({ status: forged.statusCode, json: forged.json() }, 422, 'validation_failed');
    // Only a path of this site is returned to (no open redirect).
    const evil = await start(`instance=${encodeURIComponent(fake.url)}&return_to=${encodeURIComponent('//evil.example/x')}`);
    const approved = fake.approve(evil.json().authorize_url);
    const done = await callback({ code: approved.code, state: approved.state! });
    expect(new URL(done.headers.location as string, PUBLIC_URL).origin).toBe(PUBLIC_URL);
  });
});
