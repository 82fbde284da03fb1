// Issue 6, API: posts created per second through `POST /v1/posts` (scheduled a day ahead, to 2
// webhook accounts), by 1 and by 8 concurrent clients (keep-alive connections from the bench
// process) against an `octopost serve --no-worker` child process, each level for a fixed time
// after a short warm-up. The scheduled posts are far off: no worker would have anything to do.
import { connectWebhooks, startOctopost } from '../lib/octopost.js';
import { percentile } from '../lib/stats.js';
import { call, createApiKey, startOctopostProcess } from './processes.js';

const CLIENTS = [1, 8];
const SECONDS = 5;
const WARMUP = 50;

export default {
  name: 'create-rate',
  title: `POST /v1/posts (scheduled, 2 accounts) for ${SECONDS} s each by ${CLIENTS.join(' and ')} concurrent clients, \`serve --no-worker\` child`,
  timeoutMs: 90_000,

  async run({ dialect, signal }) {
    const octo = await startOctopost(dialect, 'create', { worker: false });
    let server;
    try {
      const accounts = await connectWebhooks(octo, ['http://127.0.0.1:9/create/0', 'http://127.0.0.1:9/create/1']);
      const key = await createApiKey(octo);
      // A high rate limit: the default 1,000 a minute per key is far below what is measured here.
      server = await startOctopostProcess(octo, ['serve', '--no-worker'], { env: { OCTOPOST_RATE_LIMIT: '10000000' }, signal, label: 'create-rate' });
      let n = 0;
      const create = async () => {
        const i = n++;
        const body = {
          content: `Bench post ${i}: a sentence of ordinary length, about as long as a real social media post.`,
          accounts,
          scheduled_for: new Date(Date.now() + 86_400_000 + i * 1000).toISOString(),
        };
        const r = await call(server.url, key, 'POST', '/v1/posts', body);
        if (r.status !== 201) throw new Error(`POST /v1/posts answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
        return r.ms;
      };
      for (let i = 0; i < WARMUP; i++) await create();

      const figures = [];
      const details = { seconds: SECONDS, warmup: WARMUP };
      for (const clients of CLIENTS) {
        const latencies = [];
        const cpuBefore = server.cpuMs();
        const started = performance.now();
        const deadline = started + SECONDS * 1000;
        await Promise.all(
          Array.from({ length: clients }, async () => {
            while (performance.now() < deadline) {
              if (signal.aborted) throw signal.reason;
              latencies.push(await create());
            }
          }),
        );
        const elapsedMs = performance.now() - started;
        const cpuMs = server.cpuMs() - cpuBefore;
        const label = `${clients} client${clients === 1 ? '' : 's'}`;
        figures.push(
          { figure: `${label}: posts created per second`, value: (latencies.length / elapsedMs) * 1000, unit: '/s' },
          { figure: `${label}: request p50`, value: percentile(latencies, 50), unit: 'ms' },
          { figure: `${label}: request p99`, value: percentile(latencies, 99), unit: 'ms' },
          { figure: `${label}: server CPU per post`, value: cpuMs / latencies.length, unit: 'ms' },
        );
        details[`clients${clients}`] = { created: latencies.length, elapsedMs, serverCpuMs: cpuMs, latencies };
      }
      return { figures, details };
    } finally {
      await server?.stop();
      await octo.close();
    }
  },
};
