import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { PublishOutcome } from '../src/core/retry-policy.js';
import type { PlatformAdapter } from '../src/platforms/platform.js';
import { PlatformRegistry } from '../src/platforms/registry.js';
import { webhookPlatform } from '../src/platforms/webhook.platform.js';
import { NOT_REPEATED } from '../src/scheduler/unknown-message.js';
import { dialects } from './helpers/databases.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';

/**
 * A worker forced to stop (its grace over) cuts its attempts off. What the delivery becomes then
 * depends on what the adapter saw, as for a network like X that cannot deduplicate: each account
 * of this stub network answers an abort its own way.
 */
const aborted = (signal: AbortSignal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
const behaviours = {
  /** Aborted before the request left: nothing was posted (X's media upload stage, say). */
  unsent: async (signal: AbortSignal): Promise<PublishOutcome> => {
    await aborted(signal);
    return { kind: 'failed', error: { code: 'timeout', message: 'Time ran out before it was sent; nothing was posted.', permanent: false } };
  },
  /** Aborted mid-request: it may have been posted. */
  midRequest: async (signal: AbortSignal): Promise<PublishOutcome> => {
    await aborted(signal);
    return { kind: 'ambiguous', error: { code: 'timeout', message: 'No answer in time; it may have been posted.', permanent: false } };
  },
  /** The network's own answer arrives after the abort: a refusal, which no stop changes. */
  refused: async (signal: AbortSignal): Promise<PublishOutcome> => {
    await aborted(signal);
    return { kind: 'failed', error: { code: 'http_400', message: 'The network refused the post.', permanent: true, httpStatus: 400 } };
  },
  /** Runs out of its own time first, and is still winding down when the stop comes. */
  lingering: async (signal: AbortSignal): Promise<PublishOutcome> => {
    await aborted(signal);
    await new Promise((r) => setTimeout(r, 600));
    return { kind: 'ambiguous', error: { code: 'timeout', message: 'No answer in time; it may have been posted.', permanent: false } };
  },
};
type Behaviour = keyof typeof behaviours;

let started: () => void = () => {};
const stub: PlatformAdapter<{ behaviour: Behaviour }> = {
  name: 'stub',
  rules: { maxLength: 1000, maxImages: 0, supportsSegments: false },
  deduplicates: false,
  connectSchema: z.object({ behaviour: z.enum(Object.keys(behaviours) as [Behaviour, ...Behaviour[]]) }),
  async connect({ behaviour }) {
    return { platformUserId: behaviour, username: behaviour, displayName: behaviour, avatarUrl: null, credentials: {}, meta: { behaviour } };
  },
  async publish(req) {
    started();
    return behaviours[req.account.meta.behaviour as Behaviour](req.signal);
  },
};

describe.each(await dialects())('attempts cut off by a forced stop on %s', (dialect) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  /** Publishes a post to a `behaviour` account now and, once its attempt runs, stops the worker with `graceMs`. */
  const cutOff = async (behaviour: Behaviour, graceMs: number, publishTimeoutMs = 30_000) => {
    t = await createTestApp(dialect, { worker: true, platforms: new PlatformRegistry([webhookPlatform, stub]), config: { publishTimeoutMs, retryDelaysMs: [60_000] } });
    const account = (await t.request('POST', '/v1/accounts', { platform: 'stub', behaviour })).json.id;
    const post = (await t.request('POST', '/v1/posts', { content: behaviour, accounts: [account] })).json;
    const running = new Promise<void>((resolve) => (started = resolve));
    expect((await t.request('POST', `/v1/posts/${post.id}/publish`)).status).toBe(202);
    await running;
    const stoppedAt = Date.now();
    await t.app.scheduler!.stop(graceMs);
    return { delivery: (await t.request('GET', `/v1/posts/${post.id}`)).json.deliveries[0], stoppedAt };
  };

  it('not sent: recorded as interrupted and due again at once, even where a repeat could post twice', async () => {
    const { delivery, stoppedAt } = await cutOff('unsent', 100);
    expect(delivery).toMatchObject({ status: 'retrying', attempts: 1, last_error: { code: 'interrupted', permanent: false } });
    expect(delivery.last_error.message).toBe('Octopost was stopping and cut this attempt off before it sent anything more.');
    expect(Date.parse(delivery.next_attempt_at)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(delivery.next_attempt_at)).toBeGreaterThanOrEqual(stoppedAt);
  });

  it('maybe sent, on an account that cannot deduplicate: unknown, never repeated by itself', async () => {
    const { delivery } = await cutOff('midRequest', 100);
    expect(delivery).toMatchObject({ status: 'unknown', attempts: 1, next_attempt_at: null, last_error: { code: 'interrupted' } });
    expect(delivery.last_error.message).toBe(`Octopost was stopping and cut this attempt off; the post may have gone out. ${NOT_REPEATED}`);
  });

  it("the network's own answer after the stop stands: a refusal stays a permanent failure", async () => {
    const { delivery } = await cutOff('refused', 100);
    expect(delivery).toMatchObject({ status: 'failed', last_error: { code: 'http_400', permanent: true, http_status: 400 } });
  });

  it('an attempt that ran out of its own time before the stop is a timeout, not an interruption', async () => {
    // Its 200 ms limit fires first; the stop's 300 ms grace ends while the adapter still winds down.
    const { delivery } = await cutOff('lingering', 300, 200);
    expect(delivery).toMatchObject({ status: 'unknown', last_error: { code: 'timeout' } });
    expect(delivery.last_error.message).toMatch(/^No answer in time/);
  });
});
