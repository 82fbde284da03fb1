import { z } from 'zod';
import type { App } from '../../app.js';
import { errorResponses } from '../schemas/common.schemas.js';
import type { TypedServer } from './route-types.js';

const PlatformWire = z
  .object({
    name: z.string(),
    rules: z.object({
      max_length: z.number().int().describe('Characters (graphemes) in the post and in each reply segment'),
      max_images: z.number().int(),
      supports_segments: z.boolean().describe('Whether reply segments (a thread) can be posted'),
    }),
    deduplicates: z
      .boolean()
      .describe(
        'Whether an attempt whose answer was lost is repeated safely (the network drops the repeat). When false it ends `unknown` and a person decides. An account can differ (a webhook connected with `"deduplicates": false`): see its own `deduplicates`.',
      ),
    deduplicates_within_seconds: z
      .number()
      .int()
      .nullable()
      .describe(
        'How long after an attempt the network still drops its repeat (Mastodon: 3600, its Idempotency-Key hour); null: for as long as the delivery lives. After an attempt that may have gone out, a delivery whose next try would come later (with the default 30 s time limit: due more than 55 minutes after it, or starting more than 59), or that would end `failed`, ends `unknown` instead.',
      ),
  })
  .meta({ id: 'Platform' });

/**
 * The networks this server publishes to, with the content limits the composer counts against and
 * whether a lost answer is repeated or left to a person (`deduplicates`).
 */
export function platformRoutes(server: TypedServer, { ctx }: App) {
  server.get('/v1/platforms', {
    config: { scope: 'authenticated' },
    schema: { tags: ['platforms'], summary: 'Networks this server can publish to, with their content limits', response: { 200: z.object({ platforms: z.array(PlatformWire) }), ...errorResponses } },
  }, async () => ({
    platforms: ctx.platforms.names().map((name) => {
      const { rules, deduplicates, repeatWindowMs } = ctx.platforms.get(name)!;
      return {
        name,
        rules: { max_length: rules.maxLength, max_images: rules.maxImages, supports_segments: rules.supportsSegments },
        deduplicates,
        deduplicates_within_seconds: deduplicates && repeatWindowMs !== undefined ? repeatWindowMs / 1000 : null,
      };
    }),
  }));
}
