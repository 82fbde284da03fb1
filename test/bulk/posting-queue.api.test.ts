import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

describe.each(await dialects())('posting queue API on %s', (dialect) => {
  let t: TestApp;
  let a: string;
  let b: string;
  // Monday 2027-03-01, 08:00 in Berlin (07:00 UTC).
  const clock = new FakeClock(Date.parse('2027-03-01T07:00:00Z'));

  beforeEach(async () => {
    clock.set(Date.parse('2027-03-01T07:00:00Z'));
    t = await createTestApp(dialect, { clock });
    a = (await t.request('POST', '/v1/accounts', { platform: 'webhook', url: 'http://127.0.0.1:9/a', secret: 'secret-123' })).json.id;
    b = (await t.request('POST', '/v1/accounts', { platform: 'webhook', url: 'http://127.0.0.1:9/b', secret: 'secret-123' })).json.id;
  });
  afterEach(() => t.close());

  const weekdays = (time: string) => ['mon', 'tue', 'wed', 'thu', 'fri'].map((day) => ({ day, time }));

  it('stores weekly slots and lists the upcoming ones, filled and empty', async () => {
    const put = await t.request('PUT', `/v1/accounts/${a}/queue`, { timezone: 'Europe/Berlin', slots: [...weekdays('12:30'), ...weekdays('09:00')] });
    expect(put.status).toBe(200);
    expect(put.json.slots.slice(0, 2)).toEqual([{ day: 'mon', time: '09:00' }, { day: 'mon', time: '12:30' }]);
    expect(put.json.upcoming.slice(0, 3).map((u: any) => u.local_time)).toEqual(['2027-03-01T09:00', '2027-03-01T12:30', '2027-03-02T09:00']);
    expect(put.json.upcoming[0]).toMatchObject({ scheduled_for: '2027-03-01T08:00:00.000Z', post_ids: [] });
    // Saturdays and Sundays have no slot.
    expect(put.json.upcoming.some((u: any) => u.local_time.startsWith('2027-03-06'))).toBe(false);

    const post = await t.request('POST', '/v1/posts', { content: 'queued', accounts: [a] });
    const queued = await t.request('POST', `/v1/posts/${post.json.id}/queue`);
    expect(queued.status).toBe(200);
    expect(queued.json).toMatchObject({ status: 'scheduled', scheduled_for: '2027-03-01T08:00:00.000Z' });
    const view = await t.request('GET', `/v1/accounts/${a}/queue?days=7`);
    expect(view.json.upcoming[0].post_ids).toEqual([post.json.id]);
    expect(view.json.upcoming[1].post_ids).toEqual([]);
  });

  it('puts each post in the next slot free on all its accounts', async () => {
    await t.request('PUT', `/v1/accounts/${a}/queue`, { timezone: 'Europe/Berlin', slots: weekdays('09:00') });
    const first = await t.request('POST', '/v1/posts', { content: 'one', accounts: [a] });
    await t.request('POST', `/v1/posts/${first.json.id}/queue`);
    // b already has a post on Tuesday 09:00 Berlin, so a post to a and b skips Monday (a busy) and Tuesday (b busy).
    await t.request('POST', '/v1/posts', { content: 'b busy', accounts: [b], scheduled_for: '2027-03-02T08:00:00Z' });
    const both = await t.request('POST', '/v1/posts', { content: 'two', accounts: [a, b] });
    const queued = await t.request('POST', `/v1/posts/${both.json.id}/queue`);
    expect(queued.json.scheduled_for).toBe('2027-03-03T08:00:00.000Z');
  });

  it('explains what is wrong', async () => {
    const post = await t.request('POST', '/v1/posts', { content: 'x', accounts: [a] });
    const noQueue = await t.request('POST', `/v1/posts/${post.json.id}/queue`);
    expect(noQueue.status).toBe(422);
    expect(noQueue.json.error).toMatch(/posting queue/);
    const bad = await t.request('PUT', `/v1/accounts/${a}/queue`, { timezone: 'Europe/Berlin', slots: [{ day: 'mon', time: '9:00' }] });
    expect(bad.status).toBe(422);
    expect(bad.json.details.field).toBe('slots[0].time');
    const zone = await t.request('PUT', `/v1/accounts/${a}/queue`, { timezone: 'Moon/Base', slots: [] });
    expect(zone.json.details.field).toBe('timezone');
    const day = await t.request('PUT', `/v1/accounts/${a}/queue`, { slots: [{ day: 'someday', time: '09:00' }] });
    expect(day.status).toBe(422);
    expect((await t.request('GET', '/v1/accounts/acc_nope/queue')).status).toBe(404);
  });
});
