import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, connectWebhook, expectErrorBody, otherUser, rowCounts, send, snapshotTables, withKey } from '../helpers/api-client.js';
import { dialects } from '../helpers/databases.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

const HOUR = 3_600_000;
const HOOK = 'http://127.0.0.1:9/hook'; // no worker runs in this file: never called

describe.each(await dialects())('API conventions on %s', (dialect) => {
  let t: TestApp;
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock();
    t = await createTestApp(dialect, { clock });
  });
  afterEach(async () => {
    await t.close();
  });

  const at = (ms: number) => new Date(clock.now() + ms).toISOString();

  describe('authentication and scopes', () => {
    it('answers 401 with the error body to a missing, garbled or unknown key', async () => {
      const headers: (Record<string, string> | undefined)[] = [
        undefined,
        { authorization: '' },
        { authorization: 'Bearer' },
        { authorization: 'Bearer nope' },
        { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` },
        { authorization: `Token ${t.key}` },
        { authorization: `Bearer ${t.key.slice(0, -1)}` },
        { authorization: `Bearer ${t.key}x` },
        { authorization: 'Bearer oct_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
        { authorization: `Bearer ${t.key.replace('oct_live_', 'oct_test_')}` },
      ];
      for (const h of headers) {
        for (const [method, url] of [
          ['GET', '/v1/posts'],
          ['POST', '/v1/posts'],
          ['GET', '/v1/me'],
          ['DELETE', '/v1/accounts/acc_x'],
        ] as const) {
          const res = await send(t, { method, url, ...(h && { headers: h }), ...(method === 'POST' && { payload: { content: 'x', platforms: ['webhook'] } }) });
          expectErrorBody(res, 401, 'unauthorized');
        }
      }
      expect(await rowCounts(t)).toEqual({ posts: 0, deliveries: 0, accounts: 0, presets: 0 });
      // Each says what is wrong with what was sent.
      const error = async (authorization: string) => (await send(t, { method: 'GET', url: '/v1/posts', headers: { authorization } })).json.error;
      expect(await error(`Token ${t.key}`)).toMatch(/is not "Bearer <API key>"/);
      expect(await error('Bearer oct_live_wrong')).toMatch(/not a whole Octopost API key/);
      expect(await error(`bearer ${t.key.replace('oct_live_', 'oct_test_')}`)).toMatch(/not a whole Octopost API key/);
      expect(await error('Bearer oct_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).toMatch(/unknown or revoked/);
    });

    it('lets a posts:read key read posts but not write them or touch accounts (403)', async () => {
      const acc = await connectWebhook(t.request, HOOK);
      const post = await t.request('POST', '/v1/posts', { content: 'readable', accounts: [acc] });
      const { key } = await t.app.services.users.createApiKey(t.userId, 'reader', ['posts:read']);
      const reader = withKey(t, key);

      const list = await reader('GET', '/v1/posts');
      expect(list.status).toBe(200);
      expect(list.json.posts.map((p: any) => p.id)).toEqual([post.json.id]);
      expect((await reader('GET', `/v1/posts/${post.json.id}`)).status).toBe(200);
      expect((await reader('GET', '/v1/me')).status).toBe(200);

      const before = await snapshotTables(t);
      const denied = await reader('POST', '/v1/posts', { content: 'nope', accounts: [acc] });
      expectErrorBody(denied, 403, 'forbidden');
      expect(denied.json.details.required_scope).toBe('posts:write');
      for (const [method, url, body] of [
        ['PUT', `/v1/posts/${post.json.id}`, { content: 'changed' }],
        ['DELETE', `/v1/posts/${post.json.id}`, undefined],
        ['POST', `/v1/posts/${post.json.id}/publish`, undefined],
        ['GET', '/v1/accounts', undefined],
        ['POST', '/v1/accounts', { platform: 'webhook', url: `${HOOK}/2`, secret: 'long-enough' }],
        ['DELETE', `/v1/accounts/${acc}`, undefined],
        ['GET', '/v1/presets', undefined],
        ['POST', '/v1/presets', { name: 'x' }],
      ] as const) {
        expectErrorBody(await reader(method, url, body), 403, 'forbidden');
      }
      expect(await snapshotTables(t)).toEqual(before);
    });

    it("answers 404 for another user's post, account and preset, and changes nothing of theirs", async () => {
      const acc = await connectWebhook(t.request, HOOK);
      const post = (await t.request('POST', '/v1/posts', { content: 'mine', accounts: [acc], scheduled_for: at(HOUR) })).json;
      const draft = (await t.request('POST', '/v1/posts', { content: 'mine too', accounts: [acc] })).json;
      const preset = (await t.request('POST', '/v1/presets', { name: 'Mine', accounts: [acc] })).json;
      const b = await otherUser(t);
      const theirAcc = await connectWebhook(b.request, `${HOOK}/b`);

      const before = await snapshotTables(t);
      const attempts: [string, string, unknown?][] = [
        ['GET', `/v1/posts/${post.id}`],
        ['PUT', `/v1/posts/${post.id}`, { content: 'stolen' }],
        ['DELETE', `/v1/posts/${post.id}`],
        ['POST', `/v1/posts/${post.id}/schedule`, { scheduled_for: at(2 * HOUR) }],
        ['POST', `/v1/posts/${post.id}/cancel`],
        ['POST', `/v1/posts/${draft.id}/publish`],
        ['POST', `/v1/posts/${post.id}/retry`],
        ['GET', `/v1/accounts/${acc}`],
        ['DELETE', `/v1/accounts/${acc}`],
        ['GET', `/v1/presets/${preset.id}`],
        ['PUT', `/v1/presets/${preset.id}`, { name: 'stolen' }],
        ['DELETE', `/v1/presets/${preset.id}`],
      ];
      for (const [method, url, body] of attempts) {
        const res = await b.request(method, url, body);
        expectErrorBody(res, 404, 'not_found');
      }
      // Naming someone else's account or preset in one's own post or preset is a 422.
      for (const [method, url, body, field] of [
        ['POST', '/v1/posts', { content: 'x', accounts: [acc] }, 'accounts[0]'],
        ['POST', '/v1/posts', { content: 'x', preset_id: preset.id }, 'preset_id'],
        ['POST', '/v1/presets', { name: 'x', accounts: [acc] }, 'accounts[0]'],
      ] as const) {
        const res = await b.request(method, url, body);
        expectErrorBody(res, 422, 'validation_failed');
        expect(res.json.details.field).toBe(field);
      }
      expect(await snapshotTables(t)).toEqual(before);

      // Lists only show one's own things.
      expect((await b.request('GET', '/v1/posts')).json.posts).toEqual([]);
      expect((await b.request('GET', `/v1/posts?account=${acc}`)).json.posts).toEqual([]);
      expect((await b.request('GET', '/v1/accounts')).json.accounts.map((a: any) => a.id)).toEqual([theirAcc]);
      const theirPresets = (await b.request('GET', '/v1/presets')).json.presets;
      expect(theirPresets.map((p: any) => p.id)).toEqual(['preset_sys_all']);
      expect(theirPresets[0].accounts).toEqual([theirAcc]);
      // ...and the owner's things are untouched.
      expect((await t.request('GET', `/v1/posts/${post.id}`)).json).toMatchObject({ content: 'mine', status: 'scheduled' });
    });
  });

  describe('rate limits', () => {
    it('puts X-RateLimit-Limit/Remaining/Reset (Unix seconds) on every /v1 answer', async () => {
      const nowSeconds = clock.now() / 1000;
      const answers = [
        await t.request('GET', '/v1/posts'),
        await t.request('POST', '/v1/presets', { name: 'p' }),
        await t.request('GET', '/v1/posts/post_nothing'),
        await t.request('POST', '/v1/posts', '{"content":'),
        await t.request('GET', '/v1/no-such-route'),
        await send(t, { method: 'GET', url: '/v1/posts' }),
        await send(t, { method: 'GET', url: '/v1/openapi.json' }),
      ];
      for (const res of answers) {
        expect(Number(res.headers['x-ratelimit-limit'])).toBe(1000);
        const remaining = Number(res.headers['x-ratelimit-remaining']);
        expect(Number.isInteger(remaining)).toBe(true);
        const reset = Number(res.headers['x-ratelimit-reset']);
        expect(Number.isInteger(reset), String(res.headers['x-ratelimit-reset'])).toBe(true);
        expect(reset).toBeGreaterThan(nowSeconds);
        expect(reset).toBeLessThanOrEqual(nowSeconds + 60);
      }
      // The first five went out with the same key: its allowance counts down by one each time.
      expect(answers.slice(0, 5).map((r) => Number(r.headers['x-ratelimit-remaining']))).toEqual([999, 998, 997, 996, 995]);
    });

    it('answers 429 with Retry-After past the limit, per key, until the window turns', async () => {
      const small = await createTestApp(dialect, { clock, config: { rateLimitPerMinute: 3 } });
      try {
        for (let i = 0; i < 3; i++) {
          const ok = await small.request('GET', '/v1/posts');
          expect(ok.status).toBe(200);
          expect(Number(ok.headers['x-ratelimit-remaining'])).toBe(2 - i);
        }
        const limited = await small.request('GET', '/v1/posts');
        expectErrorBody(limited, 429, 'rate_limited');
        const retryAfter = Number(limited.headers['retry-after']);
        expect(Number.isInteger(retryAfter)).toBe(true);
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(60);
        expect(Number(limited.headers['x-ratelimit-remaining'])).toBe(0);
        expect(Number(limited.headers['x-ratelimit-limit'])).toBe(3);
        // A limited write does not happen.
        expectErrorBody(await small.request('POST', '/v1/presets', { name: 'late' }), 429, 'rate_limited');
        expect(await rowCounts(small)).toMatchObject({ presets: 0 });

        // Another key has its own allowance.
        const { key } = await small.app.services.users.createApiKey(small.userId, 'second', []);
        expect((await withKey(small, key)('GET', '/v1/posts')).status).toBe(200);

        clock.advance(retryAfter * 1000);
        expect((await small.request('GET', '/v1/posts')).status).toBe(200);
      } finally {
        await small.close();
      }
    });
  });

  describe('documents and settings', () => {
    it('serves the OpenAPI document without a key, listing the /v1/posts paths', async () => {
      const res = await send(t, { method: 'GET', url: '/v1/openapi.json' });
      expect(res.status).toBe(200);
      expect(res.json.openapi).toMatch(/^3\./);
      const paths = Object.keys(res.json.paths);
      for (const p of ['/v1/posts', '/v1/posts/{id}', '/v1/posts/{id}/schedule', '/v1/posts/{id}/cancel', '/v1/posts/{id}/publish', '/v1/accounts', '/v1/accounts/connect/{platform}', '/v1/accounts/connect/{platform}/callback', '/v1/platforms', '/v1/presets', '/v1/me']) {
        expect(paths).toContain(p);
      }
      expect(Object.keys(res.json.paths['/v1/posts'])).toEqual(expect.arrayContaining(['get', 'post']));
      // Every route may answer 503 (database away); those taking a body, 413 and 415 too.
      const codes = (path: string, method: string) => Object.keys(res.json.paths[path][method].responses);
      expect(codes('/v1/posts', 'post')).toEqual(expect.arrayContaining(['201', '400', '413', '415', '422', '503']));
      expect(codes('/v1/posts', 'get')).toContain('503');
      expect(codes('/v1/posts', 'get')).not.toContain('413');
      expect(res.json.info.description).toMatch(/400 when .* 422 when/);
      const createBody = res.json.paths['/v1/posts'].post.requestBody.content['application/json'].schema;
      const resolved = createBody.$ref ? res.json.components.schemas[createBody.$ref.split('/').pop()] : createBody;
      expect(resolved.properties.stagger_minutes).toMatchObject({ type: 'integer', minimum: 0, maximum: 1440 });
    });

    it('names an unexpected key as the field to fix, wherever it is', async () => {
      const acc = (await t.request('POST', '/v1/accounts', { platform: 'webhook', url: 'https://hooks.example.test/conventions', secret: 'secret-123' })).json.id;
      const top = await t.request('POST', '/v1/posts', { content: 'x', accounts: [acc], schedule_for: '2099-01-01T00:00:00Z' });
      expectErrorBody(top, 422, 'validation_failed');
      expect(top.json.details.field).toBe('schedule_for');
      expect(top.json.error).toMatch(/schedule_for/);
      const nested = await t.request('POST', '/v1/posts', { content: 'x', accounts: [acc], media: { images: [{ url: 'https://img.test/a.png', alt: 'no' }] } });
      expectErrorBody(nested, 422, 'validation_failed');
      expect(nested.json.details.field).toBe('media.images[0].alt');
    });

    it('reads and changes the time zone in /v1/me; an unknown zone is a 422', async () => {
      const me = await t.request('GET', '/v1/me');
      expect(me.status).toBe(200);
      expect(me.json).toMatchObject({ id: t.userId, timezone: null });

      const set = await t.request('PUT', '/v1/me', { timezone: 'Europe/Berlin' });
      expect(set.status).toBe(200);
      expect(set.json.timezone).toBe('Europe/Berlin');
      expect((await t.request('GET', '/v1/me')).json.timezone).toBe('Europe/Berlin');

      for (const zone of ['Mars/Olympus', 'Europe/Atlantis', '+01:00', '', 'Berlin', 'GMT+25']) {
        const res = await t.request('PUT', '/v1/me', { timezone: zone });
        expectErrorBody(res, 422, 'validation_failed');
        expect(res.json.details.field).toBe('timezone');
      }
      expectErrorBody(await t.request('PUT', '/v1/me', { timezone: 5 }), 400, 'bad_request');
      expectErrorBody(await t.request('PUT', '/v1/me', { timezone: 'UTC', email: 'x@example.com' }), 422, 'validation_failed');
      expect((await t.request('GET', '/v1/me')).json.timezone).toBe('Europe/Berlin');

      // Leaving the field out changes nothing; null goes back to "follow the browser".
      expect((await t.request('PUT', '/v1/me', {})).json.timezone).toBe('Europe/Berlin');
      expect((await t.request('PUT', '/v1/me', { timezone: null })).json.timezone).toBeNull();
    });
  });

  describe('bodies and validation', () => {
    it('reads an empty POST or DELETE body as {}, whatever its Content-Type', async () => {
      const acc = await connectWebhook(t.request, HOOK);
      const post = (await t.request('POST', '/v1/posts', { content: 'x', accounts: [acc], scheduled_for: at(HOUR) })).json;
      const contentTypes = [undefined, 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream', 'multipart/form-data; boundary=x'];
      for (const ct of contentTypes) {
        const headers = { ...bearer(t.key), ...(ct && { 'content-type': ct }) };
        const cancelled = await send(t, { method: 'POST', url: `/v1/posts/${post.id}/cancel`, headers, payload: '' });
        expect(cancelled.status, `cancel with ${ct}: ${cancelled.body}`).toBe(200);
        expect(cancelled.json.status).toBe('draft');
        await t.request('POST', `/v1/posts/${post.id}/schedule`, { scheduled_for: at(HOUR) });

        // An empty body where fields are required is a missing field, not a JSON error.
        const empty = await send(t, { method: 'POST', url: '/v1/posts', headers, payload: '' });
        expectErrorBody(empty, 400, 'bad_request');
        expect(empty.json.details.field).toBe('content');

        const preset = (await t.request('POST', '/v1/presets', { name: `p ${ct}` })).json;
        const deleted = await send(t, { method: 'DELETE', url: `/v1/presets/${preset.id}`, headers, payload: '' });
        expect(deleted.status, `delete with ${ct}: ${deleted.body}`).toBe(204);
      }
      // A body that is not empty must be JSON.
      const text = await send(t, { method: 'POST', url: `/v1/posts/${post.id}/cancel`, headers: { ...bearer(t.key), 'content-type': 'text/plain' }, payload: 'hello' });
      expectErrorBody(text, 415);
    });

    it('answers malformed JSON with 400, an oversized body with 413, an unknown route with 404 and a wrong method with 405', async () => {
      for (const body of ['{', '{"content": "x",}', "{'content': 'x'}", '[1, 2', 'nul', '{"content": "x"}}']) {
        const res = await t.request('POST', '/v1/posts', body);
        expectErrorBody(res, 400, 'bad_request');
      }
      const big = JSON.stringify({ content: 'x'.repeat(1024 * 1024) });
      expectErrorBody(await t.request('POST', '/v1/posts', big), 413);
      expectErrorBody(await t.request('POST', '/v1/presets', big), 413);
      const exactlyTooBig = `{"name":"${'y'.repeat(1024 * 1024 - 10)}"}`;
      expect(Buffer.byteLength(exactlyTooBig)).toBe(1024 * 1024 + 1);
      expectErrorBody(await t.request('POST', '/v1/presets', exactlyTooBig), 413);

      for (const [method, url] of [
        ['GET', '/v1/nothing-here'],
        ['GET', '/v1/posts/post_x/comments'],
        ['POST', '/v1/posts/post_x/unpublish'],
      ] as const) {
        const res = await t.request(method, url);
        expectErrorBody(res, 404, 'not_found');
      }
      for (const [method, url, allow] of [
        ['PATCH', '/v1/posts/post_x', 'DELETE, GET, HEAD, PUT'],
        ['DELETE', '/v1/posts', 'GET, HEAD, POST'],
        ['PUT', '/v1/posts', 'GET, HEAD, POST'],
        ['GET', '/v1/posts/post_x/publish', 'POST'],
      ] as const) {
        const res = await t.request(method, url);
        expectErrorBody(res, 405, 'method_not_allowed');
        expect(res.headers.allow, `${method} ${url}`).toBe(allow);
        expect(res.json.details.allow).toEqual(allow.split(', '));
      }
      expect(await rowCounts(t)).toEqual({ posts: 0, deliveries: 0, accounts: 0, presets: 0 });
    });

    it('keeps the error body for URLs the router cannot read', async () => {
      // Bad percent-encoding, and an id far longer than any id.
      expectErrorBody(await t.request('GET', '/v1/posts/%E0%A4%A'), 400, 'bad_request');
      const long = await t.request('GET', `/v1/posts/post_${'a'.repeat(300)}`);
      expect(long.status).toBeGreaterThanOrEqual(400);
      expect(long.status).toBeLessThan(500);
      expectErrorBody(long);
    });

    it('checks limits, times, content and platforms with 422 naming what is wrong', async () => {
      const acc = await connectWebhook(t.request, HOOK);
      expect((await t.request('GET', '/v1/posts?limit=500')).status).toBe(200);
      for (const limit of ['501', '100000', '0', '-1']) {
        const res = await t.request('GET', `/v1/posts?limit=${limit}`);
        expectErrorBody(res, 422, 'validation_failed');
        expect(res.json.details.field).toBe('querystring.limit');
      }

      const past = await t.request('POST', '/v1/posts', { content: 'x', accounts: [acc], scheduled_for: at(-1000) });
      expectErrorBody(past, 422, 'validation_failed');
      expect(past.json.details.field).toBe('scheduled_for');

      for (const content of ['', ' ', '\n\t ']) {
        const res = await t.request('POST', '/v1/posts', { content, accounts: [acc] });
        expectErrorBody(res, 422, 'validation_failed');
        expect(res.json.details.field).toBe('content');
      }

      const tooLong = await t.request('POST', '/v1/posts', { content: 'a'.repeat(100_001), accounts: [acc] });
      expectErrorBody(tooLong, 422, 'validation_failed');
      expect(tooLong.json.details).toMatchObject({ field: 'content', platform: 'webhook', limit: 100_000, count: 100_001 });
      // The limit counts characters as people see them, not UTF-16 units.
      expect((await t.request('POST', '/v1/posts', { content: '👍'.repeat(100_000), accounts: [acc] })).status).toBe(201);
      const emoji = await t.request('POST', '/v1/posts', { content: `${'👍'.repeat(99_999)}é👍`, accounts: [acc] });
      expectErrorBody(emoji, 422, 'validation_failed');
      expect(emoji.json.details).toMatchObject({ platform: 'webhook', limit: 100_000, count: 100_001 });
      expect((await t.request('POST', '/v1/posts', { content: 'a'.repeat(100_000), accounts: [acc] })).status).toBe(201);

      // Editing into a too-long text is refused the same way, and the post keeps its text.
      const draft = (await t.request('POST', '/v1/posts', { content: 'short', accounts: [acc] })).json;
      const edit = await t.request('PUT', `/v1/posts/${draft.id}`, { content: 'b'.repeat(100_001) });
      expectErrorBody(edit, 422, 'validation_failed');
      expect(edit.json.details).toMatchObject({ platform: 'webhook', limit: 100_000, count: 100_001 });
      expect((await t.request('GET', `/v1/posts/${draft.id}`)).json.content).toBe('short');

      const unknown = await t.request('POST', '/v1/posts', { content: 'x', platforms: ['friendster'] });
      expectErrorBody(unknown, 422, 'validation_failed');
      expect(unknown.json.details.field).toBe('platforms[0]');
      const unknownAccount = await t.request('POST', '/v1/accounts', { platform: 'friendster', url: HOOK, secret: 'long-enough' });
      expectErrorBody(unknownAccount, 422, 'validation_failed');
      expect(unknownAccount.json.details.field).toBe('platform');

      const extra = await t.request('POST', '/v1/posts', { content: 'x', accounts: [acc], colour: 'blue' });
      expectErrorBody(extra, 422, 'validation_failed');
    });

    it('refuses text with NUL characters on every database alike, never with a 500', async () => {
      const acc = await connectWebhook(t.request, HOOK);
      const before = await snapshotTables(t);
      const attempts: [string, string, unknown?][] = [
        ['POST', '/v1/posts', { content: 'a\u0000b', accounts: [acc] }],
        ['POST', '/v1/presets', { name: 'a\u0000b' }],
        ['POST', '/v1/accounts', { platform: 'webhook', url: `${HOOK}/nul`, secret: 'long-enough', display_name: 'a\u0000b' }],
        ['POST', '/v1/posts', { content: 'x', preset_id: 'preset_\u0000' }],
        ['GET', '/v1/posts/post_%00'],
        ['GET', '/v1/posts?account=acc_%00'],
        ['DELETE', '/v1/presets/preset_%00'],
      ];
      for (const [method, url, body] of attempts) {
        const res = await t.request(method, url, body);
        expectErrorBody(res, 400, 'bad_request');
      }
      expect(await snapshotTables(t)).toEqual(before);
    });

    it('refuses a scheduled_for the server cannot represent, instead of failing after storing it', async () => {
      const a = await connectWebhook(t.request, HOOK);
      const b = await connectWebhook(t.request, `${HOOK}/2`);
      const before = await snapshotTables(t);
      for (const scheduled_for of ['+275760-09-13T00:00:00.000Z', '+100000-01-01T00:00:00.000Z', '10000-01-01T00:00:00.000Z']) {
        const res = await t.request('POST', '/v1/posts', { content: 'x', accounts: [a, b], scheduled_for, stagger_minutes: 60 });
        expectErrorBody(res, 422, 'validation_failed');
        expect(res.json.details.field).toBe('scheduled_for');
      }
      expect(await snapshotTables(t)).toEqual(before);
      // The last representable years are fine.
      const late = await t.request('POST', '/v1/posts', { content: 'x', accounts: [a, b], scheduled_for: '9999-12-31T23:00:00.000Z', stagger_minutes: 1440 });
      expect(late.status).toBe(201);
      expect(late.json.deliveries).toHaveLength(2);
    });

    it('refuses an empty scheduled_for on create as on every other route, instead of making a draft', async () => {
      const acc = await connectWebhook(t.request, HOOK);
      const res = await t.request('POST', '/v1/posts', { content: 'x', accounts: [acc], scheduled_for: '' });
      expectErrorBody(res, 422, 'validation_failed');
      expect(res.json.details.field).toBe('scheduled_for');
      expect(await rowCounts(t)).toMatchObject({ posts: 0 });
      // null is the way to say "no time yet".
      expect((await t.request('POST', '/v1/posts', { content: 'x', accounts: [acc], scheduled_for: null })).json.status).toBe('draft');
    });
  });
});
