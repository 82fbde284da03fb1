import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

const run = promisify(execFile);

describe.each(await dialects())('CSV import on %s', (dialect) => {
  let t: TestApp;
  let account: string;
  const clock = new FakeClock(Date.parse('2027-03-01T07:00:00Z'));

  beforeEach(async () => {
    clock.set(Date.parse('2027-03-01T07:00:00Z'));
    t = await createTestApp(dialect, { clock });
    account = (await t.request('POST', '/v1/accounts', { platform: 'webhook', url: 'http://127.0.0.1:9/a', secret: 'secret-123' })).json.id;
    await t.request('PUT', `/v1/accounts/${account}/queue`, { timezone: 'Europe/Berlin', slots: [{ day: 'tue', time: '12:00' }] });
  });
  afterEach(() => t.close());

  const count = async () => Number((await t.app.ctx.store.db.selectFrom('posts').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst())!.n);
  const csv = [
    'content,scheduled_at,timezone,platforms,image_urls,alt_texts',
    '"Hello, world",2027-03-15 09:00,Europe/Berlin,webhook,https://img.test/a.png|https://img.test/b.png,First|Second',
    'At an instant,2027-03-16T10:00:00Z,,webhook,,',
    'Spring gap,2027-03-28 02:30,Europe/Berlin,webhook,,',
    'Queued one,,,webhook,,',
    'Queued two,,,webhook,,',
  ].join('\n');

  it('dry run shows each row\'s time and writes nothing; the import writes them all', async () => {
    const dry = await t.request('POST', '/v1/imports/csv', { csv, dry_run: true });
    expect(dry.status).toBe(200);
    expect(dry.json.imported).toBe(0);
    expect(dry.json.rows.map((r: any) => [r.line, r.scheduled_for, r.queued])).toEqual([
      [2, '2027-03-15T08:00:00.000Z', false],
      [3, '2027-03-16T10:00:00.000Z', false],
      [4, '2027-03-28T01:30:00.000Z', false],
      [5, '2027-03-02T11:00:00.000Z', true],
      [6, '2027-03-09T11:00:00.000Z', true],
    ]);
    expect(dry.json.rows[2]).toMatchObject({ local_time: '2027-03-28T03:30', adjusted: true });
    expect(await count()).toBe(0);

    const real = await t.request('POST', '/v1/imports/csv', { csv });
    expect(real.status).toBe(201);
    expect(real.json.imported).toBe(5);
    expect(await count()).toBe(5);
    const first = (await t.request('GET', `/v1/posts/${real.json.rows[0].post_id}`)).json;
    expect(first).toMatchObject({
      content: 'Hello, world',
      status: 'scheduled',
      scheduled_for: '2027-03-15T08:00:00.000Z',
      accounts: [account],
      media: { images: [{ url: 'https://img.test/a.png', alt_text: 'First' }, { url: 'https://img.test/b.png', alt_text: 'Second' }] },
    });
  });

  it('reports every bad row with its line and reason, and writes nothing', async () => {
    const bad = [
      'content,scheduled_at,platforms,image_urls',
      'fine,2027-03-15 09:00,webhook,',
      ',2027-03-15 09:00,webhook,',
      'past,2020-01-01 09:00,webhook,',
      'nonsense time,tomorrow,webhook,',
      'unknown network,2027-03-15 09:00,myspace,',
      'bad image,2027-03-15 09:00,webhook,ftp://x',
      `${'x'.repeat(100_001)},2027-03-15 09:00,webhook,`,
      'no such day,2027-02-30T10:00:00Z,webhook,',
      'nor this one,2027-04-31T09:00:00+02:00,webhook,',
    ].join('\n');
    const res = await t.request('POST', '/v1/imports/csv', { csv: bad });
    expect(res.status).toBe(422);
    expect(res.json.details.errors.map((e: any) => [e.line, e.field])).toEqual([
      [3, 'content'],
      [4, 'scheduled_at'],
      [5, 'scheduled_at'],
      [6, 'platforms'],
      [7, 'image_urls'],
      [8, 'content'],
      [9, 'scheduled_at'],
      [10, 'scheduled_at'],
    ]);
    expect(res.json.details.errors[6].message).toMatch(/February 2027 has 28 days/);
    expect(res.json.details.errors[7].message).toMatch(/April 2027 has 30 days/);
    expect(await count()).toBe(0);
    expect((await t.request('POST', '/v1/imports/csv', { csv: 'text,when\nx,y' })).json.error).toMatch(/Unknown column/);
    expect((await t.request('POST', '/v1/imports/csv', { csv: 'content\n"unterminated' })).status).toBe(422);
  });

  it('the CLI imports a file, with --dry-run first', async () => {
    await t.app.services.users.setTimezone(t.userId, 'Europe/Berlin');
    const file = path.join(t.db.dataDir, 'posts.csv');
    writeFileSync(file, `content,scheduled_at,platforms\nFrom the CLI,2099-01-05 09:00,webhook\n`);
    const env = { ...process.env, OCTOPOST_DATA_DIR: t.db.dataDir, ...(t.db.databaseUrl && { DATABASE_URL: t.db.databaseUrl }) };
    const bin = path.resolve('bin/octopost.js');
    const dry = await run('node', [bin, 'import', file, '--dry-run'], { env });
    expect(dry.stdout).toMatch(/Dry run: all 1 rows are fine/);
    expect(await count()).toBe(0);
    const real = await run('node', [bin, 'import', file], { env });
    expect(real.stdout).toMatch(/Imported 1 posts/);
    const posts = (await t.request('GET', '/v1/posts')).json.posts;
    expect(posts[0]).toMatchObject({ content: 'From the CLI', scheduled_for: '2099-01-05T08:00:00.000Z' });
    const failing = await run('node', [bin, 'import', file + '.missing'], { env }).catch((e) => e);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(/Cannot read/);
  });
});
