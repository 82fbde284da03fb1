import { sql } from 'kysely';
import type { App } from '../../app.js';
import { countDue } from '../../store/delivery.repository.js';
import type { TypedServer } from './route-types.js';

const hidden = { hide: true };

export function systemRoutes(server: TypedServer, app: App) {
  server.get('/v1/openapi.json', { schema: hidden }, async () => server.swagger());

  server.get('/healthz', { schema: hidden }, async (_request, reply) => {
    try {
      await sql`SELECT 1`.execute(app.ctx.store.db);
      return { status: 'ok', database: app.ctx.store.dialect, worker: app.scheduler ? 'running' : 'off' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', database: app.ctx.store.dialect });
    }
  });

  server.get('/metrics', { schema: hidden }, async (_request, reply) => {
    try {
      app.ctx.metrics.dueBacklog.set(await countDue(app.ctx.store.db, app.ctx.clock.now()));
    } catch {
      // The database being away must not hide the other metrics.
    }
    return reply.type(app.ctx.metrics.registry.contentType).send(await app.ctx.metrics.registry.metrics());
  });
}
