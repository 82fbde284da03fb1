import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type { ConnectedAccount, PlatformAdapter } from '../../src/platforms/platform.js';

/**
 * What the adapter tests of networks whose local peer has a consenting authorize page (LinkedIn,
 * Threads) share: playing the browser through OAuth, and the user's own image host.
 */

/**
 * Plays the browser: opens the adapter's authorize URL, lets the fake consent (it redirects back
 * to `redirectUri` with the state and a code), and finishes the connection with that code.
 */
export async function connectInBrowser(adapter: PlatformAdapter, redirectUri: string): Promise<{ account: ConnectedAccount; authorizeUrl: URL; code: string }> {
  const clients = { get: async () => undefined, put: async () => {} };
  const state = `st_${Math.random().toString(36).slice(2)}`;
  const started = await adapter.oauth!.start({}, { redirectUri, state, clients, blockPrivateUrls: false });
  const consent = await fetch(started.authorizeUrl, { redirect: 'manual' });
  expect(consent.status).toBe(302);
  const back = new URL(consent.headers.get('location')!);
  expect(`${back.origin}${back.pathname}`).toBe(redirectUri);
  expect(back.searchParams.get('state')).toBe(state);
  const code = back.searchParams.get('code')!;
  const account = await adapter.oauth!.finish(code, started.remember, { redirectUri, clients, blockPrivateUrls: false });
  return { account, authorizeUrl: new URL(started.authorizeUrl), code };
}

/**
 * The user's own web server, where a post's images are downloaded from: `files` by path (anything
 * else is 404), all with `contentType`. `served` lists every path asked for, in order.
 */
export async function serveImages(
  files: Record<string, Buffer>,
  contentType = 'application/octet-stream',
): Promise<{ url: string; served: string[]; close(): Promise<void> }> {
  const byPath = new Map(Object.entries(files));
  const served: string[] = [];
  const server = createServer((req, res) => {
    served.push(req.url ?? '');
    const body = byPath.get(req.url ?? '');
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': contentType, 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, served, close: () => new Promise((r) => server.close(() => r())) };
}
