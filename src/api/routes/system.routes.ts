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

  server.get('/', { schema: hidden }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(PLACEHOLDER_PAGE));
}

const PLACEHOLDER_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Octopost</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2328}code{background:#f3f4f6;padding:.1em .3em;border-radius:4px}</style>
</head><body>
<h1>Octopost is running</h1>
<p>The scheduler and the REST API are up. The web app is on its way; meanwhile:</p>
<ul>
<li>Create an API key: <code>npx octopost keys create --name me</code></li>
<li>Read the API: <a href="/docs">/docs</a> (machine-readable: <a href="/v1/openapi.json">/v1/openapi.json</a>)</li>
<li>Health: <a href="/healthz">/healthz</a> · Metrics: <a href="/metrics">/metrics</a></li>
</ul>
</body></html>`;
