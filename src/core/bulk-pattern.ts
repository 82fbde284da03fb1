import { validationFailed } from './errors.js';
import {
  addDays,
  isValidClockTime,
  isValidDate,
  isValidZone,
  localDate,
  resolveLocalTime,
  type ResolvedLocalTime,
  WEEKDAYS,
  type Weekday,
  weekdayOf,
} from './local-time.js';

/** shared/api.md, "Bulk scheduling and queue". */
export type SchedulePattern =
  | { type: 'daily'; times: string[]; start_date: string; end_date?: string | undefined; skip_taken?: boolean | undefined }
  | { type: 'weekly'; days: Weekday[]; times: string[]; start_date: string; end_date?: string | undefined; skip_taken?: boolean | undefined };

export interface Slot extends ResolvedLocalTime {}

export interface DraftToPlace {
  id: string;
  accountIds: string[];
}

export interface Assignment {
  post_id: string;
  scheduled_for: number;
  local_time: string;
  adjusted: boolean;
  reason?: string;
}

/** Without end_date, slots are looked for this far ahead at most (then: "more drafts than slots"). */
const HORIZON_DAYS = 3 * 366;

/** Checks a pattern; every problem is a 422 naming the field. */
export function checkPattern(pattern: SchedulePattern, zone: string): void {
  if (!isValidZone(zone)) throw validationFailed('timezone', `"${zone}" is not an IANA time zone name (like Europe/Berlin).`);
  if (pattern.times.length === 0) throw validationFailed('pattern.times', 'Give at least one time of day, like "09:00".');
  pattern.times.forEach((t, i) => {
    if (!isValidClockTime(t)) throw validationFailed(`pattern.times[${i}]`, `"${t}" is not a time of day as HH:MM (00:00 to 23:59).`);
  });
  if (new Set(pattern.times).size !== pattern.times.length) throw validationFailed('pattern.times', 'A time is listed twice.');
  if (pattern.type === 'weekly') {
    if (pattern.days.length === 0) throw validationFailed('pattern.days', 'Pick at least one day of the week.');
    pattern.days.forEach((d, i) => {
      if (!WEEKDAYS.includes(d)) throw validationFailed(`pattern.days[${i}]`, `"${d}" is not a day: use ${WEEKDAYS.join(', ')}.`);
    });
  }
  if (!isValidDate(pattern.start_date)) throw validationFailed('pattern.start_date', `"${pattern.start_date}" is not a date as YYYY-MM-DD.`);
  if (pattern.end_date !== undefined) {
    if (!isValidDate(pattern.end_date)) throw validationFailed('pattern.end_date', `"${pattern.end_date}" is not a date as YYYY-MM-DD.`);
    if (pattern.end_date < pattern.start_date) throw validationFailed('pattern.end_date', 'end_date is before start_date.');
  }
}

/**
 * The pattern's slots in time order, from start_date to end_date inclusive (or the horizon),
 * skipping those not after `now`. Wall-clock times in `zone`: 09:00 stays 09:00 across DST.
 */
export function* patternSlots(pattern: SchedulePattern, zone: string, now: number): Generator<Slot> {
  const times = [...pattern.times].sort();
  // Start no earlier than today in the zone: earlier days can only hold past slots.
  const today = localDate(now, zone);
  let date = pattern.start_date > today ? pattern.start_date : today;
  const last = pattern.end_date ?? addDays(date, HORIZON_DAYS);
  let previous = Number.NEGATIVE_INFINITY;
  for (; date <= last; date = addDays(date, 1)) {
    if (pattern.type === 'weekly' && !pattern.days.includes(weekdayOf(date))) continue;
    for (const time of times) {
      const slot = resolveLocalTime(date, time, zone);
      // Two wall times can land on one instant (02:30 moved to 03:30 beside a 03:30): keep one.
      if (slot.instant <= now || slot.instant <= previous) continue;
      previous = slot.instant;
      yield slot;
    }
  }
}

/** Minute key used to tell whether an account already has a post at a slot. */
export const minuteOf = (instant: number) => Math.floor(instant / 60_000);

/**
 * Gives each draft, in the order given, the next slot of the pattern after the previous draft's,
 * so the drafts keep their order in time and a slot is used by one draft at most (no account gets
 * two drafts in one slot). With skip_taken, a slot where one of the draft's accounts already has a
 * post in the same minute (`taken`: account id → minutes, the drafts' own current times excluded)
 * is passed over.
 */
export function assignSlots(
  drafts: DraftToPlace[],
  pattern: SchedulePattern,
  zone: string,
  now: number,
  taken: Map<string, Set<number>> = new Map(),
): Assignment[] {
  checkPattern(pattern, zone);
  if (drafts.length === 0) throw validationFailed('post_ids', 'Select at least one draft.');
  const seen = new Set<string>();
  for (const [i, d] of drafts.entries()) {
    if (seen.has(d.id)) throw validationFailed(`post_ids[${i}]`, `Post ${d.id} is listed twice.`);
    seen.add(d.id);
  }
  const slots = patternSlots(pattern, zone, now);
  const assignments: Assignment[] = [];
  for (const draft of drafts) {
    const isFree = (slot: Slot) => !pattern.skip_taken || draft.accountIds.every((a) => !taken.get(a)?.has(minuteOf(slot.instant)));
    let slot: Slot | undefined;
    while (!slot) {
      const next = slots.next();
      if (next.done) {
        throw validationFailed(
          pattern.end_date ? 'pattern.end_date' : 'pattern',
          `The pattern has fewer free slots than drafts: ${assignments.length} of ${drafts.length} drafts placed${pattern.end_date ? ` by ${pattern.end_date}` : ''}. Add times or days, or move the end date.`,
          { placed: assignments.length, drafts: drafts.length },
        );
      }
      if (isFree(next.value)) slot = next.value;
    }
    assignments.push({
      post_id: draft.id,
      scheduled_for: slot.instant,
      local_time: slot.localTime,
      adjusted: slot.adjusted,
      ...(slot.reason && { reason: slot.reason }),
    });
  }
  return assignments;
}
