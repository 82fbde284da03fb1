import { z } from 'zod';
import type { App } from '../../app.js';
import { toIso } from '../../core/time.js';
import { userIdOf } from '../auth.js';
import { errorResponses } from '../schemas/common.schemas.js';
import type { TypedServer } from './route-types.js';

const MeWire = z
  .object({
    id: z.string(),
    email: z.string().nullable(),
    timezone: z.string().nullable().describe('IANA zone chosen by the user; null: use the browser zone'),
    created_at: z.string(),
  })
  .meta({ id: 'Me' });

export function meRoutes(server: TypedServer, { services }: App) {
  const present = (u: { id: string; email: string | null; timezone: string | null; createdAt: number }) => ({
    id: u.id,
    email: u.email,
    timezone: u.timezone,
    created_at: toIso(u.createdAt)!,
  });

  // Reading or changing one's own settings needs a valid key, nothing more.
  server.get('/v1/me', {
    config: { scope: 'authenticated' },
    schema: { tags: ['me'], summary: "The user's settings", response: { 200: MeWire, ...errorResponses } },
  }, async (request) => present(await services.users.get(userIdOf(request))));

  server.put('/v1/me', {
    config: { scope: 'authenticated' },
    schema: {
      tags: ['me'],
      summary: 'Change settings: timezone (IANA name, or null to follow the browser)',
      body: z.strictObject({ timezone: z.string().max(100).nullable().optional() }),
      response: { 200: MeWire, ...errorResponses },
    },
  }, async (request) => {
    const userId = userIdOf(request);
    const user = request.body.timezone !== undefined ? await services.users.setTimezone(userId, request.body.timezone) : await services.users.get(userId);
    return present(user);
  });
}
