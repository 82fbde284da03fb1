import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkContent } from '../../src/core/content-rules.js';
import type { HttpAnswer } from '../../src/platforms/oauth-http.js';
import { type ConnectedAccount, type PlatformAdapter, RefreshError } from '../../src/platforms/platform.js';
import { classifyThreads, createThreadsPlatform } from '../../src/platforms/threads.platform.js';
import { connectInBrowser, serveImages } from '../helpers/platform-harness.js';
import { ThreadsFake } from '../peers/threads-fake.js';
import { publishRequest, runConformance } from './conformance.js';

const APP = { appId: '1234567890123456', appSecret: 'threads-app-secret-value' };
const REDIRECT = 'http://127.0.0.1:7700/v1/accounts/connect/threads/callback';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

/** The user's own web server, where Threads downloads the images from. Counts what it served. */
const imageServer = () => serveImages({ '/red.png': PNG, '/blue.png': PNG }, 'image/png');

function adapterFor(fake: ThreadsFake): PlatformAdapter {
  // Short waits between container status reads: the local Threads processes images at once.
  return createThreadsPlatform({ ...APP, graphBaseUrl: fake.url, authorizeUrl: `${fake.url}/oauth/authorize`, statusPollMs: [5, 10, 20, 40, 80, 160, 320, 640, 1000, 2000] });
}

/** Plays the browser: opens the authorize URL, lets the fake consent, brings the code back. */
const connect = (adapter: PlatformAdapter) => connectInBrowser(adapter, REDIRECT);

let conformanceFake: ThreadsFake | undefined;

runConformance('threads', async () => {
  const fake = await new ThreadsFake(APP).start();
  const images = await imageServer();
  conformanceFake = fake;
  const adapter = adapterFor(fake);
  return {
    adapter,
    connectAccount: async () => (await connect(adapter)).account,
    published: async () => fake.published(),
    failNext: (kind, onPart) => fake.failNext(kind, onPart),
    // Threads renews only live tokens at least a day old: the fake ages it to a day before expiry.
    expireAccessToken: async () => fake.ageTokens(),
    refuseNextRefresh: () => fake.refuseNextRefresh(),
    imageUrl: `${images.url}/red.png`,
    close: async () => {
      await fake.close();
      await images.close();
    },
  };
});

describe('threads: specific behaviour against the local Threads', () => {
  let fake: ThreadsFake;
  let images: Awaited<ReturnType<typeof imageServer>>;
  let adapter: PlatformAdapter;
  let account: ConnectedAccount;
  const unique = (text: string) => `${text} ${Math.random().toString(36).slice(2, 8)}`;
  const since = (n: number) => fake.requests.slice(n).map((r) => r.replace(fake.user.id, '{user}').replace(/\/1789\d+/, '/{id}'));

  beforeAll(async () => {
    fake = await new ThreadsFake(APP).start();
    images = await imageServer();
    adapter = adapterFor(fake);
  });
  afterAll(async () => {
    await fake.close();
    await images.close();
  });

  it('the conformance run sent only well-formed requests and never published a container twice', () => {
    expect(conformanceFake?.problems).toEqual([]);
  });

  it('says which variables to set when the app is missing', () => {
    expect(adapter.oauth!.configured()).toBe(true);
    expect(createThreadsPlatform({ appId: APP.appId }).oauth!.configured()).toMatch(/set OCTOPOST_THREADS_APP_SECRET \(/);
    expect(createThreadsPlatform().oauth!.configured()).toMatch(/OCTOPOST_THREADS_APP_ID and OCTOPOST_THREADS_APP_SECRET/);
  });

  it('connects: authorize parameters, code exchange, long-lived token, profile', async () => {
    const before = fake.requests.length;
    const { account: connected, authorizeUrl } = await connect(adapter);
    account = connected;
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${fake.url}/oauth/authorize`);
    expect(Object.fromEntries(authorizeUrl.searchParams)).toMatchObject({
      client_id: APP.appId,
      redirect_uri: REDIRECT,
      scope: 'threads_basic,threads_content_publish',
      response_type: 'code',
    });
    expect(since(before)).toEqual(['GET /oauth/authorize', 'POST /oauth/access_token', 'GET /access_token', 'GET /v1.0/me']);
    // The id survives intact although the token answer's user_id is a number beyond 2^53.
    expect(account).toMatchObject({ platformUserId: '25942093478653217', username: 'ada.codes', displayName: 'Ada Lovelace', avatarUrl: fake.user.picture });
    expect(account.credentials.access_token).toMatch(/^THAA/); // the long-lived token, not the 1-hour one
    expect(account.expiresAt! - Date.now()).toBeGreaterThan(59 * 24 * 3600_000);
    expect(fake.problems).toEqual([]);
  });

  it('strips the "#_" Threads appends to the code', async () => {
    const clients = { get: async () => undefined, put: async () => {} };
    const started = await adapter.oauth!.start({}, { redirectUri: REDIRECT, state: 's1', clients, blockPrivateUrls: false });
    const back = new URL((await fetch(started.authorizeUrl, { redirect: 'manual' })).headers.get('location')!);
    const again = await adapter.oauth!.finish(`${back.searchParams.get('code')}#_`, {}, { redirectUri: REDIRECT, clients, blockPrivateUrls: false });
    expect(again.platformUserId).toBe(fake.user.id);
    expect(fake.problems).toEqual([]);
  });

  it('refreshes a long-lived token with th_refresh_token; a refused or expired one asks to reconnect', async () => {
    const { account: other } = await connect(adapter);
    fake.ageTokens();
    const refreshed = await adapter.refresh!(other.credentials, other.meta ?? {}, AbortSignal.timeout(5000));
    expect(refreshed.credentials.access_token).not.toBe(other.credentials.access_token);
    expect(refreshed.expiresAt! - Date.now()).toBeGreaterThan(59 * 24 * 3600_000);
    expect(fake.requests.at(-1)).toBe('GET /refresh_access_token');

    fake.refuseNextRefresh();
    const refused = await adapter.refresh!(refreshed.credentials, {}, AbortSignal.timeout(5000)).catch((e) => e);
    expect(refused).toBeInstanceOf(RefreshError);
    expect(refused.permanent).toBe(true);
    expect(refused.message).toMatch(/code 190/);

    const before = fake.requests.length;
    const expired = { ...refreshed.credentials, expires_at: Date.now() - 1000 };
    const late = await adapter.refresh!(expired, {}, AbortSignal.timeout(5000)).catch((e) => e);
    expect(late).toMatchObject({ permanent: true });
    expect(fake.requests.length).toBe(before);
    expect(adapter.refreshAheadMs).toBe(7 * 24 * 3600_000);
    expect(fake.problems).toEqual([]);
  });

  it('a token younger than a day cannot be renewed yet: a passing refusal, not a reconnect', async () => {
    const { account: fresh } = await connect(adapter);
    const error = await adapter.refresh!(fresh.credentials, {}, AbortSignal.timeout(5000)).catch((e) => e);
    expect(error).toBeInstanceOf(RefreshError);
    expect(error.permanent).toBe(false);
    expect(fake.problems).toEqual(['refresh: token younger than 24 hours']);
    fake.problems.length = 0; // sent on purpose
  });

  it('refuses 501 characters before sending; threads of segments are allowed', () => {
    expect(checkContent('threads', adapter.rules, { content: 'a'.repeat(501), segments: [], media: { images: [] } })).toMatchObject([{ field: 'content', limit: 500 }]);
    expect(checkContent('threads', adapter.rules, { content: 'a'.repeat(500), segments: [{ content: 'b' }], media: { images: [] } })).toEqual([]);
  });

  it('text: container, status, publish, permalink', async () => {
    const before = fake.requests.length;
    const outcome = await adapter.publish(publishRequest(account, { content: unique('Just words') }));
    expect(since(before)).toEqual(['POST /v1.0/{user}/threads', 'GET /v1.0/{id}', 'POST /v1.0/{user}/threads_publish', 'GET /v1.0/{id}']);
    const media = fake.media.at(-1)!;
    expect(outcome).toEqual({ kind: 'published', postId: media.id, postUrl: expect.stringMatching(/^https:\/\/www\.threads\.net\/@ada\.codes\/post\//) });
  });

  it('one image: Threads downloads it itself, with its alt text; publishing waits while it is IN_PROGRESS', async () => {
    fake.processingMs = 40;
    try {
      const before = fake.requests.length;
      const served = images.served.length;
      const outcome = await adapter.publish(publishRequest(account, { content: unique('Red'), media: { images: [{ url: `${images.url}/red.png`, alt_text: 'A red square' }] } }));
      expect(outcome.kind, JSON.stringify(outcome)).toBe('published');
      expect(images.served.slice(served)).toEqual(['/red.png']);
      const container = [...fake.containers.values()].at(-1)!;
      expect(container).toMatchObject({ mediaType: 'IMAGE', imageUrl: `${images.url}/red.png`, altText: 'A red square', status: 'PUBLISHED' });
      expect(fake.published().at(-1)!.images).toEqual([{ alt: 'A red square' }]);
      // Read again while IN_PROGRESS, published only once FINISHED (the fake refuses earlier).
      expect(since(before).filter((r) => r === 'GET /v1.0/{id}').length).toBeGreaterThan(2);
      expect(fake.problems).toEqual([]);
    } finally {
      fake.processingMs = 0;
    }
  });

  it('several images: a carousel of item containers', async () => {
    const two = { images: [{ url: `${images.url}/red.png`, alt_text: 'Red' }, { url: `${images.url}/blue.png` }] };
    const outcome = await adapter.publish(publishRequest(account, { content: unique('Two'), media: two }));
    expect(outcome.kind, JSON.stringify(outcome)).toBe('published');
    const carousel = [...fake.containers.values()].at(-1)!;
    expect(carousel.mediaType).toBe('CAROUSEL');
    expect(carousel.children.map((id) => fake.containers.get(id)!.carouselItem)).toEqual([true, true]);
    expect(fake.published().at(-1)!.images).toEqual([{ alt: 'Red' }, { alt: '' }]);
    expect(fake.problems).toEqual([]);
  });

  it('an image Threads cannot download fails for good (container status ERROR)', async () => {
    const outcome = await adapter.publish(publishRequest(account, { content: unique('Missing'), media: { images: [{ url: `${images.url}/gone.png` }] } }));
    expect(outcome).toMatchObject({ kind: 'failed', error: { code: 'media_failed', permanent: true } });
    expect(outcome.kind === 'failed' && outcome.error.message).toMatch(/UNKNOWN/);
  });

  it('a three-part thread: each part replies to the one before; 10 requests', async () => {
    const before = fake.requests.length;
    const head = unique('Head');
    const outcome = await adapter.publish(publishRequest(account, { content: head, segments: [{ content: 'two' }, { content: 'three' }] }));
    expect(outcome.kind, JSON.stringify(outcome)).toBe('published');
    expect(fake.requests.length - before).toBe(10);
    const [a, b, c] = fake.media.slice(-3);
    expect([a!.text, b!.replyTo, c!.replyTo]).toEqual([head, a!.id, b!.id]);
  });

  it('resumes after a failed publish step by publishing the saved container: one container, one publish', async () => {
    const containers = fake.containers.size;
    const posts = fake.media.length;
    fake.failNext('server_error', 0);
    const first = publishRequest(account, { content: unique('Resumed') });
    const failed = await adapter.publish(first);
    expect(failed).toMatchObject({ kind: 'failed', error: { code: 'server_error', permanent: false } });
    const saved = first.saved.progress as { parts: { creation_id?: string; media_id?: string }[] };
    expect(saved.parts).toEqual([{ creation_id: expect.any(String) }]);

    const again = publishRequest(account, { deliveryId: first.deliveryId, attempt: 2, content: first.content, progress: first.saved.progress });
    const outcome = await adapter.publish(again);
    expect(outcome.kind, JSON.stringify(outcome)).toBe('published');
    expect(fake.containers.size).toBe(containers + 1);
    expect(fake.media.length).toBe(posts + 1);
    expect(fake.media.at(-1)!.containerId).toBe(saved.parts[0]!.creation_id);
    expect(again.saved.progress).toEqual({ parts: [{ creation_id: saved.parts[0]!.creation_id, media_id: fake.media.at(-1)!.id }] });
    expect(fake.problems).toEqual([]);
  });

  it('a publish whose answer is lost is ambiguous, and a retry does not publish it again', async () => {
    const posts = fake.media.length;
    fake.loseNextPublishAnswer();
    const first = publishRequest(account, { content: unique('Lost answer') });
    expect(await adapter.publish(first)).toMatchObject({ kind: 'ambiguous' });
    const again = await adapter.publish(publishRequest(account, { attempt: 2, content: first.content, progress: first.saved.progress }));
    expect(again).toMatchObject({ kind: 'ambiguous', error: { code: 'already_published' } });
    expect(fake.media.length).toBe(posts + 1);
    expect(fake.problems).toEqual([]);
  });

  it('a saved container that expired is replaced by a new one', async () => {
    fake.failNext('server_error', 0);
    const first = publishRequest(account, { content: unique('Expired container') });
    await adapter.publish(first);
    const saved = (first.saved.progress as { parts: { creation_id: string }[] }).parts[0]!.creation_id;
    fake.containers.get(saved)!.status = 'EXPIRED';
    const outcome = await adapter.publish(publishRequest(account, { attempt: 2, content: first.content, progress: first.saved.progress }));
    expect(outcome.kind, JSON.stringify(outcome)).toBe('published');
    expect(fake.media.at(-1)!.containerId).not.toBe(saved);
  });

  it('a refusal at container creation saves nothing and is classified', async () => {
    fake.failNext('invalid_content', 0, 'create');
    const req = publishRequest(account, { content: unique('Refused at creation') });
    expect(await adapter.publish(req)).toMatchObject({ kind: 'failed', error: { code: 'invalid_content', permanent: true, httpStatus: 400 } });
    expect(req.saved.progress).toBeNull();
  });

  it('an expired token asks to reconnect', async () => {
    const { account: other } = await connect(adapter);
    fake.expireTokens();
    const outcome = await adapter.publish(publishRequest(other, { content: unique('Too late') }));
    expect(outcome).toMatchObject({ kind: 'failed', error: { code: 'token_invalid', permanent: true, reconnect: true } });
  });
});

describe('threads: the error table', () => {
  const answer = (status: number, error: Record<string, unknown>, headers: Record<string, string> = {}): HttpAnswer => {
    const json = { error: { type: 'OAuthException', fbtrace_id: 'AbC', ...error } };
    return { status, headers, text: JSON.stringify(json), json };
  };

  it.each([
    [400, { code: 190, error_subcode: 463, message: 'Session has expired' }, { code: 'token_invalid', permanent: true, reconnect: true }],
    [400, { code: 100, message: 'Invalid parameter' }, { code: 'invalid_content', permanent: true }],
    [400, { code: 24, message: 'The requested resource does not exist' }, { code: 'invalid_content', permanent: true }],
    [500, { code: 1, message: 'An unknown error has occurred.' }, { code: 'server_error', permanent: false }],
    [503, { code: 2, message: 'Service temporarily unavailable' }, { code: 'server_error', permanent: false }],
    [400, { code: 368, message: 'The action attempted has been deemed abusive' }, { code: 'suspended', permanent: true }],
    [400, { code: 10, message: 'Application does not have permission for this action' }, { code: 'permission_denied', permanent: true, reconnect: true }],
    [400, { code: 506, message: 'Duplicate status message' }, { code: 'duplicate', permanent: true }],
    [400, { code: 17, message: 'User request limit reached' }, { code: 'rate_limited', permanent: false }],
  ] as [number, Record<string, unknown>, { code: string; permanent: boolean; reconnect?: boolean }][])('%i %j', (status, error, expected) => {
    const classified = classifyThreads(answer(status, error));
    expect(classified).toMatchObject({ ...expected, httpStatus: status });
    expect(classified.reconnect === true).toBe(expected.reconnect === true);
    expect(classified.message).toContain(String(error.message));
  });

  it('rate limits wait as long as a header says, and no guess otherwise', () => {
    const buc = JSON.stringify({ '1789': [{ type: 'threads', call_count: 100, estimated_time_to_regain_access: 5 }] });
    expect(classifyThreads(answer(403, { code: 4, message: 'Application request limit reached' }, { 'x-business-use-case-usage': buc })).retryAfterMs).toBe(300_000);
    expect(classifyThreads(answer(429, { code: 613, message: 'Calls exceeded' }, { 'retry-after': '30' })).retryAfterMs).toBe(30_000);
    expect(classifyThreads(answer(400, { code: 32, message: 'Page request limit reached' })).retryAfterMs).toBeUndefined();
  });
});
