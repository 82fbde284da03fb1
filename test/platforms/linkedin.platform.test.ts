import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkContent } from '../../src/core/content-rules.js';
import { DomainError } from '../../src/core/errors.js';
import { classifyLinkedIn, createLinkedInPlatform, escapeLittleText } from '../../src/platforms/linkedin.platform.js';
import type { HttpAnswer } from '../../src/platforms/oauth-http.js';
import { type ConnectedAccount, type PlatformAdapter, RefreshError } from '../../src/platforms/platform.js';
import { connectInBrowser, serveImages } from '../helpers/platform-harness.js';
import { LinkedInFake } from '../peers/linkedin-fake.js';
import { publishRequest, runConformance } from './conformance.js';

const CLIENT = { clientId: '86abc123xyz', clientSecret: 'WPL_AP1.secret.value' };
const REDIRECT = 'http://127.0.0.1:7700/v1/accounts/connect/linkedin/callback';
// A 1x1 PNG, and bytes that sniff as WebP (a type LinkedIn does not take).
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
const WEBP = Buffer.concat([Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1'), Buffer.alloc(16)]);

/** Serves the post's images, as the user's own web server would. */
const imageServer = () => serveImages({ '/red.png': PNG, '/photo.webp': WEBP });

function adapterFor(fake: LinkedInFake): PlatformAdapter {
  return createLinkedInPlatform({ ...CLIENT, apiBaseUrl: fake.url, oauthBaseUrl: fake.oauthBaseUrl });
}

/** Plays the browser: opens the authorize URL, lets the fake consent, and brings the code back. */
const connect = (adapter: PlatformAdapter) => connectInBrowser(adapter, REDIRECT);

let conformanceFake: LinkedInFake | undefined;

runConformance('linkedin', async () => {
  const fake = await new LinkedInFake({ ...CLIENT, grantsRefreshTokens: true }).start();
  const images = await imageServer();
  conformanceFake = fake;
  const adapter = adapterFor(fake);
  return {
    adapter,
    connectAccount: async () => (await connect(adapter)).account,
    published: async () => fake.published(),
    failNext: (kind) => fake.failNext(kind),
    expireAccessToken: async () => fake.expireAccessTokens(),
    refuseNextRefresh: () => fake.refuseNextRefresh(),
    imageUrl: `${images.url}/red.png`,
    close: async () => {
      await fake.close();
      await images.close();
    },
  };
});

describe('linkedin: specific behaviour against the local LinkedIn', () => {
  let fake: LinkedInFake;
  let images: { url: string; close(): Promise<void> };
  let adapter: PlatformAdapter;
  let account: ConnectedAccount;

  beforeAll(async () => {
    fake = await new LinkedInFake(CLIENT).start();
    images = await imageServer();
    adapter = adapterFor(fake);
  });
  afterAll(async () => {
    await fake.close();
    await images.close();
  });

  it('the conformance run sent only well-formed requests', () => {
    expect(conformanceFake?.problems).toEqual([]);
  });

  it('says which variables to set when the client is missing', () => {
    expect(adapter.oauth!.configured()).toBe(true);
    const unconfigured = createLinkedInPlatform({ clientId: CLIENT.clientId });
    expect(unconfigured.oauth!.configured()).toMatch(/OCTOPOST_LINKEDIN_CLIENT_SECRET/);
    expect(unconfigured.oauth!.configured()).not.toMatch(/OCTOPOST_LINKEDIN_CLIENT_ID/);
    expect(createLinkedInPlatform().oauth!.configured()).toMatch(/OCTOPOST_LINKEDIN_CLIENT_ID and OCTOPOST_LINKEDIN_CLIENT_SECRET/);
  });

  it('connects through OAuth: authorize parameters, code exchange, OpenID profile', async () => {
    const { account: connected, authorizeUrl } = await connect(adapter);
    account = connected;
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${fake.oauthBaseUrl}/authorization`);
    expect(Object.fromEntries(authorizeUrl.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT,
      scope: 'openid profile w_member_social',
    });
    expect(account).toMatchObject({
      platformUserId: fake.member.sub,
      username: 'Ada Lovelace',
      displayName: 'Ada Lovelace',
      avatarUrl: fake.member.picture,
      meta: { author: `urn:li:person:${fake.member.sub}` },
    });
    // A 60-day token, and no refresh token: this app is not approved for programmatic refresh.
    expect(account.expiresAt! - Date.now()).toBeGreaterThan(59 * 24 * 3600_000);
    expect(account.credentials.refresh_token).toBeUndefined();
    expect(fake.problems).toEqual([]);
  });

  it('asks again for the profile when LinkedIn refuses a token it has just issued', async () => {
    fake.tokenLag = 1;
    try {
      const { account: again } = await connect(adapter);
      expect(again.platformUserId).toBe(fake.member.sub);
      expect(fake.requests.filter((r) => r === 'GET /v2/userinfo').length).toBeGreaterThanOrEqual(3);
    } finally {
      fake.tokenLag = 0;
    }
  });

  it('refuses a code LinkedIn does not know, in words', async () => {
    const clients = { get: async () => undefined, put: async () => {} };
    const error = await adapter.oauth!.finish('AQbogus', {}, { redirectUri: REDIRECT, clients, blockPrivateUrls: false }).catch((e) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error.message).toMatch(/LinkedIn refused to exchange the authorization code \(400\).*authorization code expired/);
    fake.problems.length = 0; // the fake records the bad code; it was sent on purpose
  });

  it('without a refresh token, refresh asks to reconnect before the token expires', async () => {
    const error = await adapter.refresh!(account.credentials, account.meta ?? {}, AbortSignal.timeout(5000)).catch((e) => e);
    expect(error).toBeInstanceOf(RefreshError);
    expect(error.permanent).toBe(true);
    const day = new Date(account.expiresAt!).toISOString().slice(0, 10);
    expect(error.message).toBe(`LinkedIn gives this app no refresh token: reconnect before ${day}`);
    expect(adapter.refreshAheadMs).toBe(7 * 24 * 3600_000);
  });

  it('refuses segments before sending (checkContent), and publish refuses them too without a request', async () => {
    const post = { content: 'Head', segments: [{ content: 'two' }], media: { images: [] } };
    expect(checkContent('linkedin', adapter.rules, post).map((p) => p.field)).toEqual(['segments']);
    const before = fake.requests.length;
    const outcome = await adapter.publish(publishRequest(account, { content: 'Head', segments: [{ content: 'two' }] }));
    expect(outcome).toMatchObject({ kind: 'failed', error: { code: 'segments_unsupported', permanent: true } });
    expect(fake.requests.length).toBe(before);
  });

  it('refuses 3,001 characters before sending and accepts 3,000', () => {
    const problems = checkContent('linkedin', adapter.rules, { content: 'a'.repeat(3001), segments: [], media: { images: [] } });
    expect(problems).toMatchObject([{ field: 'content', limit: 3000, count: 3001 }]);
    expect(checkContent('linkedin', adapter.rules, { content: 'é'.repeat(3000), segments: [], media: { images: [] } })).toEqual([]);
  });

  it('escapes the little text reserved characters, keeps hashtags, and LinkedIn shows the text unchanged', async () => {
    const text = 'Launch (beta) of C# tools #Octopost: a_b * c ~ d | {x} [y] <z> @mention \\ done #2026';
    const outcome = await adapter.publish(publishRequest(account, { content: text }));
    expect(outcome.kind, JSON.stringify(outcome)).toBe('published');
    const post = fake.posts.at(-1)!;
    expect(post.text).toBe(text);
    expect(post.commentary).toBe('Launch \\(beta\\) of C\\# tools #Octopost: a\\_b \\* c \\~ d \\| \\{x\\} \\[y\\] \\<z\\> \\@mention \\\\ done #2026');
    expect(escapeLittleText('#tag')).toBe('#tag');
    expect(escapeLittleText('x#tag')).toBe('x\\#tag');
    expect(fake.problems).toEqual([]);
  });

  it('text costs one request; the post URL is the feed update of the URN', async () => {
    const before = fake.requests.length;
    const outcome = await adapter.publish(publishRequest(account, { content: 'Just words' }));
    expect(fake.requests.slice(before)).toEqual(['POST /rest/posts']);
    const urn = fake.posts.at(-1)!.urn;
    expect(outcome).toEqual({ kind: 'published', postId: urn, postUrl: `https://www.linkedin.com/feed/update/${urn}` });
  });

  it('uploads images through the Images API: one image as media, several as multiImage', async () => {
    let before = fake.requests.length;
    await adapter.publish(publishRequest(account, { content: 'One image', media: { images: [{ url: `${images.url}/red.png`, alt_text: 'Red' }] } }));
    expect(fake.requests.slice(before)).toEqual(['POST /rest/images', expect.stringMatching(/^PUT \/dms-uploads\//), 'POST /rest/posts']);
    expect(fake.posts.at(-1)!.media).toEqual([{ id: expect.stringMatching(/^urn:li:image:/), altText: 'Red' }]);

    before = fake.requests.length;
    const two = { images: [{ url: `${images.url}/red.png`, alt_text: 'First' }, { url: `${images.url}/red.png` }] };
    const outcome = await adapter.publish(publishRequest(account, { content: 'Two images', media: two }));
    expect(outcome.kind).toBe('published');
    expect(fake.requests.slice(before)).toHaveLength(5);
    expect(fake.published().at(-1)!.images).toEqual([{ alt: 'First' }, { alt: '' }]);
    expect(fake.problems).toEqual([]);
  });

  it('an image of a type LinkedIn does not take fails for good before anything is sent', async () => {
    const before = fake.requests.length;
    const outcome = await adapter.publish(publishRequest(account, { content: 'WebP', media: { images: [{ url: `${images.url}/photo.webp` }] } }));
    expect(outcome).toMatchObject({ kind: 'failed', error: { code: 'media_type', permanent: true } });
    expect(fake.requests.length).toBe(before);
  });

  it('refuses a repeated text as a duplicate, for good', async () => {
    await adapter.publish(publishRequest(account, { content: 'Same words twice' }));
    const outcome = await adapter.publish(publishRequest(account, { content: 'Same words twice' }));
    expect(outcome).toMatchObject({ kind: 'failed', error: { code: 'duplicate', permanent: true, httpStatus: 422 } });
  });

  it('a 500 that created the post anyway: the retry refused as a duplicate is ambiguous, naming the post', async () => {
    fake.createThenFailNext();
    const first = publishRequest(account, { content: 'Created despite 500' });
    expect(await adapter.publish(first)).toMatchObject({ kind: 'failed', error: { code: 'server_error', httpStatus: 500, permanent: false } });
    expect(first.saved.progress).toEqual({ server_error_on: 0 });
    const urn = fake.published().find((p) => p.text === 'Created despite 500')!.id;
    const retry = await adapter.publish(publishRequest(account, { content: 'Created despite 500', attempt: 2, progress: first.saved.progress }));
    expect(retry).toMatchObject({ kind: 'ambiguous', error: { code: 'duplicate_after_server_error', httpStatus: 422, permanent: false } });
    expect((retry as { error: { message: string } }).error.message).toBe(
      `LinkedIn refused the post as a duplicate of https://www.linkedin.com/feed/update/${urn}, after answering an earlier attempt of it with a server error: that attempt most likely posted it.`,
    );
    expect(fake.published().filter((p) => p.text === 'Created despite 500')).toHaveLength(1);
  });

  it('an expired token asks to reconnect', async () => {
    const { account: other } = await connect(adapter);
    fake.expireAccessTokens();
    const outcome = await adapter.publish(publishRequest(other, { content: 'Too late' }));
    expect(outcome).toMatchObject({ kind: 'failed', error: { code: 'token_invalid', permanent: true, reconnect: true, httpStatus: 401 } });
  });

  it('a LinkedIn that cannot be reached is temporary and certainly not posted', async () => {
    const offline = createLinkedInPlatform({ ...CLIENT, apiBaseUrl: 'http://127.0.0.1:1' });
    const outcome = await offline.publish(publishRequest(account, { content: 'Nobody home' }));
    expect(outcome).toMatchObject({ kind: 'failed', error: { code: 'unreachable', permanent: false } });
  });
});

describe('linkedin: the error table', () => {
  const answer = (status: number, json: unknown, headers: Record<string, string> = {}): HttpAnswer => ({ status, headers, text: JSON.stringify(json), json });
  const now = Date.UTC(2026, 10, 29, 18, 0, 0);

  it.each([
    [401, { status: 401, serviceErrorCode: 65600, message: 'Invalid access token' }, { code: 'token_invalid', permanent: true, reconnect: true }],
    [401, { status: 401, serviceErrorCode: 65601, code: 'REVOKED_ACCESS_TOKEN', message: 'revoked' }, { code: 'token_invalid', permanent: true, reconnect: true }],
    [403, { status: 403, code: 'ACCESS_DENIED', message: 'Member is restricted' }, { code: 'forbidden', permanent: true }],
    [409, { status: 409, message: 'Content is a duplicate of urn:li:share:1' }, { code: 'duplicate', permanent: true }],
    [422, { status: 422, message: 'ERROR :: /commentary :: bad' }, { code: 'invalid_content', permanent: true }],
    [400, { status: 400, code: 'ILLEGAL_ARGUMENT', message: 'bad' }, { code: 'invalid_content', permanent: true }],
    [426, { status: 426, code: 'NONEXISTENT_VERSION', message: 'Requested version 202301 is not active' }, { code: 'api_version', permanent: true }],
    [500, { status: 500, message: 'Internal Server Error' }, { code: 'server_error', permanent: false }],
    [504, { status: 504, message: 'Gateway Timeout' }, { code: 'server_error', permanent: false }],
  ] as [number, unknown, { code: string; permanent: boolean; reconnect?: boolean }][])('%i %j', (status, json, expected) => {
    const error = classifyLinkedIn(answer(status, json), now);
    expect(error).toMatchObject({ ...expected, httpStatus: status });
    expect(error.reconnect === true).toBe(expected.reconnect === true);
  });

  it('429: Retry-After when sent, the midnight UTC reset for a DAY limit, nothing otherwise', () => {
    expect(classifyLinkedIn(answer(429, { message: 'Too many requests' }, { 'retry-after': '120' }), now).retryAfterMs).toBe(120_000);
    expect(classifyLinkedIn(answer(429, { message: 'Resource level throttle APPLICATION DAY limit for calls to this resource is reached.' }), now).retryAfterMs).toBe(6 * 3600_000);
    const protection = classifyLinkedIn(answer(429, { message: 'Too many requests' }), now);
    expect(protection).toMatchObject({ code: 'rate_limited', permanent: false });
    expect(protection.retryAfterMs).toBeUndefined();
  });
});
