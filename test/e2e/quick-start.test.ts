import { describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { useE2eFixture } from '../helpers/e2e-fixture.js';
import { HttpApi } from '../helpers/http-api.js';
import { createApiKey, envFor, runCli } from '../helpers/octopost-process.js';
import { verifySignature } from '../helpers/receiver.js';

/**
 * The README's quick start, done as a user does it: a fresh data dir (or database), an API key
 * from the CLI, the real server as a child process, a webhook account, a post two seconds ahead.
 */
const SECRET = 'quick-start-secret';

describe.each(await dialects())('quick start against the real server on %s', (dialect) => {
  const f = useE2eFixture(dialect);

  it('keys create → connect a webhook → a post 2 s ahead arrives on time, signed → published, and `posts list` shows it', { timeout: 90_000 }, async () => {
    const env = envFor(f.db);
    const key = await createApiKey(env, 'me');
    const server = await f.procs.serve(env);
    const api = new HttpApi(server.url, key);

    const health = await api.get('/healthz');
    expect(health.json).toMatchObject({ status: 'ok', database: dialect, worker: 'running' });
    expect((await new HttpApi(server.url).get('/v1/posts')).status).toBe(401);

    f.receiver.script('/hook', [{ status: 200, body: { id: 'rcv-1', url: 'https://receiver.test/p/rcv-1' } }]);
    const account = await api.expectPost('/v1/accounts', { platform: 'webhook', url: f.receiver.url('/hook'), secret: SECRET, display_name: 'My site' }, 201);
    expect(account).toMatchObject({ platform: 'webhook', display_name: 'My site', is_active: true });
    expect(JSON.stringify(account)).not.toContain(SECRET);

    const scheduledFor = new Date(Date.now() + 2000).toISOString();
    const created = await api.expectPost('/v1/posts', { content: 'Hello from the quick start', accounts: [account.id], scheduled_for: scheduledFor }, 201);
    expect(created).toMatchObject({ status: 'scheduled', scheduled_for: scheduledFor, platforms: ['webhook'] });
    const deliveryId = created.deliveries[0].id as string;

    const [req] = await f.receiver.waitFor(1, '/hook', 15_000);
    const lateness = req!.at - Date.parse(scheduledFor);
    expect(lateness, 'arrival minus scheduled_for, in ms').toBeGreaterThanOrEqual(0);
    expect(lateness, 'arrival minus scheduled_for, in ms').toBeLessThanOrEqual(1000);
    expect(req!.headers['idempotency-key']).toBe(deliveryId);
    expect(verifySignature(SECRET, req!.body, req!.headers['x-octopost-signature'])).toBe(true);
    expect(req!.json).toMatchObject({ delivery_id: deliveryId, post_id: created.id, content: 'Hello from the quick start', scheduled_for: scheduledFor });

    const published = await f.waitForStatus(api, created.id, 'published');
    expect(published.platform_results).toEqual({ webhook: { success: true, post_id: 'rcv-1', post_url: 'https://receiver.test/p/rcv-1' } });
    expect(published.deliveries).toMatchObject([
      { id: deliveryId, account_id: account.id, platform: 'webhook', status: 'published', attempts: 1, post_id: 'rcv-1', post_url: 'https://receiver.test/p/rcv-1', last_error: null },
    ]);
    expect(Date.parse(published.published_at)).toBeGreaterThanOrEqual(Date.parse(scheduledFor));
    expect(f.receiver.requests).toHaveLength(1);

    // The CLI reads the same storage while the server runs.
    const table = await runCli(['posts', 'list'], env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^${created.id}\\s+published\\s+.*Hello from the quick start`, 'm'));
    const lines = await runCli(['posts', 'list', '--json', '--status', 'published'], env);
    expect(lines.code, lines.stderr).toBe(0);
    expect(lines.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { id: created.id, status: 'published', scheduled_for: scheduledFor, content: 'Hello from the quick start' },
    ]);
  });
});
