import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkContent } from '../../src/core/content-rules.js';
import { createMastodonPlatform } from '../../src/platforms/mastodon.platform.js';
import { type ConnectedAccount, type OAuthClientStore, type PlatformAdapter, rulesOf } from '../../src/platforms/platform.js';
import { MastodonFake } from '../peers/mastodon-fake.js';
import { publishRequest, runConformance } from './conformance.js';

const REDIRECT = 'https://octopost.test/v1/accounts/connect/mastodon/callback';

/** The `oauth_clients` table as the OAuth flow sees it. */
function memoryClients(): OAuthClientStore & { rows: Map<string, Record<string, unknown>> } {
  const rows = new Map<string, Record<string, unknown>>();
  return {
    rows,
    async get(server) {
      return rows.get(server);
    },
    async put(server, client) {
      rows.set(server, client);
    },
  };
}

/** What the API and the browser do: start, let the user approve on the instance, finish. */
async function connectByBrowser(adapter: PlatformAdapter<any>, fake: MastodonFake, clients: OAuthClientStore, redirectUri = REDIRECT) {
  const state = `st_${Math.random().toString(36).slice(2)}`;
  const started = await adapter.oauth!.start(adapter.oauth!.startSchema.parse({ instance: fake.url }), { blockPrivateUrls: false, redirectUri, state, clients });
  const approved = fake.approve(started.authorizeUrl);
  expect(approved.state).toBe(state);
  const remembered = JSON.parse(JSON.stringify(started.remember)) as Record<string, unknown>; // stored as JSON
  const account = await adapter.oauth!.finish(approved.code, remembered, { blockPrivateUrls: false, redirectUri, clients });
  return { started, account };
}

runConformance('mastodon', async () => {
  const fake = await new MastodonFake().start();
  const adapter = createMastodonPlatform({ mediaPollMs: 5 });
  return {
    adapter,
    connectAccount: async () => (await connectByBrowser(adapter, fake, memoryClients())).account,
    published: async () =>
      fake.statusesOf(fake.accountId()).map((s) => ({
        id: s.id,
        text: s.text,
        replyTo: s.inReplyTo,
        images: s.mediaIds.map((id) => ({ alt: fake.media.get(id)!.description ?? '' })),
      })),
    failNext: (kind, onPart) => fake.failNext(kind, onPart),
    imageUrl: fake.imageUrl,
    async close() {
      expect(fake.problems).toEqual([]);
      await fake.close();
    },
  };
});

describe('mastodon adapter against a fake Mastodon 4.3 instance', () => {
  let fake: MastodonFake;
  let other: MastodonFake;
  const adapter = createMastodonPlatform({ mediaPollMs: 5, website: 'https://octopost.test' });

  beforeAll(async () => {
    fake = await new MastodonFake({ domain: 'fake.example' }).start();
    other = await new MastodonFake().start();
  });
  afterAll(async () => {
    await fake.close();
    await other.close();
  });
  const noProblems = () => {
    expect(fake.problems).toEqual([]);
    expect(other.problems).toEqual([]);
  };

  it('connects through the browser: one app per instance, PKCE checked, profile filled', async () => {
    const clients = memoryClients();
    expect(adapter.oauth!.configured()).toBe(true);
    const { started, account } = await connectByBrowser(adapter, fake, clients);
    const q = new URL(started.authorizeUrl).searchParams;
    expect(started.authorizeUrl.startsWith(`${fake.url}/oauth/authorize?`)).toBe(true);
    expect(Object.fromEntries(q)).toMatchObject({ response_type: 'code', redirect_uri: REDIRECT, scope: 'read:accounts write:statuses write:media', code_challenge_method: 'S256' });
    expect(clients.rows.get(fake.url)).toMatchObject({ client_id: q.get('client_id'), redirect_uri: REDIRECT });
    expect(account).toMatchObject({
      platformUserId: `${fake.accountId()}@${fake.host}`,
      username: '@octo@fake.example',
      displayName: 'Octo Pus',
      avatarUrl: `${fake.url}/avatars/octo.png`,
      credentials: { instance: fake.url },
      meta: { instance: fake.url, max_characters: 500, url_length: 23, max_media: 4, image_size_limit: 16_777_216 },
      expiresAt: null,
    });
    expect((account.meta as any).image_types).toEqual(['image/jpeg', 'image/png', 'image/gif', 'image/heic', 'image/heif', 'image/webp', 'image/avif']);

    await connectByBrowser(adapter, fake, clients); // the same instance again: the app is reused
    expect(fake.count('POST /api/v1/apps')).toBe(1);
    await connectByBrowser(adapter, other, clients); // another instance registers its own app
    expect(other.count('POST /api/v1/apps')).toBe(1);
    await connectByBrowser(adapter, fake, clients, 'https://moved.test/v1/accounts/connect/mastodon/callback');
    expect(fake.count('POST /api/v1/apps')).toBe(2); // a new public URL needs a new registration
    expect(fake.count('POST /oauth/token')).toBe(3);
    noProblems();
  });

  it('a wrong PKCE verifier is refused by the instance and reported on the code', async () => {
    const clients = memoryClients();
    const started = await adapter.oauth!.start({ instance: fake.url }, { blockPrivateUrls: false, redirectUri: REDIRECT, state: 's1', clients });
    const { code } = fake.approve(started.authorizeUrl);
    const tampered = { ...started.remember, code_verifier: 'x'.repeat(43) };
    await expect(adapter.oauth!.finish(code, tampered, { blockPrivateUrls: false, redirectUri: REDIRECT, clients })).rejects.toMatchObject({
      code: 'validation_failed',
      details: { field: 'code' },
    });
    expect(fake.problems.splice(0)).toEqual(['token: PKCE code_verifier does not match the challenge']);
  });

  it('connects by a pasted token, normalising the instance to its origin', async () => {
    const token = fake.createToken();
    const account = await adapter.connect!({ instance: `${fake.url}/about`, access_token: token }, { blockPrivateUrls: false });
    expect(account).toMatchObject({ platformUserId: `${fake.accountId()}@${fake.host}`, username: '@octo@fake.example', credentials: { instance: fake.url, access_token: token } });
    await expect(adapter.connect!({ instance: fake.url, access_token: token }, { blockPrivateUrls: true })).rejects.toMatchObject({ details: { field: 'instance' } });
    noProblems();
  });

  it('a refused token at connect is a validation error on access_token', async () => {
    const token = fake.createToken();
    fake.revoke(token);
    await expect(adapter.connect!({ instance: fake.url, access_token: token }, { blockPrivateUrls: false })).rejects.toMatchObject({
      code: 'validation_failed',
      details: { field: 'access_token' },
      message: expect.stringContaining('The access token was revoked'),
    });
    expect(adapter.connectSchema!.safeParse({ instance: fake.url, access_token: 't', extra: 1 }).success).toBe(false);
  });

  it("reads the instance's own limit: 1000 allows 600 characters and refuses 1001", async () => {
    const big = await new MastodonFake({ maxCharacters: 1000 }).start();
    try {
      const account = await adapter.connect!({ instance: big.url, access_token: big.createToken() }, { blockPrivateUrls: false });
      const rules = rulesOf(adapter, account.meta!);
      expect(rules.maxLength).toBe(1000);
      const post = (content: string) => ({ content, segments: [], media: { images: [] } });
      expect(checkContent('mastodon', rules, post('a'.repeat(600)))).toEqual([]);
      expect(checkContent('mastodon', rules, post('a'.repeat(1001)))).toMatchObject([{ field: 'content', limit: 1000, count: 1001 }]);
      expect(checkContent('mastodon', adapter.rules, post('a'.repeat(600)))).toHaveLength(1); // unknown account: 500
      const outcome = await adapter.publish(publishRequest(account, { content: 'a'.repeat(600) }));
      expect(outcome.kind, JSON.stringify(outcome)).toBe('published');
      expect(big.problems).toEqual([]);
    } finally {
      await big.close();
    }
  });

  it('falls back to /api/v1/instance on servers without v2', async () => {
    const old = await new MastodonFake({ v1Only: true, maxCharacters: 700 }).start();
    try {
      const account = await adapter.connect!({ instance: old.url, access_token: old.createToken() }, { blockPrivateUrls: false });
      expect(account.meta).toMatchObject({ max_characters: 700 });
      expect(old.count('GET /api/v2/instance')).toBe(1);
      expect(old.count('GET /api/v1/instance')).toBe(1);
    } finally {
      await old.close();
    }
  });

  describe('publishing', () => {
    let account: ConnectedAccount;
    beforeAll(async () => {
      account = await adapter.connect!({ instance: fake.url, access_token: fake.createToken() }, { blockPrivateUrls: false });
    });

    it('counts a URL as 23 characters: a 600-character URL fits a 500 limit', async () => {
      const content = `Read this: https://example.com/${'p'.repeat(580)} today`;
      expect(content.length).toBeGreaterThan(600);
      expect(checkContent('mastodon', rulesOf(adapter, account.meta!), { content, segments: [], media: { images: [] } })).toEqual([]);
      const outcome = await adapter.publish(publishRequest(account, { content }));
      expect(outcome.kind, JSON.stringify(outcome)).toBe('published');
      noProblems();
    });

    it('sends Idempotency-Key <delivery>:<part>: the same delivery twice makes one status', async () => {
      const first = publishRequest(account, { content: 'Only once' });
      const before = fake.count('POST /api/v1/statuses');
      const a = await adapter.publish(first);
      // A lost answer: the scheduler repeats the attempt without progress.
      const b = await adapter.publish(publishRequest(account, { deliveryId: first.deliveryId, attempt: 2, content: 'Only once' }));
      expect(a).toEqual(b);
      expect(fake.count('POST /api/v1/statuses')).toBe(before + 2);
      expect(fake.statuses.filter((s) => s.text === 'Only once')).toHaveLength(1);
      expect(first.saved.progress).toEqual({ parts: [{ id: (a as any).postId, url: (a as any).postUrl }] });
      expect((a as any).postUrl).toBe(`${fake.url}/@octo/${(a as any).postId}`);
      noProblems();
    });

    it('resumes a thread from saved progress, even after the Idempotency-Keys expired', async () => {
      fake.failNext('server_error', 2);
      const segments = [{ content: 'Resume two' }, { content: 'Resume three' }];
      const first = publishRequest(account, { content: 'Resume one', segments });
      expect((await adapter.publish(first)).kind).not.toBe('published');
      const saved = first.saved.progress as { parts: { id: string }[] };
      expect(saved.parts).toHaveLength(2);
      fake.expireIdempotencyKeys(); // more than an hour later: only the progress prevents a double post
      const before = fake.count('POST /api/v1/statuses');
      const again = publishRequest(account, { deliveryId: first.deliveryId, attempt: 2, content: 'Resume one', segments, progress: saved });
      const outcome = await adapter.publish(again);
      expect(outcome).toMatchObject({ kind: 'published', postId: saved.parts[0]!.id });
      expect(fake.count('POST /api/v1/statuses') - before).toBe(1);
      const texts = fake.statuses.filter((s) => s.text.startsWith('Resume'));
      expect(texts.map((s) => s.text)).toEqual(['Resume one', 'Resume two', 'Resume three']);
      expect(texts[2]!.inReplyTo).toBe(saved.parts[1]!.id);
      expect((again.saved.progress as any).parts).toHaveLength(3);
      noProblems();
    });

    it('waits for an image still processing (202) by polling, then attaches it', async () => {
      fake.processNextUpload(2);
      const polls = fake.count('GET /api/v1/media/:id');
      const outcome = await adapter.publish(publishRequest(account, { content: 'Processed', media: { images: [{ url: fake.imageUrl, alt_text: 'Red' }] } }));
      expect(outcome.kind, JSON.stringify(outcome)).toBe('published');
      expect(fake.count('GET /api/v1/media/:id') - polls).toBe(3); // 206, 206, 200
      const status = fake.statuses.find((s) => s.text === 'Processed')!;
      expect(status.mediaIds.map((id) => fake.media.get(id)!.description)).toEqual(['Red']);
      noProblems();
    });

    it('gives up waiting within its bound: temporary, and nothing posted', async () => {
      const impatient = createMastodonPlatform({ mediaPollMs: 5, mediaWaitMs: 30 });
      fake.processNextUpload(1_000_000);
      const before = fake.statuses.length;
      const outcome = await impatient.publish(publishRequest(account, { content: 'Never', media: { images: [{ url: fake.imageUrl }] } }));
      expect(outcome).toMatchObject({ kind: 'failed', error: { code: 'media_processing', permanent: false } });
      expect(fake.statuses.length).toBe(before);
      noProblems();
    });

    it('reads X-RateLimit-Reset (ISO 8601) as the wait', async () => {
      fake.failNext('rate_limited');
      const outcome = await adapter.publish(publishRequest(account, { content: 'Limited' }));
      expect(outcome).toMatchObject({ kind: 'failed', error: { code: 'rate_limited', httpStatus: 429 } });
      const wait = (outcome as any).error.retryAfterMs as number;
      expect(wait).toBeGreaterThan(100_000);
      expect(wait).toBeLessThanOrEqual(120_000);
    });

    it('a revoked token asks to reconnect, quoting Mastodon', async () => {
      const token = fake.createToken();
      const revoked = { ...account, credentials: { instance: fake.url, access_token: token } };
      fake.revoke(token);
      const outcome = await adapter.publish(publishRequest(revoked, { content: 'After revocation' }));
      expect(outcome).toMatchObject({ kind: 'failed', error: { code: 'token_revoked', permanent: true, reconnect: true, httpStatus: 401 } });
      expect((outcome as any).error.message).toContain('The access token was revoked');
    });

    it('an unreachable instance is temporary and certainly not posted', async () => {
      const gone = { ...account, credentials: { instance: 'http://127.0.0.1:1', access_token: 'x' } };
      const outcome = await adapter.publish(publishRequest(gone, { content: 'Nowhere' }));
      expect(outcome).toMatchObject({ kind: 'failed', error: { code: 'network_error', permanent: false } });
    });
  });
});
