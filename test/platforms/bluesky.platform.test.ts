import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkContent } from '../../src/core/content-rules.js';
import { createBlueskyPlatform } from '../../src/platforms/bluesky.platform.js';
import { newId } from '../../src/core/ids.js';
import { recordKeyFor } from '../../src/platforms/bluesky-records.js';
import { type ConnectedAccount, RefreshError } from '../../src/platforms/platform.js';
import type { Fault } from '../peers/bluesky-pds/fault-proxy.js';
import { BlueskyPeer, type PeerAccount } from '../peers/bluesky-pds/peer.js';
import { type FailureKind, type PeerHarness, publishRequest, runConformance } from './conformance.js';

/**
 * The Bluesky adapter against a real PDS (the reference implementation, started from
 * test/peers/bluesky-pds) behind a fault proxy. One PDS serves the whole file; each part of the
 * file uses its own accounts.
 */
let shared: Promise<BlueskyPeer> | undefined;
const startPeer = () => (shared ??= BlueskyPeer.start());
// Runs before the suites' own hooks: a fresh clone installs the peer here (up to minutes).
beforeAll(startPeer, 600_000);
afterAll(async () => {
  const peer = await shared?.catch(() => undefined);
  if (!peer) return;
  expect(peer.proxy.problems).toEqual([]);
  expect(peer.proxy.pendingFaults).toBe(0);
  await peer.stop();
}, 30_000);

const CREATE = 'com.atproto.repo.createRecord';
const REVOKED: Fault = { status: 400, error: 'ExpiredToken', message: 'Token has been revoked' };
const BAD_PASSWORD: Fault = { status: 401, error: 'AuthenticationRequired', message: 'Invalid identifier or password' };

/** Each failure class as the PDS (or Bluesky's entryway) answers it. */
function faultFor(kind: FailureKind): Fault {
  switch (kind) {
    case 'rate_limited':
      return {
        status: 429,
        error: 'RateLimitExceeded',
        message: 'Rate Limit Exceeded',
        headers: { 'ratelimit-limit': '5000', 'ratelimit-remaining': '0', 'ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 120), 'ratelimit-policy': '5000;w=3600' },
      };
    case 'server_error':
      return { status: 500, error: 'InternalServerError', message: 'Internal Server Error' };
    case 'invalid_content':
      return { status: 400, error: 'InvalidRequest', message: 'Invalid app.bsky.feed.post record: string too long at $.record.text' };
    case 'duplicate':
      return { status: 400, error: 'InvalidRequest', message: 'Record already exists' };
    case 'suspended':
      return { status: 401, error: 'AccountTakedown', message: 'Account has been taken down' };
    case 'token_revoked':
      return REVOKED;
  }
}

async function makeHarness(): Promise<PeerHarness> {
  const peer = await startPeer();
  const adapter = createBlueskyPlatform({ defaultService: peer.proxy.url });
  let account: PeerAccount;
  return {
    adapter,
    async connectAccount() {
      account = await peer.createAccount();
      return adapter.connect({ identifier: account.handle, app_password: account.appPassword }, { blockPrivateUrls: false });
    },
    async published() {
      return (await peer.posts(account.did)).map((p) => ({
        id: p.uri,
        text: p.value.text,
        replyTo: p.value.reply?.parent.uri ?? null,
        images: (p.value.embed?.images ?? []).map((i) => ({ alt: i.alt })),
      }));
    },
    failNext(kind, onPart = 0) {
      peer.proxy.failNext(CREATE, faultFor(kind), onPart);
      if (kind === 'token_revoked') {
        // A revoked app password: the refresh token is revoked with it, and signing in again is refused.
        peer.proxy.failNext('com.atproto.server.refreshSession', REVOKED);
        peer.proxy.failNext('com.atproto.server.createSession', BAD_PASSWORD);
      }
    },
    async expireAccessToken() {
      peer.proxy.expireIssuedAccessTokens();
    },
    refuseNextRefresh() {
      peer.proxy.failNext('com.atproto.server.refreshSession', REVOKED);
      peer.proxy.failNext('com.atproto.server.createSession', BAD_PASSWORD);
    },
    get imageUrl() {
      return `${peer.proxy.url}/image.png`;
    },
    async close() {}, // the file's afterAll stops the shared PDS
  };
}

runConformance('bluesky', makeHarness);

describe('bluesky record keys', () => {
  /** The microseconds a TID holds (atproto.com/specs/tid), to check where keys fall in time. */
  const micros = (tid: string) => [...tid].reduce((v, ch) => v * 32n + BigInt('234567abcdefghijklmnopqrstuvwxyz'.indexOf(ch)), 0n) >> 10n;

  it('are valid TIDs, the same for the same delivery and part, and distinct otherwise', () => {
    const created = Date.UTC(2026, 2, 14, 13, 0);
    const ids = Array.from({ length: 1000 }, () => newId('dlv', created)); // one bulk import, one millisecond
    const keys = ids.flatMap((id) => [0, 1, 2].map((part) => recordKeyFor(id, part)));
    for (const key of keys) expect(key).toMatch(/^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$/);
    expect(new Set(keys).size).toBe(3000);
    expect(recordKeyFor(ids[0]!, 1)).toBe(keys[1]);
    for (const key of keys) {
      expect(micros(key)).toBeLessThanOrEqual(BigInt(created) * 1000n); // never a key from the future
      expect(micros(key)).toBeGreaterThan(BigInt(created - 2 * 3600_000) * 1000n);
    }
  });
});

describe('bluesky adapter against a real PDS', () => {
  let peer: BlueskyPeer;
  let adapter: ReturnType<typeof createBlueskyPlatform>;
  let user: PeerAccount;
  let account: ConnectedAccount;
  const unique = (text: string) => `${text} ${Math.random().toString(36).slice(2, 8)}`;
  const connect = (a: PeerAccount) => adapter.connect({ identifier: a.handle, app_password: a.appPassword }, { blockPrivateUrls: false });
  const postsWith = async (did: string, text: string) => (await peer.posts(did)).filter((p) => p.value.text === text);

  beforeAll(async () => {
    peer = await startPeer();
    adapter = createBlueskyPlatform({ defaultService: peer.proxy.url, appUrl: 'https://bsky.app' });
    user = await peer.createAccount('Ada Tester');
    account = await connect(user);
    console.info(`bluesky peer: PDS started in ${peer.startupMs} ms`);
  }, 300_000);

  it('connects: DID, handle, the profile name, a session and when it can no longer be refreshed', () => {
    expect(account).toMatchObject({ platformUserId: user.did, username: user.handle, displayName: 'Ada Tester', meta: { service: peer.proxy.url } });
    expect(account.credentials).toMatchObject({ service: peer.proxy.url, identifier: user.handle, appPassword: user.appPassword, session: { did: user.did, handle: user.handle } });
    expect(account.expiresAt).toBeGreaterThan(Date.now() + 24 * 3600_000);
  });

  it('refuses a wrong app password, and the main password, as validation errors on app_password', async () => {
    const wrong = adapter.connect({ identifier: user.handle, app_password: 'aaaa-bbbb-cccc-dddd' }, { blockPrivateUrls: false });
    await expect(wrong).rejects.toMatchObject({ code: 'validation_failed', details: { field: 'app_password' } });
    await expect(wrong).rejects.toThrow(/Invalid identifier or password/);
    const main = adapter.connect({ identifier: user.email, app_password: user.password }, { blockPrivateUrls: false });
    await expect(main).rejects.toMatchObject({ code: 'validation_failed', details: { field: 'app_password' } });
  });

  it('stores link, mention and tag facets with UTF-8 byte offsets (an emoji before the link)', async () => {
    const friend = await peer.createAccount('Friend');
    const link = 'https://example.com/path?q=1';
    const text = `Wave 👋🏽 ${link} hi @${friend.handle} and @nobody.test #octopost ${Math.random().toString(36).slice(2, 6)}`;
    const outcome = await adapter.publish(publishRequest(account, { content: text }));
    expect(outcome.kind, JSON.stringify(outcome)).toBe('published');
    const [post] = await postsWith(user.did, text);
    const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
    const linkStart = bytes('Wave 👋🏽 ');
    const mentionStart = bytes(`Wave 👋🏽 ${link} hi `);
    expect(post!.value.facets).toEqual([
      { index: { byteStart: linkStart, byteEnd: linkStart + bytes(link) }, features: [{ $type: 'app.bsky.richtext.facet#link', uri: link }] },
      { index: { byteStart: mentionStart, byteEnd: mentionStart + bytes(`@${friend.handle}`) }, features: [{ $type: 'app.bsky.richtext.facet#mention', did: friend.did }] },
      expect.objectContaining({ features: [{ $type: 'app.bsky.richtext.facet#tag', tag: 'octopost' }] }),
    ]);
    // The facet's bytes are the link itself, not shifted by the emoji's UTF-16 length.
    expect(Buffer.from(text).subarray(linkStart, linkStart + bytes(link)).toString()).toBe(link);
  });

  it('counts graphemes: 301 refused before sending, 300 emoji accepted by checkContent and by the PDS', async () => {
    const over = checkContent('bluesky', adapter.rules, { content: 'a'.repeat(301), segments: [], media: { images: [] } });
    expect(over).toEqual([expect.objectContaining({ field: 'content', limit: 300, count: 301 })]);
    const emoji = '👍🏽'.repeat(299) + 'x';
    expect(checkContent('bluesky', adapter.rules, { content: emoji, segments: [], media: { images: [] } })).toEqual([]);
    const creates = peer.proxy.count(CREATE);
    const refused = await adapter.publish(publishRequest(account, { content: 'b'.repeat(301) }));
    expect(refused).toMatchObject({ kind: 'failed', error: { code: 'too_long', permanent: true } });
    expect(peer.proxy.count(CREATE)).toBe(creates);
    const accepted = await adapter.publish(publishRequest(account, { content: emoji }));
    expect(accepted.kind, JSON.stringify(accepted)).toBe('published');
    // 300 graphemes can still break the lexicon's 3000-byte cap (a family emoji is 25 bytes).
    const heavy = await adapter.publish(publishRequest(account, { content: '👨‍👩‍👧‍👦'.repeat(200) }));
    expect(heavy).toMatchObject({ kind: 'failed', error: { code: 'too_long', permanent: true } });
    expect(peer.proxy.count(CREATE)).toBe(creates + 1);
  });

  it('renews an expired session with the refresh token, saves it, and the saved one works', async () => {
    peer.proxy.expireIssuedAccessTokens();
    const refreshes = peer.proxy.count('com.atproto.server.refreshSession');
    const req = publishRequest(account, { content: unique('After expiry') });
    const outcome = await adapter.publish(req);
    expect(outcome.kind, JSON.stringify(outcome)).toBe('published');
    expect(peer.proxy.count('com.atproto.server.refreshSession')).toBe(refreshes + 1);
    const saved = req.saved.credentials as { session: { accessJwt: string; refreshJwt: string } };
    // The new session is saved. Its access JWT can be byte-identical to the old one when both were
    // issued in the same second (one-second `iat`, no nonce), so compare the refresh JWT, which
    // the PDS rotates on every refresh and which carries a unique id.
    expect(saved.session.refreshJwt).not.toBe((account.credentials as typeof saved).session.refreshJwt);
    account = { ...account, credentials: saved };
    const again = await adapter.publish(publishRequest(account, { content: unique('With the saved session') }));
    expect(again.kind).toBe('published');
    expect(peer.proxy.count('com.atproto.server.refreshSession')).toBe(refreshes + 1);
  });

  it('signs in again with the app password when the refresh token is refused', async () => {
    peer.proxy.expireIssuedAccessTokens();
    peer.proxy.failNext('com.atproto.server.refreshSession', REVOKED);
    const sessions = peer.proxy.count('com.atproto.server.createSession');
    const req = publishRequest(account, { content: unique('After a refused refresh') });
    const outcome = await adapter.publish(req);
    expect(outcome.kind, JSON.stringify(outcome)).toBe('published');
    expect(peer.proxy.count('com.atproto.server.createSession')).toBe(sessions + 1);
    account = { ...account, credentials: req.saved.credentials };
  });

  it('a revoked app password (really revoked on the PDS) fails permanently and asks to reconnect', async () => {
    const other = await peer.createAccount();
    const connected = await connect(other);
    await peer.revokeAppPassword(other);
    peer.proxy.expireIssuedAccessTokens();
    const outcome = await adapter.publish(publishRequest(connected, { content: unique('Revoked') }));
    expect(outcome).toMatchObject({ kind: 'failed', error: { permanent: true, reconnect: true } });
    const error = await adapter.refresh!(connected.credentials, {}, AbortSignal.timeout(10_000)).catch((e) => e);
    expect(error).toBeInstanceOf(RefreshError);
    expect(error.permanent).toBe(true);
  });

  it('a taken-down account (a real takedown on the PDS) fails permanently, without reconnect', async () => {
    const other = await peer.createAccount();
    const connected = await connect(other);
    await peer.takeDown(other.did);
    const outcome = await adapter.publish(publishRequest(connected, { content: unique('Taken down') }));
    expect(outcome).toMatchObject({ kind: 'failed', error: { code: 'suspended', permanent: true } });
    expect((outcome as { error: { reconnect?: boolean } }).error.reconnect).toBeUndefined();
  });

  it('the same delivery published twice (progress lost) makes one record', async () => {
    const text = unique('Published twice');
    const first = publishRequest(account, { content: text });
    const one = await adapter.publish(first);
    const two = await adapter.publish(publishRequest(account, { deliveryId: first.deliveryId, attempt: 2, content: text, progress: null }));
    expect(one.kind).toBe('published');
    expect(two).toEqual(one);
    expect(await postsWith(user.did, text)).toHaveLength(1);
    expect(one).toMatchObject({ postUrl: `https://bsky.app/profile/${user.handle}/post/${recordKeyFor(first.deliveryId, 0)}` });
  });

  it('a lost answer is ambiguous; the next attempt finds the record and reports the same URL', async () => {
    const text = unique('Lost answer');
    const first = publishRequest(account, { content: text });
    peer.proxy.failNext(CREATE, 'lose');
    const lost = await adapter.publish(first);
    expect(lost).toMatchObject({ kind: 'ambiguous', error: { permanent: false } });
    expect(await postsWith(user.did, text)).toHaveLength(1); // the PDS did write it
    const creates = peer.proxy.count(CREATE);
    const again = await adapter.publish(publishRequest(account, { deliveryId: first.deliveryId, attempt: 2, content: text }));
    expect(again).toEqual({
      kind: 'published',
      postId: `at://${user.did}/app.bsky.feed.post/${recordKeyFor(first.deliveryId, 0)}`,
      postUrl: `https://bsky.app/profile/${user.handle}/post/${recordKeyFor(first.deliveryId, 0)}`,
    });
    expect(peer.proxy.count(CREATE)).toBe(creates);
    expect(await postsWith(user.did, text)).toHaveLength(1);
  });

  it('a 500 after the PDS wrote the record (key already taken) is a success after the look-up', async () => {
    const text = unique('Already there');
    const first = publishRequest(account, { content: text });
    await adapter.publish(first);
    // Same delivery, attempt 1 again (no look-up first): the PDS itself answers 500 for the taken key.
    const repeat = await adapter.publish(publishRequest(account, { deliveryId: first.deliveryId, content: text }));
    expect(repeat).toMatchObject({ kind: 'published' });
    expect(await postsWith(user.did, text)).toHaveLength(1);
  });

  const UPLOAD = 'com.atproto.repo.uploadBlob';
  const table: [string, string, Fault, object][] = [
    ['502 UpstreamFailure', CREATE, { status: 502, error: 'UpstreamFailure', message: 'Upstream Failure' }, { code: 'server_error', permanent: false }],
    ['503 on the image upload', UPLOAD, { status: 503, error: 'NotEnoughResources', message: 'Not Enough Resources' }, { code: 'server_error', permanent: false }],
    ['429 on the image upload', UPLOAD, faultFor('rate_limited'), { code: 'rate_limited', permanent: false, retryAfterMs: expect.any(Number) }],
    ['400 InvalidRequest', CREATE, { status: 400, error: 'InvalidRequest', message: 'Invalid app.bsky.feed.post record' }, { code: 'rejected', permanent: true }],
    ['413 BlobTooLarge', UPLOAD, { status: 413, error: 'BlobTooLarge', message: 'This file is too large' }, { code: 'media_too_large', permanent: true }],
    ['401 AccountDeactivated', CREATE, { status: 401, error: 'AccountDeactivated', message: 'Account is deactivated' }, { code: 'suspended', permanent: true }],
  ];
  it.each(table)('classifies %s', async (_name, nsid, fault, expected) => {
    peer.proxy.failNext(nsid, fault);
    const outcome = await adapter.publish(
      publishRequest(account, { content: unique('Classified'), media: { images: [{ url: `${peer.proxy.url}/image.png` }] } }),
    );
    expect(outcome).toMatchObject({ kind: 'failed', error: expected });
    expect((outcome as { error: { reconnect?: boolean } }).error.reconnect).toBeUndefined();
  });

  it('an unreachable service is temporary and certainly not sent', async () => {
    // A port that was just free (fetch refuses "bad ports" such as 1 before connecting at all).
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const closed = { ...account, credentials: { ...account.credentials, service: `http://127.0.0.1:${port}` } };
    const outcome = await adapter.publish(publishRequest(closed, { content: unique('Unreachable') }));
    expect(outcome).toMatchObject({ kind: 'failed', error: { code: 'unreachable', permanent: false } });
  });

  it('no answer in time after sending is ambiguous; the repeat finds the post', async () => {
    const text = unique('Timed out');
    const first = publishRequest(account, { content: text, signal: AbortSignal.timeout(1500) });
    peer.proxy.failNext(CREATE, 'hang');
    const outcome = await adapter.publish(first);
    expect(outcome).toMatchObject({ kind: 'ambiguous', error: { code: 'timeout', permanent: false } });
    const again = await adapter.publish(publishRequest(account, { deliveryId: first.deliveryId, attempt: 2, content: text }));
    expect(again.kind).toBe('published');
    expect(await postsWith(user.did, text)).toHaveLength(1);
  });

  it('embeds an image with alt text and aspect ratio; threads carry root and parent', async () => {
    const head = unique('Thread with image');
    const calls = peer.proxy.calls.length;
    const outcome = await adapter.publish(
      publishRequest(account, { content: head, segments: [{ content: 'two' }, { content: 'three' }], media: { images: [{ url: `${peer.proxy.url}/image.png`, alt_text: 'Red' }] } }),
    );
    expect(outcome.kind, JSON.stringify(outcome)).toBe('published');
    // Earlier tests expired every session handed out: calls refused for that are left out.
    const made = peer.proxy.calls.slice(calls).filter((c) => c.status === 200 && c.nsid.startsWith('com.atproto.repo.')).map((c) => c.nsid);
    expect(made).toEqual(['com.atproto.repo.uploadBlob', CREATE, CREATE, CREATE]);
    const posts = await peer.posts(user.did);
    const first = posts.find((p) => p.value.text === head)!;
    expect(first.value.embed).toMatchObject({ $type: 'app.bsky.embed.images', images: [{ alt: 'Red', aspectRatio: { width: 6, height: 4 }, image: { mimeType: 'image/png' } }] });
    const second = posts.find((p) => p.value.reply?.parent.uri === first.uri)!;
    const third = posts.find((p) => p.value.reply?.parent.uri === second.uri)!;
    expect(third.value.reply!.root.uri).toBe(first.uri);
  });
});
