// Octopost in this process, through the compiled code (../dist): a fresh database, the owner,
// webhook accounts pointing at the receiver, and a fast way to insert many due deliveries.
import { sql } from 'kysely';
import pino from 'pino';
import { createApp } from '../../dist/app.js';
import { loadConfig } from '../../dist/config.js';
import { ID_PREFIX, newId } from '../../dist/core/ids.js';
import { insertDeliveries } from '../../dist/store/delivery.repository.js';
import { insertPost } from '../../dist/store/post.repository.js';
import { track } from './cleanup.js';
import { createDatabase } from './databases.js';

/**
 * Starts Octopost on a fresh database. `worker: true` runs the scheduler in this process.
 * `platforms(config)`, when given, returns the app's PlatformRegistry (default: the one the config
 * makes). OCTOPOST_BENCH_CONCURRENCY overrides config.workerConcurrency (default 64) to compare
 * settings.
 */
export async function startOctopost(dialect, label, { worker, platforms }) {
  const database = await createDatabase(dialect, label);
  try {
    const env = { OCTOPOST_DATA_DIR: database.dataDir, LOG_LEVEL: 'silent' };
    if (database.databaseUrl) env.DATABASE_URL = database.databaseUrl;
    if (process.env.OCTOPOST_BENCH_CONCURRENCY) env.OCTOPOST_WORKER_CONCURRENCY = process.env.OCTOPOST_BENCH_CONCURRENCY;
    const config = loadConfig(env);
    const app = await createApp(config, { worker, platforms: platforms?.(config), logger: pino({ level: 'silent' }) });
    const closeApp = track(`octopost app (${label}, ${dialect})`, () => app.close());
    const owner = await app.services.users.ensureOwner();
    return {
      app,
      config,
      userId: owner.id,
      /** Closes the app first (the scheduler finishes in-flight work), then drops the database. */
      async close() {
        try {
          await closeApp();
        } finally {
          await database.drop();
        }
      },
    };
  } catch (err) {
    await database.drop();
    throw err;
  }
}

/**
 * What PostgreSQL's autovacuum does to a table that grew by more than a tenth: refresh the
 * planner's statistics. A scenario inserts its rows in one go and starts at once, before
 * autovacuum's next round (up to a minute later), so it would otherwise measure plans that a
 * database in service does not run. SQLite: Octopost never runs ANALYZE, so neither do we.
 */
export async function analyzeLikeAutovacuum(octo) {
  const { db, dialect } = octo.app.ctx.store;
  if (dialect === 'postgres') await sql`ANALYZE`.execute(db);
}

/** One webhook account per URL (connecting the same URL twice would update the same account). */
export async function connectWebhooks(octo, urls) {
  const ids = [];
  for (const url of urls) {
    const { account } = await octo.app.services.accounts.connect(octo.userId, { platform: 'webhook', url, secret: 'bench-shared-secret' });
    ids.push(account.id);
  }
  return ids;
}

/**
 * Inserts `postCount` posts, each to every account in `accountIds` (so postCount x accounts
 * deliveries), all due at `dueAt`, in one transaction through the repository functions. Does not
 * announce: the caller calls app.ctx.due.announce(dueAt) when it wants the scheduler to look.
 */
export async function insertDuePosts(octo, { postCount, accountIds, dueAt }) {
  await insertPostsDueAt(octo, { dueTimes: Array.from({ length: postCount }, () => dueAt), accountIds });
}

/**
 * Inserts posts whose due times are given one by one (`dueTimes[i]` for post i), each to every
 * account in `accountIds`, in one transaction through the repository functions. Does not announce.
 */
export async function insertPostsDueAt(octo, { dueTimes, accountIds }) {
  const db = octo.app.ctx.store.db;
  const now = Date.now();
  await db.transaction().execute(async (trx) => {
    let batch = [];
    for (let i = 0; i < dueTimes.length; i++) {
      const postId = newId(ID_PREFIX.post, now);
      await insertPost(trx, {
        id: postId,
        userId: octo.userId,
        content: `Bench post ${i}: a sentence of ordinary length, about as long as a real social media post.`,
        media: { images: [] },
        segments: [],
        platformOptions: {},
        staggerMinutes: 0,
        scheduledFor: dueTimes[i],
        createdAt: now,
        updatedAt: now,
        accountIds,
      });
      for (const accountId of accountIds) {
        batch.push({ id: newId(ID_PREFIX.delivery, now), postId, accountId, platform: 'webhook', dueAt: dueTimes[i], now });
      }
      // 500 rows x 16 columns stays under both SQLite's and PostgreSQL's bound-parameter limits.
      if (batch.length >= 500) {
        await insertDeliveries(trx, batch);
        batch = [];
      }
    }
    await insertDeliveries(trx, batch);
  });
}
