import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postgresAvailable } from '../helpers/databases.js';
import { useE2eFixture } from '../helpers/e2e-fixture.js';
import { HttpApi } from '../helpers/http-api.js';
import { createApiKey, type OctopostProcess } from '../helpers/octopost-process.js';

/**
 * Scaled out on PostgreSQL: an API-only node (`serve --no-worker`) and a scheduler node
 * (`worker`), separate processes with separate data dirs sharing only DATABASE_URL and
 * OCTOPOST_SECRET_KEY. The worker's sweep stays at its default 60 s, so publishing on time can
 * only come from the NOTIFY the API node sends when a post is scheduled.
 */
describe.skipIf(!(await postgresAvailable()))('API node + worker node on postgres', () => {
  const f = useE2eFixture('postgres');
  let workerDir: string;

  beforeEach(() => {
    workerDir = mkdtempSync(path.join(tmpdir(), 'octopost-worker-'));
  });
  afterEach(() => {
    rmSync(workerDir, { recursive: true, force: true });
  });

  /** API node + worker node, as a deployment has them; returns the API client and both processes. */
  const startCluster = async () => {
    const shared = { DATABASE_URL: f.db.databaseUrl!, OCTOPOST_SECRET_KEY: 'e2e-cluster-secret-key' };
    const apiEnv = { ...shared, OCTOPOST_DATA_DIR: f.db.dataDir };
    const key = await createApiKey(apiEnv);
    const apiNode = await f.procs.serve(apiEnv, ['--no-worker']);
    const api = new HttpApi(apiNode.url, key);
    expect((await api.get('/healthz')).json).toMatchObject({ status: 'ok', database: 'postgres', worker: 'off' });
    const worker: OctopostProcess = await f.procs.worker({ ...shared, OCTOPOST_DATA_DIR: workerDir, HOST: '127.0.0.1', OCTOPOST_METRICS_PORT: '0' });
    return { api, apiNode, worker };
  };

  it('a post created through the API node is published on time by the worker process (LISTEN/NOTIFY across processes)', { timeout: 90_000 }, async () => {
    const { api, apiNode, worker } = await startCluster();

    const account = await f.connect(api);
    const scheduledFor = Date.now() + 2000;
    const post = await f.schedule(api, [account], 'scheduled on one node, sent by another', scheduledFor);
    const deliveryId = post.deliveries[0].id as string;

    const [req] = await f.receiver.waitFor(1, '/hook', 15_000);
    const lateness = req!.at - scheduledFor;
    expect(lateness, 'arrival minus scheduled_for, in ms').toBeGreaterThanOrEqual(0);
    expect(lateness, 'arrival minus scheduled_for, in ms').toBeLessThanOrEqual(1000);
    expect(req!.headers['idempotency-key']).toBe(deliveryId);
    expect((await f.waitForStatus(api, post.id, 'published')).deliveries[0]).toMatchObject({ status: 'published', attempts: 1 });

    // Publish now, from a draft: the worker wakes at once.
    const draft = await api.expectPost('/v1/posts', { content: 'right now', accounts: [account] }, 201);
    expect(draft.status).toBe('draft');
    const askedAt = Date.now();
    expect((await api.post(`/v1/posts/${draft.id}/publish`)).status).toBe(202);
    const [, now] = await f.receiver.waitFor(2, '/hook', 15_000);
    expect(now!.json.post_id).toBe(draft.id);
    expect(now!.at - askedAt, 'publish-now delay in ms').toBeLessThanOrEqual(1000);
    await f.waitForStatus(api, draft.id, 'published');

    // Its metrics are scraped from its own port (a worker has no API); the API node counted nothing.
    const scrape = async (url: string) => (await fetch(`${url}/metrics`)).text();
    const published = /^octopost_publish_attempts_total\{platform="webhook",outcome="published"\} (\d+)$/m;
    const workerMetrics = await scrape(worker.url);
    expect(workerMetrics).toMatch(published);
    expect(Number(published.exec(workerMetrics)![1])).toBe(2);
    expect(workerMetrics).toMatch(/^octopost_publish_lateness_seconds_count 2$/m);
    expect(workerMetrics).toMatch(/^octopost_due_backlog 0$/m);
    expect(workerMetrics).toMatch(/^octopost_process_cpu_seconds_total \S+$/m);
    expect(workerMetrics).toMatch(/^octopost_recovered_leases_total\{outcome="unknown"\} 0$/m); // every series from the start
    expect(workerMetrics).toMatch(/^octopost_publish_attempts_total\{platform="x",outcome="lost_lease"\} 0$/m);
    expect(Number(published.exec(await scrape(apiNode.url))![1])).toBe(0);
    const health = await fetch(`${worker.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', database: 'postgres', worker: 'running' });
    expect((await fetch(`${worker.url}/v1/posts`)).status).toBe(404);
    expect((await fetch(`${worker.url}/metrics`, { method: 'POST' })).status).toBe(405);

    // The worker process did the publishing, the API node none of it.
    // (Checked after both exited, so that every log line has been read.)
    expect(await worker.stop()).toMatchObject({ code: 0, signal: null });
    expect(await apiNode.stop()).toMatchObject({ code: 0, signal: null });
    const attempts = (logs: ReturnType<typeof worker.logs>) => logs.filter((l) => l.msg === 'publish attempt').map((l) => l.delivery);
    expect(attempts(worker.logs())).toEqual([deliveryId, expect.any(String)]);
    expect(attempts(apiNode.logs())).toEqual([]);
  });

  it('a worker whose LISTEN connection is cut still publishes on time a post scheduled while it was deaf', { timeout: 90_000 }, async () => {
    const { api, worker } = await startCluster();
    const account = await f.connect(api);

    // Cut the worker's LISTEN connection (the only one in this database that listens), as a
    // PostgreSQL restart or a network blip would, and schedule at once: the NOTIFY of this post
    // reaches nobody. The worker listens again after a second; the sweep is 60 s away.
    const admin = new pg.Client({ connectionString: f.db.databaseUrl });
    await admin.connect();
    try {
      const listeners = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'`,
      );
      expect(listeners.rows).toHaveLength(1);
      await admin.query('SELECT pg_terminate_backend($1)', [listeners.rows[0]!.pid]);
    } finally {
      await admin.end();
    }
    const scheduledFor = Date.now() + 2500;
    const post = await f.schedule(api, [account], 'scheduled while the worker was not listening', scheduledFor);

    const [req] = await f.receiver.waitFor(1, '/hook', 20_000);
    const lateness = req!.at - scheduledFor;
    expect(req!.json.post_id).toBe(post.id);
    expect(lateness, 'arrival minus scheduled_for, in ms').toBeGreaterThanOrEqual(0);
    expect(lateness, 'arrival minus scheduled_for, in ms').toBeLessThanOrEqual(1000);
    await f.waitForStatus(api, post.id, 'published');
    expect(worker.logs().some((l) => l.msg === 'due notifications interrupted; reconnecting')).toBe(true);
  });
});
