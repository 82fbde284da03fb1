import { DateTime } from 'luxon';
import { useMe } from '../api/queries.ts';
import type { Weekday } from '../api/types.ts';

/**
 * Times are stored in UTC and shown in the user's zone: the Settings override when there is
 * one, else the browser's. Every date on screen goes through these helpers.
 */
export const browserZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export function useZone(): string {
  const me = useMe();
  return me.data?.timezone ?? browserZone();
}

/** "Tue, 14 Mar 2027, 15:00" in the user's locale and zone. */
export function formatWhen(iso: string, zone: string): string {
  return DateTime.fromISO(iso, { zone }).toLocaleString({
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

export const formatTime = (iso: string, zone: string) => DateTime.fromISO(iso, { zone }).toLocaleString(DateTime.TIME_SIMPLE);

/** "Europe/Berlin (UTC+1)" at the given moment (offsets change with daylight saving). */
export function zoneLabel(zone: string, atIso?: string): string {
  const at = atIso ? DateTime.fromISO(atIso, { zone }) : DateTime.now().setZone(zone);
  return `${zone.replace(/_/g, ' ')} (UTC${at.toFormat('ZZ')})`;
}

export const uses12HourClock = (): boolean => new Intl.DateTimeFormat(undefined, { hour: 'numeric' }).resolvedOptions().hour12 === true;

export function toLocalInputs(iso: string, zone: string): { date: string; time: string } {
  const dt = DateTime.fromISO(iso, { zone });
  return { date: dt.toFormat('yyyy-MM-dd'), time: dt.toFormat('HH:mm') };
}

/**
 * The instant of a wall-clock date and time in `zone`. A time that does not exist that day
 * (the hour skipped when clocks go forward) moves forward by the gap: `adjusted` then says so.
 */
export function fromLocalInputs(date: string, time: string, zone: string): { iso: string; adjusted: boolean; shown: string } | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !/^\d{2}:\d{2}$/.test(time)) return null;
  const dt = DateTime.fromISO(`${date}T${time}`, { zone });
  if (!dt.isValid) return null;
  const shown = dt.toFormat('HH:mm');
  return { iso: dt.toUTC().toISO()!, adjusted: shown !== time || dt.toFormat('yyyy-MM-dd') !== date, shown };
}

/** A sensible default for the picker: the next full hour at least 30 minutes from now. */
export function nextSlot(zone: string): { date: string; time: string } {
  const dt = DateTime.now().setZone(zone).plus({ minutes: 30 }).startOf('hour').plus({ hours: 1 });
  return { date: dt.toFormat('yyyy-MM-dd'), time: dt.toFormat('HH:mm') };
}

/** The first day of the week in the user's locale, as FullCalendar counts (0 = Sunday). */
export function localeFirstDay(): number {
  try {
    const locale = new Intl.Locale(navigator.language) as Intl.Locale & { getWeekInfo?: () => { firstDay: number }; weekInfo?: { firstDay: number } };
    const info = locale.getWeekInfo?.() ?? locale.weekInfo;
    return info ? info.firstDay % 7 : 0;
  } catch {
    return 0;
  }
}

/** Every IANA zone the browser knows, sorted, with UTC, the browser's and `extra` (a saved one) always in. */
export function allZones(...extra: (string | null | undefined)[]): string[] {
  const zones = new Set(typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : []);
  zones.add('UTC');
  zones.add(browserZone());
  for (const z of extra) if (z) zones.add(z);
  return [...zones].sort();
}

/** "Mon 14 Mar 2027, 09:00" for a wall-clock "YYYY-MM-DDTHH:mm" (as the server reports local times). */
export function formatLocal(localTime: string): string {
  return DateTime.fromISO(localTime, { zone: 'UTC' }).toLocaleString({ weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export const DAY_NAMES: Record<Weekday, string> = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };
