// Where the database's share of a delivery goes: the scheduler's two statements alone (claimWork,
// then recordOutcomes with every delivery published), one after the other over 10,000 due
// deliveries, nothing sent, at three batch sizes: 28 (what a claim takes in the burst: the
// scheduler claims once half of its 64 slots are free), 64 (the slots) and 200. The database's
// cost per delivery is a part per row plus a part per statement (its commit, its round trip,
// the plan), and this shows how the second shrinks as batches grow.
import { sql } from 'kysely';
import { claimWork } from '../../dist/store/claim-work.js';
import { recordOutcomes } from '../../dist/store/queue.repository.js';
import { analyzeLikeAutovacuum, connectWebhooks, insertDuePosts, startOctopost } from '../lib/octopost.js';
import { cpuSnapshot } from '../lib/system-cpu.js';
import { ACCOUNTS, DELIVERIES, POSTS } from './burst.js';

const BATCHES = [28, 64, 200];

export default {
  name: 'store-batches',
  title: `claimWork + recordOutcomes alone over ${DELIVERIES.toLocaleString('en')} due deliveries, batch ${BATCHES.join(' / ')}`,
  timeoutMs: 120_000,

  async run({ dialect, signal }) {
    const figures = [];
    const details = {};
    for (const batch of BATCHES) {
      const octo = await startOctopost(dialect, `batches-${batch}`, { worker: false });
      try {
        const { db } = octo.app.ctx.store;
        // Never called: nothing is published here.
        const accountIds = await connectWebhooks(octo, Array.from({ length: ACCOUNTS }, (_, i) => `http://127.0.0.1:9/unused/${i}`));
        // As the burst: inserted for later, then all moved to one moment (here: already due).
        await insertDuePosts(octo, { postCount: POSTS, accountIds, dueAt: Date.now() + 3_600_000 });
        await analyzeLikeAutovacuum(octo);
        await sql`UPDATE deliveries SET due_at = ${Date.now() - 1000}`.execute(db);

        let done = 0;
        let statements = 0;
        const cpuBefore = process.cpuUsage();
        const cpuElsewhere = cpuSnapshot();
        const started = performance.now();
        for (;;) {
          if (signal.aborted) throw signal.reason;
          const now = Date.now();
          const { deliveries } = await claimWork(db, dialect, 'bench-batches', now, now + 60_000, batch);
          statements++;
          if (deliveries.length === 0) break;
          const at = Date.now();
          const kept = await recordOutcomes(
            db,
            dialect,
            deliveries.map((delivery) => ({
              delivery,
              outcome: { status: 'published', remoteId: `r-${delivery.id}`, remoteUrl: null },
              attempt: { worker: 'bench-batches', startedAt: at, finishedAt: at, result: 'published' },
              mayReleaseWaiting: false,
            })),
          );
          statements++;
          if (kept.some((k) => !k)) throw new Error('an outcome was not recorded');
          done += deliveries.length;
        }
        const elapsedMs = performance.now() - started;
        const cpu = process.cpuUsage(cpuBefore);
        const { postgresMs } = cpuElsewhere.since();
        if (done !== DELIVERIES) throw new Error(`claimed ${done} deliveries, expected ${DELIVERIES}`);
        const perDelivery = (ms) => (ms / done) * 1000;
        const cpuMs = (cpu.user + cpu.system) / 1000;
        figures.push({ figure: `batch ${batch}: wall per delivery`, value: perDelivery(elapsedMs), unit: 'µs' });
        if (dialect === 'postgres') figures.push({ figure: `batch ${batch}: PostgreSQL server CPU per delivery`, value: perDelivery(postgresMs), unit: 'µs' });
        figures.push({ figure: `batch ${batch}: Octopost CPU per delivery`, value: perDelivery(cpuMs), unit: 'µs' });
        details[`batch${batch}`] = { deliveries: done, statements, elapsedMs, cpuMs, postgresMs };
      } finally {
        await octo.close();
      }
    }
    return { figures, details };
  },
};
