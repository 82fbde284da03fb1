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
  })
  .meta({ id: 'Platform' });

/** The networks this server publishes to, with the content limits the composer counts against. */
export function platformRoutes(server: TypedServer, { ctx }: App) {
  server.get('/v1/platforms', {
    config: { scope: 'authenticated' },
    schema: { tags: ['platforms'], summary: 'Networks this server can publish to, with their content limits', response: { 200: z.object({ platforms: z.array(PlatformWire) }), ...errorResponses } },
  }, async () => ({
    platforms: ctx.platforms.names().map((name) => {
      const { rules } = ctx.platforms.get(name)!;
      return { name, rules: { max_length: rules.maxLength, max_images: rules.maxImages, supports_segments: rules.supportsSegments } };
    }),
  }));
}
