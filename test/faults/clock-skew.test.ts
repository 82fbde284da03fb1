import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type App, createApp } from '../../src/app.js';
import { type Clock, systemClock } from '../../src/core/time.js';
import type { PlatformAdapter } from '../../src/platforms/platform.js';
import { PlatformRegistry } from '../../src/platforms/registry.js';
import { webhookPlatform } from '../../src/platforms/webhook.platform.js';
import { CredentialService } from '../../src/services/credentials.service.js';
import { postgresAvailable } from '../helpers/databases.js';
import { Receiver } from '../helpers/receiver.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

const BEHIND_MS = 20_000;
/** A node whose clock runs 20 s behind the others' (and PostgreSQL's). */
const behind: Clock = { ...systemClock, now: () => systemClock.now() - BEHIND_MS };

// Leases are written by one node and judged by another: kept in PostgreSQL's time (LeaseClock),
// a node's lagging clock cannot make its live attempt look abandoned to the others.
describe.runIf(await postgresAvailable())('clock skew between worker nodes (PostgreSQL)', () => {
  let t: TestApp;
  let receiver: Receiver;
  const workers: App[] = [];
  const warnings: string[] = [];

  beforeEach(async () => {
    receiver = await new Receiver().start();
    // The API node shares the lagging clock, so "publish now" is due for the lagging worker at once.
    t = await createTestApp('postgres', { clock: behind, config: { sweepIntervalMs: 100 } });
  });
  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.close();
    await t.close();
    await receiver.stop();
    warnings.length = 0;
  });

  const startWorker = async (options: { clock?: Clock; compareClockWithDatabase?: boolean; platforms?: PlatformRegistry }) => {
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    const worker = await createApp(t.app.ctx.config, { worker: true, logger, ...options });
    workers.push(worker);
    return worker;
  };

  it("a worker 20 s behind keeps its lease: another worker's sweep does not take its attempt and publish it again", async () => {
    const account = (await t.request('POST', '/v1/accounts', { platform: 'webhook', url: receiver.url('/slow'), secret: 'a-shared-secret' })).json.id;
    receiver.script('/slow', [{ status: 200, body: { id: 'remote-1' }, delayMs: 1500 }]);
    const lagging = await startWorker({ clock: behind, compareClockWithDatabase: true });

    const created = await t.request('POST', '/v1/posts', { content: 'on time, once', accounts: [account] });
    expect((await t.request('POST', `/v1/posts/${created.json.id}/publish`, {})).status).toBe(202);
    await receiver.waitFor(1, '/slow');

    // A second worker, on the right time, sweeping every 100 ms while the attempt runs: measured
    // in the lagging node's own clock, the lease would have run out 13 s ago (7 s from a claim 20 s back).
    const onTime = await startWorker({});
    let post: any;
    for (let i = 0; i < 100; i++) {
      post = (await t.request('GET', `/v1/posts/${created.json.id}`)).json;
      if (post.status === 'published') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 500)); // a few more sweeps

    expect(post.status).toBe('published');
    expect(post.deliveries[0]).toMatchObject({ status: 'published', attempts: 1, post_id: 'remote-1' });
    expect(receiver.on('/slow')).toHaveLength(1);
    const recovered = (await onTime.ctx.metrics.recoveredLeases.get()).values.reduce((sum, v) => sum + v.value, 0);
    expect(recovered).toBe(0);

    // The lagging worker knows, and says so.
    const offset = (await lagging.ctx.metrics.clockOffset.get()).values[0]!.value;
    expect(offset).toBeGreaterThan(19.5);
    expect(offset).toBeLessThan(20.5);
    expect(warnings.some((line) => /this node's clock is 20\.0 s behind PostgreSQL's\. Posts due are published by this node's clock: if it is the wrong one, 20\.0 s late/.test(line))).toBe(true);
    expect((await onTime.ctx.metrics.clockOffset.get()).values[0]!.value).toBeLessThan(1);
  });

  it("one node at a time refreshes an account's credentials, however far apart the nodes' clocks", async () => {
    // A network whose refresh takes a moment, and which rotates refresh tokens: a second refresh
    // with the old token would disconnect the account.
    const refreshes: string[] = [];
    const rotating: PlatformAdapter<Record<string, never>> = {
      name: 'rotating',
      rules: { maxLength: 500, maxImages: 0, supportsSegments: false },
      deduplicates: false,
      refreshAheadMs: 60_000,
      connectSchema: z.object({}),
      async connect() {
        throw new Error('not used');
      },
      async publish() {
        throw new Error('not used');
      },
      async refresh(credentials) {
        refreshes.push(String(credentials.refreshToken));
        await new Promise((r) => setTimeout(r, 1500));
        return { credentials: { refreshToken: `${credentials.refreshToken}+1` }, expiresAt: Date.now() + 2 * 3_600_000 };
      },
    };
    const platforms = () => new PlatformRegistry([webhookPlatform, rotating]);
    // 90 s behind: past the 60 s refresh lease, which in its own clock would have ended 30 s ago.
    const farBehind: Clock = { ...systemClock, now: () => systemClock.now() - 90_000 };
    const lagging = await startWorker({ clock: farBehind, compareClockWithDatabase: true, platforms: platforms() });
    const onTime = await startWorker({ platforms: platforms() });
    await t.app.ctx.store.db
      .insertInto('accounts')
      .values({ id: 'acc_rotating', user_id: t.userId, platform: 'rotating', platform_user_id: 'r', username: 'r', display_name: 'r', avatar_url: null, is_active: 1, credentials: t.app.ctx.secrets.seal({ refreshToken: 'token-1' }), connected_at: 0, last_used_at: null, deleted_at: null })
      .execute();

    const first = new CredentialService(lagging.ctx).refresh('acc_rotating', AbortSignal.timeout(20_000));
    await expect.poll(() => refreshes.length).toBe(1);
    const second = await new CredentialService(onTime.ctx).refresh('acc_rotating', AbortSignal.timeout(20_000));
    expect(await first).toEqual({ refreshToken: 'token-1+1' });
    expect(second).toEqual({ refreshToken: 'token-1+1' }); // waited for the other node's result
    expect(refreshes).toEqual(['token-1']);
  });
});
