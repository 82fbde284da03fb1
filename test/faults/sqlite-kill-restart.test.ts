import { describe, expect, it } from 'vitest';
import { waitUntil } from '../helpers/http-api.js';
import {
  collectFacts,
  expectKillInvariants,
  faultEnv,
  figure,
  importDueTwoReceivers,
  killAtRandom,
  report,
  seededRandom,
  summary,
  unknownReport,
  useFaultFixture,
  waitSettled,
} from '../helpers/fault-suite.js';
import { HttpApi } from '../helpers/http-api.js';
import { createApiKey } from '../helpers/octopost-process.js';

/**
 * The single-node deployment (issue 6, fault suite): one `octopost serve` on SQLite, thousands of
 * deliveries due over a few seconds, the process SIGKILLed at random moments and started again on
 * the same data dir. At start it takes back every delivery a crash left `publishing`: sent again
 * with the same Idempotency-Key, or `unknown` on the receiver that does not drop repeats.
 */
const DELIVERIES = figure('SQLITE_DELIVERIES', figure('DELIVERIES', 2000, 10_000), figure('DELIVERIES', 2000, 10_000));
const KILLS = figure('SQLITE_KILLS', 4, 15);

describe('single node on sqlite', () => {
  const f = useFaultFixture('sqlite');

  it(`SIGKILL serve ${KILLS} times while ${DELIVERIES} deliveries are due, restart on the same data dir: nothing lost, repeats only after an interrupted attempt, none where the receiver does not drop repeats (unknown instead)`, { timeout: 120_000 + KILLS * 6000 + DELIVERIES * 15 }, async () => {
    const started = Date.now();
    const random = seededRandom('sqlite kills');
    const received = new Set<string>();
    f.receiver.respondWith((req) => {
      received.add(String(req.headers['idempotency-key']));
      return { status: 200, delayMs: Math.round(random.between(20, 150)) };
    });
    const env = faultEnv(f.db, { OCTOPOST_PUBLISH_TIMEOUT: '2s', OCTOPOST_SWEEP_INTERVAL: '1s' });
    const key = await createApiKey(env, 'fault-suite');
    const server = await f.procs.serve(env);
    const api = new HttpApi(server.url, key);
    const spreadMs = Math.max(8000, KILLS * 2500);
    const noRepeats = await importDueTwoReceivers(f, api, DELIVERIES, { startInMs: 3000, spreadMs });
    await waitUntil('the first deliveries to arrive', () => received.size > 0, { timeoutMs: 30_000 });

    const killing = killAtRandom(f, {
      kills: KILLS,
      windowMs: spreadMs * 0.9,
      random,
      victims: [server],
      restart: () => f.procs.serve(env),
      outstanding: () => DELIVERIES - received.size,
    });
    f.track(killing);
    const kills = await killing;
    const killsDoneAt = Date.now();

    const store = f.reader();
    await waitSettled(store, DELIVERIES, 60_000 + DELIVERIES * 10, () => `received ${received.size} distinct of ${f.receiver.requests.length}`);
    const settledAt = Date.now();
    const facts = await collectFacts(store, f.receiver.requests);

    expect(kills, 'kills done').toHaveLength(KILLS);
    const { exhausted, unknown } = expectKillInvariants(facts, DELIVERIES, noRepeats);

    report(`sqlite single node, ${DELIVERIES} deliveries, ${kills.length} SIGKILLs of serve`, {
      result: summary(facts),
      'failed: every attempt up to the retry limit killed (allowed, by design)': exhausted.length,
      ...unknownReport(unknown, noRepeats),
      'kills while deliveries were outstanding': kills.filter((k) => k.outstanding > 0).length,
      'outstanding at each kill': kills.map((k) => k.outstanding),
      'restart times (ms)': kills.map((k) => k.restartMs),
      'interrupted deliveries never received (killed before sending)': facts.deliveries.filter((d) => d.history.some((h) => h.outcome === 'interrupted') && d.received.length < d.attempts).length,
      'last restart to settled': `${settledAt - killsDoneAt} ms`,
      'test time': `${settledAt - started} ms`,
    });
  });
});
