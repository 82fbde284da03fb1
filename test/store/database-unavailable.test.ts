import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { errorHandler } from '../../src/api/error-handler.js';
import { isDatabaseUnavailable } from '../../src/store/database.js';

// What the scheduler waits out and retries (and the API answers 503 for), and what it must not:
// a statement that is wrong fails the same way every time.
describe('isDatabaseUnavailable', () => {
  it('is true for a server that is away, and for a statement rolled back to break a deadlock', () => {
    for (const code of ['57P01', '57P03', '08006', '53300', 'ECONNREFUSED', 'ECONNRESET', '40P01', '40001', 'SQLITE_BUSY']) {
      expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code })), code).toBe(true);
    }
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: '40P01' }) }))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]))).toBe(true);
  });

  it('is false for mistakes that a retry repeats', () => {
    for (const code of ['23505', '42P01', '42703', '22P02', 'SQLITE_CONSTRAINT_UNIQUE']) {
      expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code })), code).toBe(false);
    }
    expect(isDatabaseUnavailable(new Error('syntax error at or near "SELEC"'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});

// The API's 503 says which it was: a conflict is worth trying again at once, an outage in a while.
describe('the API answer for a database that cannot do it now', () => {
  const answerFor = async (error: Error) => {
    const server = Fastify({ logger: false });
    server.setErrorHandler(errorHandler);
    server.get('/x', async () => {
      throw error;
    });
    const res = await server.inject({ method: 'GET', url: '/x' });
    await server.close();
    return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: res.json() };
  };

  it('a change undone by a deadlock: 503, nothing changed, try again in a second', async () => {
    const answer = await answerFor(new Error('wrapped', { cause: Object.assign(new Error('deadlock detected'), { code: '40P01' }) }));
    expect(answer).toMatchObject({ status: 503, retryAfter: '1', body: { code: 'service_unavailable', details: { retry_after_seconds: 1 } } });
    expect(answer.body.error).toMatch(/^Another change to the same data .* nothing was changed\. Try again\.$/);
  });

  it('a server that is away: 503, try again in a few seconds', async () => {
    const answer = await answerFor(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    expect(answer).toMatchObject({ status: 503, retryAfter: '5', body: { code: 'service_unavailable', details: { retry_after_seconds: 5 } } });
    expect(answer.body.error).toMatch(/cannot be reached right now/);
  });
});
