import { DateTime } from 'luxon';

/**
 * Wall-clock times in a named zone, resolved to instants by one documented rule:
 * - a local time that does not exist (the spring-forward gap, 02:30 in New York on its DST day)
 *   moves forward by the length of the gap (→ 03:30), flagged `adjusted`;
 * - a local time that exists twice (the fall-back overlap, 01:30) takes its first occurrence
 *   (the earlier instant, still on summer time), flagged `adjusted`.
 * So "09:00" stays 09:00 local on every day of the year, whatever the offset.
 */
export interface ResolvedLocalTime {
  instant: number;
  /** The wall-clock time actually used, `YYYY-MM-DDTHH:mm` in the zone. */
  localTime: string;
  adjusted: boolean;
  reason?: string;
}

export function isValidZone(zone: string): boolean {
  return zone.length > 0 && DateTime.local().setZone(zone).isValid;
}

export function resolveLocalTime(date: string, time: string, zone: string): ResolvedLocalTime {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  const dt = DateTime.fromObject({ year, month, day, hour, minute }, { zone });
  if (!dt.isValid) throw new Error(`invalid local time ${date} ${time} in ${zone}`);
  const wanted = `${date}T${time}`;
  if (dt.hour !== hour || dt.minute !== minute || dt.day !== day) {
    const localTime = dt.toFormat("yyyy-MM-dd'T'HH:mm");
    return {
      instant: dt.toMillis(),
      localTime,
      adjusted: true,
      reason: `${time} does not exist on ${date} in ${zone} (clocks move forward); moved to ${localTime.slice(11)}.`,
    };
  }
  const candidates = dt.getPossibleOffsets();
  if (candidates.length > 1) {
    const first = Math.min(...candidates.map((c) => c.toMillis()));
    return {
      instant: first,
      localTime: wanted,
      adjusted: true,
      reason: `${time} happens twice on ${date} in ${zone} (clocks move back); the first occurrence was used.`,
    };
  }
  return { instant: dt.toMillis(), localTime: wanted, adjusted: false };
}

/** Local calendar date (YYYY-MM-DD) of an instant in a zone. */
export function localDate(instant: number, zone: string): string {
  return DateTime.fromMillis(instant, { zone }).toISODate()!;
}

export function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate()!;
}

/** mon..sun of a calendar date (the date alone; no zone involved). */
export function weekdayOf(date: string): Weekday {
  return WEEKDAYS[DateTime.fromISO(date, { zone: 'UTC' }).weekday - 1]!;
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const isValidDate = (date: string) => /^\d{4}-\d{2}-\d{2}$/.test(date) && DateTime.fromISO(date, { zone: 'UTC' }).isValid;
export const isValidClockTime = (time: string) => /^([01]\d|2[0-3]):[0-5]\d$/.test(time);
