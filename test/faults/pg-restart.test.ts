import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/database.js';
import type { TestDatabase } from '../helpers/databases.js';
import { collectFacts, expectCommonInvariants, faultEnv, figure, importDue, report, seededRandom, statusCounts, summary, waitSettled } from '../helpers/fault-suite.js';
import { type ApiResponse, HttpApi, waitUntil } from '../helpers/http-api.js';
import { createApiKey, type OctopostProcess, ProcessGroup, sleep } from '../helpers/octopost-process.js';
import { type PrivatePostgres, privatePostgresUnavailable, startPrivatePostgres } from '../helpers/private-postgres.js';
import { Receiver } from '../helpers/receiver.js';

/**
 * Stop and start PostgreSQL during a run (issue 6, fault suite). The shared PostgreSQL serves the
 * other suites and is never touched: this test runs its own server (test/helpers/private-postgres.ts)
 * and stops it while one
 * `serve --no-worker` and two `octopost worker` processes are in the middle of a run, keeps it
 * down for a few seconds while calling the API, and starts it again. Twice, each on a fresh server:
 * `pg_ctl stop -m fast` (what `systemctl restart postgresql` does: sessions ended with 57P01)
 * and `-m immediate` (a crash: no goodbye, crash recovery at start). OCTOPOST_FAULT_PG_STOP_MODE
 * picks one.
 *
 * Expected: the API answers 503 `service_unavailable` with Retry-After meanwhile (never 500), no
 * process dies, the workers reconnect and carry on, every delivery is published and reached the
 * receiver, a delivery is received twice only as a repeat (same Idempotency-Key, same body) after
 * an interrupted attempt, and the work that fell due during the outage is found without the sweep.
 *
 * The sweep interval is set to an hour, longer than the test: whatever is published after the
 * restart was found by the workers themselves (their claim loop retrying, and LISTEN set up again,
 * which also makes them look at the queue), not by the safety net. A post scheduled after the run,
 * once every worker is idle with no timer armed, is published only if NOTIFY reaches a worker over
 * a re-established LISTEN.
 */
const DELIVERIES = figure('PG_RESTART_DELIVERIES', 600, 5000);
const OUTAGE_MS = figure('PG_OUTAGE_MS', 4000, 10_000);
const SPREAD_MS = figure('PG_RESTART_SPREAD_MS', 10_000, 30_000);
const STOP_MODES = (['fast', 'immediate'] as const).filter((m) => !process.env.OCTOPOST_FAULT_PG_STOP_MODE || process.env.OCTOPOST_FAULT_PG_STOP_MODE === m);

const skipReason = privatePostgresUnavailable();
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

interface OutageCall {
  what: string;
  status: number;
  code?: string;
  error?: string;
  retryAfter: string | null;
}

describe.skipIf(skipReason !== undefined).each(STOP_MODES)('PostgreSQL stopped (-m %s) and started during a run (private server)', (STOP_MODE) => {
  let server: PrivatePostgres | undefined;
  let receiver: Receiver | undefined;
  let dataDir: string | undefined;
  let reader: Store | undefined;
  const procs = new ProcessGroup();

  beforeAll(async () => {
    server = await startPrivatePostgres();
    receiver = await new Receiver().start();
    dataDir = mkdtempSync(path.join(tmpdir(), 'octopost-pg-restart-'));
  }, 120_000);

  afterAll(async () => {
    // Processes first (they hold connections), then the reader, the receiver and the server.
    await procs.killAll().catch(() => {});
    await reader?.close().catch(() => {});
    await receiver?.stop().catch(() => {});
    await server?.destroy();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it(
    `${DELIVERIES} deliveries over ${SPREAD_MS / 1000} s, PostgreSQL stopped (${STOP_MODE}) for ${OUTAGE_MS / 1000} s in the middle: API 503 meanwhile, nothing lost, repeats only after an interrupted attempt, processes alive`,
    { timeout: 180_000 + DELIVERIES * 20 },
    async ({ onTestFailed }) => {
      const pgServer = server!;
      const rec = receiver!;
      onTestFailed(() => console.error(`${procs.describeAll()}\n--- private PostgreSQL log ---\n${pgServer.log()}`));
      const random = seededRandom(`postgres restart (${STOP_MODE})`);
      const db: TestDatabase = { dialect: 'postgres', databaseUrl: pgServer.databaseUrl, dataDir: dataDir!, drop: async () => {} };
      const env = faultEnv(db, { OCTOPOST_SWEEP_INTERVAL: '1h' });

      const apiNode = await procs.serve(env, ['--no-worker']);
      const api = new HttpApi(apiNode.url, await createApiKey(env, 'pg-restart'));
      const workers = await Promise.all([procs.worker(env), procs.worker(env)]);
      const all: OctopostProcess[] = [apiNode, ...workers];
      const account = (await api.expectPost('/v1/accounts', { platform: 'webhook', url: rec.url('/hook'), secret: 'pg-restart-secret' }, 201)).id as string;

      // Each answer takes 20-150 ms; those that arrive just before the stop are held until the
      // server is down: those attempts finish with no database to write their outcome to.
      const received = new Set<string>();
      const answerAt: number[] = [];
      let holdUntil = 0;
      rec.respondWith((req) => {
        received.add(String(req.headers['idempotency-key']));
        const delayMs = Math.max(Math.round(random.between(20, 150)), holdUntil - Date.now());
        answerAt.push(Date.now() + delayMs);
        return { status: 200, delayMs };
      });
      const postIds = await importDue(api, account, DELIVERIES, { startInMs: 3000, spreadMs: SPREAD_MS });

      // Stop once about a third has arrived: the rest fall due during the outage or after it.
      await waitUntil('a third of the deliveries to arrive', () => received.size >= DELIVERIES / 3, { timeoutMs: 60_000 + SPREAD_MS, intervalMs: 20 });
      const receivedBeforeStop = received.size;
      const holdFrom = Date.now();
      holdUntil = holdFrom + 2500;
      await waitUntil('an attempt in flight (its answer held)', () => rec.requests.some((r) => r.at >= holdFrom), { timeoutMs: 30_000, intervalMs: 5 });
      const stopAsked = Date.now();
      const requestsAtStop = rec.requests.length;
      await pgServer.stop(STOP_MODE);
      const stoppedAt = Date.now();
      const receivedWhileStopping = rec.requests.length - requestsAtStop;

      // While it is down: the API, through every kind of call, and the processes.
      const calls: OutageCall[] = [];
      const call = async (what: string, send: () => Promise<ApiResponse>) => {
        const res = await send();
        calls.push({ what, status: res.status, code: res.json?.code, error: res.json?.error, retryAfter: res.headers.get('retry-after') });
      };
      const receivedAtStop = rec.requests.length;
      let round = 0;
      while (Date.now() - stoppedAt < OUTAGE_MS) {
        round++;
        await Promise.all([
          call('GET /v1/posts', () => api.get('/v1/posts?limit=5')),
          call('GET /v1/posts/:id', () => api.get(`/v1/posts/${postIds[round % postIds.length]}`)),
          call('POST /v1/posts', () => api.post('/v1/posts', { content: `written during the outage ${round}`, accounts: [account], scheduled_for: new Date(Date.now() + 3_600_000).toISOString() })),
          call('POST /v1/imports/csv', () => api.post('/v1/imports/csv', { csv: `content,scheduled_at,accounts\nimported during the outage ${round},${new Date(Date.now() + 3_600_000).toISOString()},${account}` })),
          call('GET /healthz', () => api.get('/healthz')),
          call('GET /metrics', () => api.get('/metrics')),
        ]);
        expect(all.filter((p) => p.hasExited).map((p) => p.describe(3000)), 'processes that exited during the outage').toEqual([]);
        await sleep(100);
      }
      const receivedDuringOutage = rec.requests.length - receivedAtStop;
      const outstandingAtRestart = DELIVERIES - received.size;

      const restartAsked = Date.now();
      const answeredWhileDown = answerAt.filter((t) => t > stoppedAt && t < restartAsked).length;
      await pgServer.start();
      const restartedAt = Date.now();

      // Back: the API answers again, the workers carry on with no help from the sweep.
      await waitUntil('the API to answer 200 again', async () => (await api.get('/v1/posts?limit=1')).status === 200, { timeoutMs: 30_000, intervalMs: 50 });
      const apiBackAt = Date.now();
      await waitUntil('the first delivery after the restart', () => rec.requests.some((r) => r.at >= restartedAt), { timeoutMs: 60_000, intervalMs: 20, context: () => procs.describeAll() });
      const firstAfterRestartAt = Math.min(...rec.requests.filter((r) => r.at >= restartedAt).map((r) => r.at));

      reader = openStore({ databaseUrl: pgServer.databaseUrl, dataDir: dataDir!, poolSize: 2 });
      await waitSettled(reader, DELIVERIES, 60_000 + DELIVERIES * 20, () => `received ${received.size} distinct of ${rec.requests.length}\n${procs.describeAll()}`);
      const settledAt = Date.now();
      const facts = await collectFacts(reader, rec.requests);
      const arrivalsAfter = rec.requests.filter((r) => r.at >= restartedAt).map((r) => r.at);

      // 1. The API during the outage: 503 service_unavailable with Retry-After, never a 500.
      const v1 = calls.filter((c) => c.what.includes(' /v1/'));
      expect(v1.length, 'API calls made while PostgreSQL was down').toBeGreaterThan(0);
      expect(
        v1.filter((c) => c.status !== 503 || c.code !== 'service_unavailable' || c.retryAfter !== '5' || typeof c.error !== 'string' || c.error.length === 0),
        'API answers during the outage that were not 503 service_unavailable with Retry-After: 5',
      ).toEqual([]);
      expect(calls.filter((c) => c.what === 'GET /healthz' && c.status !== 503), '/healthz answers during the outage other than 503').toEqual([]);
      // Metrics stay readable (the backlog gauge keeps its last value): an outage must not blind the monitoring.
      expect(calls.filter((c) => c.what === 'GET /metrics' && c.status !== 200), '/metrics answers during the outage other than 200').toEqual([]);

      // 2. Nothing lost: every delivery published, each reached the receiver, every post published.
      expectCommonInvariants(facts, DELIVERIES);
      expect(new Set(facts.deliveries.map((d) => d.postId))).toEqual(new Set(postIds));
      const lost = facts.deliveries.filter((d) => d.status !== 'published' || d.received.length === 0);
      expect(lost.map((d) => ({ id: d.id, status: d.status, received: d.received.length, history: d.history.map((h) => h.outcome) })), 'deliveries not published').toEqual([]);
      expect(facts.posts, 'posts by status').toEqual({ published: DELIVERIES });

      // 3. Nothing published twice: a second request only repeats an interrupted attempt, with the same key and body.
      const badRepeats = facts.deliveries.filter(
        (d) => d.received.length > 1 && (new Set(d.received.map((r) => r.body)).size !== 1 || !d.history.slice(0, -1).every((h) => h.outcome === 'interrupted')),
      );
      expect(badRepeats.map((d) => ({ id: d.id, received: d.received.length, history: d.history.map((h) => h.outcome) })), 'repeats not explained by an interrupted attempt').toEqual([]);
      expect(facts.deliveries.filter((d) => d.history.some((h) => h.outcome !== 'published' && h.outcome !== 'interrupted')).map((d) => d.history), 'attempts that neither published nor were interrupted').toEqual([]);

      // 4. Every process lived through it, and no outcome was dropped: an attempt answered while
      // the database was down had its outcome written once it was back.
      expect(all.filter((p) => p.hasExited).map((p) => p.describe(3000)), 'processes that exited').toEqual([]);
      const count = (p: OctopostProcess, re: RegExp) => p.logs().filter((l) => re.test(l.msg)).length;
      const dropped = workers.map((w) => count(w, /^recording an attempt failed/));
      const retriedRecordings = workers.map((w) => count(w, /^recording .*: the database is unavailable; retrying until it is back$/));
      const recordedLater = workers.map((w) => count(w, /^recording .*: done once the database was back$/));
      expect(dropped, 'outcomes dropped (log "recording an attempt failed"), per worker').toEqual([0, 0]);
      expect(recordedLater, 'outcomes written once the database was back, per worker').toEqual(retriedRecordings);
      if (answeredWhileDown > 0) expect(sum(retriedRecordings), `recordings retried (${answeredWhileDown} attempts were answered while the database was down)`).toBeGreaterThan(0);

      // 5. LISTEN is back: with every worker idle and no timer armed (nothing left to do) and the
      // sweep an hour away, a post scheduled now is published only if NOTIFY reaches a worker.
      const beforeNotify = rec.requests.length;
      const late = await api.expectPost('/v1/posts', { content: 'scheduled after the restart', accounts: [account], scheduled_for: new Date(Date.now() + 2000).toISOString() }, 201);
      await waitUntil(
        'the post scheduled after the restart to be published (woken by NOTIFY over a re-established LISTEN)',
        async () => (await api.getPost(late.id)).status === 'published',
        { timeoutMs: 30_000, intervalMs: 100, context: () => procs.describeAll() },
      );
      expect(rec.requests.length - beforeNotify, 'requests for the post scheduled after the restart').toBe(1);
      // The posts and the import written during the outage were refused (503), not half-written.
      const counts = await statusCounts(reader);
      expect(Object.values(counts).reduce((a, b) => a + b, 0), 'deliveries after the run (the run + the post scheduled after the restart)').toBe(DELIVERIES + 1);

      const byStatus = (what: string) => {
        const out: Record<string, number> = {};
        for (const c of calls.filter((x) => x.what === what)) out[c.status] = (out[c.status] ?? 0) + 1;
        return out;
      };
      report(`2 workers + API node, ${DELIVERIES} deliveries, PostgreSQL stopped (${STOP_MODE}) for ${OUTAGE_MS} ms`, {
        result: summary(facts),
        'received before the stop (distinct)': receivedBeforeStop,
        'received while pg_ctl stop ran / while down (attempts already claimed)': `${receivedWhileStopping} / ${receivedDuringOutage}`,
        'attempts answered while the database was down': answeredWhileDown,
        'outcomes that waited for the database, written after the restart (per worker)': recordedLater,
        'outstanding at the restart': outstandingAtRestart,
        'repeats (same Idempotency-Key after an interrupted attempt)': `${facts.repeats} requests, ${facts.repeatedDeliveries} deliveries`,
        'API answers during the outage': Object.fromEntries(['GET /v1/posts', 'GET /v1/posts/:id', 'POST /v1/posts', 'POST /v1/imports/csv', 'GET /healthz', 'GET /metrics'].map((w) => [w, byStatus(w)])),
        'pg_ctl stop took': `${stoppedAt - stopAsked} ms`,
        'down (stopped to start asked)': `${restartAsked - stoppedAt} ms`,
        'pg_ctl start took': `${restartedAt - restartAsked} ms`,
        'restart to API 200': `${apiBackAt - restartedAt} ms`,
        'restart to first delivery received': `${firstAfterRestartAt - restartedAt} ms`,
        'restart to last delivery received': `${Math.max(...arrivalsAfter) - restartedAt} ms`,
        'restart to all settled (as polled)': `${settledAt - restartedAt} ms`,
        'warnings and errors logged, per process': all.map((p) => {
          const out: Record<string, number> = {};
          for (const l of p.logs()) if (l.level >= 40) out[l.msg.replace(/dlv_\w+/, 'dlv_…')] = (out[l.msg.replace(/dlv_\w+/, 'dlv_…')] ?? 0) + 1;
          return `${p.args[0]}: ${JSON.stringify(out)}`;
        }),
      });
    },
  );
});
