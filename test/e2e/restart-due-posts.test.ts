import { describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { useE2eFixture } from '../helpers/e2e-fixture.js';
import { HttpApi } from '../helpers/http-api.js';
import { createApiKey, envFor, sleep } from '../helpers/octopost-process.js';

/** Scheduled posts live in the storage, not in the process: a restart loses none and doubles none. */
describe.each(await dialects())('scheduled posts across a restart on %s', (dialect) => {
  const f = useE2eFixture(dialect);

  it('posts that fell due while the server was down go out once after the restart; a later one still goes out on time', { timeout: 120_000 }, async () => {
    // Default sweep (60 s): publishing promptly after the restart relies on the start-up claim
    // and on the timer armed from the stored queue, not on the safety net.
    const env = envFor(f.db);
    const key = await createApiKey(env);
    let server = await f.procs.serve(env);
    let api = new HttpApi(server.url, key);
    const account = await f.connect(api);
    const t0 = Date.now();
    const a = await f.schedule(api, [account], 'due while down (a)', t0 + 2500);
    const b = await f.schedule(api, [account], 'due while down (b)', t0 + 2500);
    const cAt = t0 + 10_000;
    const c = await f.schedule(api, [account], 'due after the restart', cAt);
    await server.kill();
    expect(f.receiver.requests).toHaveLength(0);

    await sleep(Math.max(0, t0 + 3500 - Date.now()));
    const restartAt = Date.now();
    server = await f.procs.serve(env);
    api = new HttpApi(server.url, key);
    expect(Date.now(), 'the restart must be done a second before the third post is due').toBeLessThan(cAt - 1000);

    const firstTwo = await f.receiver.waitFor(2, '/hook', 15_000);
    expect(firstTwo.map((r) => r.json.post_id).sort()).toEqual([a.id, b.id].sort());
    for (const r of firstTwo) expect(r.at).toBeGreaterThanOrEqual(restartAt);
    for (const p of [a, b]) expect((await f.waitForStatus(api, p.id, 'published')).deliveries[0]).toMatchObject({ status: 'published', attempts: 1 });

    const all = await f.receiver.waitFor(3, '/hook', 20_000);
    const lateness = all[2]!.at - cAt;
    expect(all[2]!.json.post_id).toBe(c.id);
    expect(lateness, 'arrival minus scheduled_for, in ms').toBeGreaterThanOrEqual(0);
    expect(lateness, 'arrival minus scheduled_for, in ms').toBeLessThanOrEqual(1000);
    expect((await f.waitForStatus(api, c.id, 'published')).deliveries[0]).toMatchObject({ status: 'published', attempts: 1 });

    await sleep(1000);
    expect(f.receiver.requests.map((r) => r.json.post_id).sort()).toEqual([a.id, b.id, c.id].sort());
  });
});
