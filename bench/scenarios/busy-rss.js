// Issue 6: resident memory of a busy node, beside idle-memory's idle one. An `octopost serve`
// child process (API + scheduler, LOG_LEVEL=info as a user runs it: a log line per delivery)
// publishes a sustained 500 deliveries a second for 20 s (100 posts a second, 5 webhook accounts
// each, one post every 10 ms) to the bench's receiver. Its VmRSS is read from /proc every 100 ms.
//
// The posts are inserted through the store before the load, due in an hour, then moved to start
// 2 s from now with one UPDATE per table; a post created through the child's API at the first due
// moment is what wakes it (on both databases: a post created through a node re-arms its timer;
// after each claim it looks up the next due time itself).
import { sql } from 'kysely';
import { connectWebhooks, startOctopost } from '../lib/octopost.js';
import { startReceiver } from '../lib/receiver-client.js';
import { max, percentile } from '../lib/stats.js';
import { sleep } from '../lib/timing.js';
import { call, createApiKey, insertPostsDueAt, startOctopostProcess } from './processes.js';

const RATE = 500; // deliveries per second
const SECONDS = 20;
const ACCOUNTS = 5;
const POSTS = (RATE / ACCOUNTS) * SECONDS; // 2,000 posts, 10,000 deliveries
const SPACING_MS = (1000 * ACCOUNTS) / RATE; // 10 ms between posts
const SETTLE_MS = 3000; // as idle-memory: the idle figure ~3 s after /healthz answers
const SAMPLE_MS = 100;

export default {
  name: 'busy-rss',
  title: `\`octopost serve\` resident memory while publishing ${RATE} deliveries/s for ${SECONDS} s`,
  timeoutMs: 120_000,

  async run({ dialect, signal }) {
    const receiver = await startReceiver();
    let octo;
    let node;
    try {
      octo = await startOctopost(dialect, 'busy', { worker: false });
      const accountIds = await connectWebhooks(
        octo,
        Array.from({ length: ACCOUNTS }, (_, i) => receiver.url(`/hook/${i}`)),
      );
      const key = await createApiKey(octo);
      const far = Date.now() + 3_600_000;
      await insertPostsDueAt(octo, { dueTimes: Array.from({ length: POSTS }, (_, i) => far + i * SPACING_MS), accountIds });

      node = await startOctopostProcess(octo, ['serve'], { signal, label: 'busy-rss' });
      await sleep(SETTLE_MS, signal);
      const idle = node.memory();

      const start = Math.ceil((Date.now() + 2000) / 100) * 100;
      const db = octo.app.ctx.store.db;
      await sql`UPDATE deliveries SET due_at = due_at - ${far - start}`.execute(db);
      await sql`UPDATE posts SET scheduled_for = scheduled_for - ${far - start}`.execute(db);
      // The wake-up: one more post (and delivery), due at the first moment, through the API.
      const wake = await call(node.url, key, 'POST', '/v1/posts', { content: 'Wake-up post', accounts: [accountIds[0]], scheduled_for: new Date(start).toISOString() });
      if (wake.status !== 201) throw new Error(`POST /v1/posts answered ${wake.status}: ${JSON.stringify(wake.body).slice(0, 300)}`);
      const total = POSTS * ACCOUNTS + 1;

      await sleep(Math.max(0, start - Date.now()), signal);
      const cpuBefore = node.cpuMs();
      const samples = []; // [ms since start, rss kB]
      const end = start + SECONDS * 1000;
      let received = 0;
      // Sample through the load, and on until the receiver has everything (at most 30 s more).
      while (Date.now() < end || (received < total && Date.now() < end + 30_000)) {
        samples.push([Date.now() - start, node.memory().rssKb]);
        if (Date.now() >= end) received = (await receiver.count()).received;
        await sleep(SAMPLE_MS, signal);
      }
      const cpuMs = node.cpuMs() - cpuBefore;
      const doneAt = Date.now();
      const { hwmKb } = node.memory();
      const { rows, requests } = await receiver.dump();
      if (rows.length < total) throw new Error(`the receiver has ${rows.length} of ${total} deliveries 30 s after the load`);
      const inWindow = samples.filter(([t]) => t <= SECONDS * 1000).map(([, kb]) => kb);
      const late = rows.map(([, arrivedAt, scheduledFor]) => arrivedAt - scheduledFor);
      const lastArrival = max(rows.map(([, at]) => at));
      const mb = (kb) => kb / 1024;

      return {
        figures: [
          { figure: 'RSS before the load (idle)', value: mb(idle.rssKb), unit: 'MB' },
          { figure: `RSS peak under ${RATE}/s`, value: mb(max(samples.map(([, kb]) => kb))), unit: 'MB' },
          { figure: `RSS average under ${RATE}/s`, value: mb(inWindow.reduce((a, b) => a + b, 0) / inWindow.length), unit: 'MB' },
          { figure: 'delivered per second', value: (total / (lastArrival - start)) * 1000, unit: '/s' },
          { figure: 'lateness p99 under the load', value: percentile(late, 99), unit: 'ms' },
          { figure: 'node CPU under the load', value: (100 * cpuMs) / (doneAt - start), unit: '% of a core' },
          { figure: 'duplicate deliveries', value: requests - rows.length, unit: '', goal: { op: '=', value: 0 } },
        ],
        details: {
          rate: RATE, seconds: SECONDS, posts: POSTS, accounts: ACCOUNTS, deliveries: total, idleRssKb: idle.rssKb, peakRssKbVmHWM: hwmKb,
          lastArrivalMs: lastArrival - start, cpuMs, samples, lateness: { p50: percentile(late, 50), p99: percentile(late, 99), max: max(late) },
        },
      };
    } finally {
      await node?.stop();
      await octo?.close();
      await receiver.stop();
    }
  },
};
