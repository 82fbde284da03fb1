import { describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { useE2eFixture } from '../helpers/e2e-fixture.js';
import { HttpApi } from '../helpers/http-api.js';
import { createApiKey, envFor, sleep } from '../helpers/octopost-process.js';

/** SIGTERM (a deploy, `docker stop`): finish what is in flight, record it, exit cleanly. */
describe.each(await dialects())('graceful shutdown of the real server on %s', (dialect) => {
  const f = useE2eFixture(dialect);

  it('SIGTERM while a delivery is in flight: the process waits for it, records it published and exits 0', { timeout: 120_000 }, async () => {
    const env = envFor(f.db, { OCTOPOST_PUBLISH_TIMEOUT: '10s' });
    const key = await createApiKey(env);
    let server = await f.procs.serve(env);
    let api = new HttpApi(server.url, key);
    const account = await f.connect(api);
    f.receiver.script('/hook', [{ status: 200, delayMs: 1000, body: { id: 'rcv-graceful', url: 'https://receiver.test/p/graceful' } }]);
    const post = await f.schedule(api, [account], 'finished before exit', Date.now() + 1500);

    const [req] = await f.receiver.waitFor(1, '/hook', 15_000);
    server.signal('SIGTERM');
    const exit = await server.waitForExit(20_000);
    expect(exit).toMatchObject({ code: 0, signal: null });
    // It exited only after the receiver answered (1 s after the request arrived; 10 ms of slack
    // for timer granularity).
    expect(exit.at).toBeGreaterThanOrEqual(req!.at + 990);
    expect(server.logs().find((l) => l.msg === 'shutting down')).toMatchObject({ signal: 'SIGTERM', inFlight: 1 });
    // Recorded before the exit: the storage says published, and no recovery has run since.
    expect((await f.statusesOnDisk(env))[post.id]).toBe('published');

    server = await f.procs.serve(env);
    api = new HttpApi(server.url, key);
    const after = await api.getPost(post.id);
    expect(after.status).toBe('published');
    expect(after.deliveries[0]).toMatchObject({ status: 'published', attempts: 1, post_id: 'rcv-graceful', post_url: 'https://receiver.test/p/graceful' });
    expect(after.deliveries[0].history).toMatchObject([{ attempt: 1, outcome: 'published' }]);
    await sleep(1000);
    expect(f.receiver.requests).toHaveLength(1);
    expect(await server.stop()).toMatchObject({ code: 0, signal: null });
  });
});
