// graphile-worker 0.17.3 (a dev dependency used only here) on a fresh PostgreSQL database, in
// this process, doing the same work as Octopost's webhook adapter: POST the same JSON body with
// the same headers (content-type, idempotency-key, HMAC signature, user agent) through the same
// HTTP client (undici `request`, global dispatcher) to the same receiver, and wait for the answer.
import { createHmac } from 'node:crypto';
import { Logger, makeWorkerUtils, run } from 'graphile-worker';
import pg from 'pg';
import { request } from 'undici';
import { track } from './cleanup.js';
import { createDatabase } from './databases.js';

/** graphile-worker logs through this; the bench prints only its table. */
const silent = new Logger(() => () => {});

export const SECRET = 'bench-shared-secret'; // the same secret the Octopost webhook accounts get

/**
 * The documented fast settings (worker.graphile.org/docs/performance: local queue, batched
 * completion, prepared statements) with Octopost's concurrency (64 in flight) and pool size (10).
 * `pollInterval` only matters for jobs whose run_at is in the future: that is the whole point here.
 */
export const FAST = {
  concurrentJobs: Number(process.env.OCTOPOST_BENCH_CONCURRENCY || 64),
  maxPoolSize: 10,
  pollInterval: 100,
  preparedStatements: true, // i.e. noPreparedStatements: false
  localQueue: { size: 500 },
  completeJobBatchDelay: 0,
  failJobBatchDelay: 0,
};

/**
 * A job payload carrying what Octopost's adapter reads from its delivery, post and account rows
 * (graphile-worker has no such tables: the job is the whole record).
 */
export function webhookPayload({ url, deliveryId, postId, content, scheduledFor }) {
  return { url, delivery_id: deliveryId, post_id: postId, content, scheduled_for: new Date(scheduledFor).toISOString() };
}

/** The task: Octopost's webhook publish (src/platforms/webhook.platform.ts), minus the recording. */
export async function webhookTask(p) {
  const body = JSON.stringify({
    delivery_id: p.delivery_id,
    post_id: p.post_id,
    content: p.content,
    media: { images: [] },
    segments: [],
    scheduled_for: p.scheduled_for,
  });
  const signature = createHmac('sha256', SECRET).update(body).digest('hex');
  const response = await request(p.url, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'idempotency-key': p.delivery_id,
      'x-octopost-signature': `sha256=${signature}`,
      'user-agent': 'Octopost-Webhook/1',
    },
  });
  const text = await response.body.text();
  if (response.statusCode < 200 || response.statusCode >= 300) throw new Error(`receiver answered ${response.statusCode}`);
  JSON.parse(text); // Octopost parses the answer for the platform's post id and URL
}

/**
 * A fresh database with graphile-worker's schema, and a runner with `settings` (merged into the
 * preset's `worker` section) and `tasks`. `close()` stops the runner, then drops the database.
 *
 * The pool is ours, not graphile-worker's: its release calls pgPool.end() without awaiting it,
 * after removing its pool error handler, so dropping the database right after (WITH (FORCE))
 * killed still-idle clients and crashed the bench with an unhandled pool 'error'.
 */
export async function startGraphile(label, { settings, tasks }) {
  const database = await createDatabase('postgres', label);
  let utils;
  let runner;
  const releases = [];
  const close = async () => {
    for (const release of releases.reverse()) await release().catch(() => {});
    await database.drop();
  };
  try {
    const pool = new pg.Pool({ connectionString: database.databaseUrl, max: settings.maxPoolSize ?? 10 });
    // Errors of idle clients (the pool replaces them) and of checked-out ones (the query fails).
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    releases.push(track(`graphile-worker pool (${label})`, () => pool.end()));
    utils = await makeWorkerUtils({ pgPool: pool, logger: silent });
    releases.push(track(`graphile-worker utils (${label})`, () => utils.release()));
    await utils.migrate();
    runner = await run({
      noHandleSignals: true, // run.js handles Ctrl-C and cleans up
      logger: silent,
      pgPool: pool,
      taskList: tasks,
      preset: { worker: { ...settings } },
    });
    releases.push(track(`graphile-worker runner (${label})`, () => runner.stop()));
  } catch (err) {
    await close();
    throw err;
  }
  const admin = new pg.Client({ connectionString: database.databaseUrl });
  admin.on('error', () => {});
  releases.push(track(`pg client (${label})`, () => admin.end()));
  try {
    await admin.connect();
  } catch (err) {
    await close();
    throw err;
  }
  return {
    database,
    runner,
    utils,
    /** Runs one statement on the job database (outside graphile-worker's pool). */
    query: (text, values) => admin.query(text, values),
    /** Adds `specs` through addJobs (graphile_worker.add_jobs), `chunk` jobs a call. */
    async addJobs(specs, chunk = 1000) {
      for (let i = 0; i < specs.length; i += chunk) await utils.addJobs(specs.slice(i, i + chunk));
    },
    /** Jobs still in the table: completed jobs are deleted. */
    async remaining() {
      const { rows } = await admin.query('SELECT COUNT(*)::int AS n FROM graphile_worker._private_jobs');
      return rows[0].n;
    },
    close,
  };
}
