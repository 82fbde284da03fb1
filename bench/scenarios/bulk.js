// Issue 4's figures: bulk-schedule preview and apply for 1,000 drafts (goal: applied under 1 s),
// and a CSV import of 10,000 rows (goal: under 10 s), each with its time and peak memory growth.
// Drafts and rows are created through the services, as the API would; no scheduler runs.
import { connectWebhooks, startOctopost } from '../lib/octopost.js';
import { withPeakMemory } from '../lib/peak-memory.js';

const DRAFTS = 1000;
const CSV_ROWS = 10_000;

export default {
  name: 'bulk',
  title: `bulk-schedule ${DRAFTS} drafts; import ${CSV_ROWS} CSV rows`,
  timeoutMs: 120_000,

  async run({ dialect }) {
    const octo = await startOctopost(dialect, 'bulk', { worker: false });
    try {
      const { app, userId } = octo;
      const [account] = await connectWebhooks(octo, ['http://127.0.0.1:9/bulk-bench']);
      const ids = [];
      for (let i = 0; i < DRAFTS; i++) ids.push((await app.services.posts.create(userId, { content: `Draft ${i}`, accounts: [account] })).id);
      const year = new Date().getUTCFullYear() + 1;
      const body = { post_ids: ids, timezone: 'Europe/Berlin', pattern: { type: 'daily', times: ['09:00', '12:30', '17:00'], start_date: `${year}-01-01`, skip_taken: true } };

      const preview = await withPeakMemory(() => app.services.bulk.preview(userId, body));
      const apply = await withPeakMemory(() => app.services.bulk.apply(userId, body));
      if (apply.result.assignments.length !== DRAFTS) throw new Error('bulk apply did not place every draft');

      const lines = ['content,scheduled_at,timezone,platforms'];
      for (let i = 0; i < CSV_ROWS; i++) {
        const day = new Date(Date.UTC(year + 1, 0, 1) + Math.floor(i / 20) * 86_400_000).toISOString().slice(0, 10);
        const minute = String(i % 20).padStart(2, '0');
        lines.push(`"Imported post ${i}, with a comma",${day} 10:${minute},Europe/Berlin,webhook`);
      }
      const csv = lines.join('\n');
      const dryRun = await withPeakMemory(() => app.services.imports.run(userId, csv, { dryRun: true }));
      const imported = await withPeakMemory(() => app.services.imports.run(userId, csv, { dryRun: false }));
      if (imported.result.imported !== CSV_ROWS) throw new Error(`import wrote ${imported.result.imported} of ${CSV_ROWS} rows: ${JSON.stringify(imported.result.errors.slice(0, 3))}`);

      return {
        figures: [
          { figure: `preview ${DRAFTS} drafts`, value: preview.ms, unit: 'ms' },
          { figure: `apply ${DRAFTS} drafts`, value: apply.ms, unit: 'ms', goal: { op: '<', value: 1000 } },
          { figure: 'apply peak memory growth', value: apply.peakGrowthMb, unit: 'MB' },
          { figure: `CSV dry run ${CSV_ROWS} rows`, value: dryRun.ms, unit: 'ms' },
          { figure: `CSV import ${CSV_ROWS} rows`, value: imported.ms, unit: 'ms', goal: { op: '<', value: 10_000 } },
          { figure: 'import peak memory growth', value: imported.peakGrowthMb, unit: 'MB' },
        ],
        details: { drafts: DRAFTS, csvRows: CSV_ROWS, csvBytes: csv.length },
      };
    } finally {
      await octo.close();
    }
  },
};
