// burst-2proc (PostgreSQL only): the burst with two `octopost worker` child processes, as two
// nodes would run them (each its own process, event loop, pool and LISTEN connection), beside
// burst-2w's two apps inside the bench process. The bench process only prepares the database
// (an app without a worker), moves everything to the next whole second and announces it (NOTIFY);
// the workers log at `warn` (the in-process apps log nothing) and are warmed up first (warmUp).
// "Recorded" = every delivery is `published` in the database; CPU = the two workers' (from
// /proc), the bench's not included.
import os from 'node:os';
import { sql } from 'kysely';
import { analyzeLikeAutovacuum, connectWebhooks, insertDuePosts, startOctopost } from '../lib/octopost.js';
import { startReceiver } from '../lib/receiver-client.js';
import { max, min } from '../lib/stats.js';
import { cpuSnapshot } from '../lib/system-cpu.js';
import { sleep, waitUntil } from '../lib/timing.js';
import { ACCOUNTS, DELIVERIES, POSTS } from './burst.js';
import { startOctopostProcess } from './processes.js';

const WORKERS = 2;
const WARM_UP_POSTS = 1000; // x ACCOUNTS deliveries: as many as the measured burst

/**
 * Fresh processes run their first thousands of deliveries in V8's interpreter and baseline tiers,
 * where the in-process apps and graphile-worker are long warm by the time they are measured (and
 * so is a worker that has been running for a while): 10,000 deliveries to another receiver first,
 * not measured, then deleted with their posts so the counts below see only the measured ones.
 */
async function warmUp(octo, signal) {
  const warm = await startReceiver();
  try {
    const accountIds = await connectWebhooks(octo, Array.from({ length: ACCOUNTS }, (_, i) => warm.url(`/warm/${i}`)));
    await insertDuePosts(octo, { postCount: WARM_UP_POSTS, accountIds, dueAt: Date.now() });
    octo.app.ctx.due.announce(Date.now());
    await warm.waitForCount(WARM_UP_POSTS * ACCOUNTS, { signal, timeoutMs: 60_000, intervalMs: 50 });
    const db = octo.app.ctx.store.db;
    const unfinished = async () => Number((await sql`SELECT COUNT(*) AS n FROM deliveries WHERE status <> 'published'`.execute(db)).rows[0].n);
    await waitUntil(async () => (await unfinished()) === 0, { signal, timeoutMs: 30_000, intervalMs: 50, what: 'warm-up recorded' });
    await sql`DELETE FROM posts`.execute(db);
  } finally {
    await warm.stop();
  }
}

export default {
  name: `burst-${WORKERS}proc`,
  dialects: ['postgres'],
  title: `${DELIVERIES.toLocaleString('en')} deliveries due at the same second, ${WORKERS} \`octopost worker\` processes`,
  timeoutMs: 120_000,

  async run({ dialect, signal }) {
    const receiver = await startReceiver();
    let octo;
    const workers = [];
    try {
      octo = await startOctopost(dialect, 'burstproc', { worker: false });
      const { app } = octo;
      const db = app.ctx.store.db;
      const urls = Array.from({ length: ACCOUNTS }, (_, i) => receiver.url(`/hook/${i}`));
      const accountIds = await connectWebhooks(octo, urls);
      // A worker is ready once its LISTEN connection is up (it claims what is due right after).
      const listening = async () =>
        Number((await sql`SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'`.execute(db)).rows[0].n);
      for (let w = 0; w < WORKERS; w++) {
        const ready = async () => (await listening()) >= w + 1;
        workers.push(await startOctopostProcess(octo, ['worker'], { env: { LOG_LEVEL: 'warn' }, ready, signal, label: `worker ${w + 1} (burst-${WORKERS}proc)` }));
      }
      await warmUp(octo, signal);

      // As burst: due in an hour (the workers leave it alone however long the setup takes), then
      // moved to the next whole second.
      const setupStarted = Date.now();
      await insertDuePosts(octo, { postCount: POSTS, accountIds, dueAt: Date.now() + 3_600_000 });
      await analyzeLikeAutovacuum(octo); // as it would have during the hour
      const setupMs = Date.now() - setupStarted;

      const dueAt = Math.ceil((Date.now() + 1000) / 1000) * 1000;
      await sql`UPDATE deliveries SET due_at = ${dueAt}`.execute(db);
      await sql`UPDATE posts SET scheduled_for = ${dueAt}`.execute(db);
      app.ctx.due.announce(dueAt); // NOTIFY: both workers hear it
      await sleep(Math.max(0, dueAt - Date.now()), signal);
      const cpuBefore = workers.map((w) => w.cpuMs());
      const cpuElsewhere = cpuSnapshot([receiver.pid]);
      const published = async () => Number((await sql`SELECT COUNT(*) AS n FROM deliveries WHERE status = 'published'`.execute(db)).rows[0].n);
      await receiver.waitForCount(DELIVERIES, { signal, timeoutMs: 90_000, intervalMs: 25 });
      // Every 20 ms: the count reads the whole table, and the workers share this PostgreSQL.
      await waitUntil(async () => (await published()) >= DELIVERIES, { signal, timeoutMs: 30_000, intervalMs: 20, what: 'all outcomes recorded' });
      const recordedMs = Date.now() - dueAt;
      const cpuMs = workers.reduce((sum, w, i) => sum + w.cpuMs() - cpuBefore[i], 0);
      const { postgresMs, machineMs, processesMs: [receiverMs] } = cpuElsewhere.since();
      const { rows, requests } = await receiver.dump();
      const arrivals = rows.map(([, at]) => at);
      const receivedMs = max(arrivals) - dueAt;
      const { rows: statusRows } = await sql`SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status`.execute(db);
      const byStatus = Object.fromEntries(statusRows.map((r) => [r.status, Number(r.n)]));
      const { rows: workerRows } = await sql`SELECT worker, COUNT(*) AS n FROM delivery_attempts GROUP BY worker ORDER BY worker`.execute(db);
      return {
        figures: [
          { figure: `all ${DELIVERIES} received after`, value: receivedMs / 1000, unit: 's' },
          { figure: 'received per second', value: (DELIVERIES / receivedMs) * 1000, unit: '/s' },
          { figure: 'first received after', value: min(arrivals) - dueAt, unit: 'ms' },
          { figure: 'throughput (claim+publish+record)', value: (DELIVERIES / recordedMs) * 1000, unit: '/s' },
          { figure: 'Octopost CPU per delivery (both workers)', value: (cpuMs / DELIVERIES) * 1000, unit: 'µs' },
          { figure: 'PostgreSQL server CPU per delivery', value: (postgresMs / DELIVERIES) * 1000, unit: 'µs' },
          { figure: 'receiver CPU per delivery', value: (receiverMs / DELIVERIES) * 1000, unit: 'µs' },
          { figure: 'machine CPU busy (of 100% x cores)', value: (machineMs / recordedMs / os.cpus().length) * 100, unit: '%' },
          { figure: 'duplicate deliveries', value: requests - rows.length, unit: '', goal: { op: '=', value: 0 } },
          { figure: 'not published in database', value: DELIVERIES - (byStatus.published ?? 0), unit: '', goal: { op: '=', value: 0 } },
        ],
        details: {
          deliveries: DELIVERIES, posts: POSTS, accounts: ACCOUNTS, workers: WORKERS, processes: true, setupMs, receivedMs, recordedMs, cpuMs, postgresMs, receiverMs, machineMs, byStatus,
          attemptsByWorker: Object.fromEntries(workerRows.map((r) => [r.worker, Number(r.n)])),
          workerConcurrency: octo.config.workerConcurrency,
        },
      };
    } finally {
      for (const w of workers.reverse()) await w.stop().catch(() => {});
      await octo?.close();
      await receiver.stop();
    }
  },
};
