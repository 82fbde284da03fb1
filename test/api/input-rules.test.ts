import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

describe.each(await dialects())('input rules on %s', (dialect) => {
  let t: TestApp;
  let account: string;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    const res = await t.request('POST', '/v1/accounts', { platform: 'webhook', url: 'https://hooks.example.test/T000/B000/s3cr3tpath', secret: 'secret-123' });
    account = res.json.id;
    // Chat-style webhooks carry their secret in the URL: it is never shown back.
    expect(JSON.stringify(res.json)).not.toContain('s3cr3tpath');
  });
  afterAll(() => t.close());

  it('refuses a time without a zone, which would mean a different moment on every server', async () => {
    const res = await t.request('POST', '/v1/posts', { content: 'x', accounts: [account], scheduled_for: '2099-03-02T10:00:00' });
    expect(res.status).toBe(422);
    expect(res.json.details.field).toBe('scheduled_for');
    expect(res.json.error).toMatch(/with a zone/);
    const ok = await t.request('POST', '/v1/posts', { content: 'x', accounts: [account], scheduled_for: '2099-03-02T10:00:00+01:00' });
    expect(ok.json.scheduled_for).toBe('2099-03-02T09:00:00.000Z');
    const list = await t.request('GET', '/v1/posts?from=2099-03-01T00:00:00');
    expect(list.status).toBe(422);
    expect(list.json.details.field).toBe('from');
  });

  it('refuses a day the month does not have, or hour 24, rather than moving the post to another day', async () => {
    const cases = [
      ['2099-02-29T10:00:00Z', /February 2099 has 28 days/],
      ['2096-02-30T10:00:00+01:00', /February 2096 has 29 days/],
      ['2099-04-31T09:00Z', /April 2099 has 30 days/],
      ['2099-03-14T24:00:00Z', /hours go from 00 to 23/],
    ] as const;
    for (const [scheduledFor, reason] of cases) {
      const res = await t.request('POST', '/v1/posts', { content: 'x', accounts: [account], scheduled_for: scheduledFor });
      expect(res.status, scheduledFor).toBe(422);
      expect(res.json.details.field).toBe('scheduled_for');
      expect(res.json.error).toMatch(reason);
    }
    const leapDay = await t.request('POST', '/v1/posts', { content: 'x', accounts: [account], scheduled_for: '2096-02-29T10:00:00Z' });
    expect(leapDay.json.scheduled_for).toBe('2096-02-29T10:00:00.000Z');
    const window = await t.request('GET', '/v1/posts?from=2099-02-01T00:00:00Z&to=2099-02-30T00:00:00Z');
    expect(window.status).toBe(422);
    expect(window.json.details.field).toBe('to');
  });

  it('refuses image URLs that are not http(s)', async () => {
    for (const url of ['javascript:alert(1)', 'file:///etc/passwd', 'not a url']) {
      const res = await t.request('POST', '/v1/posts', { content: 'x', accounts: [account], media: { images: [{ url, alt_text: 'a' }] } });
      expect(res.status, url).toBe(422);
      expect(res.json.details.field).toBe('media.images[0].url');
    }
  });

  it('refuses unknown fields when connecting an account, so a typo is not silently lost', async () => {
    const res = await t.request('POST', '/v1/accounts', { platform: 'webhook', url: 'https://x.test/h', secret: 'secret-123', displayname: 'typo' });
    expect(res.status).toBe(422);
    expect(res.json.error).toMatch(/displayname/);
  });
});
