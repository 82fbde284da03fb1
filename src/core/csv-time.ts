import { impossibleCalendarFields } from './time.js';
import { isValidClockTime, isValidDate, resolveLocalTime, type ResolvedLocalTime } from './local-time.js';

/**
 * A CSV row's time: empty means "add to the posting queue"; an ISO instant with Z or an offset is
 * taken as is; a local date and time ("2027-03-14 09:00" or "2027-03-14T09:00") is a wall-clock
 * time in the row's (or the import's) zone, with the bulk-scheduling rule for DST gaps and overlaps.
 */
export type RowTime = { kind: 'queue' } | ({ kind: 'at' } & ResolvedLocalTime) | { kind: 'invalid'; message: string };

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const LOCAL = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(:00)?$/;

export function parseRowTime(text: string, zone: string): RowTime {
  const value = text.trim();
  if (value === '') return { kind: 'queue' };
  if (INSTANT.test(value)) {
    const impossible = impossibleCalendarFields(value);
    if (impossible) return { kind: 'invalid', message: `"${value}" is not a valid time: ${impossible}.` };
    const instant = Date.parse(value);
    if (Number.isNaN(instant)) return { kind: 'invalid', message: `"${value}" is not a valid time.` };
    return { kind: 'at', instant, localTime: value, adjusted: false };
  }
  const local = LOCAL.exec(value);
  if (local && isValidDate(local[1]!) && isValidClockTime(local[2]!)) return { kind: 'at', ...resolveLocalTime(local[1]!, local[2]!, zone) };
  return {
    kind: 'invalid',
    message: `"${value}" is not a time: use a local "YYYY-MM-DD HH:MM", an ISO instant like 2027-03-14T13:00:00Z, or leave it empty to add the post to the queue.`,
  };
}
