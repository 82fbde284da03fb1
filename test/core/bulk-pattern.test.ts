import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { assignSlots, minuteOf, type SchedulePattern } from '../../src/core/bulk-pattern.js';
import { DomainError } from '../../src/core/errors.js';
import { resolveLocalTime } from '../../src/core/local-time.js';

const ZONES = ['America/New_York', 'Europe/Berlin', 'Australia/Sydney', 'Asia/Tokyo'];
const NOW = Date.parse('2027-01-01T00:00:00Z');
const local = (instant: number, zone: string) => DateTime.fromMillis(instant, { zone }).toFormat("yyyy-MM-dd'T'HH:mm");
const drafts = (n: number, accounts = ['acc_a']) => Array.from({ length: n }, (_, i) => ({ id: `post_${i}`, accountIds: accounts }));

const startDate = fc.integer({ min: 0, max: 364 }).map((d) => DateTime.fromISO('2027-01-01', { zone: 'UTC' }).plus({ days: d }).toISODate()!);
const clockTime = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45)).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
const pattern: fc.Arbitrary<SchedulePattern> = fc.oneof(
  fc.record({ type: fc.constant('daily' as const), times: fc.uniqueArray(clockTime, { minLength: 1, maxLength: 3 }), start_date: startDate }),
  fc.record({
    type: fc.constant('weekly' as const),
    days: fc.uniqueArray(fc.constantFrom('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun' as const), { minLength: 1, maxLength: 7 }),
    times: fc.uniqueArray(clockTime, { minLength: 1, maxLength: 3 }),
    start_date: startDate,
  }),
);

describe('bulk pattern engine', () => {
  it('keeps 09:00 at 09:00 local across the DST changes of every zone', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), startDate, fc.integer({ min: 1, max: 120 }), (zone, start, n) => {
        const result = assignSlots(drafts(n), { type: 'daily', times: ['09:00'], start_date: start }, zone, NOW);
        for (const a of result) {
          expect(a.adjusted).toBe(false);
          expect(local(a.scheduled_for, zone).slice(11)).toBe('09:00');
          expect(a.local_time).toBe(local(a.scheduled_for, zone));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('keeps the order given, never gives two drafts one slot, and only assigns future times', () => {
    fc.assert(
      fc.property(pattern, fc.constantFrom(...ZONES, 'UTC'), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 400 }), (p, zone, n, nowDays) => {
        const now = NOW + nowDays * 86_400_000 + 3_600_000 * 7;
        const result = assignSlots(drafts(n), p, zone, now);
        expect(result.map((a) => a.post_id)).toEqual(drafts(n).map((d) => d.id));
        for (let i = 0; i < result.length; i++) {
          expect(result[i]!.scheduled_for).toBeGreaterThan(now);
          if (i > 0) expect(result[i]!.scheduled_for).toBeGreaterThan(result[i - 1]!.scheduled_for);
          const wall = local(result[i]!.scheduled_for, zone);
          if (!result[i]!.adjusted) expect(p.times).toContain(wall.slice(11));
          if (p.type === 'weekly') expect(p.days).toContain(DateTime.fromMillis(result[i]!.scheduled_for, { zone }).toFormat('ccc').toLowerCase());
        }
      }),
      { numRuns: 150 },
    );
  });

  it('is deterministic: the preview and the apply compute the same assignments', () => {
    fc.assert(
      fc.property(pattern, fc.constantFrom(...ZONES), fc.integer({ min: 1, max: 20 }), (p, zone, n) => {
        expect(assignSlots(drafts(n), p, zone, NOW)).toEqual(assignSlots(drafts(n), p, zone, NOW));
      }),
      { numRuns: 50 },
    );
  });

  it('skips slots where an account already has a post in the same minute', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 15 }), (n, takenDays) => {
        const first = resolveLocalTime('2027-02-01', '09:00', 'Europe/Berlin').instant;
        const taken = new Map([['acc_a', new Set(takenDays.map((d) => minuteOf(first + d * 86_400_000)))]]);
        const result = assignSlots(drafts(n, ['acc_a', 'acc_b']), { type: 'daily', times: ['09:00'], start_date: '2027-02-01', skip_taken: true }, 'Europe/Berlin', NOW, taken);
        for (const a of result) expect(taken.get('acc_a')!.has(minuteOf(a.scheduled_for))).toBe(false);
        expect(new Set(result.map((a) => a.scheduled_for)).size).toBe(n);
      }),
    );
  });

  it('moves a time in the spring-forward gap forward by the gap, and takes the first of a repeated time', () => {
    const [spring] = assignSlots(drafts(1), { type: 'daily', times: ['02:30'], start_date: '2027-03-14' }, 'America/New_York', NOW);
    expect(spring).toMatchObject({ local_time: '2027-03-14T03:30', adjusted: true, reason: expect.stringMatching(/does not exist/) });
    expect(new Date(spring!.scheduled_for).toISOString()).toBe('2027-03-14T07:30:00.000Z');
    const [autumn] = assignSlots(drafts(1), { type: 'daily', times: ['01:30'], start_date: '2027-11-07' }, 'America/New_York', NOW);
    expect(autumn).toMatchObject({ local_time: '2027-11-07T01:30', adjusted: true, reason: expect.stringMatching(/twice/) });
    expect(new Date(autumn!.scheduled_for).toISOString()).toBe('2027-11-07T05:30:00.000Z'); // 01:30 EDT, the first
    const [berlin] = assignSlots(drafts(1), { type: 'daily', times: ['02:30'], start_date: '2027-03-28' }, 'Europe/Berlin', NOW);
    expect(berlin).toMatchObject({ local_time: '2027-03-28T03:30', adjusted: true });
    const [sydney] = assignSlots(drafts(1), { type: 'daily', times: ['02:30'], start_date: '2027-04-04' }, 'Australia/Sydney', NOW);
    expect(sydney).toMatchObject({ local_time: '2027-04-04T02:30', adjusted: true, reason: expect.stringMatching(/twice/) });
  });

  it('three posts a week on Monday, Wednesday and Friday', () => {
    const result = assignSlots(drafts(4), { type: 'weekly', days: ['mon', 'wed', 'fri'], times: ['09:00'], start_date: '2027-03-01' }, 'Europe/Berlin', NOW);
    expect(result.map((a) => a.local_time)).toEqual(['2027-03-01T09:00', '2027-03-03T09:00', '2027-03-05T09:00', '2027-03-08T09:00']);
  });

  const refused = (p: Partial<SchedulePattern> & Record<string, unknown>, zone = 'UTC', n = 1) => {
    try {
      assignSlots(drafts(n), { type: 'daily', times: ['09:00'], start_date: '2027-03-01', ...p } as SchedulePattern, zone, NOW);
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe('validation_failed');
      return (err as DomainError).details.field;
    }
    throw new Error('accepted');
  };

  it('refuses bad patterns with a 422 naming the problem', () => {
    expect(refused({ type: 'weekly', days: [] } as any)).toBe('pattern.days');
    expect(refused({ times: ['25:00'] })).toBe('pattern.times[0]');
    expect(refused({ times: [] })).toBe('pattern.times');
    expect(refused({ end_date: '2027-02-01' })).toBe('pattern.end_date');
    expect(refused({ start_date: '2027-02-30' })).toBe('pattern.start_date');
    expect(refused({}, 'Mars/Olympus')).toBe('timezone');
    expect(refused({}, 'UTC', 0)).toBe('post_ids');
    expect(refused({ end_date: '2027-03-02' }, 'UTC', 3)).toBe('pattern.end_date');
  });
});
