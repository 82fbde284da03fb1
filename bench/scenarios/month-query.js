// Issue 6, API: the calendar's month query with 100,000 posts in the database. The posts (3
// accounts, ~2 years: mostly published with their deliveries, scheduled ones in the coming
// months, some drafts, a few failed) are written with multi-row INSERTs through the store, then an
// `octopost serve --no-worker` child process answers `GET /v1/posts?from&to&limit=500` over HTTP:
// the first page alone, and the whole month (following next_cursor until it is null).
import { sql } from 'kysely';
import { ID_PREFIX, newId } from '../../dist/core/ids.js';
import { analyzeLikeAutovacuum, connectWebhooks, startOctopost } from '../lib/octopost.js';
import { probeMachine } from '../lib/machine-probe.js';
import { percentile } from '../lib/stats.js';
import { call, createApiKey, startOctopostProcess } from './processes.js';

const POSTS = 100_000;
const ACCOUNTS = 3;
const DAY = 86_400_000;
const PAST_DAYS = 640; // history; the last 90 of the ~730 days are the scheduled future
const FUTURE_DAYS = 90;
const LIMIT = 500;
const SMALL_LIMIT = 50; // the API's default page size
const WARMUP_MONTHS = 2;
const FIRST_PAGES = 100; // samples of the first page alone
const MONTHS = 20; // samples of the whole month
const CHUNK = 1000; // rows per INSERT: 1,000 x 16 columns stays under both databases' parameter limits

export default {
  name: 'month-query',
  title: `GET /v1/posts for one month (limit ${LIMIT}, all pages) with ${POSTS.toLocaleString('en')} posts, \`serve --no-worker\` child`,
  timeoutMs: 240_000,

  async run({ dialect, signal }) {
    const octo = await startOctopost(dialect, 'month', { worker: false });
    let server;
    try {
      const accountIds = await connectWebhooks(
        octo,
        Array.from({ length: ACCOUNTS }, (_, i) => `http://127.0.0.1:9/month/${i}`),
      );
      const key = await createApiKey(octo);
      const now = Date.now();
      const seedStarted = Date.now();
      const seeded = await seed(octo, accountIds, now);
      const seedMs = Date.now() - seedStarted;
      // Autovacuum would have analyzed tables grown over two years; the bulk load did not give it the chance.
      await analyzeLikeAutovacuum(octo);

      // The month 12 months back: history, all published or failed (~4,000 posts, 8 pages).
      const d = new Date(now);
      const from = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 12, 1));
      const to = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 11, 1));
      const { rows } = await sql`SELECT COUNT(*) AS n FROM posts WHERE COALESCE(scheduled_for, published_at) >= ${from.getTime()} AND COALESCE(scheduled_for, published_at) < ${to.getTime()}`.execute(
        octo.app.ctx.store.db,
      );
      const inMonth = Number(rows[0].n);

      // The API in its own process, as deployed (with a high rate limit: the bench asks several
      // times a second, far above the default 1,000 a minute).
      server = await startOctopostProcess(octo, ['serve', '--no-worker'], { env: { OCTOPOST_RATE_LIMIT: '1000000' }, signal, label: 'month-query' });
      const base = server.url;
      const path = (cursor, limit = LIMIT) => `/v1/posts?from=${from.toISOString()}&to=${to.toISOString()}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
      const page = async (cursor, limit) => {
        const r = await call(base, key, 'GET', path(cursor, limit));
        if (r.status !== 200) throw new Error(`GET /v1/posts answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
        return r;
      };
      const walk = async () => {
        const started = performance.now();
        const pages = [];
        const ids = new Set();
        let cursor = null;
        do {
          if (signal.aborted) throw signal.reason;
          const r = await page(cursor);
          pages.push(r);
          for (const p of r.body.posts) ids.add(p.id);
          cursor = r.body.next_cursor;
        } while (cursor);
        return { ms: performance.now() - started, pages, posts: ids.size };
      };
      // The first page alone, `count` times: wall-clock times, and the server's CPU time per
      // request (steadier than wall-clock on a shared machine).
      const firstPages = async (count, limit) => {
        const ms = [];
        let bytes = 0;
        const cpu = server.cpuMs();
        for (let i = 0; i < count; i++) {
          if (signal.aborted) throw signal.reason;
          const r = await page(null, limit);
          ms.push(r.ms);
          bytes = r.bytes;
        }
        return { ms, bytes, cpuMs: (server.cpuMs() - cpu) / count };
      };

      for (let i = 0; i < WARMUP_MONTHS; i++) await walk();
      // The machine's speed right around the first-page samples: it changes from second to second.
      const probeBefore = probeMachine();
      const first = await firstPages(FIRST_PAGES, LIMIT);
      const probeAfter = probeMachine();
      const small = await firstPages(FIRST_PAGES, SMALL_LIMIT);
      const months = [];
      const later = [];
      let pageCount = 0;
      const monthCpu = server.cpuMs();
      for (let i = 0; i < MONTHS; i++) {
        const w = await walk();
        if (w.posts !== inMonth) throw new Error(`the month's pages held ${w.posts} distinct posts, the database ${inMonth}`);
        months.push(w.ms);
        later.push(...w.pages.slice(1).map((p) => p.ms));
        pageCount = w.pages.length;
      }
      const monthCpuMs = (server.cpuMs() - monthCpu) / MONTHS;

      return {
        figures: [
          { figure: `first page (${LIMIT} posts) p50`, value: percentile(first.ms, 50), unit: 'ms' },
          { figure: `first page (${LIMIT} posts) p99`, value: percentile(first.ms, 99), unit: 'ms', goal: { op: '<', value: 50 } },
          { figure: `first page (${LIMIT} posts) server CPU`, value: first.cpuMs, unit: 'ms' },
          { figure: 'machine probe before / after the first pages (lower: faster)', value: `${probeBefore.toFixed(0)} / ${probeAfter.toFixed(0)} ms` },
          { figure: 'later pages (cursor) p50', value: percentile(later, 50), unit: 'ms' },
          { figure: 'later pages (cursor) p99', value: percentile(later, 99), unit: 'ms' },
          { figure: `whole month (${pageCount} pages, ${inMonth.toLocaleString('en')} posts) p50`, value: percentile(months, 50), unit: 'ms' },
          { figure: `whole month (${pageCount} pages, ${inMonth.toLocaleString('en')} posts) p99`, value: percentile(months, 99), unit: 'ms' },
          { figure: 'whole month server CPU', value: monthCpuMs, unit: 'ms' },
          { figure: `first page, default limit (${SMALL_LIMIT}) p50`, value: percentile(small.ms, 50), unit: 'ms' },
          { figure: `first page, default limit (${SMALL_LIMIT}) p99`, value: percentile(small.ms, 99), unit: 'ms' },
        ],
        details: {
          posts: POSTS, accounts: ACCOUNTS, seeded, seedMs, month: { from: from.toISOString(), to: to.toISOString(), posts: inMonth, pages: pageCount },
          machineProbeMs: { beforeFirstPages: probeBefore, afterFirstPages: probeAfter },
          firstPageBytes: first.bytes, smallPageBytes: small.bytes, serverCpuMs: { firstPage: first.cpuMs, smallPage: small.cpuMs, wholeMonth: monthCpuMs },
          samples: { firstPage: first.ms, smallPage: small.ms, laterPages: later, wholeMonth: months },
        },
      };
    } finally {
      await server?.stop();
      await octo.close();
    }
  },
};

/** A small seeded PRNG (mulberry32): the same database every run. */
function random(seed) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * 100,000 posts over ~2 years up to `now` + 90 days: 5 % drafts, the past ones published (1 in 10
 * "publish now": no scheduled_for) with a delivery per account, 2 % failed, 2 % partly failed, the
 * future ones scheduled (pending deliveries). 1 to 3 accounts each. Ids carry the creation time
 * (up to 3 days before the post's time). Multi-row INSERTs in one transaction.
 */
export async function seed(octo, accountIds, now) {
  const rand = random(6);
  const start = now - PAST_DAYS * DAY;
  const span = (PAST_DAYS + FUTURE_DAYS) * DAY;
  const counts = { draft: 0, published: 0, failed: 0, partially_failed: 0, scheduled: 0, deliveries: 0 };
  const posts = [];
  const links = [];
  const deliveries = [];
  const content = (i) => `Bench post ${i}: a sentence of ordinary length, about as long as a real social media post, #octopost`;
  const error = JSON.stringify({ code: 'http_500', message: 'The platform answered 500 three times.', permanent: false, http_status: 500 });

  const db = octo.app.ctx.store.db;
  // Every 500 posts: the posts first (the other two tables reference them), then their rows.
  const flush = async (trx, force) => {
    if (posts.length < 500 && !force) return;
    for (const [table, rows] of [['posts', posts], ['post_accounts', links], ['deliveries', deliveries]]) {
      while (rows.length) await trx.insertInto(table).values(rows.splice(0, CHUNK)).execute();
    }
  };
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < POSTS; i++) {
      const t = Math.round(start + (i / POSTS) * span + (rand() - 0.5) * 3_600_000);
      const draft = i % 20 === 7;
      const createdAt = draft ? Math.round(start + rand() * (now - start)) : Math.min(now, t - Math.round(rand() * 3 * DAY));
      const id = newId(ID_PREFIX.post, createdAt);
      const accounts = accountIds.slice(0, 1 + (i % ACCOUNTS)).map((_, k) => accountIds[(i + k) % ACCOUNTS]);
      const r = rand();
      const kind = draft ? 'draft' : t > now ? 'scheduled' : r < 0.02 ? 'failed' : r < 0.04 && accounts.length > 1 ? 'partially_failed' : 'published';
      counts[kind]++;
      const publishNow = kind === 'published' && r > 0.9;
      const publishedAt = kind === 'published' || kind === 'partially_failed' ? t + 400 : null;
      posts.push({
        id,
        user_id: octo.userId,
        content: content(i),
        media: '{"images":[]}',
        segments: '[]',
        platform_options: '{}',
        stagger_minutes: 0,
        scheduled_for: draft || publishNow ? null : t,
        published_at: publishedAt,
        created_at: createdAt,
        updated_at: kind === 'draft' || kind === 'scheduled' ? createdAt : t + 500,
      });
      accounts.forEach((accountId, position) => {
        links.push({ post_id: id, account_id: accountId, position });
        if (draft) return;
        const failed = kind === 'failed' || (kind === 'partially_failed' && position === 0);
        const published = kind === 'published' || (kind === 'partially_failed' && position > 0);
        deliveries.push({
          id: newId(ID_PREFIX.delivery, createdAt),
          post_id: id,
          account_id: accountId,
          platform: 'webhook',
          status: kind === 'scheduled' ? 'pending' : failed ? 'failed' : 'published',
          due_at: t,
          attempts: kind === 'scheduled' ? 0 : failed ? 4 : 1,
          budget_start: 0,
          locked_by: null,
          lease_until: null,
          last_error: failed ? error : null,
          remote_id: published ? `bench-${i}-${position}` : null,
          remote_url: published ? `https://example.com/bench/${i}/${position}` : null,
          published_at: published ? t + 300 + position * 50 : null,
          created_at: createdAt,
          updated_at: kind === 'scheduled' ? createdAt : t + 500,
        });
        counts.deliveries++;
      });
      await flush(trx, false);
    }
    await flush(trx, true);
  });
  return counts;
}
