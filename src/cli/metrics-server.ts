import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '../app.js';
import { httpOrigin } from '../config.js';
import { healthOf, metricsOf } from '../services/probes.js';

/**
 * `octopost worker`'s window for monitoring: GET /metrics and GET /healthz on HOST at
 * OCTOPOST_METRICS_PORT, nothing else. Plain node:http, not the API's Fastify stack: a worker
 * answers two fixed paths to a scraper and keeps its start-up light. Returns its URL.
 *
 * It is never closed: it answers until the process exits, through a graceful stop too (a scrape
 * then shows the in-flight attempts finishing), and closing it first would wait for a scrape
 * blocked on an unreachable database before the scheduler even began to stop.
 */
export async function startMetricsServer(app: App, host: string, port: number): Promise<string> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const answer = async () => {
      if (request.method !== 'GET' && request.method !== 'HEAD') return { status: 405, type: 'text/plain', text: 'Only GET.\n', allow: 'GET, HEAD' };
      if (path === '/metrics') {
        const { contentType, text } = await metricsOf(app.ctx);
        return { status: 200, type: contentType, text };
      }
      if (path === '/healthz') {
        const { ok, body } = await healthOf(app.ctx, app.scheduler !== undefined);
        return { status: ok ? 200 : 503, type: 'application/json; charset=utf-8', text: JSON.stringify(body) };
      }
      return { status: 404, type: 'text/plain', text: 'A worker serves only /metrics and /healthz.\n' };
    };
    answer().then(
      ({ status, type, text, allow }) => {
        response.writeHead(status, { 'content-type': type, ...(allow && { allow }) });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        app.ctx.logger.error({ err }, 'metrics request failed');
        response.writeHead(500, { 'content-type': 'text/plain' }).end('Internal error.\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return httpOrigin(host, (server.address() as AddressInfo).port);
}
