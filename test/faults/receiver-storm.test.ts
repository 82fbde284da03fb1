import { describe, expect, it } from 'vitest';
import { postgresAvailable } from '../helpers/databases.js';
import {
  collectFacts,
  expectCommonInvariants,
  figure,
  importDue,
  report,
  seededRandom,
  startCluster,
  summary,
  useFaultFixture,
  waitSettled,
} from '../helpers/fault-suite.js';
import type { ReceivedRequest } from '../helpers/receiver.js';

/**
 * A receiver storm (issue 6, fault suite): about 30% of the answers are 500, 429 with
 * Retry-After: 1, or a 200 that comes after the publish timeout, on an API node and three
 * workers on PostgreSQL. Retry delays are shortened to 200/400/800 ms (the policy's 1/5/15
 * minutes, scaled), so the retry limit is 3: at most 4 attempts per delivery.
 */
const DELIVERIES = figure('STORM_DELIVERIES', figure('DELIVERIES', 2000, 10_000), figure('DELIVERIES', 2000, 10_000));
const RETRY_DELAYS = [200, 400, 800];
const PUBLISH_TIMEOUT_MS = 2000;
const RETRY_AFTER_MS = 1000;

type Kind = 'ok' | '500' | '429' | 'slow';
/** The outcome each answer must produce, in the attempt history and its error code. */
const EXPECTED: Record<Kind, { outcome: string; code: string | null }> = {
  ok: { outcome: 'published', code: null },
  '500': { outcome: 'failed', code: 'server_error' },
  '429': { outcome: 'failed', code: 'rate_limited' },
  slow: { outcome: 'ambiguous', code: 'timeout' },
};

describe.skipIf(!(await postgresAvailable()))('receiver storm on postgres', () => {
  const f = useFaultFixture('postgres');

  it(`${DELIVERIES} deliveries, ~30% of answers 500/429/too slow: retries follow the policy, none beyond the limit, published + failed = total`, { timeout: 120_000 + DELIVERIES * 25 }, async () => {
    const started = Date.now();
    const random = seededRandom('receiver storm');
    const kinds = new Map<ReceivedRequest, Kind>();
    f.receiver.respondWith((req) => {
      const r = random.next();
      const kind: Kind = r < 0.1 ? '500' : r < 0.2 ? '429' : r < 0.3 ? 'slow' : 'ok';
      kinds.set(req, kind);
      if (kind === '500') return { status: 500, body: { error: 'storm' } };
      if (kind === '429') return { status: 429, headers: { 'retry-after': String(RETRY_AFTER_MS / 1000) }, body: { error: 'slow down' } };
      if (kind === 'slow') return { status: 200, delayMs: PUBLISH_TIMEOUT_MS + 1000 };
      return { status: 200 };
    });
    const cluster = await startCluster(f, 3, {
      OCTOPOST_PUBLISH_TIMEOUT: `${PUBLISH_TIMEOUT_MS}ms`,
      OCTOPOST_RETRY_DELAYS: RETRY_DELAYS.map((d) => `${d}ms`).join(','),
      OCTOPOST_SWEEP_INTERVAL: '1s',
    });
    const account = await f.connect(cluster.api);
    await importDue(cluster.api, account, DELIVERIES, { startInMs: 3000, spreadMs: 2000 });

    const store = f.reader();
    await waitSettled(store, DELIVERIES, 90_000 + DELIVERIES * 15, () => `received ${f.receiver.requests.length}`);
    const settledAt = Date.now();
    const facts = await collectFacts(store, f.receiver.requests);
    expectCommonInvariants(facts, DELIVERIES);

    const limit = 1 + RETRY_DELAYS.length;
    const problems: string[] = [];
    let shortestSlack = Number.POSITIVE_INFINITY;
    for (const d of facts.deliveries) {
      const say = (what: string) => problems.length < 20 && problems.push(`${d.id} ${d.status} ${JSON.stringify(d.received.map((r) => kinds.get(r)))}: ${what}`);
      const answers = d.received.map((r) => kinds.get(r)!);
      if (d.status !== 'published' && d.status !== 'failed') say('neither published nor failed');
      if (d.attempts > limit) say(`${d.attempts} attempts, beyond the limit of ${limit}`);
      // Every attempt reached the receiver, in order, and was recorded as its answer says.
      if (d.received.length !== d.attempts) say(`${d.received.length} requests for ${d.attempts} attempts`);
      d.history.forEach((h, i) => {
        const want = EXPECTED[answers[i]!];
        if (want && (h.outcome !== want.outcome || (h.error?.code ?? null) !== want.code)) say(`attempt ${i + 1} recorded ${h.outcome}/${h.error?.code} after a ${answers[i]} answer`);
      });
      // A retry after every bad answer until the limit; published on the first good answer.
      const firstOk = answers.indexOf('ok');
      if (d.status === 'published' && firstOk !== answers.length - 1) say('published, but not on its first good answer');
      if (d.status === 'failed' && (firstOk !== -1 || d.attempts !== limit)) say('failed before the retry limit or despite a good answer');
      // Each retry started at least the policy's delay (Retry-After when longer) after the end of
      // the attempt before it (the workers' own times, as recorded in the history).
      for (let i = 1; i < d.history.length; i++) {
        const wait = Math.max(RETRY_DELAYS[i - 1]!, answers[i - 1] === '429' ? RETRY_AFTER_MS : 0);
        const gap = d.history[i]!.startedAt - d.history[i - 1]!.finishedAt;
        shortestSlack = Math.min(shortestSlack, gap - wait);
        if (gap < wait - 20) say(`attempt ${i + 1} started ${gap} ms after attempt ${i} ended, before the ${wait} ms the policy asks`);
      }
    }
    expect(problems, 'deliveries breaking the retry policy').toEqual([]);

    const count = (status: string) => facts.deliveries.filter((d) => d.status === status).length;
    expect(count('published') + count('failed'), 'published + failed').toBe(DELIVERIES);
    // Every post has this one delivery: its status is the delivery's.
    expect((facts.posts.published ?? 0) + (facts.posts.failed ?? 0), JSON.stringify(facts.posts)).toBe(DELIVERIES);
    expect(facts.posts.published).toBe(count('published'));
    const answers: Record<string, number> = {};
    for (const k of kinds.values()) answers[k] = (answers[k] ?? 0) + 1;
    expect(facts.requests).toBe(facts.deliveries.reduce((n, d) => n + d.attempts, 0));
    const attemptsHistogram: Record<number, number> = {};
    for (const d of facts.deliveries) attemptsHistogram[d.attempts] = (attemptsHistogram[d.attempts] ?? 0) + 1;
    report(`receiver storm, ${DELIVERIES} deliveries, 3 workers`, {
      result: summary(facts),
      answers,
      'bad answers': `${(((answers['500'] ?? 0) + (answers['429'] ?? 0) + (answers.slow ?? 0)) / facts.requests * 100).toFixed(1)}%`,
      'deliveries by attempts': attemptsHistogram,
      'failed after 4 bad answers (expected ~0.3^4 = 0.8%)': count('failed'),
      'shortest retry gap beyond the policy': `${shortestSlack} ms`,
      'test time': `${settledAt - started} ms`,
    });
  });
});
