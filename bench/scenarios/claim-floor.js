// Scenario 3 (floor): the bare claim statement (queue.repository claimDue, batch 50) in a loop
// over 10,000 due rows, nothing published or recorded: the most this machine's database could
// hand out. No scheduler runs, so the loop is the only claimer.
import { claimDue } from '../../dist/store/queue.repository.js';
import { analyzeLikeAutovacuum, connectWebhooks, insertDuePosts, startOctopost } from '../lib/octopost.js';
import { ACCOUNTS, DELIVERIES, POSTS } from './burst.js';

const BATCH = 50; // the scheduler's default batchSize

export default {
  name: 'claim-floor',
  title: `bare claimDue over ${DELIVERIES.toLocaleString('en')} due rows, batch ${BATCH}`,
  timeoutMs: 90_000,

  async run({ dialect, signal }) {
    const octo = await startOctopost(dialect, 'floor', { worker: false });
    try {
      const { app, config } = octo;
      // Never called: no scheduler runs here.
      const urls = Array.from({ length: ACCOUNTS }, (_, i) => `http://127.0.0.1:9/unused/${i}`);
      const accountIds = await connectWebhooks(octo, urls);
      await insertDuePosts(octo, { postCount: POSTS, accountIds, dueAt: Date.now() - 1000 });
      await analyzeLikeAutovacuum(octo);

      // Same lease as the scheduler (publish timeout + max(5 s, half of it)).
      const leaseMs = config.publishTimeoutMs + Math.max(5000, config.publishTimeoutMs / 2);
      const { db, dialect: storeDialect } = app.ctx.store;
      let claimed = 0;
      let statements = 0;
      const started = process.hrtime.bigint();
      for (;;) {
        if (signal.aborted) throw signal.reason;
        const now = Date.now();
        const rows = await claimDue(db, storeDialect, 'bench-floor', now, now + leaseMs, BATCH);
        statements++;
        claimed += rows.length;
        if (rows.length < BATCH) break;
      }
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (claimed !== DELIVERIES) throw new Error(`claimed ${claimed} rows, expected ${DELIVERIES}`);

      return {
        figures: [
          { figure: 'claim floor', value: (claimed / elapsedMs) * 1000, unit: 'rows/s' },
          { figure: 'claim statement mean', value: elapsedMs / statements, unit: 'ms' },
        ],
        details: { rows: claimed, statements, elapsedMs, batch: BATCH },
      };
    } finally {
      await octo.close();
    }
  },
};
