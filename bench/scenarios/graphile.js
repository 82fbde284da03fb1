// The peer: graphile-worker 0.17.3 on the same PostgreSQL, each run on a fresh database.
//
// graphile-burst: the burst scenario's work (10,000 jobs due at the same whole second, each
// POSTing Octopost's webhook body to the same child-process receiver) with the documented fast
// settings (lib/graphile.js FAST), timed like Octopost's: from the due second until the receiver
// has them all, and until every job is completed (deleted from graphile_worker._private_jobs).
// graphile-noop: the same jobs with a handler that does nothing: the upper anchor.
//
// graphile-lateness@<rate>: jobs with a future run_at, `rate` a second (the same rates and counts
// as Octopost's lateness scenarios), with the same fast settings and graphile-worker's default
// 2 s poll, then (on another fresh database) a 100 ms poll. Lateness = receiver arrival - run_at,
// as for Octopost. (graphile-worker only finds future jobs by polling: NOTIFY fires at insert.)
import os from 'node:os';
import { FAST, startGraphile, webhookPayload, webhookTask } from '../lib/graphile.js';
import { startReceiver } from '../lib/receiver-client.js';
import { max, min, percentile } from '../lib/stats.js';
import { cpuSnapshot } from '../lib/system-cpu.js';
import { sleep, waitUntil } from '../lib/timing.js';
import { ACCOUNTS, DELIVERIES } from './burst.js';
import { LATENESS_RATES } from './lateness.js';

const CONTENT = (i) => `Bench post ${i}: a sentence of ordinary length, about as long as a real social media post.`;
const FAR = () => new Date(Date.now() + 3_600_000);

function burstScenario({ name, noop }) {
  return {
    name,
    dialects: ['postgres'],
    title: `graphile-worker, ${DELIVERIES.toLocaleString('en')} jobs due at the same second, ${noop ? 'no-op handler' : 'webhook POST handler'}`,
    timeoutMs: 120_000,

    async run({ signal }) {
      const receiver = noop ? undefined : await startReceiver();
      let gw;
      try {
        let completedByHandler = 0;
        const task = noop
          ? async () => {
              completedByHandler++;
            }
          : async (payload) => {
              await webhookTask(payload);
              completedByHandler++;
            };
        gw = await startGraphile(name, { settings: FAST, tasks: { webhook: task } });

        // As burst: everything due in an hour (the running worker leaves it alone however long
        // the setup takes), then all moved to the next whole second with one UPDATE.
        const setupStarted = Date.now();
        const runAt = FAR();
        const specs = Array.from({ length: DELIVERIES }, (_, i) => ({
          identifier: 'webhook',
          runAt,
          payload: webhookPayload({
            url: receiver ? receiver.url(`/hook/${i % ACCOUNTS}`) : 'http://127.0.0.1:9/unused',
            deliveryId: `dlv_gw_${i}`,
            postId: `post_gw_${Math.floor(i / ACCOUNTS)}`,
            content: CONTENT(Math.floor(i / ACCOUNTS)),
            scheduledFor: runAt,
          }),
        }));
        await gw.addJobs(specs);
        await gw.query('ANALYZE graphile_worker._private_jobs'); // as autovacuum would (lib/octopost.js analyzeLikeAutovacuum)
        const setupMs = Date.now() - setupStarted;
        const dueAt = Math.ceil((Date.now() + 1000) / 1000) * 1000;
        await gw.query('UPDATE graphile_worker._private_jobs SET run_at = to_timestamp($1::float8 / 1000)', [dueAt]);
        await sleep(Math.max(0, dueAt - Date.now()), signal);
        const cpuBefore = process.cpuUsage();
        const cpuElsewhere = cpuSnapshot(receiver ? [receiver.pid] : []);

        if (receiver) await receiver.waitForCount(DELIVERIES, { signal, timeoutMs: 90_000, intervalMs: 25 });
        else await waitUntil(() => completedByHandler >= DELIVERIES, { signal, timeoutMs: 90_000, intervalMs: 25, what: 'all no-op jobs run' });
        // Completed = deleted from the jobs table (batched completion commits it a little later).
        await waitUntil(async () => (await gw.remaining()) === 0, { signal, timeoutMs: 30_000, intervalMs: 5, what: 'all jobs completed' });
        const completedMs = Date.now() - dueAt;
        const cpu = process.cpuUsage(cpuBefore);
        const cpuMs = (cpu.user + cpu.system) / 1000;
        const { postgresMs, machineMs, processesMs: [receiverMs] } = cpuElsewhere.since();

        const figures = [{ figure: 'throughput (fetch+run+complete)', value: (DELIVERIES / completedMs) * 1000, unit: '/s' }];
        const details = { jobs: DELIVERIES, settings: FAST, setupMs, completedMs, cpuMs, postgresMs, receiverMs, machineMs };
        if (receiver) {
          const { rows, requests } = await receiver.dump();
          const arrivals = rows.map(([, at]) => at);
          details.receivedMs = max(arrivals) - dueAt;
          figures.unshift(
            { figure: `all ${DELIVERIES} received after`, value: details.receivedMs / 1000, unit: 's' },
            { figure: 'first received after', value: min(arrivals) - dueAt, unit: 'ms' },
          );
          figures.push({ figure: 'duplicate deliveries', value: requests - rows.length, unit: '', goal: { op: '=', value: 0 } });
        }
        figures.push(
          { figure: 'graphile-worker CPU per job', value: (cpuMs / DELIVERIES) * 1000, unit: 'µs' },
          { figure: 'PostgreSQL server CPU per job', value: (postgresMs / DELIVERIES) * 1000, unit: 'µs' },
          ...(receiver ? [{ figure: 'receiver CPU per job', value: (receiverMs / DELIVERIES) * 1000, unit: 'µs' }] : []),
          { figure: 'machine CPU busy (of 100% x cores)', value: (machineMs / completedMs / os.cpus().length) * 100, unit: '%' },
        );
        return { figures, details };
      } finally {
        await gw?.close();
        await receiver?.stop();
      }
    },
  };
}

const POLLS = [
  { label: '2 s poll (default)', pollInterval: 2000 },
  { label: '100 ms poll', pollInterval: 100 },
];

/** One rate, run with each poll interval on its own fresh database. */
function latenessScenario({ rate, count }) {
  const spacingMs = 1000 / rate;
  const spanMs = (count - 1) * spacingMs;
  return {
    name: `graphile-lateness@${rate}/s`,
    dialects: ['postgres'],
    title: `graphile-worker, ${count} jobs with a future run_at, ${rate}/s, 2 s and 100 ms poll`,
    timeoutMs: POLLS.length * (spanMs + 20_000),

    async run({ signal }) {
      const figures = [];
      const details = { rate, count, spacingMs };
      for (const poll of POLLS) {
        const receiver = await startReceiver();
        let gw;
        try {
          // The same fast settings as graphile-burst, only the poll differs. Measured once without
          // the local queue and batched completion: p50 lower at 10 and 100/s (8-14 ms against
          // ~60 ms with a 100 ms poll), p99 the same (~100 ms), but ~1 s behind at 1,000/s.
          const settings = { ...FAST, pollInterval: poll.pollInterval };
          gw = await startGraphile(`gwlate${rate}`, { settings, tasks: { webhook: webhookTask } });
          const firstDue = Date.now() + 1500; // addJobs of ≤1,000 jobs takes well under a second
          const specs = Array.from({ length: count }, (_, i) => {
            const runAt = new Date(Math.round(firstDue + i * spacingMs));
            return {
              identifier: 'webhook',
              runAt,
              payload: webhookPayload({ url: receiver.url('/hook'), deliveryId: `dlv_gw_${i}`, postId: `post_gw_${i}`, content: CONTENT(i), scheduledFor: runAt }),
            };
          });
          await gw.addJobs(specs);
          if (Date.now() > firstDue) throw new Error(`adding ${count} jobs took longer than the 1.5 s lead`);
          const lastDue = firstDue + spanMs;
          await receiver.waitForCount(count, { signal, timeoutMs: lastDue - Date.now() + poll.pollInterval + 10_000 });
          const { rows, requests } = await receiver.dump();
          const late = rows.map(([, arrivedAt, scheduledFor]) => arrivedAt - scheduledFor);
          figures.push(
            { figure: `${poll.label}: lateness p50`, value: percentile(late, 50), unit: 'ms' },
            { figure: `${poll.label}: lateness p99`, value: percentile(late, 99), unit: 'ms' },
            { figure: `${poll.label}: lateness max`, value: max(late), unit: 'ms' },
            { figure: `${poll.label}: earliest arrival vs due`, value: min(late), unit: 'ms', goal: { op: '>=', value: 0 } },
            { figure: `${poll.label}: duplicate deliveries`, value: requests - rows.length, unit: '', goal: { op: '=', value: 0 } },
          );
          details[`poll${poll.pollInterval}`] = { settings, lateness: late };
        } finally {
          await gw?.close();
          await receiver.stop();
        }
      }
      return { figures, details };
    },
  };
}

export const graphileBurst = burstScenario({ name: 'graphile-burst', noop: false });
export const graphileNoop = burstScenario({ name: 'graphile-noop', noop: true });
export const graphileLateness = LATENESS_RATES.map(latenessScenario);
