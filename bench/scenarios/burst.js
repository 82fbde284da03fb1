// Scenarios 2 and 3 (end to end): 10,000 deliveries due at the same whole second. Measures the
// time from that second until the receiver has all of them, and until all are recorded.
// burst-2w (PostgreSQL only): the same with two workers on the same database, i.e. a second app
// (its own pool and LISTEN connection, as another node would have) in this process. Both share
// this process's event loop, so this shows what two claimers on one database do, not two CPUs.
import os from 'node:os';
import { sql } from 'kysely';
import pino from 'pino';
import { createApp } from '../../dist/app.js';
import { track } from '../lib/cleanup.js';
import { analyzeLikeAutovacuum, connectWebhooks, insertDuePosts, startOctopost } from '../lib/octopost.js';
import { startReceiver } from '../lib/receiver-client.js';
import { max, min } from '../lib/stats.js';
import { cpuSnapshot } from '../lib/system-cpu.js';
import { sleep, waitUntil } from '../lib/timing.js';

// 1,000 posts x 10 webhook accounts = 10,000 deliveries: several accounts, as in real use, and
// setup stays a few seconds (each post is three statements through insertPost).
export const ACCOUNTS = 10;
export const POSTS = 1000;
export const DELIVERIES = ACCOUNTS * POSTS;

export default burstScenario({ workers: 1 });
export const burst2Workers = burstScenario({ workers: 2 });

function burstScenario({ workers }) {
  return {
    name: workers === 1 ? 'burst' : `burst-${workers}w`,
    dialects: workers === 1 ? undefined : ['postgres'], // SQLite runs one worker
    title: `${DELIVERIES.toLocaleString('en')} deliveries due at the same second, ${workers} worker${workers === 1 ? '' : 's'}`,
    timeoutMs: 120_000,

    async run({ dialect, signal }) {
      const receiver = await startReceiver();
      let octo;
      const closeOthers = [];
      try {
        octo = await startOctopost(dialect, 'burst', { worker: true });
        const { app } = octo;
        const apps = [app];
        for (let w = 1; w < workers; w++) {
          const other = await createApp(octo.config, { worker: true, logger: pino({ level: 'silent' }) });
          closeOthers.push(track(`octopost worker ${w + 1} (burst)`, () => other.close()));
          apps.push(other);
        }
        const urls = Array.from({ length: ACCOUNTS }, (_, i) => receiver.url(`/hook/${i}`));
        const accountIds = await connectWebhooks(octo, urls);

        // Insert everything due in an hour (so the running scheduler leaves it alone however long
        // the setup takes), then move it all to the next whole second with two UPDATEs.
        const setupStarted = Date.now();
        await insertDuePosts(octo, { postCount: POSTS, accountIds, dueAt: Date.now() + 3_600_000 });
        await analyzeLikeAutovacuum(octo); // as it would have during the hour
        const setupMs = Date.now() - setupStarted;
        const dueAt = Math.ceil((Date.now() + 1000) / 1000) * 1000;
        await sql`UPDATE deliveries SET due_at = ${dueAt}`.execute(app.ctx.store.db);
        await sql`UPDATE posts SET scheduled_for = ${dueAt}`.execute(app.ctx.store.db);
        app.ctx.due.announce(dueAt);
        await sleep(Math.max(0, dueAt - Date.now()), signal);
        // CPU time of this process (Octopost plus the bench's light polling; the receiver is another
        // process): unlike the wall-clock figures, it barely moves when the machine is shared.
        const cpuBefore = process.cpuUsage();
        const cpuElsewhere = cpuSnapshot([receiver.pid]);

        // "Recorded" = the scheduler has stored the outcome; its counter is bumped right after
        // recordOutcome commits, and reading it in-process costs next to nothing.
        const publishedBy = async (a) =>
          (await a.ctx.metrics.publishAttempts.get()).values.filter((v) => v.labels.outcome === 'published').reduce((n, v) => n + v.value, 0);
        const published = async () => (await Promise.all(apps.map(publishedBy))).reduce((n, v) => n + v, 0);
        await receiver.waitForCount(DELIVERIES, { signal, timeoutMs: 90_000, intervalMs: 25 });
        await waitUntil(async () => (await published()) >= DELIVERIES, { signal, timeoutMs: 30_000, intervalMs: 5, what: 'all outcomes recorded' });
        const recordedMs = Date.now() - dueAt;
        const cpu = process.cpuUsage(cpuBefore);
        const cpuMs = (cpu.user + cpu.system) / 1000;
        const { postgresMs, machineMs, processesMs: [receiverMs] } = cpuElsewhere.since();

        const { rows, requests } = await receiver.dump();
        const arrivals = rows.map(([, at]) => at);
        const receivedMs = max(arrivals) - dueAt;
        const { rows: statusRows } = await sql`SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status`.execute(app.ctx.store.db);
        const byStatus = Object.fromEntries(statusRows.map((r) => [r.status, Number(r.n)]));

        return {
          figures: [
            { figure: `all ${DELIVERIES} received after`, value: receivedMs / 1000, unit: 's', goal: dialect === 'sqlite' ? { op: '<', value: 5 } : undefined },
            { figure: 'received per second', value: (DELIVERIES / receivedMs) * 1000, unit: '/s' },
            { figure: 'first received after', value: min(arrivals) - dueAt, unit: 'ms' },
            { figure: 'throughput (claim+publish+record)', value: (DELIVERIES / recordedMs) * 1000, unit: '/s' },
            { figure: 'Octopost CPU per delivery', value: (cpuMs / DELIVERIES) * 1000, unit: 'µs' },
            ...(dialect === 'postgres' ? [{ figure: 'PostgreSQL server CPU per delivery', value: (postgresMs / DELIVERIES) * 1000, unit: 'µs' }] : []),
            { figure: 'receiver CPU per delivery', value: (receiverMs / DELIVERIES) * 1000, unit: 'µs' },
            { figure: 'machine CPU busy (of 100% x cores)', value: (machineMs / recordedMs / os.cpus().length) * 100, unit: '%' },
            { figure: 'duplicate deliveries', value: requests - rows.length, unit: '', goal: { op: '=', value: 0 } },
            { figure: 'not published in database', value: DELIVERIES - (byStatus.published ?? 0), unit: '', goal: { op: '=', value: 0 } },
          ],
          details: {
            deliveries: DELIVERIES, posts: POSTS, accounts: ACCOUNTS, workers, setupMs, receivedMs, recordedMs, cpuMs, postgresMs, receiverMs, machineMs, byStatus,
            publishedByWorker: await Promise.all(apps.map(publishedBy)),
            workerConcurrency: octo.config.workerConcurrency,
          },
        };
      } finally {
        for (const close of closeOthers.reverse()) await close().catch(() => {});
        await octo?.close();
        await receiver.stop();
      }
    },
  };
}
