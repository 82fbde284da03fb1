import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { type Clock, systemClock } from '../../src/core/time.js';
import { takeRefreshLease } from '../../src/store/account.repository.js';
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

  const startWorker = async (options: { clock?: Clock; compareClockWithDatabase?: boolean }) => {
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
    expect(warnings.some((line) => /this node's clock is 20\.0 s behind PostgreSQL's: posts due are published by this node's clock, 20\.0 s late/.test(line))).toBe(true);
    expect((await onTime.ctx.metrics.clockOffset.get()).values[0]!.value).toBeLessThan(1);
  });

  it("the lease on refreshing an account's credentials holds for the other worker too", async () => {
    const account = (await t.request('POST', '/v1/accounts', { platform: 'webhook', url: receiver.url('/a'), secret: 'a-shared-secret' })).json.id;
    // 90 s behind: past the 60 s lease, which in this node's own clock would have ended 30 s ago.
    const farBehind: Clock = { ...systemClock, now: () => systemClock.now() - 90_000 };
    const lagging = await startWorker({ clock: farBehind, compareClockWithDatabase: true });
    const onTime = await startWorker({});
    expect(Math.abs(lagging.ctx.leaseClock.now() - onTime.ctx.leaseClock.now())).toBeLessThan(1000);

    const { db } = t.app.ctx.store;
    expect(await takeRefreshLease(db, account, lagging.ctx.leaseClock.now(), 60_000)).toBe(true);
    expect(await takeRefreshLease(db, account, onTime.ctx.leaseClock.now(), 60_000)).toBe(false);
    expect(await takeRefreshLease(db, account, onTime.ctx.leaseClock.now() + 61_000, 60_000)).toBe(true);
  });
});
