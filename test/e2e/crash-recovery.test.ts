import { describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { useE2eFixture } from '../helpers/e2e-fixture.js';
import { HttpApi } from '../helpers/http-api.js';
import { createApiKey, envFor, sleep } from '../helpers/octopost-process.js';

/**
 * A crash (SIGKILL: nothing runs in the process afterwards) while a delivery is in flight, then
 * the server started again on the same data dir (SQLite) or database (PostgreSQL).
 */
describe.each(await dialects())('crash in the middle of a delivery on %s', (dialect) => {
  const f = useE2eFixture(dialect);

  it('SIGKILL mid-delivery: after a restart the delivery is repeated with the same Idempotency-Key and ends published', { timeout: 120_000 }, async () => {
    // Short publish timeout: on PostgreSQL the dead worker's lease (2 s + 5 s) expires soon and
    // the 1 s sweep takes it back; on SQLite the worker takes back every orphan at start. The
    // retry delays stay at their default (1 min), so only the recovery of the interrupted
    // attempt can publish within this test.
    const env = envFor(f.db, { OCTOPOST_PUBLISH_TIMEOUT: '2s', OCTOPOST_SWEEP_INTERVAL: '1s' });
    const key = await createApiKey(env);
    let server = await f.procs.serve(env);
    let api = new HttpApi(server.url, key);
    const account = await f.connect(api);
    f.receiver.script('/hook', ['hang', { status: 200, body: { id: 'rcv-after-crash', url: 'https://receiver.test/p/after-crash' } }]);
    const post = await f.schedule(api, [account], 'survives a crash', Date.now() + 1500);
    const deliveryId = post.deliveries[0].id as string;

    const [first] = await f.receiver.waitFor(1, '/hook', 15_000);
    const exit = await server.kill();
    expect(exit.signal).toBe('SIGKILL');
    expect(first!.headers['idempotency-key']).toBe(deliveryId);
    // The crash left the attempt in flight.
    expect((await f.statusesOnDisk(env))[post.id]).toBe('publishing');

    server = await f.procs.serve(env);
    api = new HttpApi(server.url, key);
    const both = await f.receiver.waitFor(2, '/hook', 30_000);
    expect(both[1]!.headers['idempotency-key']).toBe(deliveryId);
    expect(both[1]!.body).toBe(first!.body);
    expect(both[1]!.headers['x-octopost-signature']).toBe(first!.headers['x-octopost-signature']);

    const published = await f.waitForStatus(api, post.id, 'published');
    const [delivery] = published.deliveries;
    expect(delivery).toMatchObject({ id: deliveryId, status: 'published', attempts: 2, post_id: 'rcv-after-crash', post_url: 'https://receiver.test/p/after-crash' });
    expect(delivery.history).toMatchObject([
      { attempt: 1, outcome: 'interrupted', error: { code: 'interrupted', permanent: false } },
      { attempt: 2, outcome: 'published', error: null },
    ]);
    expect(published.platform_results.webhook).toEqual({ success: true, post_id: 'rcv-after-crash', post_url: 'https://receiver.test/p/after-crash' });
    // The restarted process took it back itself (its log says so), and nothing repeats it again.
    await server.waitForLog((l) => l.msg === 'took back an interrupted delivery' && l.delivery === deliveryId, 'that it took back the delivery', 5000);
    await sleep(1500);
    expect(f.receiver.on('/hook')).toHaveLength(2);
  });
});
