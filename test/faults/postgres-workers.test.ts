import { describe, expect, it } from 'vitest';
import { postgresAvailable } from '../helpers/databases.js';
import {
  collectFacts,
  expectCommonInvariants,
  expectKillInvariants,
  figure,
  importDue,
  importDueTwoReceivers,
  killAtRandom,
  report,
  seededRandom,
  startCluster,
  summary,
  unknownReport,
  useFaultFixture,
  waitSettled,
} from '../helpers/fault-suite.js';
import { waitUntil } from '../helpers/http-api.js';

/**
 * Several nodes on one PostgreSQL (issue 6, fault suite): an API node (`serve --no-worker`) and
 * three `octopost worker` processes, thousands of webhook deliveries due within seconds, the local
 * receiver recording every request. First undisturbed, then with workers SIGKILLed at random
 * moments and started again. `npm test` runs the figures (10,000 deliveries, 50 kills);
 * `npm run soak` five times as many deliveries and four times as many kills.
 */
const DELIVERIES = figure('DELIVERIES', 10_000, 50_000);
const KILLS = figure('KILLS', 50, 200);

describe.skipIf(!(await postgresAvailable()))('3 workers on postgres', () => {
  const f = useFaultFixture('postgres');

  it(`${DELIVERIES} deliveries due within seconds: every one received once, none twice, none lost, every post published`, { timeout: 90_000 + DELIVERIES * 15 }, async () => {
    const started = Date.now();
    // The sweep stays at its default (60 s): waking the workers is NOTIFY's job.
    const { api, workers } = await startCluster(f, 3);
    const account = await f.connect(api);
    const importStarted = Date.now();
    const posts = await importDue(api, account, DELIVERIES, { startInMs: 3000, spreadMs: 2000 });
    const importMs = Date.now() - importStarted;

    const store = f.reader();
    await waitSettled(store, DELIVERIES, 60_000 + DELIVERIES * 10, () => `received ${f.receiver.requests.length}`);
    const settledAt = Date.now();
    const facts = await collectFacts(store, f.receiver.requests);

    expectCommonInvariants(facts, DELIVERIES);
    expect(facts.requests, 'requests received').toBe(DELIVERIES);
    expect(facts.repeats, 'requests received twice').toBe(0);
    expect(facts.deliveries.filter((d) => d.status !== 'published' || d.attempts !== 1 || d.received.length !== 1), 'deliveries not published in exactly one attempt').toEqual([]);
    expect(new Set(facts.deliveries.map((d) => d.postId))).toEqual(new Set(posts));
    expect(facts.posts).toEqual({ published: DELIVERIES });

    const byWorker: Record<string, number> = {};
    for (const d of facts.deliveries) for (const h of d.history) byWorker[h.worker] = (byWorker[h.worker] ?? 0) + 1;
    // SKIP LOCKED shares the work: more than one worker took part (each claims 50 at a time).
    expect(Object.keys(byWorker).length, JSON.stringify(byWorker)).toBeGreaterThanOrEqual(2);
    const arrivals = f.receiver.requests.map((r) => r.at);
    report(`3 workers, ${DELIVERIES} deliveries`, {
      result: summary(facts),
      'deliveries per worker': Object.values(byWorker),
      'import (CSV, 1,000 rows a request)': `${importMs} ms`,
      'first to last arrival': `${Math.max(...arrivals) - Math.min(...arrivals)} ms`,
      'test time': `${settledAt - started} ms to settle, processes included`,
    });
    expect(workers).toHaveLength(3);
  });

  it(`SIGKILL a worker ${KILLS} times at random moments of a ${DELIVERIES}-delivery run: nothing lost, repeats only with the same Idempotency-Key after an interrupted attempt, none where the receiver does not drop repeats (unknown instead)`, { timeout: 150_000 + KILLS * 3000 + DELIVERIES * 15 }, async () => {
    const started = Date.now();
    const random = seededRandom('postgres kills');
    // Each answer takes 20-150 ms, so that every worker has attempts in flight when it is killed.
    const received = new Set<string>();
    f.receiver.respondWith((req) => {
      received.add(String(req.headers['idempotency-key']));
      return { status: 200, delayMs: Math.round(random.between(20, 150)) };
    });
    // Short publish timeout: a killed worker's lease (2 s + 5 s) runs out soon and the 1 s sweep of
    // a live worker takes its deliveries back.
    const cluster = await startCluster(f, 3, { OCTOPOST_PUBLISH_TIMEOUT: '2s', OCTOPOST_SWEEP_INTERVAL: '1s' });
    const spreadMs = Math.max(10_000, KILLS * 2500);
    const noRepeats = await importDueTwoReceivers(f, cluster.api, DELIVERIES, { startInMs: 3000, spreadMs });
    await waitUntil('the first deliveries to arrive', () => received.size > 0, { timeoutMs: 30_000 });

    const killing = killAtRandom(f, {
      kills: KILLS,
      windowMs: spreadMs * 0.9,
      random,
      victims: cluster.workers,
      restart: () => f.procs.worker(cluster.env),
      outstanding: () => DELIVERIES - received.size,
    });
    f.track(killing);
    const kills = await killing;
    const killsDoneAt = Date.now();

    const store = f.reader();
    await waitSettled(store, DELIVERIES, 90_000 + DELIVERIES * 10, () => `received ${received.size} distinct of ${f.receiver.requests.length}`);
    const settledAt = Date.now();
    const facts = await collectFacts(store, f.receiver.requests);

    expect(kills, 'kills done').toHaveLength(KILLS);
    const { exhausted, unknown } = expectKillInvariants(facts, DELIVERIES, noRepeats);

    report(`3 workers, ${DELIVERIES} deliveries, ${kills.length} SIGKILLs`, {
      result: summary(facts),
      'failed: every attempt up to the retry limit killed (allowed, by design)': exhausted.length,
      ...unknownReport(unknown, noRepeats),
      'kills while deliveries were outstanding': kills.filter((k) => k.outstanding > 0).length,
      'outstanding at each kill': kills.map((k) => k.outstanding),
      'restart times (ms)': kills.map((k) => k.restartMs),
      'interrupted deliveries never received (killed before sending)': facts.deliveries.filter((d) => d.history.some((h) => h.outcome === 'interrupted') && d.received.length < d.attempts).length,
      'last kill to settled': `${settledAt - killsDoneAt} ms`,
      'test time': `${settledAt - started} ms`,
    });
  });
});
