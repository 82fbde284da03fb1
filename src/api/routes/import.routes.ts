import { z } from 'zod';
import type { App } from '../../app.js';
import type { ImportReport } from '../../services/csv-import/csv-import.service.js';
import { toIso } from '../../core/time.js';
import { userIdOf } from '../auth.js';
import { errorResponses } from '../schemas/common.schemas.js';
import type { TypedServer } from './route-types.js';

const ImportResult = z
  .object({
    dry_run: z.boolean(),
    imported: z.number().int().describe('Posts created (0 on a dry run or when any row is bad)'),
    errors: z.array(z.object({ line: z.number().int(), field: z.string(), message: z.string() })).describe('Every bad row, by line; non-empty means nothing was written'),
    rows: z.array(
      z.object({
        line: z.number().int(),
        post_id: z.string().optional(),
        scheduled_for: z.string().nullable(),
        local_time: z.string().optional(),
        queued: z.boolean().describe('The time came from the posting queue (empty scheduled_at)'),
        adjusted: z.boolean().optional(),
        reason: z.string().optional(),
        accounts: z.array(z.string()),
      }),
    ),
  })
  .meta({ id: 'ImportResult' });

export const presentImport = (r: ImportReport) => ({
  dry_run: r.dryRun,
  imported: r.imported,
  errors: r.errors,
  rows: r.rows.map((row) => ({ ...row, scheduled_for: toIso(row.scheduled_for) })),
});

/** 10,000 rows of CSV are ~1-3 MB. */
const IMPORT_BODY_LIMIT = 20 * 1024 * 1024;

export function importRoutes(server: TypedServer, { services }: App) {
  server.post('/v1/imports/csv', {
    config: { scope: 'posts:write' },
    bodyLimit: IMPORT_BODY_LIMIT,
    schema: {
      tags: ['import'],
      summary: 'Import posts from CSV (docs/csv-import.md): a dry run reports every bad row; the import is all or none',
      description: 'Send JSON {"csv": "...", "dry_run": true, "timezone": "Europe/Berlin"}. Any bad row answers 422 with every problem in details.errors and writes nothing.',
      body: z.strictObject({
        csv: z.string().describe('The file, header line first'),
        dry_run: z.boolean().default(false),
        timezone: z.string().max(100).optional().describe('Zone of local times in the file; default: your setting, else UTC'),
      }),
      response: { 200: ImportResult, 201: ImportResult, ...errorResponses },
    },
  }, async (request, reply) => {
    const report = await services.imports.run(userIdOf(request), request.body.csv, { dryRun: request.body.dry_run, timezone: request.body.timezone });
    if (report.errors.length > 0) {
      const first = report.errors[0]!;
      return reply.code(422).send({
        error: `${report.errors.length} row(s) cannot be imported; nothing was written. Line ${first.line}, ${first.field}: ${first.message}`,
        code: 'validation_failed',
        details: { field: 'csv', errors: report.errors },
      });
    }
    return reply.code(report.dryRun ? 200 : 201).send(presentImport(report));
  });
}
