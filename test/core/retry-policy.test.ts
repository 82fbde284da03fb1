import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideNextStep, DEFAULT_RETRY_DELAYS_MS, MAX_RETRY_AFTER_MS, type PublishOutcome } from '../../src/core/retry-policy.js';

const temporary: PublishOutcome = { kind: 'failed', error: { code: 'server_error', message: '500', permanent: false } };
const permanent: PublishOutcome = { kind: 'failed', error: { code: 'rejected', message: '400', permanent: true } };
const ambiguous: PublishOutcome = { kind: 'ambiguous', error: { code: 'timeout', message: 'timeout', permanent: false } };

describe('retry policy', () => {
  it('waits 1, 5 and 15 minutes, then gives up (scheduling.md)', () => {
    expect(DEFAULT_RETRY_DELAYS_MS).toEqual([60_000, 300_000, 900_000]);
    expect(decideNextStep(temporary, 1, DEFAULT_RETRY_DELAYS_MS, true)).toEqual({ next: 'retry', delayMs: 60_000 });
    expect(decideNextStep(temporary, 2, DEFAULT_RETRY_DELAYS_MS, true)).toEqual({ next: 'retry', delayMs: 300_000 });
    expect(decideNextStep(temporary, 3, DEFAULT_RETRY_DELAYS_MS, true)).toEqual({ next: 'retry', delayMs: 900_000 });
    expect(decideNextStep(temporary, 4, DEFAULT_RETRY_DELAYS_MS, true)).toEqual({ next: 'failed' });
  });

  it('never retries a permanent error', () => {
    expect(decideNextStep(permanent, 1, DEFAULT_RETRY_DELAYS_MS, true)).toEqual({ next: 'failed' });
  });

  it('treats Retry-After as a minimum', () => {
    const limited: PublishOutcome = { kind: 'failed', error: { ...temporary.error, retryAfterMs: 600_000 } };
    expect(decideNextStep(limited, 1, DEFAULT_RETRY_DELAYS_MS, true)).toEqual({ next: 'retry', delayMs: 600_000 });
    const short: PublishOutcome = { kind: 'failed', error: { ...temporary.error, retryAfterMs: 1000 } };
    expect(decideNextStep(short, 1, DEFAULT_RETRY_DELAYS_MS, true)).toEqual({ next: 'retry', delayMs: 60_000 });
  });

  it('waits at most a day, in whole milliseconds, whatever the Retry-After says', () => {
    const asking = (retryAfterMs: number): PublishOutcome => ({ kind: 'failed', error: { ...temporary.error, retryAfterMs } });
    expect(MAX_RETRY_AFTER_MS).toBe(86_400_000);
    for (const huge of [1e23, Number.MAX_SAFE_INTEGER, Infinity, 86_400_001]) {
      expect(decideNextStep(asking(huge), 1, DEFAULT_RETRY_DELAYS_MS, true)).toEqual({ next: 'retry', delayMs: MAX_RETRY_AFTER_MS });
    }
    expect(decideNextStep(asking(600_000.4), 1, DEFAULT_RETRY_DELAYS_MS, true)).toEqual({ next: 'retry', delayMs: 600_001 });
    expect(decideNextStep(asking(Number.NaN), 1, DEFAULT_RETRY_DELAYS_MS, true)).toEqual({ next: 'retry', delayMs: 60_000 });
  });

  it('repeats an ambiguous attempt only where the platform deduplicates', () => {
    expect(decideNextStep(ambiguous, 1, DEFAULT_RETRY_DELAYS_MS, true)).toEqual({ next: 'retry', delayMs: 60_000 });
    expect(decideNextStep(ambiguous, 1, DEFAULT_RETRY_DELAYS_MS, false)).toEqual({ next: 'unknown' });
  });

  it('makes at most 1 + retries attempts, whatever the delays', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1_000_000), { maxLength: 6 }), (delays) => {
        let attempts = 1;
        while (decideNextStep(temporary, attempts, delays, true).next === 'retry') attempts++;
        expect(attempts).toBe(delays.length + 1);
      }),
    );
  });
});
