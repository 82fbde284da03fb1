import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where `npm run build` puts the web app (vite build → dist/web), from src/api or dist/api alike. */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/** Paths that are never the web app's pages: an unknown one there is a plain 404. */
const NOT_PAGES = /^\/(v1|docs|assets|healthz|metrics)(\/|$|\?)/;

// The page loads only its own scripts and styles; images are the user's own URLs (previews), so any https/http.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // FullCalendar injects its stylesheet at run time.
  "style-src 'self' 'unsafe-inline'",
  'img-src * data: blob:',
  // FullCalendar's arrow icons are an inline (data:) font.
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

export type PageFallback = (request: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined;

/**
 * Serves the built web app: hashed assets cached for good, index.html for every page path
 * (the app routes in the browser). Without a build, `/` explains how to get one.
 * Returns the fallback for the not-found handler: it answers page paths with index.html.
 */
export async function registerWebApp(server: FastifyInstance, webDir = DEFAULT_WEB_DIR): Promise<PageFallback> {
  const indexFile = path.join(webDir, 'index.html');
  if (!existsSync(indexFile)) {
    server.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(PLACEHOLDER_PAGE));
    return () => undefined;
  }
  await server.register(fastifyStatic, {
    root: webDir,
    // One route per built file, found at start: unknown paths reach the not-found handler.
    wildcard: false,
    index: false,
    // Our own Cache-Control below, not send's "max-age=0".
    cacheControl: false,
    setHeaders(res, filePath) {
      if (filePath.includes(`${path.sep}assets${path.sep}`)) res.setHeader('cache-control', 'public, max-age=31536000, immutable');
      else res.setHeader('cache-control', 'no-cache');
    },
  });
  return (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
    if (NOT_PAGES.test(request.url)) return undefined;
    return reply
      .header('content-security-policy', CSP)
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'same-origin')
      .header('x-content-type-options', 'nosniff')
      .sendFile('index.html', webDir, { cacheControl: false, headers: { 'cache-control': 'no-cache' } } as never);
  };
}

const PLACEHOLDER_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Octopost</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2328}code{background:#f3f4f6;padding:.1em .3em;border-radius:4px}</style>
</head><body>
<h1>Octopost is running</h1>
<p>The scheduler and the REST API are up, but the web app has not been built in this folder.</p>
<ul>
<li>Build it: <code>npm install</code> (or <code>npm run build</code>), then restart <code>npm start</code>.</li>
<li>Meanwhile, create an API key: <code>npx octopost keys create --name me</code></li>
<li>Read the API: <a href="/docs">/docs</a> (machine-readable: <a href="/v1/openapi.json">/v1/openapi.json</a>)</li>
<li>Health: <a href="/healthz">/healthz</a> · Metrics: <a href="/metrics">/metrics</a></li>
</ul>
</body></html>`;
