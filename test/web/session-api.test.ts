import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createTestDatabase } from '../helpers/databases.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * The web app's side of the API: first-start setup, cookie sessions (CSRF-checked), API keys,
 * platform rules and the serving of the built pages. Through in-process requests.
 */
const CSRF = { 'x-octopost-csrf': '1' };
const PASSWORD = 'correct horse battery';

describe('web sign-in and its API', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp('sqlite');
  });
  afterEach(async () => t.close());

  const call = async (method: string, url: string, options: { body?: unknown; headers?: Record<string, string>; cookie?: string; from?: string } = {}) => {
    const res = await t.server.inject({
      method: method as 'GET',
      url,
      ...(options.from && { remoteAddress: options.from }),
      headers: {
        ...(options.body !== undefined && { 'content-type': 'application/json' }),
        ...(options.cookie && { cookie: options.cookie }),
        ...options.headers,
      },
      ...(options.body !== undefined && { payload: JSON.stringify(options.body) }),
    });
    const setCookie = res.headers['set-cookie'];
    const cookieLine = Array.isArray(setCookie) ? setCookie[0] : setCookie;
    return { status: res.statusCode, json: res.body ? JSON.parse(res.body) : undefined, cookieLine, cookie: cookieLine?.split(';')[0] };
  };
  const setup = () => call('POST', '/v1/setup', { body: { email: 'Owner@Example.com', password: PASSWORD }, headers: CSRF });

  it('asks for setup on a fresh install, creates the owner once, and signs in with a hardened cookie', async () => {
    expect((await call('GET', '/v1/session')).json).toEqual({ setup_required: true, signed_in: false, user: null, expires_at: null });
    expect((await call('POST', '/v1/setup', { body: { email: 'a@b.c', password: PASSWORD } })).status).toBe(403);
    expect((await call('POST', '/v1/setup', { body: { email: 'a@b.c', password: 'short' }, headers: CSRF })).status).toBe(422);

    const done = await setup();
    expect(done.status).toBe(201);
    expect(done.json).toMatchObject({ signed_in: true, setup_required: false, user: { id: t.userId, email: 'owner@example.com' } });
    expect(done.cookieLine).toMatch(/^octopost_session=[\w-]{40,};/);
    expect(done.cookieLine).toMatch(/HttpOnly/i);
    expect(done.cookieLine).toMatch(/SameSite=Lax/i);
    expect(done.cookieLine).not.toMatch(/Secure/i);
    expect((await call('POST', '/v1/setup', { body: { email: 'x@y.z', password: PASSWORD }, headers: CSRF })).status).toBe(409);

    const session = await call('GET', '/v1/session', { cookie: done.cookie });
    expect(session.json).toMatchObject({ signed_in: true, user: { email: 'owner@example.com' } });
    // The cookie is stored hashed: the raw token is nowhere in the database.
    const rows = await t.app.ctx.store.db.selectFrom('sessions').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(done.cookie!.split('=')[1]);
  });

  it('marks the cookie Secure behind an https proxy', async () => {
    const done = await call('POST', '/v1/setup', { body: { email: 'o@e.com', password: PASSWORD }, headers: { ...CSRF, 'x-forwarded-proto': 'https' } });
    expect(done.cookieLine).toMatch(/Secure/i);
  });

  it('gives the cookie full access to /v1, but refuses changes without the CSRF header or from another origin', async () => {
    const { cookie } = await setup();
    expect((await call('GET', '/v1/posts', { cookie })).status).toBe(200);
    expect((await call('GET', '/v1/me', { cookie })).json).toMatchObject({ id: t.userId, email: 'owner@example.com' });
    const body = { platform: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 'a-secret-1' };
    const noHeader = await call('POST', '/v1/accounts', { cookie, body });
    expect(noHeader).toMatchObject({ status: 403, json: { code: 'forbidden' } });
    expect(noHeader.json.error).toMatch(/X-Octopost-CSRF/);
    expect((await call('POST', '/v1/accounts', { cookie, body, headers: { ...CSRF, origin: 'https://evil.example', host: 'localhost:3000' } })).status).toBe(403);
    expect((await call('POST', '/v1/accounts', { cookie, body, headers: { ...CSRF, 'sec-fetch-site': 'cross-site' } })).status).toBe(403);
    const ok = await call('POST', '/v1/accounts', { cookie, body, headers: { ...CSRF, origin: 'http://localhost:3000', host: 'localhost:3000' } });
    expect(ok.status).toBe(201);
    expect((await call('PUT', '/v1/me', { cookie, body: { timezone: 'Europe/Berlin' }, headers: CSRF })).json.timezone).toBe('Europe/Berlin');
  });

  it('signs in with the right password only, throttles guessing, and signs out for good', async () => {
    await setup();
    const wrong = await call('POST', '/v1/session', { body: { email: 'owner@example.com', password: 'wrong password!' }, headers: CSRF });
    expect(wrong).toMatchObject({ status: 401, json: { code: 'unauthorized' } });
    expect(wrong.cookieLine).toBeUndefined();
    expect((await call('POST', '/v1/session', { body: { email: 'nobody@example.com', password: PASSWORD }, headers: CSRF })).status).toBe(401);

    const login = await call('POST', '/v1/session', { body: { email: ' OWNER@example.com ', password: PASSWORD }, headers: CSRF });
    expect(login.status).toBe(200);
    expect((await call('DELETE', '/v1/session', { cookie: login.cookie })).status).toBe(403);
    const out = await call('DELETE', '/v1/session', { cookie: login.cookie, headers: CSRF });
    expect(out.status).toBe(204);
    expect(out.cookieLine).toMatch(/octopost_session=;/);
    const after = await call('GET', '/v1/posts', { cookie: login.cookie });
    expect(after).toMatchObject({ status: 401, json: { code: 'unauthorized' } });

    for (let i = 0; i < 10; i++) await call('POST', '/v1/session', { body: { email: 'owner@example.com', password: `guess ${i} guess` }, headers: CSRF });
    const blocked = await call('POST', '/v1/session', { body: { email: 'owner@example.com', password: PASSWORD }, headers: CSRF });
    expect(blocked).toMatchObject({ status: 429, json: { code: 'rate_limited' } });
  });

  it('behind a reverse proxy on this machine, throttles the guessing client, not everyone behind the proxy', async () => {
    await setup();
    const signIn = (password: string, client: string, from = '127.0.0.1') =>
      call('POST', '/v1/session', { body: { email: 'owner@example.com', password }, headers: { ...CSRF, 'x-forwarded-for': client }, from });
    for (let i = 0; i < 10; i++) await signIn(`guess ${i} guess`, '203.0.113.7');
    expect(await signIn(PASSWORD, '203.0.113.7')).toMatchObject({ status: 429, json: { code: 'rate_limited' } });
    expect((await signIn(PASSWORD, '198.51.100.20')).status).toBe(200);

    // A client reaching the server directly cannot pick its address with the header.
    for (let i = 0; i < 10; i++) await signIn(`guess ${i} guess`, `192.0.2.${i}`, '198.51.100.99');
    expect((await signIn(PASSWORD, '192.0.2.200', '198.51.100.99')).status).toBe(429);
  });

  it('believes no X-Forwarded-For with OCTOPOST_TRUST_PROXY=false, and refuses a malformed list', async () => {
    expect(loadConfig({ OCTOPOST_TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ OCTOPOST_TRUST_PROXY: ' 10.0.0.0/8, loopback ,::1' }).trustProxy).toEqual(['10.0.0.0/8', 'loopback', '::1']);
    expect(loadConfig({}).trustProxy).toEqual(['loopback']);
    expect(() => loadConfig({ OCTOPOST_TRUST_PROXY: '10.0.0.0/33' })).toThrow(/OCTOPOST_TRUST_PROXY: "10\.0\.0\.0\/33" is not an address, a CIDR range/);
    expect(() => loadConfig({ OCTOPOST_TRUST_PROXY: 'my-proxy.local' })).toThrow(/OCTOPOST_TRUST_PROXY: "my-proxy\.local" is not an address/);

    const db = await createTestDatabase('sqlite');
    const app = await createApp({ ...loadConfig({ OCTOPOST_TRUST_PROXY: 'false' }), dataDir: db.dataDir }, { logger: pino({ level: 'silent' }) });
    const server = await buildServer(app);
    try {
      const signIn = (password: string, client: string) =>
        server.inject({ method: 'POST', url: '/v1/session', headers: { ...CSRF, 'content-type': 'application/json', 'x-forwarded-for': client }, payload: JSON.stringify({ email: 'owner@example.com', password }) });
      for (let i = 0; i < 10; i++) expect((await signIn(`guess ${i} guess`, `192.0.2.${i}`)).statusCode).toBe(401);
      expect((await signIn(PASSWORD, '198.51.100.20')).statusCode).toBe(429); // all one client: the socket's address
    } finally {
      await server.close();
      await app.close();
      await db.drop();
    }
  });

  it('lists, creates (shown once) and revokes API keys; a scoped key cannot manage keys', async () => {
    const { cookie } = await setup();
    const created = await call('POST', '/v1/keys', { cookie, headers: CSRF, body: { name: 'CI', scopes: ['posts:read'] } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'CI', scopes: ['posts:read'], revoked_at: null, key: expect.stringMatching(/^oct_live_/) });
    const list = await call('GET', '/v1/keys', { cookie });
    expect(list.json.keys.map((k: { name: string }) => k.name)).toEqual(['CI', 'test']);
    expect(JSON.stringify(list.json)).not.toContain(created.json.key);

    const scoped = { authorization: `Bearer ${created.json.key}` };
    expect((await call('GET', '/v1/posts', { headers: scoped })).status).toBe(200);
    expect((await call('GET', '/v1/keys', { headers: scoped })).status).toBe(403);
    expect((await call('POST', '/v1/keys', { headers: scoped, body: { name: 'wider' } })).status).toBe(403);
    expect((await t.request('GET', '/v1/keys')).status).toBe(200);

    expect((await call('DELETE', `/v1/keys/${created.json.id}`, { cookie, headers: CSRF })).status).toBe(204);
    expect((await call('GET', '/v1/posts', { headers: scoped })).status).toBe(401);
    expect((await call('DELETE', '/v1/keys/key_nope', { cookie, headers: CSRF })).status).toBe(404);
    expect((await call('POST', '/v1/keys', { cookie, headers: CSRF, body: { name: 'x', scopes: ['everything'] } })).status).toBe(422);
  });

  it('lists the platforms with the content limits the composer counts against, and which repeat a lost attempt', async () => {
    const res = await t.request('GET', '/v1/platforms');
    expect(res.status).toBe(200);
    expect(res.json.platforms).toContainEqual({ name: 'webhook', rules: { max_length: 100_000, max_images: 20, supports_segments: true }, deduplicates: true, deduplicates_within_seconds: null });
    const repeats = Object.fromEntries(res.json.platforms.map((p: { name: string; deduplicates: boolean }) => [p.name, p.deduplicates]));
    expect(repeats).toMatchObject({ x: false, threads: false, linkedin: false, mastodon: true, bluesky: true });
    const windows = Object.fromEntries(res.json.platforms.map((p: { name: string; deduplicates_within_seconds: number | null }) => [p.name, p.deduplicates_within_seconds]));
    expect(windows).toMatchObject({ x: null, mastodon: 3600, bluesky: null });
  });

  it('documents the new routes and the cookie scheme in the OpenAPI document', async () => {
    const doc = (await t.request('GET', '/v1/openapi.json')).json;
    for (const p of ['/v1/session', '/v1/setup', '/v1/keys', '/v1/keys/{id}', '/v1/platforms']) expect(Object.keys(doc.paths)).toContain(p);
    expect(doc.components.securitySchemes.session).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'octopost_session' });
  });
});

describe('serving the web app', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  async function serverWith(webDir: string) {
    const db = await createTestDatabase('sqlite');
    const app = await createApp({ ...loadConfig({}), dataDir: db.dataDir }, { logger: pino({ level: 'silent' }) });
    const server = await buildServer(app, { webDir });
    return { server, close: async () => (await server.close(), await app.close(), await db.drop()) };
  }

  it('answers page paths with index.html (cached never, framed never), assets for good, and JSON 404s elsewhere', async () => {
    const web = mkdtempSync(path.join(tmpdir(), 'octopost-web-'));
    dirs.push(web);
    writeFileSync(path.join(web, 'index.html'), '<!doctype html><title>app</title>');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(web, 'assets'));
    writeFileSync(path.join(web, 'assets', 'app-abc123.js'), 'console.log(1)');
    const { server, close } = await serverWith(web);
    try {
      for (const url of ['/', '/calendar', '/posts/post_123/edit?x=1']) {
        const res = await server.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(200);
        expect(res.body).toContain('<title>app</title>');
        expect(res.headers['cache-control']).toBe('no-cache');
        expect(res.headers['x-frame-options']).toBe('DENY');
        expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      }
      const asset = await server.inject({ method: 'GET', url: '/assets/app-abc123.js' });
      expect(asset.statusCode).toBe(200);
      expect(asset.headers['cache-control']).toContain('immutable');
      for (const url of ['/assets/missing.js', '/v1/nothing']) {
        const res = await server.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(404);
        expect(res.json()).toMatchObject({ code: expect.any(String) });
      }
      expect((await server.inject({ method: 'POST', url: '/calendar' })).statusCode).toBe(404);
      expect((await server.inject({ method: 'GET', url: '/healthz' })).json()).toMatchObject({ status: 'ok' });
    } finally {
      await close();
    }
  });

  it('explains how to build the web app when it is missing', async () => {
    const { server, close } = await serverWith(path.join(tmpdir(), 'octopost-no-such-web-dir'));
    try {
      const res = await server.inject({ method: 'GET', url: '/' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('npm run build');
    } finally {
      await close();
    }
  });
});
