import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { Receiver } from '../helpers/receiver.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

describe.each(await dialects())('bulk scheduling API on %s', (dialect) => {
  let t: TestApp;
  let receiver: Receiver;
  let account: string;
  const clock = new FakeClock(Date.parse('2027-03-01T08:00:00Z'));

  beforeEach(async () => {
    clock.set(Date.parse('2027-03-01T08:00:00Z'));
    receiver = await new Receiver().start();
    t = await createTestApp(dialect, { clock });
    account = (await t.request('POST', '/v1/accounts', { platform: 'webhook', url: receiver.url(), secret: 'secret-123' })).json.id;
  });
  afterEach(async () => {
    await t.close();
    await receiver.stop();
  });

  const drafts = async (n: number) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await t.request('POST', '/v1/posts', { content: `draft ${i}`, accounts: [account] })).json.id);
    return ids;
  };
  const body = (post_ids: string[], pattern: object, extra: object = {}) => ({ post_ids, pattern, timezone: 'America/New_York', ...extra });

  it('previews without writing, then applies exactly the preview', async () => {
    const ids = await drafts(3);
    const pattern = { type: 'daily', times: ['09:00'], start_date: '2027-03-13' };
    const preview = await t.request('POST', '/v1/bulk-schedule/preview', body(ids, pattern));
    expect(preview.status).toBe(200);
    expect(preview.json.assignments).toEqual([
      { post_id: ids[0], scheduled_for: '2027-03-13T14:00:00.000Z', local_time: '2027-03-13T09:00', adjusted: false },
      // DST starts on the 14th in New York: 09:00 stays 09:00, the UTC instant moves by an hour.
      { post_id: ids[1], scheduled_for: '2027-03-14T13:00:00.000Z', local_time: '2027-03-14T09:00', adjusted: false },
      { post_id: ids[2], scheduled_for: '2027-03-15T13:00:00.000Z', local_time: '2027-03-15T09:00', adjusted: false },
    ]);
    expect((await t.request('GET', `/v1/posts?status=scheduled`)).json.posts).toHaveLength(0);

    const applied = await t.request('POST', '/v1/bulk-schedule', body(ids, pattern));
    expect(applied.status).toBe(200);
    expect(applied.json).toEqual(preview.json);
    for (const a of applied.json.assignments) {
      const post = (await t.request('GET', `/v1/posts/${a.post_id}`)).json;
      expect(post).toMatchObject({ status: 'scheduled', scheduled_for: a.scheduled_for });
      expect(post.deliveries[0].due_at).toBe(a.scheduled_for);
    }
    // Each time can still be moved afterwards.
    const moved = await t.request('POST', `/v1/posts/${ids[0]}/schedule`, { scheduled_for: '2027-03-20T10:00:00Z' });
    expect(moved.json.scheduled_for).toBe('2027-03-20T10:00:00.000Z');
  });

  it('flags a wall time that does not exist on the DST day', async () => {
    const ids = await drafts(1);
    const res = await t.request('POST', '/v1/bulk-schedule/preview', body(ids, { type: 'daily', times: ['02:30'], start_date: '2027-03-14' }));
    expect(res.json.assignments[0]).toMatchObject({ local_time: '2027-03-14T03:30', adjusted: true, reason: expect.any(String) });
  });

  it('skips minutes the account already uses, and staggers networks', async () => {
    const busy = await t.request('POST', '/v1/posts', { content: 'busy', accounts: [account], scheduled_for: '2027-03-02T14:00:00Z' });
    expect(busy.status).toBe(201);
    const ids = await drafts(2);
    const res = await t.request('POST', '/v1/bulk-schedule', body(ids, { type: 'daily', times: ['09:00'], start_date: '2027-03-02', skip_taken: true }, { stagger_minutes: 10 }));
    expect(res.json.assignments.map((a: any) => a.local_time)).toEqual(['2027-03-03T09:00', '2027-03-04T09:00']);
    expect((await t.request('GET', `/v1/posts/${ids[0]}`)).json.stagger_minutes).toBe(10);
  });

  it('is all or none: one published post in the batch schedules nothing', async () => {
    const ids = await drafts(2);
    await t.request('POST', `/v1/posts/${ids[1]}/publish`, {});
    const res = await t.request('POST', '/v1/bulk-schedule', body(ids, { type: 'daily', times: ['09:00'], start_date: '2027-03-02' }));
    expect(res.status).toBe(409);
    expect(res.json.details).toMatchObject({ post_id: ids[1] });
    expect((await t.request('GET', `/v1/posts/${ids[0]}`)).json.status).toBe('draft');
  });

  it('answers 422 naming the problem for bad patterns and unknown posts', async () => {
    const ids = await drafts(2);
    const cases: [object, string][] = [
      [body(ids, { type: 'weekly', days: [], times: ['09:00'], start_date: '2027-03-02' }), 'pattern.days'],
      [body(ids, { type: 'daily', times: ['9am'], start_date: '2027-03-02' }), 'pattern.times[0]'],
      [body(ids, { type: 'daily', times: ['09:00'], start_date: '2027-03-05', end_date: '2027-03-04' }), 'pattern.end_date'],
      [body(ids, { type: 'daily', times: ['09:00'], start_date: '2027-03-02', end_date: '2027-03-02' }), 'pattern.end_date'],
      [body(ids, { type: 'daily', times: ['09:00'], start_date: '2027-03-02' }, { timezone: 'Nowhere/Land' }), 'timezone'],
      [body([], { type: 'daily', times: ['09:00'], start_date: '2027-03-02' }), 'post_ids'],
      [body(['post_00000000000000000000000000'], { type: 'daily', times: ['09:00'], start_date: '2027-03-02' }), 'post_ids[0]'],
    ];
    for (const [payload, field] of cases) {
      const res = await t.request('POST', '/v1/bulk-schedule', payload);
      expect(res.status, JSON.stringify(payload)).toBe(422);
      expect(res.json.details.field).toBe(field);
    }
    expect((await t.request('GET', '/v1/posts?status=scheduled')).json.posts).toHaveLength(0);
  });
});
