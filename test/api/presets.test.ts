import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectWebhook, expectErrorBody, snapshotTables } from '../helpers/api-client.js';
import { dialects } from '../helpers/databases.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

const SYSTEM_ID = 'preset_sys_all';

describe.each(await dialects())('presets API on %s', (dialect) => {
  let t: TestApp;
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock();
    t = await createTestApp(dialect, { clock });
  });
  afterEach(async () => {
    await t.close();
  });

  // No worker runs here: the receiver URLs are never called. Accounts list in connection order,
  // so each is connected a millisecond after the previous one.
  const connect = (n: number) => {
    clock.advance(1);
    return connectWebhook(t.request, `http://127.0.0.1:9/hook-${n}`);
  };
  const presets = async () => {
    const res = await t.request('GET', '/v1/presets');
    expect(res.status).toBe(200);
    return res.json.presets as any[];
  };
  const defaults = async () => (await presets()).filter((p) => p.is_default).map((p) => p.id);
  const createPreset = async (body: Record<string, unknown>) => {
    const res = await t.request('POST', '/v1/presets', body);
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    return res.json;
  };

  it('lists the built-in "All Platforms" preset, which follows the active accounts and refuses changes', async () => {
    const empty = await presets();
    expect(empty).toEqual([
      expect.objectContaining({ id: SYSTEM_ID, name: 'All Platforms', is_system: true, accounts: [], platforms: [], is_default: true }),
    ]);
    const a = await connect(1);
    const b = await connect(2);
    const system = await t.request('GET', `/v1/presets/${SYSTEM_ID}`);
    expect(system.status).toBe(200);
    expect(system.json).toMatchObject({ id: SYSTEM_ID, is_system: true, accounts: [a, b], platforms: ['webhook'] });

    const before = await snapshotTables(t);
    for (const [method, body] of [
      ['PUT', { name: 'Mine now' }],
      ['PUT', {}],
      ['DELETE', undefined],
    ] as const) {
      const res = await t.request(method, `/v1/presets/${SYSTEM_ID}`, body);
      expectErrorBody(res, 403, 'forbidden');
    }
    expect(await snapshotTables(t)).toEqual(before);
    expect((await t.request('GET', `/v1/presets/${SYSTEM_ID}`)).json).toEqual(system.json);

    // Disconnecting an account takes it out of "All Platforms".
    await t.request('DELETE', `/v1/accounts/${a}`);
    expect((await t.request('GET', `/v1/presets/${SYSTEM_ID}`)).json.accounts).toEqual([b]);
  });

  it('creates, reads, updates (fields left out stay) and deletes own presets', async () => {
    const a = await connect(1);
    const b = await connect(2);
    const created = await createPreset({ name: 'Work', accounts: [a, b], primary_platform: 'webhook' });
    expect(created).toMatchObject({
      id: expect.stringMatching(/^preset_(?!sys_)/),
      name: 'Work',
      accounts: [a, b],
      platforms: [],
      primary_platform: 'webhook',
      cross_link_enabled: false,
      cross_link_template: null,
      is_default: false,
      is_system: false,
      created_at: new Date(clock.now()).toISOString(),
    });
    expect((await t.request('GET', `/v1/presets/${created.id}`)).json).toEqual(created);
    expect((await presets()).map((p) => p.id)).toEqual([SYSTEM_ID, created.id]);

    clock.advance(5000);
    const updated = await t.request('PUT', `/v1/presets/${created.id}`, {
      accounts: [b],
      cross_link_enabled: true,
      cross_link_template: 'Also on {platform}: {link}',
    });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({
      id: created.id,
      name: 'Work',
      accounts: [b],
      primary_platform: 'webhook',
      cross_link_enabled: true,
      cross_link_template: 'Also on {platform}: {link}',
      created_at: created.created_at,
      updated_at: new Date(clock.now()).toISOString(),
    });
    expect((await t.request('GET', `/v1/presets/${created.id}`)).json).toEqual(updated.json);

    const deleted = await t.request('DELETE', `/v1/presets/${created.id}`);
    expect(deleted.status).toBe(204);
    expectErrorBody(await t.request('GET', `/v1/presets/${created.id}`), 404, 'not_found');
    expectErrorBody(await t.request('PUT', `/v1/presets/${created.id}`, { name: 'x' }), 404, 'not_found');
    expectErrorBody(await t.request('DELETE', `/v1/presets/${created.id}`), 404, 'not_found');
    expect((await presets()).map((p) => p.id)).toEqual([SYSTEM_ID]);
  });

  it('keeps at most one default preset; the built-in one is the default only when no own preset is', async () => {
    const p1 = await createPreset({ name: 'One', platforms: ['webhook'], is_default: true });
    expect(await defaults()).toEqual([p1.id]);
    const p2 = await createPreset({ name: 'Two', platforms: ['webhook'], is_default: true });
    expect(await defaults()).toEqual([p2.id]);
    const p3 = await createPreset({ name: 'Three', platforms: ['webhook'] });
    expect(await defaults()).toEqual([p2.id]);

    expect((await t.request('PUT', `/v1/presets/${p1.id}`, { is_default: true })).json.is_default).toBe(true);
    expect(await defaults()).toEqual([p1.id]);
    // Renaming the default keeps it the default.
    expect((await t.request('PUT', `/v1/presets/${p1.id}`, { name: 'Uno' })).json.is_default).toBe(true);
    expect(await defaults()).toEqual([p1.id]);

    expect((await t.request('PUT', `/v1/presets/${p1.id}`, { is_default: false })).json.is_default).toBe(false);
    expect(await defaults()).toEqual([SYSTEM_ID]);

    await t.request('PUT', `/v1/presets/${p3.id}`, { is_default: true });
    expect(await defaults()).toEqual([p3.id]);
    await t.request('DELETE', `/v1/presets/${p3.id}`);
    expect(await defaults()).toEqual([SYSTEM_ID]);
  });

  it("creates a post with a preset's accounts", async () => {
    const a = await connect(1);
    const b = await connect(2);
    const c = await connect(3);
    const some = await createPreset({ name: 'Some', accounts: [c, a] });
    const post = await t.request('POST', '/v1/posts', { content: 'via preset', preset_id: some.id });
    expect(post.status).toBe(201);
    expect(post.json.accounts).toEqual([c, a]);

    const all = await t.request('POST', '/v1/posts', { content: 'everywhere', preset_id: SYSTEM_ID });
    expect(all.status).toBe(201);
    expect(all.json.accounts).toEqual([a, b, c]);

    // A preset by platform needs exactly one account of that platform.
    const byPlatform = await createPreset({ name: 'By platform', platforms: ['webhook'] });
    const several = await t.request('POST', '/v1/posts', { content: 'x', preset_id: byPlatform.id });
    expectErrorBody(several, 422, 'validation_failed');
    expect(several.json.details.field).toBe('preset_id');

    for (const preset_id of ['preset_nothing', 'preset_sys_nothing']) {
      const res = await t.request('POST', '/v1/posts', { content: 'x', preset_id });
      expectErrorBody(res, 422, 'validation_failed');
      expect(res.json.details.field).toBe('preset_id');
    }
    // A preset whose account was disconnected no longer resolves.
    await t.request('DELETE', `/v1/accounts/${c}`);
    const stale = await t.request('POST', '/v1/posts', { content: 'x', preset_id: some.id });
    expectErrorBody(stale, 422, 'validation_failed');
    expect(stale.json.details.field).toBe('preset_id');
  });

  it('validates presets, naming the field, and stores nothing it refuses', async () => {
    const a = await connect(1);
    const own = await createPreset({ name: 'Own', accounts: [a] });
    const before = await snapshotTables(t);
    const cases: [string, string, Record<string, unknown>, number, string | undefined][] = [
      ['POST', '/v1/presets', { name: '' }, 422, 'name'],
      ['POST', '/v1/presets', { name: '   ' }, 422, 'name'],
      ['POST', '/v1/presets', { name: 'x'.repeat(101) }, 422, 'name'],
      ['POST', '/v1/presets', {}, 400, 'name'],
      ['POST', '/v1/presets', { name: 'x', accounts: ['acc_nobody'] }, 422, 'accounts[0]'],
      ['POST', '/v1/presets', { name: 'x', platforms: ['myspace'] }, 422, 'platforms[0]'],
      ['POST', '/v1/presets', { name: 'x', platforms: ['webhook'], primary_platform: 'myspace' }, 422, 'primary_platform'],
      ['POST', '/v1/presets', { name: 'x', platforms: ['webhook'], primary_platform: 'webhook', cross_link_enabled: true, cross_link_template: 'no link' }, 422, 'cross_link_template'],
      ['POST', '/v1/presets', { name: 'x', is_system: true }, 422, undefined],
      ['POST', '/v1/presets', { name: 'x', is_default: 'yes' }, 400, 'is_default'],
      ['PUT', `/v1/presets/${own.id}`, { name: '' }, 422, 'name'],
      ['PUT', `/v1/presets/${own.id}`, { accounts: ['acc_nobody'] }, 422, 'accounts[0]'],
      ['PUT', `/v1/presets/${own.id}`, { id: 'preset_other' }, 422, undefined],
    ];
    for (const [method, url, body, status, field] of cases) {
      const res = await t.request(method, url, body);
      expectErrorBody(res, status);
      if (field !== undefined) expect(res.json.details.field, `${method} ${JSON.stringify(body)}`).toBe(field);
    }
    expect(await snapshotTables(t)).toEqual(before);
    expect((await createPreset({ name: 'x'.repeat(100) })).name).toHaveLength(100);
  });
});
