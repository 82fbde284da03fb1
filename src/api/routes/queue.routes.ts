import { z } from 'zod';
import type { App } from '../../app.js';
import { WEEKDAYS } from '../../core/local-time.js';
import { toIso } from '../../core/time.js';
import { userIdOf } from '../auth.js';
import { presentPost } from '../presenters.js';
import { errorResponses, IdParams } from '../schemas/common.schemas.js';
import { PostWire } from '../schemas/post.schemas.js';
import type { TypedServer } from './route-types.js';

const Slot = z.strictObject({ day: z.enum(WEEKDAYS), time: z.string().max(5).describe('HH:MM in the queue\'s zone') });

const QueueWire = z
  .object({
    timezone: z.string(),
    slots: z.array(Slot),
    upcoming: z
      .array(z.object({ scheduled_for: z.string(), local_time: z.string(), adjusted: z.boolean(), reason: z.string().optional(), post_ids: z.array(z.string()) }))
      .describe('The next slots, filled (post_ids) or empty'),
  })
  .meta({ id: 'PostingQueue' });

const tags = ['posting queue'];

export function queueRoutes(server: TypedServer, { services }: App) {
  const present = (q: Awaited<ReturnType<typeof services.queues.get>>) => ({
    timezone: q.timezone,
    slots: q.slots,
    upcoming: q.upcoming.map((u) => ({
      scheduled_for: toIso(u.instant)!,
      local_time: u.localTime,
      adjusted: u.adjusted,
      ...(u.reason && { reason: u.reason }),
      post_ids: u.postIds,
    })),
  });

  server.get('/v1/accounts/:id/queue', {
    config: { scope: 'accounts:read' },
    schema: {
      tags,
      summary: "The account's weekly slots and the upcoming ones, filled or empty",
      params: IdParams,
      querystring: z.strictObject({ days: z.coerce.number().int().min(1).max(92).default(14) }),
      response: { 200: QueueWire, ...errorResponses },
    },
  }, async (request) => present(await services.queues.get(userIdOf(request), request.params.id, request.query.days)));

  server.put('/v1/accounts/:id/queue', {
    config: { scope: 'accounts:write' },
    schema: {
      tags,
      summary: "Set the account's weekly slots, e.g. Mon–Fri 09:00 and 12:30",
      params: IdParams,
      body: z.strictObject({ timezone: z.string().max(100).optional(), slots: z.array(Slot).max(500) }),
      response: { 200: QueueWire, ...errorResponses },
    },
  }, async (request) => present(await services.queues.put(userIdOf(request), request.params.id, request.body)));

  server.post('/v1/posts/:id/queue', {
    config: { scope: 'posts:write' },
    schema: { tags, summary: "Schedule the post in the next slot free on all its accounts' queues", params: IdParams, response: { 200: PostWire, ...errorResponses } },
  }, async (request) => {
    const userId = userIdOf(request);
    await services.queues.addToQueue(userId, request.params.id);
    return presentPost(await services.postQueries.get(userId, request.params.id));
  });
}
