import { validationFailed } from './errors.js';
import { addDays, isValidClockTime, isValidZone, localDate, resolveLocalTime, type ResolvedLocalTime, WEEKDAYS, type Weekday, weekdayOf } from './local-time.js';

/** A posting queue: weekly slots ("Mon–Fri 09:00 and 12:30") in a named zone. */
export interface QueueSlot {
  day: Weekday;
  time: string;
}

export interface QueueSlotInstant extends ResolvedLocalTime {}

export const MAX_QUEUE_SLOTS = 7 * 24;

export function checkQueue(slots: QueueSlot[], zone: string): QueueSlot[] {
  if (!isValidZone(zone)) throw validationFailed('timezone', `"${zone}" is not an IANA time zone name (like Europe/Berlin).`);
  if (slots.length > MAX_QUEUE_SLOTS) throw validationFailed('slots', `A queue has at most ${MAX_QUEUE_SLOTS} slots a week.`);
  const seen = new Set<string>();
  slots.forEach((s, i) => {
    if (!WEEKDAYS.includes(s.day)) throw validationFailed(`slots[${i}].day`, `"${s.day}" is not a day: use ${WEEKDAYS.join(', ')}.`);
    if (!isValidClockTime(s.time)) throw validationFailed(`slots[${i}].time`, `"${s.time}" is not a time of day as HH:MM.`);
    const key = `${s.day} ${s.time}`;
    if (seen.has(key)) throw validationFailed(`slots[${i}]`, `${key} is listed twice.`);
    seen.add(key);
  });
  return [...slots].sort((a, b) => WEEKDAYS.indexOf(a.day) - WEEKDAYS.indexOf(b.day) || a.time.localeCompare(b.time));
}

/** The queue's slots after `now`, in time order, for `days` days (same DST rule as bulk patterns). */
export function* queueInstants(slots: QueueSlot[], zone: string, now: number, days: number): Generator<QueueSlotInstant> {
  if (slots.length === 0) return;
  const byDay = new Map<Weekday, string[]>();
  for (const s of slots) byDay.set(s.day, [...(byDay.get(s.day) ?? []), s.time].sort());
  let date = localDate(now, zone);
  let previous = Number.NEGATIVE_INFINITY;
  for (let i = 0; i <= days; i++, date = addDays(date, 1)) {
    for (const time of byDay.get(weekdayOf(date)) ?? []) {
      const slot = resolveLocalTime(date, time, zone);
      if (slot.instant <= now || slot.instant <= previous) continue;
      previous = slot.instant;
      yield slot;
    }
  }
}
