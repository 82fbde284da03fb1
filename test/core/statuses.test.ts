import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DELIVERY_STATUSES, derivePostStatus, isEditable } from '../../src/core/statuses.js';

const d = (status: (typeof DELIVERY_STATUSES)[number], attempts = 1) => ({ status, attempts });

describe('derivePostStatus', () => {
  it('is draft without deliveries, or when every delivery was cancelled', () => {
    expect(derivePostStatus(false, [])).toBe('draft');
    expect(derivePostStatus(true, [d('cancelled', 0)])).toBe('draft');
  });

  it('stays scheduled until the first delivery starts', () => {
    expect(derivePostStatus(true, [d('pending', 0), d('pending', 0)])).toBe('scheduled');
    expect(derivePostStatus(true, [d('publishing', 1), d('pending', 0)])).toBe('publishing');
  });

  it('is publishing for publish-now posts and while retries wait', () => {
    expect(derivePostStatus(false, [d('pending', 0)])).toBe('publishing');
    expect(derivePostStatus(true, [d('published'), d('retrying', 2)])).toBe('publishing');
  });

  it('is published, partially_failed or failed once every delivery is finished', () => {
    expect(derivePostStatus(true, [d('published'), d('published')])).toBe('published');
    expect(derivePostStatus(true, [d('published'), d('failed', 4)])).toBe('partially_failed');
    expect(derivePostStatus(true, [d('published'), d('unknown')])).toBe('partially_failed');
    expect(derivePostStatus(true, [d('failed'), d('unknown')])).toBe('failed');
    expect(derivePostStatus(true, [d('published'), d('cancelled', 0)])).toBe('published');
  });

  it('never reports a finished status while a delivery is unfinished', () => {
    const delivery = fc.record({ status: fc.constantFrom(...DELIVERY_STATUSES), attempts: fc.nat(6) });
    fc.assert(
      fc.property(fc.boolean(), fc.array(delivery, { maxLength: 6 }), (scheduled, deliveries) => {
        const status = derivePostStatus(scheduled, deliveries);
        const unfinished = deliveries.some((x) => ['pending', 'publishing', 'retrying'].includes(x.status));
        if (unfinished) expect(['scheduled', 'publishing']).toContain(status);
        if (status === 'published') expect(deliveries.filter((x) => x.status !== 'cancelled').every((x) => x.status === 'published')).toBe(true);
      }),
    );
  });

  it('allows edits only to drafts and scheduled posts', () => {
    expect(isEditable('draft')).toBe(true);
    expect(isEditable('scheduled')).toBe(true);
    for (const s of ['publishing', 'published', 'partially_failed', 'failed'] as const) expect(isEditable(s)).toBe(false);
  });
});
