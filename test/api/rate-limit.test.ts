import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

describe('rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite', { config: { rateLimitPerMinute: 20 } });
  });
  afterAll(() => t.close());

  const get = (authorization: string, url = '/v1/posts') => t.server.inject({ method: 'GET', url, headers: { authorization } });

  it('carries the headers on /v1 itself', async () => {
    const res = await t.server.inject({ method: 'GET', url: '/v1' });
    expect(res.headers['x-ratelimit-limit']).toBe('20');
  });

  it('accepts the Bearer scheme in any case', async () => {
    expect((await get(`bearer ${t.key}`)).statusCode).toBe(200);
    expect((await get(`BEARER ${t.key}`)).statusCode).toBe(200);
  });

  it('limits a flood of made-up keys from one address, and says so', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) statuses.push((await get(`Bearer oct_live_madeup${i}xxxxxxxxxxxx`)).statusCode);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10).every((s) => s === 429)).toBe(true);
    const limited = await get(`Bearer ${t.key}`);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect(JSON.parse(limited.body).error).toMatch(/failed sign-ins or unknown keys/);
  });
});
