import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkContent, countFor } from '../../src/core/content-rules.js';
import { type ConnectedAccount, type PlatformAdapter, RefreshError } from '../../src/platforms/platform.js';
import { createXPlatform } from '../../src/platforms/x.platform.js';
import { XFake } from '../peers/x-fake.js';
import { publishRequest, runConformance } from './conformance.js';

const CALLBACK = 'https://octopost.test/v1/accounts/connect/x/callback';
const CLIENT = { id: 'T2N0b3Bvc3RUZXN0Q2xpZW50OjE6Y2k', secret: 'x-secret-for-the-local-fake', callbackUrls: [CALLBACK] };

async function setUp(): Promise<{ fake: XFake; adapter: PlatformAdapter<never> }> {
  const fake = await new XFake(CLIENT).start();
  const adapter = createXPlatform({ clientId: CLIENT.id, clientSecret: CLIENT.secret, apiBaseUrl: fake.url, authorizeUrl: `${fake.url}/i/oauth2/authorize` });
  return { fake, adapter };
}

const noClients = { get: async () => undefined, put: async () => {} };

/** Plays the browser: checks the authorize URL as x.com reads it, consents, and brings the code back. */
async function connect(fake: XFake, adapter: PlatformAdapter<never>, tamper?: (remember: Record<string, unknown>) => void): Promise<ConnectedAccount> {
  const state = `st_${Math.random().toString(36).slice(2)}`;
  const { authorizeUrl, remember } = await adapter.oauth!.start({}, { blockPrivateUrls: false, redirectUri: CALLBACK, state, clients: noClients });
  const url = new URL(authorizeUrl);
  const q = url.searchParams;
  expect(`${url.origin}${url.pathname}`).toBe(`${fake.url}/i/oauth2/authorize`);
  expect(Object.fromEntries(q)).toMatchObject({
    response_type: 'code',
    client_id: CLIENT.id,
    redirect_uri: CALLBACK,
    scope: 'tweet.read tweet.write users.read media.write offline.access',
    state,
    code_challenge_method: 'S256',
  });
  expect(url.search).toContain('scope=tweet.read%20tweet.write%20');
  expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  // The verifier stays on our side: only its hash travels through the browser.
  expect(authorizeUrl).not.toContain(String(remember.code_verifier));
  const { code } = fake.approve(url);
  const remembered = JSON.parse(JSON.stringify(remember)); // as stored between the two requests
  tamper?.(remembered);
  return adapter.oauth!.finish(code, remembered, { blockPrivateUrls: false, redirectUri: CALLBACK, clients: noClients });
}

runConformance('x', async () => {
  const { fake, adapter } = await setUp();
  return {
    adapter,
    connectAccount: () => connect(fake, adapter),
    published: async () => fake.published(),
    failNext: (kind, onPart) => fake.failNext(kind, onPart),
    expireAccessToken: () => fake.expireAccessToken(),
    refuseNextRefresh: () => fake.refuseNextRefresh(),
    imageUrl: fake.imageUrl(),
    close: async () => {
      expect(fake.problems).toEqual([]);
      await fake.close();
    },
  };
});

describe('x adapter against a local X API v2', () => {
  let fake: XFake;
  let adapter: PlatformAdapter<never>;
  let account: ConnectedAccount;
  const unique = (text: string) => `${text} ${Math.random().toString(36).slice(2, 8)}`;
  const publish = (overrides: Parameters<typeof publishRequest>[1] = {}) => {
    const req = publishRequest(account, overrides);
    return adapter.publish(req).then((outcome) => ({ outcome, saved: req.saved }));
  };
  /** The requests the block makes to the fake, image downloads aside. */
  const requestsOf = async (block: () => Promise<unknown>) => {
    const from = fake.requests.length;
    await block();
    return fake.requests.slice(from).filter((r) => !r.startsWith('GET /fixtures/'));
  };

  beforeAll(async () => {
    ({ fake, adapter } = await setUp());
    account = await connect(fake, adapter);
  });
  afterEach(() => {
    expect(fake.problems).toEqual([]);
  });
  afterAll(() => fake.close());

  it('connects with OAuth 2.0 + PKCE: code exchange with Basic client auth, then the profile', async () => {
    expect(account).toMatchObject({
      platformUserId: fake.user.id,
      username: fake.user.username,
      displayName: fake.user.name,
      avatarUrl: fake.user.profile_image_url,
    });
    expect(Object.keys(account.credentials).sort()).toEqual(['access_token', 'refresh_token']);
    // X access tokens last two hours (expires_in 7200).
    expect(account.expiresAt).toBeGreaterThan(Date.now() + 7000_000);
    expect(account.expiresAt).toBeLessThanOrEqual(Date.now() + 7200_000);
    expect(adapter.refreshAheadMs).toBe(15 * 60_000);
  });

  it('refuses a code exchange whose verifier does not match the challenge', async () => {
    const error = await connect(fake, adapter, (r) => (r.code_verifier = 'A'.repeat(43))).catch((e) => e);
    expect(error).toMatchObject({ code: 'bad_request' });
    expect(error.message).toMatch(/X refused the authorization code \(400\)/);
    expect(fake.problems.splice(0)).toEqual(['token: code_verifier does not match the code_challenge']);
  });

  it('says which variables to set when no client id is configured', () => {
    const bare = createXPlatform({});
    expect(bare.oauth!.configured()).toMatch(/OCTOPOST_X_CLIENT_ID and OCTOPOST_X_CLIENT_SECRET/);
    expect(adapter.oauth!.configured()).toBe(true);
    expect(bare.connectSchema).toBeUndefined();
  });

  it('counts as X does: URLs 23, CJK and emoji 2', () => {
    const rules = adapter.rules;
    const withUrl = `${'a'.repeat(256)} https://example.com/${'long-path/'.repeat(20)}`;
    expect(withUrl.length).toBeGreaterThan(280);
    expect(countFor(rules, withUrl)).toBe(280);
    expect(checkContent('x', rules, { content: withUrl, segments: [], media: { images: [] } })).toEqual([]);
    const cjk = '漢'.repeat(141);
    expect(checkContent('x', rules, { content: cjk, segments: [], media: { images: [] } })).toEqual([
      expect.objectContaining({ field: 'content', count: 282, limit: 280 }),
    ]);
    expect(countFor(rules, '🐙')).toBe(2);
    expect(countFor(rules, '👩‍👩‍👧‍👦')).toBe(2);
  });

  it('rotates refresh tokens: the used one stops working, the new one works', async () => {
    const first = await adapter.refresh!(account.credentials, {}, AbortSignal.timeout(5000));
    expect(first.credentials.refresh_token).not.toBe(account.credentials.refresh_token);
    expect(first.credentials.access_token).not.toBe(account.credentials.access_token);
    expect(first.expiresAt).toBeGreaterThan(Date.now() + 7000_000);
    const reused = await adapter.refresh!(account.credentials, {}, AbortSignal.timeout(5000)).catch((e) => e);
    expect(reused).toBeInstanceOf(RefreshError);
    expect(reused).toMatchObject({ permanent: true });
    expect(reused.message).toMatch(/Value passed for the token was invalid/);
    const second = await adapter.refresh!(first.credentials, {}, AbortSignal.timeout(5000));
    account = { ...account, credentials: second.credentials };
    expect((await publish({ content: unique('After rotation') })).outcome.kind).toBe('published');
  });

  it('a refresh that cannot reach X is temporary', async () => {
    const offline = createXPlatform({ clientId: CLIENT.id, apiBaseUrl: 'http://127.0.0.1:1' });
    const error = await offline.refresh!(account.credentials, {}, AbortSignal.timeout(5000)).catch((e) => e);
    expect(error).toBeInstanceOf(RefreshError);
    expect(error.permanent).toBe(false);
  });

  it('a tweet created whose answer is lost is ambiguous, and X cannot deduplicate', async () => {
    const text = unique('Answer lost');
    fake.failNext('drop_after_create');
    const { outcome } = await publish({ content: text });
    expect(outcome).toMatchObject({ kind: 'ambiguous', error: { permanent: false } });
    expect(adapter.deduplicates).toBe(false);
    expect(fake.published().filter((p) => p.text === text)).toHaveLength(1);
  });

  it('a 503 that created the tweet anyway: the retry refused as a duplicate is ambiguous, not a failure', async () => {
    const text = unique('Created despite 503');
    fake.failNext('server_error_after_create');
    const first = await publish({ content: text });
    expect(first.outcome).toMatchObject({ kind: 'failed', error: { code: 'server_error', httpStatus: 503, permanent: false } });
    expect(first.saved.progress).toEqual({ tweet_ids: [], server_error_on: 0 });
    const retry = await publish({ content: text, attempt: 2, progress: first.saved.progress });
    expect(retry.outcome).toMatchObject({ kind: 'ambiguous', error: { code: 'duplicate_after_server_error', httpStatus: 403 } });
    expect((retry.outcome as { error: { message: string } }).error.message).toBe(
      'X refused the post as a duplicate, after answering an earlier attempt of it with a server error: that attempt most likely posted it.',
    );
    expect(fake.published().filter((p) => p.text === text)).toHaveLength(1);
    // The mark is used once: a Retry after the person checked meets the plain refusal.
    expect(retry.saved.progress).toEqual({ tweet_ids: [] });
    const again = await publish({ content: text, attempt: 3, progress: retry.saved.progress });
    expect(again.outcome).toMatchObject({ kind: 'failed', error: { code: 'duplicate_content', permanent: true } });
  });

  it('a thread: the mark is for the part that got the 5xx, kept with the parts already on X, and dropped once a part is created', async () => {
    const head = unique('Thread with a 503');
    fake.failNext('server_error_after_create', 1); // the second part is created, then answered 503
    const first = await publish({ content: head, segments: [{ content: `${head} two` }, { content: `${head} three` }] });
    expect(first.outcome).toMatchObject({ kind: 'failed', error: { code: 'server_error' } });
    const firstId = (first.saved.progress!.tweet_ids as string[])[0];
    expect(first.saved.progress).toEqual({ tweet_ids: [firstId], server_error_on: 1 });
    // The user's own duplicate of the first part is not what the mark is about.
    const other = await publish({ content: head, attempt: 2, progress: { tweet_ids: [], server_error_on: 1 } });
    expect(other.outcome).toMatchObject({ kind: 'failed', error: { code: 'duplicate_content' } });
    const retry = await publish({ content: head, segments: [{ content: `${head} two` }, { content: `${head} three` }], attempt: 2, progress: first.saved.progress });
    expect(retry.outcome).toMatchObject({ kind: 'ambiguous', error: { code: 'duplicate_after_server_error' } });
    expect((retry.outcome as { error: { message: string } }).error.message).toMatch(/^X refused part 2 of the thread as a duplicate/);
    // A created part replaces the progress, mark included.
    fake.failNext('server_error');
    const fresh = unique('Fresh thread');
    const once = await publish({ content: fresh, segments: [{ content: `${fresh} two` }] });
    expect(once.saved.progress).toEqual({ tweet_ids: [], server_error_on: 0 });
    const done = await publish({ content: fresh, segments: [{ content: `${fresh} two` }], attempt: 2, progress: once.saved.progress });
    expect(done.outcome.kind).toBe('published');
    expect(done.saved.progress).toEqual({ tweet_ids: [expect.any(String), expect.any(String)] });
  });

  it('a failed save of the mark leaves the 5xx as it was', async () => {
    fake.failNext('server_error');
    const req = publishRequest(account, { content: unique('Save fails') });
    req.saveProgress = async () => {
      throw new Error('database away');
    };
    expect(await adapter.publish(req)).toMatchObject({ kind: 'failed', error: { code: 'server_error', httpStatus: 503 } });
  });

  it('a tweet request that times out after sending is ambiguous too', async () => {
    const text = unique('No answer');
    fake.failNext('hang_after_create');
    const { outcome } = await publish({ content: text, signal: AbortSignal.timeout(300) });
    expect(outcome).toMatchObject({ kind: 'ambiguous', error: { code: 'timeout', permanent: false } });
    expect(fake.published().filter((p) => p.text === text)).toHaveLength(1);
  });

  it('connects a public client (no secret): PKCE alone, no Basic header', async () => {
    const open = await new XFake({ id: CLIENT.id, callbackUrls: [CALLBACK] }).start();
    try {
      const publicClient = createXPlatform({ clientId: CLIENT.id, apiBaseUrl: open.url, authorizeUrl: `${open.url}/i/oauth2/authorize` });
      expect((await connect(open, publicClient)).username).toBe(open.user.username);
      expect(open.problems).toEqual([]);
    } finally {
      await open.close();
    }
  });

  it('publishes with one request for text, three for an image with alt text, one per thread part', async () => {
    expect(await requestsOf(() => publish({ content: unique('Text only') }))).toEqual(['POST /2/tweets']);
    const image = { url: fake.imageUrl(), alt_text: 'A red pixel' };
    expect(await requestsOf(() => publish({ content: unique('One image'), media: { images: [image] } }))).toEqual([
      'POST /2/media/upload',
      'POST /2/media/metadata',
      'POST /2/tweets',
    ]);
    let thread!: Awaited<ReturnType<typeof publish>>;
    const head = unique('Thread of three');
    expect(await requestsOf(async () => (thread = await publish({ content: head, segments: [{ content: 'two' }, { content: 'three' }] })))).toEqual(
      ['POST /2/tweets', 'POST /2/tweets', 'POST /2/tweets'],
    );
    const ids = thread.saved.progress!.tweet_ids as string[];
    expect(thread.outcome).toEqual({ kind: 'published', postId: ids[0], postUrl: `https://x.com/${fake.user.username}/status/${ids[0]}` });
    const posts = fake.published();
    expect(ids.map((id) => posts.find((p) => p.id === id)!.replyTo)).toEqual([null, ids[0], ids[1]]);
  });

  it('uploads a GIF by the chunked route and waits for its processing', async () => {
    const text = unique('A GIF');
    const requests = await requestsOf(async () => {
      const { outcome } = await publish({ content: text, media: { images: [{ url: fake.imageUrl('gif'), alt_text: 'Animated' }] } });
      expect(outcome.kind, JSON.stringify(outcome)).toBe('published');
    });
    expect(requests.map((r) => r.replace(/\d{10,}/, ':id'))).toEqual([
      'POST /2/media/upload/initialize',
      'POST /2/media/upload/:id/append',
      'POST /2/media/upload/:id/finalize',
      'GET /2/media/upload',
      'POST /2/media/metadata',
      'POST /2/tweets',
    ]);
    expect(fake.published().find((p) => p.text === text)!.images).toEqual([{ alt: 'Animated' }]);
  });

  it('a thread whose parts are all on X already is published without a request', async () => {
    const done = (await publish({ content: unique('Done before'), segments: [{ content: 'tail' }] })).saved.progress;
    const again = await requestsOf(async () => {
      const { outcome } = await publish({ content: 'ignored', segments: [{ content: 'ignored' }], attempt: 2, progress: done });
      expect(outcome).toMatchObject({ kind: 'published', postId: (done!.tweet_ids as string[])[0] });
    });
    expect(again).toEqual([]);
  });

  const table: [Parameters<XFake['failNext']>[0], object, RegExp][] = [
    ['rate_limited', { code: 'rate_limited', permanent: false, httpStatus: 429 }, /rate limiting/],
    ['daily_limit', { code: 'rate_limited', permanent: false }, /24-hour posting limit/],
    ['server_error', { code: 'server_error', permanent: false, httpStatus: 503 }, /X answered 503 while sending/],
    ['token_revoked', { code: 'unauthorized', permanent: true, reconnect: true, httpStatus: 401 }, /Reconnect the X account/],
    ['duplicate', { code: 'duplicate_content', permanent: true, httpStatus: 403 }, /"You are not allowed to create a Tweet with duplicate content\."/],
    ['suspended', { code: 'suspended', permanent: true, httpStatus: 403 }, /suspended/],
    ['invalid_content', { code: 'rejected', permanent: true, httpStatus: 400 }, /The text field is invalid/],
  ];
  it.each(table)('classifies %s as X documents it', async (kind, expected, message) => {
    fake.failNext(kind);
    const { outcome } = await publish({ content: unique(`Failing ${kind}`) });
    expect(outcome).toMatchObject({ kind: 'failed', error: expected });
    expect((outcome as { error: { message: string } }).error.message).toMatch(message);
  });

  it('waits until the window (or the 24-hour limit) resets after a 429', async () => {
    fake.failNext('rate_limited');
    const window = (await publish({ content: unique('Window') })).outcome as any;
    expect(window.error.retryAfterMs).toBeGreaterThan(100_000);
    expect(window.error.retryAfterMs).toBeLessThanOrEqual(121_000);
    fake.failNext('daily_limit');
    const daily = (await publish({ content: unique('Daily') })).outcome as any;
    expect(daily.error.retryAfterMs).toBeGreaterThan(5 * 3600_000);
  });

  it('X itself refuses a repeated text as duplicate content', async () => {
    const text = unique('Said twice');
    expect((await publish({ content: text })).outcome.kind).toBe('published');
    expect((await publish({ content: text })).outcome).toMatchObject({ kind: 'failed', error: { code: 'duplicate_content', permanent: true } });
  });

  it('a failed image upload fails the attempt (nothing posted), temporary on 5xx', async () => {
    const text = unique('Upload fails');
    fake.failNext('server_error', 0, 'media');
    const { outcome } = await publish({ content: text, media: { images: [{ url: fake.imageUrl() }] } });
    expect(outcome).toMatchObject({ kind: 'failed', error: { code: 'server_error', permanent: false } });
    expect(fake.published().some((p) => p.text === text)).toBe(false);
  });

  it('out of time before sending, or X unreachable: failed and retried, never ambiguous', async () => {
    const late = await publish({ content: unique('Too late'), signal: AbortSignal.abort() });
    expect(late.outcome).toMatchObject({ kind: 'failed', error: { code: 'timeout', permanent: false } });
    const offline = createXPlatform({ clientId: CLIENT.id, apiBaseUrl: 'http://127.0.0.1:1' });
    const outcome = await offline.publish(publishRequest(account, { content: unique('Nobody there') }));
    expect(outcome).toMatchObject({ kind: 'failed', error: { code: 'unreachable', permanent: false } });
  });
});
