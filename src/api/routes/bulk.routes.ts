import type { App } from '../../app.js';
import type { Assignment } from '../../core/bulk-pattern.js';
import { toIso } from '../../core/time.js';
import { userIdOf } from '../auth.js';
import { BulkScheduleBody, BulkScheduleResult } from '../schemas/bulk.schemas.js';
import { errorResponses } from '../schemas/common.schemas.js';
import type { TypedServer } from './route-types.js';

const tags = ['bulk scheduling'];
const present = (r: { assignments: Assignment[]; timezone: string }) => ({
  timezone: r.timezone,
  assignments: r.assignments.map((a) => ({ ...a, scheduled_for: toIso(a.scheduled_for)! })),
});

export function bulkRoutes(server: TypedServer, { services }: App) {
  server.post('/v1/bulk-schedule/preview', {
    config: { scope: 'posts:read' },
    schema: { tags, summary: 'The time each post would get from the pattern; writes nothing', body: BulkScheduleBody, response: { 200: BulkScheduleResult, ...errorResponses } },
  }, async (request) => present(await services.bulk.preview(userIdOf(request), request.body)));

  server.post('/v1/bulk-schedule', {
    config: { scope: 'posts:write' },
    schema: { tags, summary: 'Schedule the posts at the pattern\'s times, all or none', body: BulkScheduleBody, response: { 200: BulkScheduleResult, ...errorResponses } },
  }, async (request) => present(await services.bulk.apply(userIdOf(request), request.body)));
}
