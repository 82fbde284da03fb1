import type { FastifyInstance } from 'fastify';

/**
 * Which methods each API path answers, so that a known path asked with another method gets 405
 * with `Allow` (RFC 9110 §15.5.6) rather than "no route": `PUT /v1/posts` is a wrong method, not
 * a wrong address. Collected from the routes as they are added; call before adding them.
 */
export function collectAllowedMethods(server: FastifyInstance): (path: string) => string[] {
  // By path pattern: "/v1/posts/:id" → ^/v1/posts/[^/]+$ (the API's parameters are whole segments).
  const routes = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  server.addHook('onRoute', (route) => {
    if (!route.url?.startsWith('/v1/')) return;
    const source = route.url.split('/').map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
    const entry = routes.get(source) ?? { pattern: new RegExp(`^${source}$`), methods: new Set<string>() };
    for (const m of [route.method].flat()) entry.methods.add(m);
    routes.set(source, entry);
  });
  return (path) => {
    const allowed = new Set<string>();
    for (const route of routes.values()) if (route.pattern.test(path)) for (const m of route.methods) allowed.add(m);
    return [...allowed].sort();
  };
}
