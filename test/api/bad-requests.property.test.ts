import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POST_STATUSES } from '../../src/core/statuses.js';
import { bearer, connectWebhook, expectErrorBody, otherUser, type RawRequest, send, snapshotTables } from '../helpers/api-client.js';
import { dialects } from '../helpers/databases.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * A generated stream of bad requests to many endpoints. Whatever the request, the answer must
 * be a 4xx (never a 5xx, never a success) with the error body, and no table may change.
 */
interface BadRequest extends RawRequest {
  kind: string;
  /** Statuses this kind of mistake may get; every one is a 4xx. */
  expect: number[];
}

const DAY = 86_400_000;
const MB = 1024 * 1024;

interface Fixtures {
  key: string;
  readerKey: string;
  otherKey: string;
  account: string;
  draft: string;
  scheduled: string;
  preset: string;
  otherAccount: string;
  otherPost: string;
  otherPreset: string;
}

describe.each(await dialects())('bad requests on %s', (dialect) => {
  let t: TestApp;
  let fx: Fixtures;
  const clock = new FakeClock();

  beforeAll(async () => {
    t = await createTestApp(dialect, { clock, config: { rateLimitPerMinute: 1_000_000 } });
    const account = await connectWebhook(t.request, 'http://127.0.0.1:9/a');
    await connectWebhook(t.request, 'http://127.0.0.1:9/b');
    const draft = (await t.request('POST', '/v1/posts', { content: 'draft', accounts: [account] })).json.id;
    const scheduled = (await t.request('POST', '/v1/posts', { content: 'later', accounts: [account], scheduled_for: new Date(clock.now() + DAY).toISOString() })).json.id;
    const preset = (await t.request('POST', '/v1/presets', { name: 'Mine', accounts: [account] })).json.id;
    await t.request('PUT', '/v1/me', { timezone: 'Europe/Berlin' });
    const reader = await t.app.services.users.createApiKey(t.userId, 'reader', ['posts:read']);
    const other = await otherUser(t);
    const otherAccount = await connectWebhook(other.request, 'http://127.0.0.1:9/other');
    const otherPost = (await other.request('POST', '/v1/posts', { content: 'theirs', accounts: [otherAccount] })).json.id;
    const otherPreset = (await other.request('POST', '/v1/presets', { name: 'Theirs' })).json.id;
    fx = { key: t.key, readerKey: reader.key, otherKey: other.key, account, draft, scheduled, preset, otherAccount, otherPost, otherPreset };
    for (const id of [draft, scheduled, preset, otherPost, otherPreset]) expect(id).toEqual(expect.any(String));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers every bad request with a 4xx error body and changes nothing', async () => {
    const initial = await snapshotTables(t);
    await fc.assert(
      fc.asyncProperty(badRequests(fx, clock, (name) => t.app.ctx.platforms.get(name) !== undefined), async (req) => {
        // Taken per request, so that a failure (and its shrinking) names the request that wrote.
        const before = await snapshotTables(t);
        const res = await send(t, req);
        const what = `${req.kind}: ${req.method} ${req.url.slice(0, 200)} ${typeof req.payload === 'string' ? req.payload.slice(0, 200) : JSON.stringify(req.payload)?.slice(0, 200)} → ${res.status} ${res.body.slice(0, 300)}`;
        expect(res.status, what).toBeGreaterThanOrEqual(400);
        expect(res.status, what).toBeLessThan(500);
        expect(req.expect, what).toContain(res.status);
        expectErrorBody(res);
        expect(await snapshotTables(t), what).toEqual(before);
      }),
      // OCTOPOST_FC_RUNS=5000 for a longer hunt; 150 keeps the file quick.
      { numRuns: Number(process.env.OCTOPOST_FC_RUNS ?? 150) },
    );
    expect(await snapshotTables(t)).toEqual(initial);
  }, 120_000);
});

function badRequests(fx: Fixtures, clock: FakeClock, isPlatform: (name: string) => boolean): fc.Arbitrary<BadRequest> {
  const owner = bearer(fx.key);
  const future = () => new Date(clock.now() + 2 * DAY).toISOString();
  const req = (kind: string, method: string, url: string, payload: unknown, expected: number[], headers: Record<string, string> = owner): BadRequest => ({
    kind,
    method,
    url,
    headers,
    ...(payload !== undefined && { payload }),
    expect: expected,
  });
  const withField = (base: Record<string, unknown>, key: string, value: unknown) => Object.fromEntries([...Object.entries(base), [key, value]]);
  const validPost = () => ({ content: 'fine', accounts: [fx.account] });

  // --- malformed JSON -------------------------------------------------------------------------
  const jsonTargets: [string, string][] = [
    ['POST', '/v1/posts'],
    ['PUT', `/v1/posts/${fx.draft}`],
    ['POST', `/v1/posts/${fx.scheduled}/schedule`],
    ['POST', `/v1/posts/${fx.scheduled}/cancel`],
    ['POST', `/v1/posts/${fx.draft}/publish`],
    ['DELETE', `/v1/posts/${fx.draft}`],
    ['POST', '/v1/accounts'],
    ['DELETE', `/v1/accounts/${fx.account}`],
    ['POST', '/v1/presets'],
    ['PUT', `/v1/presets/${fx.preset}`],
    ['DELETE', `/v1/presets/${fx.preset}`],
    ['PUT', '/v1/me'],
  ];
  const parses = (s: string) => {
    try {
      JSON.parse(s);
      return true;
    } catch {
      return false;
    }
  };
  const malformed = fc
    .oneof(
      fc.constantFrom('{', '{"content":', '{"content": "x",}', "{'content': 'x'}", '[1, 2', 'nul', 'undefined', '{"a":1}}', '{"a" 1}', '\u0000', '{"name":"x"', 'NaN'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
      fc.jsonValue().map((v) => `${JSON.stringify(v)},`),
    )
    .filter((s) => s.trim() !== '' && !parses(s));
  const malformedJson = fc
    .tuple(fc.constantFrom(...jsonTargets), malformed)
    .map(([[method, url], body]) => req('malformed JSON', method, url, body, [400]));

  // --- wrong types ----------------------------------------------------------------------------
  const small = { maxLength: 3 };
  const notString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), small), fc.dictionary(fc.string(small), fc.integer(), { maxKeys: 2 }));
  const notStringNorNull = notString.filter((v) => v !== null);
  const notArray = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.string(small), fc.dictionary(fc.string(small), fc.string(small), { maxKeys: 2 }));
  const notStringArray = fc.oneof(notArray, fc.array(fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(small), small)), { minLength: 1, maxLength: 3 }));
  const notBool = fc.oneof(fc.integer(), fc.constant(null), fc.constantFrom('true', 'yes', '1', ''), fc.array(fc.boolean(), small));
  const notInt = fc.oneof(fc.string(small), fc.boolean(), fc.constant(null), fc.double({ noInteger: true }), fc.array(fc.integer(), small));
  const notMedia = fc.oneof(fc.string(small), fc.integer(), fc.constant(null), fc.array(fc.integer(), small), fc.constant({ images: 'x' }), fc.constant({ images: [{ url: 5 }] }), fc.constant({ images: [{}] }));
  const notSegments = fc.oneof(fc.string(small), fc.integer(), fc.constant(null), fc.array(fc.integer(), { minLength: 1, maxLength: 3 }), fc.constant([{ content: 5 }]), fc.constant([{}]));
  const notRecord = fc.oneof(fc.string(small), fc.integer(), fc.constant(null), fc.array(fc.integer(), small));
  const postFields: [string, fc.Arbitrary<unknown>][] = [
    ['content', notString],
    ['accounts', notStringArray],
    ['platforms', notStringArray],
    ['preset_id', notString],
    ['scheduled_for', notStringNorNull],
    ['media', notMedia],
    ['segments', notSegments],
    ['thread', notSegments],
    ['stagger_minutes', notInt],
    ['platform_options', notRecord],
  ];
  const presetFields: [string, fc.Arbitrary<unknown>][] = [
    ['name', notString],
    ['accounts', notStringArray],
    ['platforms', notStringArray],
    ['primary_platform', notStringNorNull],
    ['cross_link_enabled', notBool],
    ['cross_link_template', notStringNorNull],
    ['is_default', notBool],
  ];
  const typed = (kind: string, method: string, url: string, base: () => Record<string, unknown>, fields: [string, fc.Arbitrary<unknown>][]) =>
    fc.oneof(...fields.map(([field, bad]) => bad.map((v) => req(`wrong type (${field})`, method, url, withField(base(), field, v), [400, 422]))));
  const wrongTypes = fc.oneof(
    typed('post', 'POST', '/v1/posts', validPost, postFields),
    typed('post', 'PUT', `/v1/posts/${fx.draft}`, () => ({}), postFields),
    typed('post', 'PUT', `/v1/posts/${fx.scheduled}`, () => ({}), postFields),
    typed('schedule', 'POST', `/v1/posts/${fx.draft}/schedule`, () => ({}), [['scheduled_for', notString]]),
    typed('retry', 'POST', `/v1/posts/${fx.draft}/retry`, () => ({}), [['accounts', notStringArray]]),
    typed('preset', 'POST', '/v1/presets', () => ({ name: 'p' }), presetFields),
    typed('preset', 'PUT', `/v1/presets/${fx.preset}`, () => ({}), presetFields),
    typed('me', 'PUT', '/v1/me', () => ({}), [['timezone', notStringNorNull]]),
    typed('account', 'POST', '/v1/accounts', () => ({ platform: 'webhook', url: 'http://127.0.0.1:9/new', secret: 'long-enough-secret' }), [
      ['platform', notString],
      ['url', notString],
      ['secret', notString],
      ['display_name', notString],
    ]),
  );

  // --- ids that are unknown, or someone else's ------------------------------------------------
  const fakeId = (prefix: string) => fc.stringMatching(/^[0-9a-z]{1,40}$/).map((s) => `${prefix}${s}`);
  const postRoutes = (id: string, kind: string, headers: Record<string, string> = owner): BadRequest[] => [
    req(kind, 'GET', `/v1/posts/${id}`, undefined, [404], headers),
    req(kind, 'PUT', `/v1/posts/${id}`, { content: 'x' }, [404], headers),
    req(kind, 'DELETE', `/v1/posts/${id}`, undefined, [404], headers),
    req(kind, 'POST', `/v1/posts/${id}/schedule`, { scheduled_for: future() }, [404], headers),
    req(kind, 'POST', `/v1/posts/${id}/cancel`, undefined, [404], headers),
    req(kind, 'POST', `/v1/posts/${id}/publish`, undefined, [404], headers),
    req(kind, 'POST', `/v1/posts/${id}/retry`, {}, [404], headers),
  ];
  const accountRoutes = (id: string, kind: string, headers: Record<string, string> = owner): BadRequest[] => [
    req(kind, 'GET', `/v1/accounts/${id}`, undefined, [404], headers),
    req(kind, 'DELETE', `/v1/accounts/${id}`, undefined, [404], headers),
  ];
  const presetRoutes = (id: string, kind: string, headers: Record<string, string> = owner): BadRequest[] => [
    req(kind, 'GET', `/v1/presets/${id}`, undefined, [404], headers),
    req(kind, 'PUT', `/v1/presets/${id}`, { name: 'x' }, [404], headers),
    req(kind, 'DELETE', `/v1/presets/${id}`, undefined, [404], headers),
  ];
  const references = (account: string, preset: string, kind: string, headers: Record<string, string> = owner): BadRequest[] => [
    req(kind, 'POST', '/v1/posts', { content: 'x', accounts: [account] }, [422], headers),
    req(kind, 'POST', '/v1/posts', { content: 'x', preset_id: preset }, [422], headers),
    req(kind, 'POST', '/v1/presets', { name: 'x', accounts: [account] }, [422], headers),
  ];
  const pick = (make: (id: string) => BadRequest[], ids: fc.Arbitrary<string>) =>
    fc.tuple(ids, fc.nat()).map(([id, n]) => {
      const all = make(id);
      return all[n % all.length]!;
    });
  const unknownIds = fc.oneof(
    pick((id) => postRoutes(id, 'unknown post id'), fakeId('post_')),
    pick((id) => accountRoutes(id, 'unknown account id'), fakeId('acc_')),
    pick((id) => presetRoutes(id, 'unknown preset id'), fakeId('preset_')),
    pick((id) => references(id, id.replace('acc_', 'preset_'), 'unknown id in the body'), fakeId('acc_')),
    pick((id) => [req('unknown id in retry', 'POST', `/v1/posts/${fx.draft}/retry`, { accounts: [id] }, [422])], fakeId('acc_')),
    // Anything at all in the id's place: a 4xx (404, or 400/414 for what cannot be an id).
    pick(
      (id) => [...postRoutes(id, 'odd id'), ...accountRoutes(id, 'odd id'), ...presetRoutes(id, 'odd id')].map((r) => ({ ...r, expect: [400, 404, 414, 422] })),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 120 }).map(encodeURIComponent),
    ),
  );
  const otherUsers = fc.constantFrom(
    ...postRoutes(fx.otherPost, "someone else's post"),
    ...accountRoutes(fx.otherAccount, "someone else's account"),
    ...presetRoutes(fx.otherPreset, "someone else's preset"),
    ...references(fx.otherAccount, fx.otherPreset, "someone else's ids in the body"),
    ...postRoutes(fx.draft, 'their key on my post', bearer(fx.otherKey)),
    ...postRoutes(fx.scheduled, 'their key on my post', bearer(fx.otherKey)),
    ...accountRoutes(fx.account, 'their key on my account', bearer(fx.otherKey)),
    ...presetRoutes(fx.preset, 'their key on my preset', bearer(fx.otherKey)),
    ...references(fx.account, fx.preset, 'my ids in their body', bearer(fx.otherKey)),
  );

  // --- times ----------------------------------------------------------------------------------
  const pastIso = fc.integer({ min: 0, max: 20 * 365 * DAY }).map((ago) => new Date(clock.now() - ago).toISOString());
  const notAFutureTime = fc.string({ maxLength: 30 }).filter((s) => {
    const at = Date.parse(s);
    return Number.isNaN(at) || at <= clock.now();
  });
  const badTime = fc.oneof(pastIso, notAFutureTime, fc.constantFrom('', 'tomorrow', '+010000-01-01T00:00:00.000Z', '+275760-09-13T00:00:00.000Z'));
  const badTimes = fc.tuple(badTime, fc.nat()).map(([when, n]) => {
    const all = [
      req('bad time', 'POST', '/v1/posts', { ...validPost(), scheduled_for: when }, [422]),
      req('bad time', 'PUT', `/v1/posts/${fx.draft}`, { scheduled_for: when }, [422]),
      req('bad time', 'PUT', `/v1/posts/${fx.scheduled}`, { content: 'moved', scheduled_for: when }, [422]),
      req('bad time', 'POST', `/v1/posts/${fx.draft}/schedule`, { scheduled_for: when }, [422]),
      req('bad time', 'POST', `/v1/posts/${fx.scheduled}/schedule`, { scheduled_for: when }, [422]),
    ];
    return all[n % all.length]!;
  });

  // --- time zones -----------------------------------------------------------------------------
  const isZone = (zone: string) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  };
  const badZones = fc
    .oneof(
      fc.constantFrom('Mars/Olympus', '+01:00', 'Europe/Atlantis', 'GMT+25', '', ' UTC', 'UTC ', 'Europe/Berlin/Mitte', 'Berlin', 'a'.repeat(101)),
      fc.string({ unit: 'binary', maxLength: 120 }),
    )
    .filter((zone) => !isZone(zone))
    .map((zone) => req('bad time zone', 'PUT', '/v1/me', { timezone: zone }, [400, 422]));

  // --- content --------------------------------------------------------------------------------
  const blank = fc.oneof(fc.stringMatching(/^[ \t\n\r]{0,20}$/), fc.constantFrom('\u00a0', '\u2003', '\ufeff', '\u3000 \n', '\u2028'));
  const emptyContent = fc.tuple(blank, fc.nat()).map(([content, n]) => {
    const all = [
      req('empty content', 'POST', '/v1/posts', { content, accounts: [fx.account] }, [422]),
      req('empty content', 'PUT', `/v1/posts/${fx.draft}`, { content }, [422]),
      req('empty content', 'PUT', `/v1/posts/${fx.scheduled}`, { content }, [422]),
    ];
    return all[n % all.length]!;
  });

  // --- oversized bodies -----------------------------------------------------------------------
  const bigTargets: [string, string, string][] = [
    ['POST', '/v1/posts', 'content'],
    ['PUT', `/v1/posts/${fx.draft}`, 'content'],
    ['POST', '/v1/presets', 'name'],
    ['PUT', `/v1/presets/${fx.preset}`, 'name'],
    ['POST', '/v1/accounts', 'display_name'],
    ['PUT', '/v1/me', 'timezone'],
  ];
  const oversized = fc
    .tuple(fc.constantFrom(...bigTargets), fc.integer({ min: MB + 1, max: MB + 4096 }), fc.constantFrom('application/json', 'text/plain'))
    .map(([[method, url, field], size, type]) => {
      const head = `{"${field}":"`;
      const body = `${head}${'x'.repeat(size - head.length - 2)}"}`;
      return req('oversized body', method, url, body, [413], { ...owner, 'content-type': type });
    });

  // --- platforms and account URLs ---------------------------------------------------------------
  const platformName = fc
    .oneof(fc.constantFrom('myspace', 'friendster', 'Webhook', 'WEBHOOK', 'webhooks', ' webhook', 'webhook ', 'web hook', ''), fc.string({ maxLength: 60 }))
    .filter((name) => !isPlatform(name));
  const unknownPlatforms = fc.tuple(platformName, fc.nat()).map(([name, n]) => {
    const all = [
      req('unknown platform', 'POST', '/v1/posts', { content: 'x', platforms: [name] }, [422]),
      req('unknown platform', 'PUT', `/v1/posts/${fx.draft}`, { platforms: [name] }, [422]),
      req('unknown platform', 'POST', '/v1/presets', { name: 'p', platforms: [name] }, [422]),
      req('unknown platform', 'PUT', `/v1/presets/${fx.preset}`, { platforms: [name] }, [422]),
      req('unknown platform', 'POST', '/v1/accounts', { platform: name, url: 'http://127.0.0.1:9/new', secret: 'long-enough-secret' }, [422]),
    ];
    return all[n % all.length]!;
  });
  const badUrl = fc.oneof(
    fc.constantFrom(
      'ftp://example.com/hook',
      'javascript:alert(1)',
      'JavaScript:alert(1)',
      'file:///etc/passwd',
      'data:text/plain,hi',
      'mailto:a@example.com',
      'ws://example.com/socket',
      'gopher://example.com/',
      '/relative/hook',
      'example.com/hook',
      '//example.com/hook',
      'not a url',
      '',
      'http://',
      'https://user:pw@example.com/hook',
    ),
    fc.tuple(fc.constantFrom('ftp:', 'file:', 'ws:', 'wss:', 'ssh:', 'javascript:', 'data:', 'blob:'), fc.webUrl()).map(([scheme, url]) => url.replace(/^https?:/, scheme)),
  );
  const badAccountUrls = badUrl.map((url) => req('bad account URL', 'POST', '/v1/accounts', { platform: 'webhook', url, secret: 'long-enough-secret' }, [422]));

  // --- unknown fields -------------------------------------------------------------------------
  const unknownKey = (known: string[]) =>
    fc
      .oneof(fc.constantFrom('id', 'status', 'user_id', 'created_at', 'is_system', '__proto__', 'constructor', 'toString', 'Content', 'scheduledFor', 'deliveries', 'email'), fc.string({ minLength: 1, maxLength: 20 }))
      .filter((k) => !known.includes(k));
  const postKnown = ['content', 'scheduled_for', 'media', 'segments', 'thread', 'platform_options', 'stagger_minutes', 'accounts', 'platforms', 'preset_id'];
  const presetKnown = ['name', 'accounts', 'platforms', 'primary_platform', 'cross_link_enabled', 'cross_link_template', 'is_default'];
  const extra = (kind: string, method: string, url: string, base: () => Record<string, unknown>, known: string[]) =>
    fc.tuple(unknownKey(known), fc.oneof(fc.string(small), fc.integer(), fc.boolean())).map(([key, value]) => req(`unknown field ${JSON.stringify(key)}`, method, url, withField(base(), key, value), [400, 422]));
  const unknownFields = fc.oneof(
    extra('post', 'POST', '/v1/posts', validPost, postKnown),
    extra('post', 'PUT', `/v1/posts/${fx.draft}`, () => ({ content: 'fine' }), postKnown),
    extra('schedule', 'POST', `/v1/posts/${fx.draft}/schedule`, () => ({ scheduled_for: future() }), ['scheduled_for']),
    extra('retry', 'POST', `/v1/posts/${fx.draft}/retry`, () => ({}), ['accounts']),
    extra('preset', 'POST', '/v1/presets', () => ({ name: 'fine' }), presetKnown),
    extra('preset', 'PUT', `/v1/presets/${fx.preset}`, () => ({ name: 'fine' }), presetKnown),
    extra('me', 'PUT', '/v1/me', () => ({ timezone: 'UTC' }), ['timezone']),
  );

  // --- query parameters -----------------------------------------------------------------------
  const q = (params: [string, string][]) => `/v1/posts?${params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;
  const badLimit = fc.oneof(
    fc.integer({ min: 501, max: 1e9 }).map(String),
    fc.integer({ min: -1e9, max: 0 }).map(String),
    fc.constantFrom('abc', '1.5', '', 'NaN', 'Infinity', '-0', '1e3', '0x', '5e2x', '１０', '10 10'),
  );
  const notStatus = fc.string({ maxLength: 20 }).filter((s) => !(POST_STATUSES as readonly string[]).includes(s));
  const queryKnown = ['status', 'account', 'from', 'to', 'limit', 'cursor'];
  const badQueries = fc
    .oneof(
      badLimit.map((v) => [['limit', v]] as [string, string][]),
      notStatus.map((v) => [['status', 'draft'], ['status', v]] as [string, string][]),
      notStatus.map((v) => [['status', v]] as [string, string][]),
      fc.string({ maxLength: 30 }).filter((s) => Number.isNaN(Date.parse(s))).map((v) => [['from', v]] as [string, string][]),
      fc.string({ maxLength: 30 }).filter((s) => Number.isNaN(Date.parse(s))).map((v) => [['to', v]] as [string, string][]),
      fc.tuple(pastIso, fc.integer({ min: 0, max: 1e9 })).map(([from, gap]) => [['from', from], ['to', new Date(Date.parse(from) - gap).toISOString()]] as [string, string][]),
      fc.string({ minLength: 1, maxLength: 250 }).map((v) => [['cursor', v]] as [string, string][]),
      fc.tuple(fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !queryKnown.includes(k)), fc.string({ maxLength: 10 })).map(([k, v]) => [[k, v]] as [string, string][]),
      fc.tuple(fc.constantFrom('limit', 'account', 'from', 'to', 'cursor'), fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })).map(([k, a, b]) => [[k, a], [k, b]] as [string, string][]),
    )
    .map((params) => req('bad query', 'GET', q(params), undefined, [400, 422]));

  // --- keys, scopes, conflicts, media types ---------------------------------------------------
  const endpoints: [string, string, unknown][] = [
    ['GET', '/v1/posts', undefined],
    ['POST', '/v1/posts', { content: 'x', accounts: [fx.account] }],
    ['GET', `/v1/posts/${fx.draft}`, undefined],
    ['PUT', `/v1/posts/${fx.draft}`, { content: 'x' }],
    ['DELETE', `/v1/posts/${fx.draft}`, undefined],
    ['POST', `/v1/posts/${fx.scheduled}/cancel`, undefined],
    ['POST', '/v1/accounts', { platform: 'webhook', url: 'http://127.0.0.1:9/new', secret: 'long-enough-secret' }],
    ['DELETE', `/v1/accounts/${fx.account}`, undefined],
    ['POST', '/v1/presets', { name: 'x' }],
    ['DELETE', `/v1/presets/${fx.preset}`, undefined],
    ['PUT', '/v1/me', { timezone: 'UTC' }],
  ];
  const badAuthorization = fc.oneof(
    fc.constant(undefined),
    fc.string({ maxLength: 40 }),
    fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`),
    fc.stringMatching(/^[A-Za-z0-9_-]{10,60}$/).map((s) => `Bearer oct_live_${s}`),
    fc.constant(`Bearer ${fx.key.slice(0, -2)}`),
    fc.constant(`Basic ${fx.key}`),
  );
  const badKeys = fc.tuple(fc.constantFrom(...endpoints), badAuthorization).map(([[method, url, body], auth]) =>
    req('bad key', method, url, body, [401], auth === undefined ? {} : { authorization: auth }),
  );
  const narrowKey = fc
    .constantFrom(...endpoints.filter(([method, url]) => !(method === 'GET' && url.startsWith('/v1/posts')) && url !== '/v1/me'))
    .map(([method, url, body]) => req('posts:read key', method, url, body, [403], bearer(fx.readerKey)));
  const conflicts = fc.constantFrom(
    req('cancel a draft', 'POST', `/v1/posts/${fx.draft}/cancel`, undefined, [409]),
    req('retry with nothing to retry', 'POST', `/v1/posts/${fx.draft}/retry`, {}, [409]),
    req('retry with nothing to retry', 'POST', `/v1/posts/${fx.scheduled}/retry`, undefined, [409]),
    req('change a built-in preset', 'PUT', '/v1/presets/preset_sys_all', { name: 'x' }, [403]),
    req('delete a built-in preset', 'DELETE', '/v1/presets/preset_sys_all', undefined, [403]),
  );
  const mediaTypes = fc
    .tuple(fc.constantFrom(...endpoints.filter(([, , body]) => body !== undefined)), fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x'))
    .map(([[method, url, body], type]) => req('not JSON', method, url, type.startsWith('application/x-www') ? 'name=x' : JSON.stringify(body), [415], { ...owner, 'content-type': type }));
  const noRoute = fc
    .tuple(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'), fc.constantFrom('/v1/post', '/v1/posts/x/y/z', '/v1/accounts/x/posts', '/v1/presetz', '/v1/posts/x/unpublish', '/v1/'))
    .map(([method, url]) => req('no such route', method, url, undefined, [404]));
  // PostgreSQL cannot store U+0000 in text; SQLite can. Either way it must be refused alike.
  const withNul = fc.tuple(fc.string(small), fc.string(small)).map(([a, b]) => `${a}\u0000${b}`);
  const nulText = fc.tuple(withNul, fc.nat()).map(([text, n]) => {
    const all = [
      req('NUL in text', 'POST', '/v1/posts', { content: text, accounts: [fx.account] }, [400]),
      req('NUL in text', 'PUT', `/v1/posts/${fx.draft}`, { content: text }, [400]),
      req('NUL in text', 'POST', '/v1/posts', { content: 'x', preset_id: text }, [400]),
      req('NUL in text', 'POST', '/v1/presets', { name: text }, [400]),
      req('NUL in text', 'PUT', `/v1/presets/${fx.preset}`, { cross_link_template: text }, [400]),
      req('NUL in text', 'POST', '/v1/accounts', { platform: 'webhook', url: 'http://127.0.0.1:9/new', secret: 'long-enough-secret', display_name: text }, [400]),
      req('NUL in text', 'PUT', '/v1/me', { timezone: text }, [400]),
      req('NUL in text', 'GET', `/v1/posts/${encodeURIComponent(text)}`, undefined, [400]),
      req('NUL in text', 'DELETE', `/v1/accounts/${encodeURIComponent(text)}`, undefined, [400]),
      req('NUL in text', 'GET', q([['account', text]]), undefined, [400]),
    ];
    return all[n % all.length]!;
  });
  const nesting = fc.integer({ min: 33, max: 20_000 }).map((depth) =>
    req('deeply nested JSON', 'POST', '/v1/posts', `{"content":"x","accounts":["${fx.account}"],"platform_options":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}`, [400]),
  );

  return fc.oneof(
    malformedJson,
    wrongTypes,
    unknownIds,
    otherUsers,
    badTimes,
    badZones,
    emptyContent,
    oversized,
    unknownPlatforms,
    badAccountUrls,
    unknownFields,
    badQueries,
    badKeys,
    narrowKey,
    conflicts,
    mediaTypes,
    noRoute,
    nulText,
    nesting,
  );
}
