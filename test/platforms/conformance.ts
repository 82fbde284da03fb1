import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublishOutcome } from '../../src/core/retry-policy.js';
import { checkContent } from '../../src/core/content-rules.js';
import {
  type ConnectedAccount,
  type PlatformAdapter,
  type PublishRequest,
  RefreshError,
  rulesOf,
} from '../../src/platforms/platform.js';

/** One post as the network's peer holds it. */
export interface PeerPost {
  id: string;
  text: string;
  /** The id of the post this one replies to (a thread), or null. */
  replyTo: string | null;
  images: { alt: string }[];
}

/** Failures every network can answer; the peer answers the next publishing request with one. */
export type FailureKind =
  | 'rate_limited'
  | 'server_error'
  | 'invalid_content'
  | 'duplicate'
  | 'suspended'
  | 'token_revoked';

/**
 * What a network's test peer offers the conformance suite. Each network's test builds one against
 * its peer (a real PDS for Bluesky; local servers answering as the API reference says for the rest).
 */
export interface PeerHarness {
  adapter: PlatformAdapter<any>;
  /** Connects an account through the adapter's own connect or OAuth flow against the peer. */
  connectAccount(): Promise<ConnectedAccount>;
  /** The posts the peer holds for the connected account, oldest first. */
  published(): Promise<PeerPost[]>;
  /**
   * The next request that would create a post (or upload media for it) is answered with this
   * failure instead, as the network documents it. `onPart` picks which part of a thread (0 = first).
   */
  failNext(kind: FailureKind, onPart?: number): void;
  /** Makes the peer consider the current access token expired (refresh test); absent: no expiry. */
  expireAccessToken?(): Promise<void>;
  /** Makes the peer refuse the next refresh (revoked refresh token). */
  refuseNextRefresh?(): void;
  /** URL of a small PNG the peer side serves. */
  imageUrl: string;
  close(): Promise<void>;
}

/** A PublishRequest as the scheduler builds it, with progress and credentials kept in memory. */
export function publishRequest(
  account: ConnectedAccount,
  overrides: Partial<PublishRequest> & { deliveryId?: string } = {},
): PublishRequest & { saved: { progress: Record<string, unknown> | null; credentials: Record<string, unknown> } } {
  const saved = { progress: null as Record<string, unknown> | null, credentials: account.credentials };
  const request: PublishRequest = {
    deliveryId: `dlv_${Math.random().toString(36).slice(2, 14)}`,
    postId: 'post_conformance',
    attempt: 1,
    content: 'Hello from Octopost',
    media: { images: [] },
    segments: [],
    scheduledFor: null,
    credentials: account.credentials,
    account: { platformUserId: account.platformUserId, username: account.username, meta: account.meta ?? {} },
    progress: null,
    async saveProgress(p) {
      saved.progress = p;
    },
    async saveCredentials(c) {
      saved.credentials = c;
    },
    signal: AbortSignal.timeout(20_000),
    ...overrides,
  };
  return Object.assign(request, { saved });
}

function failedWith(outcome: PublishOutcome) {
  expect(outcome.kind, JSON.stringify(outcome)).not.toBe('published');
  return (outcome as Exclude<PublishOutcome, { kind: 'published' }>).error;
}

/**
 * The shared conformance suite: every adapter publishes text, threads and images, classifies each
 * error class the same way, refreshes, and never posts a thread's part twice when resumed.
 */
export function runConformance(name: string, makeHarness: () => Promise<PeerHarness>) {
  describe(`${name}: platform conformance`, () => {
    let peer: PeerHarness;
    let account: ConnectedAccount;
    const unique = (text: string) => `${text} ${Math.random().toString(36).slice(2, 8)}`;

    beforeAll(async () => {
      peer = await makeHarness();
      account = await peer.connectAccount();
    }, 120_000);
    afterAll(async () => {
      await peer?.close();
    });

    it('connects with a profile filled in', () => {
      expect(account.platformUserId).toBeTruthy();
      expect(account.username).toBeTruthy();
      expect(account.displayName).toBeTruthy();
      expect(Object.keys(account.credentials).length).toBeGreaterThan(0);
    });

    it('publishes text and records the post id and a public URL', async () => {
      const text = unique('Plain text post');
      const before = (await peer.published()).length;
      const outcome = await peer.adapter.publish(publishRequest(account, { content: text }));
      expect(outcome.kind, JSON.stringify(outcome)).toBe('published');
      if (outcome.kind !== 'published') return;
      expect(outcome.postId).toBeTruthy();
      expect(outcome.postUrl).toMatch(/^https?:\/\//);
      const posts = await peer.published();
      expect(posts.length).toBe(before + 1);
      expect(posts.at(-1)!.text).toContain(text);
    });

    it('publishes an image with its alt text', async () => {
      const text = unique('With an image');
      const outcome = await peer.adapter.publish(
        publishRequest(account, { content: text, media: { images: [{ url: peer.imageUrl, alt_text: 'A red square' }] } }),
      );
      expect(outcome.kind, JSON.stringify(outcome)).toBe('published');
      const post = (await peer.published()).find((p) => p.text.includes(text))!;
      expect(post.images).toEqual([{ alt: 'A red square' }]);
    });

    it('publishes a thread as a reply chain, or refuses segments before sending', async () => {
      const rules = rulesOf(peer.adapter, account.meta ?? {});
      const post = { content: unique('Thread head'), segments: [{ content: 'Part two' }, { content: 'Part three' }], media: { images: [] } };
      if (!rules.supportsSegments) {
        expect(checkContent(name, rules, post).map((p) => p.field)).toContain('segments');
        return;
      }
      const outcome = await peer.adapter.publish(publishRequest(account, { content: post.content, segments: post.segments }));
      expect(outcome.kind, JSON.stringify(outcome)).toBe('published');
      const posts = await peer.published();
      const head = posts.find((p) => p.text.includes(post.content))!;
      const two = posts.find((p) => p.replyTo === head.id)!;
      expect(two.text).toContain('Part two');
      const three = posts.find((p) => p.replyTo === two.id)!;
      expect(three.text).toContain('Part three');
    });

    it('resumes a thread after a failed part without posting the first parts again', async () => {
      const rules = rulesOf(peer.adapter, account.meta ?? {});
      if (!rules.supportsSegments) return;
      const head = unique('Resumed thread');
      const before = (await peer.published()).length;
      peer.failNext('server_error', 1);
      const first = publishRequest(account, { content: head, segments: [{ content: 'second part' }] });
      const failed = failedWith(await peer.adapter.publish(first));
      expect(failed.permanent).toBe(false);
      const again = publishRequest(account, {
        deliveryId: first.deliveryId,
        attempt: 2,
        content: head,
        segments: [{ content: 'second part' }],
        progress: first.saved.progress,
      });
      const outcome = await peer.adapter.publish(again);
      expect(outcome.kind, JSON.stringify(outcome)).toBe('published');
      const posts = await peer.published();
      expect(posts.length).toBe(before + 2);
      expect(posts.filter((p) => p.text.includes(head))).toHaveLength(1);
    });

    const classes: [FailureKind, { permanent: boolean; reconnect?: boolean; retryAfter?: boolean }][] = [
      ['rate_limited', { permanent: false, retryAfter: true }],
      ['server_error', { permanent: false }],
      ['invalid_content', { permanent: true }],
      ['duplicate', { permanent: true }],
      ['suspended', { permanent: true }],
      ['token_revoked', { permanent: true, reconnect: true }],
    ];
    for (const [kind, expected] of classes) {
      it(`classifies ${kind} as ${expected.permanent ? 'permanent' : 'temporary'}${expected.reconnect ? ' with reconnect' : ''}`, async () => {
        peer.failNext(kind);
        const error = failedWith(await peer.adapter.publish(publishRequest(account, { content: unique(`Failing ${kind}`) })));
        expect(error.permanent).toBe(expected.permanent);
        expect(error.reconnect === true).toBe(expected.reconnect === true);
        if (expected.retryAfter) expect(error.retryAfterMs).toBeGreaterThan(0);
        expect(error.message.length).toBeGreaterThan(10);
      });
    }

    it('refreshes expiring credentials, and a refused refresh asks to reconnect', async (t) => {
      if (!peer.adapter.refresh || !peer.expireAccessToken) return t.skip();
      await peer.expireAccessToken();
      const refreshed = await peer.adapter.refresh(account.credentials, account.meta ?? {}, AbortSignal.timeout(10_000));
      account = { ...account, credentials: refreshed.credentials, expiresAt: refreshed.expiresAt };
      const outcome = await peer.adapter.publish(publishRequest(account, { content: unique('After refresh') }));
      expect(outcome.kind, JSON.stringify(outcome)).toBe('published');
      if (peer.refuseNextRefresh) {
        peer.refuseNextRefresh();
        const error = await peer.adapter.refresh(account.credentials, account.meta ?? {}, AbortSignal.timeout(10_000)).catch((e) => e);
        expect(error).toBeInstanceOf(RefreshError);
        expect((error as RefreshError).permanent).toBe(true);
      }
    });
  });
}
