import { describe, expect, it } from 'vitest';
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
