import { afterEach, expect } from 'vitest';
import { sql } from 'kysely';
import { openStore, type Store } from '../../src/store/database.js';
import { postStatusSql } from '../../src/store/post-status.sql.js';
import type { DialectName, TestDatabase } from './databases.js';
import { useE2eFixture, type E2eFixture } from './e2e-fixture.js';
import { HttpApi, waitUntil } from './http-api.js';
import { createApiKey, type OctopostProcess, sleep } from './octopost-process.js';
import type { ReceivedRequest } from './receiver.js';

/**
 * The fault suite (test/faults/): real `octopost` processes, a real database, the local receiver
 * recording every request, and faults (SIGKILL, receiver storms) at random moments. Each test has
 * everyday figures for `npm test` and larger ones for `npm run soak` (OCTOPOST_FAULT_SOAK=1); each
 * can be set on its own through the environment. Random choices come from one seeded generator
 * whose seed is printed, so a failing run can be repeated with OCTOPOST_FAULT_SEED.
 */
export const SOAK = process.env.OCTOPOST_FAULT_SOAK === '1';

/** A figure of the suite: `OCTOPOST_FAULT_<NAME>` if set, else the soak or the everyday value. */
export function figure(name: string, everyday: number, soak: number): number {
  const raw = process.env[`OCTOPOST_FAULT_${name}`];
  if (raw === undefined || raw === '') return SOAK ? soak : everyday;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`OCTOPOST_FAULT_${name}: "${raw}" is not a whole number`);
  return n;
}

/** mulberry32: small, seeded, good enough to pick moments and answers. */
export function seededRandom(label: string): { seed: number; next: () => number; between: (lo: number, hi: number) => number } {
  const seed = process.env.OCTOPOST_FAULT_SEED ? Number(process.env.OCTOPOST_FAULT_SEED) : Math.floor(Math.random() * 2 ** 31);
  console.log(`[fault suite] ${label}: seed ${seed} (repeat with OCTOPOST_FAULT_SEED=${seed})`);
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next, between: (lo, hi) => lo + (hi - lo) * next() };
}

export interface FaultFixture extends E2eFixture {
  /** A read-only view of the test database from the test process (same code as the server's store). */
  reader(): Store;
  /** True once the test is over (passed, failed or timed out): loops that start processes must stop. */
  readonly over: boolean;
  /** Registers a background loop (a killer) that afterEach waits for before killing the processes. */
  track(loop: Promise<unknown>): void;
}

/**
 * useE2eFixture plus what a fault test needs. Its afterEach runs before the e2e fixture's (vitest
 * runs after-hooks in reverse order): it stops the loops first, so that no process is started
 * after the fixture has killed them all, then closes the reader before the database is dropped.
 */
export function useFaultFixture(dialect: DialectName): FaultFixture {
  const f = useE2eFixture(dialect);
  let store: Store | undefined;
  let over = false;
  const loops: Promise<unknown>[] = [];
  afterEach(async () => {
    over = true;
    await Promise.allSettled(loops);
    loops.length = 0;
    await store?.close().catch(() => {});
    store = undefined;
    over = false;
  });
  const fixture = Object.create(f) as FaultFixture;
  Object.defineProperties(fixture, {
    reader: {
      value: (): Store => {
        store ??= openStore({ databaseUrl: f.db.databaseUrl, dataDir: f.db.dataDir, poolSize: 2 });
        return store;
      },
    },
    over: { get: () => over },
    track: { value: (loop: Promise<unknown>) => loops.push(loop) },
  });
  return fixture;
}

/** The environment every process of a run shares. */
export function faultEnv(db: TestDatabase, extra: Record<string, string> = {}): Record<string, string> {
  return {
    OCTOPOST_DATA_DIR: db.dataDir,
    ...(db.databaseUrl && { DATABASE_URL: db.databaseUrl }),
    OCTOPOST_SECRET_KEY: 'fault-suite-secret-key-0123456789',
    OCTOPOST_RATE_LIMIT: '100000',
    ...extra,
  };
}

/**
 * A PostgreSQL deployment as operations.md describes it: one `serve --no-worker` (the API) and
 * `workers` × `octopost worker`, sharing DATABASE_URL and OCTOPOST_SECRET_KEY.
 */
export async function startCluster(f: FaultFixture, workers: number, extra: Record<string, string> = {}) {
  const env = faultEnv(f.db, extra);
  const apiNode = await f.procs.serve(env, ['--no-worker']);
  const api = new HttpApi(apiNode.url, await createApiKey(env, 'fault-suite'));
  const started = await Promise.all(Array.from({ length: workers }, () => f.procs.worker(env)));
  return { env, api, apiNode, workers: started };
}

/**
 * Creates `n` single-account posts through POST /v1/imports/csv (1,000 rows per request), due
 * from `startInMs` from now, spread evenly over `spreadMs`. A row whose planned time has already
 * passed when its chunk is sent (a slow import) is moved to 2.5 s after sending, since past times
 * are refused. Returns the post ids.
 */
export async function importDue(api: HttpApi, account: string, n: number, opts: { startInMs: number; spreadMs: number; chunk?: number }): Promise<string[]> {
  const t0 = Date.now() + opts.startInMs;
  const chunk = opts.chunk ?? 1000;
  const ids: string[] = [];
  for (let i = 0; i < n; i += chunk) {
    const earliest = Date.now() + 2500;
    const rows: string[] = [];
    for (let j = i; j < Math.min(n, i + chunk); j++) {
      const at = Math.max(earliest, Math.round(t0 + (n > 1 ? (opts.spreadMs * j) / (n - 1) : 0)));
      rows.push(`fault delivery ${j},${new Date(at).toISOString()},${account}`);
    }
    const res = await api.post('/v1/imports/csv', { csv: ['content,scheduled_at,accounts', ...rows].join('\n') });
    if (res.status !== 201) throw new Error(`CSV import answered ${res.status}: ${JSON.stringify(res.json).slice(0, 500)}`);
    ids.push(...(res.json.rows as { post_id: string }[]).map((r) => r.post_id));
  }
  expect(ids).toHaveLength(n);
  return ids;
}

/**
 * importDue for the kill tests: `n` posts, four in five to the usual webhook (`f.connect`), one in
 * five to a second one connected with `"deduplicates": false`, whose posts' ids it returns: an
 * attempt a kill cuts off there must end `unknown`, never be repeated (expectKillInvariants).
 */
export async function importDueTwoReceivers(f: FaultFixture, api: HttpApi, n: number, opts: { startInMs: number; spreadMs: number }): Promise<Set<string>> {
  const account = await f.connect(api);
  const noDedup = (await api.expectPost('/v1/accounts', { platform: 'webhook', url: f.receiver.url('/no-dedup'), secret: 'fault-suite-secret', deduplicates: false }, 201)).id as string;
  const noDedupCount = Math.floor(n / 5);
  await importDue(api, account, n - noDedupCount, opts);
  return new Set(await importDue(api, noDedup, noDedupCount, opts));
}

/** The report's lines on the deliveries expectKillInvariants found `unknown`. */
export function unknownReport(unknown: DeliveryFacts[], noRepeats: ReadonlySet<string>): Record<string, number> {
  return {
    [`unknown: cut off on the receiver that does not drop repeats (${noRepeats.size} deliveries), not repeated (by design)`]: unknown.length,
    'of those unknown, received before the kill': unknown.filter((d) => d.received.length > 0).length,
  };
}

/** Deliveries by status, straight from the database. */
export async function statusCounts(store: Store): Promise<Record<string, number>> {
  const rows = await store.db
    .selectFrom('deliveries')
    .select(['status', (eb) => eb.fn.countAll().as('n')])
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

const OPEN = ['pending', 'retrying', 'publishing'];

/** Waits until `total` deliveries exist and none is pending, retrying or publishing. */
export async function waitSettled(store: Store, total: number, timeoutMs: number, context: () => string): Promise<Record<string, number>> {
  let last: Record<string, number> = {};
  return waitUntil(
    `all ${total} deliveries to finish`,
    async () => {
      const counts = (last = await statusCounts(store));
      const all = Object.values(counts).reduce((a, b) => a + b, 0);
      const open = OPEN.reduce((a, s) => a + (counts[s] ?? 0), 0);
      return all === total && open === 0 && counts;
    },
    { timeoutMs, intervalMs: 250, context: () => `deliveries by status: ${JSON.stringify(last)}; ${context()}` },
  );
}

export interface DeliveryFacts {
  id: string;
  postId: string;
  status: string;
  attempts: number;
  /** The attempt history, in order. */
  history: { attempt: number; worker: string; outcome: string; error: { code?: string } | null; startedAt: number; finishedAt: number }[];
  /** What the receiver got with this delivery's Idempotency-Key, in order of arrival. */
  received: ReceivedRequest[];
}

export interface RunFacts {
  deliveries: DeliveryFacts[];
  /** Post status (as the API derives it) → count. */
  posts: Record<string, number>;
  /** Requests whose Idempotency-Key is no delivery of this run (must be none). */
  stray: ReceivedRequest[];
  /** Requests beyond the first per Idempotency-Key. */
  repeats: number;
  /** Deliveries received more than once. */
  repeatedDeliveries: number;
  /** Attempts recorded as interrupted (a worker died in them). */
  interrupted: number;
  requests: number;
}

/** Everything the invariants are checked on: the database's deliveries, history and posts, and the receiver's log. */
export async function collectFacts(store: Store, requests: readonly ReceivedRequest[]): Promise<RunFacts> {
  const db = store.db;
  const [deliveries, attempts, posts] = await Promise.all([
    db.selectFrom('deliveries').select(['id', 'post_id', 'status', 'attempts']).execute(),
    db.selectFrom('delivery_attempts').select(['delivery_id', 'attempt', 'worker', 'outcome', 'error', 'started_at', 'finished_at']).orderBy('delivery_id').orderBy('attempt').execute(),
    db.selectFrom('posts').select(sql<string>`${postStatusSql}`.as('status')).execute(),
  ]);
  const byId = new Map<string, DeliveryFacts>();
  for (const d of deliveries) byId.set(d.id, { id: d.id, postId: d.post_id, status: d.status, attempts: Number(d.attempts), history: [], received: [] });
  for (const a of attempts) {
    byId.get(a.delivery_id)?.history.push({
      attempt: Number(a.attempt),
      worker: a.worker,
      outcome: a.outcome,
      error: a.error ? (JSON.parse(a.error) as { code?: string }) : null,
      startedAt: Number(a.started_at),
      finishedAt: Number(a.finished_at),
    });
  }
  const stray: ReceivedRequest[] = [];
  for (const r of requests) {
    const d = byId.get(String(r.headers['idempotency-key']));
    if (d) d.received.push(r);
    else stray.push(r);
  }
  const postCounts: Record<string, number> = {};
  for (const p of posts) postCounts[p.status] = (postCounts[p.status] ?? 0) + 1;
  const all = [...byId.values()];
  return {
    deliveries: all,
    posts: postCounts,
    stray,
    repeats: all.reduce((n, d) => n + Math.max(0, d.received.length - 1), 0),
    repeatedDeliveries: all.filter((d) => d.received.length > 1).length,
    interrupted: all.reduce((n, d) => n + d.history.filter((h) => h.outcome === 'interrupted').length, 0),
    requests: requests.length,
  };
}

/**
 * The invariants every run keeps, whatever the faults: `total` deliveries, none left open, none
 * unknown (the webhook deduplicates), no request for anything else, one history entry per attempt,
 * never more requests than attempts, every request of a delivery carrying its own key (by
 * construction of the grouping), and a repeat only after an attempt that did not publish.
 * `noRepeats`: posts on a webhook connected with `"deduplicates": false`; their deliveries are
 * never received twice, and end `unknown` when an attempt's outcome is unknown.
 */
export function expectCommonInvariants(facts: RunFacts, total: number, noRepeats: ReadonlySet<string> = new Set()): void {
  expect(facts.deliveries, 'deliveries in the database').toHaveLength(total);
  expect(facts.stray.length, 'requests whose Idempotency-Key is no delivery').toBe(0);
  const problems: string[] = [];
  for (const d of facts.deliveries) {
    const say = (what: string) => problems.length < 20 && problems.push(`${d.id} (${d.status}, ${d.attempts} attempts, ${d.received.length} received): ${what}`);
    const mayRepeat = !noRepeats.has(d.postId);
    if (OPEN.includes(d.status) || (d.status === 'unknown' && mayRepeat)) say('not finished');
    if (!mayRepeat && d.attempts > 1) say('attempted again on a receiver that does not drop repeats');
    if (d.history.map((h) => h.attempt).join() !== Array.from({ length: d.attempts }, (_, i) => i + 1).join()) say(`history ${JSON.stringify(d.history.map((h) => [h.attempt, h.outcome]))}`);
    if (d.received.length > d.attempts) say('received more often than attempted');
    if (d.status === 'published' && d.received.length === 0) say('published but never received');
    if (d.history.filter((h) => h.outcome === 'published').length !== (d.status === 'published' ? 1 : 0)) say('published attempts do not match the status');
    // A repeat (second request with the same key) only follows an attempt that did not publish.
    const published = d.history.findIndex((h) => h.outcome === 'published');
    if (published >= 0 && published !== d.history.length - 1) say('attempted again after publishing');
  }
  expect(problems, 'deliveries breaking an invariant').toEqual([]);
}

/**
 * The invariants of a run with SIGKILLs and a receiver that always answers 200 in time: nothing
 * lost (every delivery received and published, every post published), a repeat is the same
 * request (same key, same body) and only follows an interrupted attempt, and only interruptions
 * add attempts. Two exceptions, by design, returned to be counted:
 * - `exhausted`: an interrupted attempt counts against the retry budget (so that a delivery that
 *   kills its worker every time cannot loop forever), so a delivery whose every attempt, up to the
 *   limit, was killed ends `failed` (dense soaks can hit it);
 * - `unknown`: on a receiver that does not drop repeats (`noRepeats`, single-account posts), an
 *   interrupted attempt is not repeated: the delivery ends `unknown` and its post `failed`.
 */
export function expectKillInvariants(
  facts: RunFacts,
  total: number,
  noRepeats: ReadonlySet<string> = new Set(),
  retryLimit = 3,
): { exhausted: DeliveryFacts[]; unknown: DeliveryFacts[] } {
  expectCommonInvariants(facts, total, noRepeats);
  const exhausted = facts.deliveries.filter((d) => d.status === 'failed' && d.attempts === 1 + retryLimit && d.history.every((h) => h.outcome === 'interrupted'));
  const unknown = facts.deliveries.filter((d) => noRepeats.has(d.postId) && d.status === 'unknown' && d.attempts === 1 && d.history[0]?.outcome === 'interrupted');
  const lost = facts.deliveries.filter((d) => !exhausted.includes(d) && !unknown.includes(d) && (d.status !== 'published' || d.received.length === 0));
  expect(lost.map((d) => ({ id: d.id, status: d.status, received: d.received.length, history: d.history.map((h) => h.outcome) })), 'deliveries not published').toEqual([]);
  const failed = exhausted.length + unknown.length;
  expect(facts.posts, 'posts by status').toEqual({ published: total - failed, ...(failed > 0 && { failed }) });
  const badRepeats = facts.deliveries.filter(
    (d) => d.received.length > 1 && (new Set(d.received.map((r) => r.body)).size !== 1 || !d.history.slice(0, -1).every((h) => h.outcome === 'interrupted')),
  );
  expect(badRepeats.map((d) => ({ id: d.id, history: d.history.map((h) => h.outcome) })), 'repeats not explained by an interruption').toEqual([]);
  const otherOutcomes = facts.deliveries.filter((d) => d.history.some((h) => h.outcome !== 'interrupted' && h.outcome !== 'published'));
  expect(otherOutcomes.map((d) => ({ id: d.id, history: d.history })), 'attempts that neither published nor were interrupted').toEqual([]);
  expect(facts.interrupted, 'attempts interrupted by the kills').toBeGreaterThan(0);
  return { exhausted, unknown };
}

export function summary(facts: RunFacts): string {
  const status: Record<string, number> = {};
  for (const d of facts.deliveries) status[d.status] = (status[d.status] ?? 0) + 1;
  return `deliveries ${JSON.stringify(status)}, posts ${JSON.stringify(facts.posts)}, requests ${facts.requests}, repeats ${facts.repeats} (of ${facts.repeatedDeliveries} deliveries), interrupted attempts ${facts.interrupted}`;
}

export interface Kill {
  at: number;
  victim: string;
  /** Deliveries not yet received when the kill came. */
  outstanding: number;
  /** From the kill until the new process was up. */
  restartMs?: number;
}

/**
 * SIGKILLs `kills` times, at moments drawn uniformly over the next `windowMs`, one of the processes
 * then running (chosen at random), and starts it again in the background: a kill does not wait for
 * the previous restart, so the moments stay random even when starting takes seconds under load.
 * Resolves once every restart is up; stops early, without error, when the fixture's test is over.
 */
export async function killAtRandom(
  f: FaultFixture,
  opts: {
    kills: number;
    windowMs: number;
    random: { between: (lo: number, hi: number) => number };
    /** The running processes; a slot is empty while its process restarts. */
    victims: (OctopostProcess | undefined)[];
    restart: (index: number) => Promise<OctopostProcess>;
    outstanding: () => number;
  },
): Promise<Kill[]> {
  const from = Date.now();
  const moments = Array.from({ length: opts.kills }, () => from + opts.random.between(0, opts.windowMs)).sort((a, b) => a - b);
  const done: Kill[] = [];
  const restarts: Promise<void>[] = [];
  for (const moment of moments) {
    await sleep(Math.max(0, moment - Date.now()));
    let running: number[] = [];
    while (!f.over && (running = opts.victims.flatMap((p, i) => (p ? [i] : []))).length === 0) await sleep(50);
    if (f.over) break;
    const index = running[Math.floor(opts.random.between(0, running.length))]!;
    const victim = opts.victims[index]!;
    const kill: Kill = { at: Date.now(), victim: `${victim.args[0]}#${index} pid ${victim.pid}`, outstanding: opts.outstanding() };
    opts.victims[index] = undefined;
    const exit = await victim.kill();
    if (exit.signal !== 'SIGKILL') throw new Error(`process ${victim.pid} had already exited (${JSON.stringify(exit)}) before kill ${done.length + 1}\n${victim.describe(5000)}`);
    done.push(kill);
    restarts.push(
      opts.restart(index).then((proc) => {
        opts.victims[index] = proc;
        kill.restartMs = Date.now() - kill.at;
      }),
    );
  }
  const failed = (await Promise.allSettled(restarts)).find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return done;
}

export function report(title: string, lines: Record<string, unknown>): void {
  console.log(`[fault suite] ${title}\n${Object.entries(lines).map(([k, v]) => `  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('\n')}`);
}
