import type { App } from '../../app.js';
import { healthOf, metricsOf } from '../../services/probes.js';
import type { TypedServer } from './route-types.js';

const hidden = { hide: true };

export function systemRoutes(server: TypedServer, app: App) {
  server.get('/v1/openapi.json', { schema: hidden }, async () => server.swagger());

  server.get('/healthz', { schema: hidden }, async (_request, reply) => {
    const { ok, body } = await healthOf(app.ctx, app.scheduler !== undefined);
    return reply.code(ok ? 200 : 503).send(body);
  });

  server.get('/metrics', { schema: hidden }, async (_request, reply) => {
    const { contentType, text } = await metricsOf(app.ctx);
    return reply.type(contentType).send(text);
  });
}
