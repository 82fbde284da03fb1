import { ApiError, errorMessage } from '../api/client.ts';

/**
 * Server errors name the field at fault (`details.field`, like "pattern.end_date" or
 * "slots[2].time"): the forms show each next to its field, in plain words.
 */
const WORDS: [RegExp, string][] = [
  [/\bend_date\b/g, 'the end date'],
  [/\bstart_date\b/g, 'the start date'],
  [/\bstagger_minutes\b/g, 'the spacing between networks'],
  [/\bpost_ids\b/g, 'the drafts'],
  [/\bscheduled_at\b/g, 'the time'],
];

/** "end_date is before start_date." → "The end date is before the start date." */
export function plainWords(message: string): string {
  const text = WORDS.reduce((t, [re, words]) => t.replace(re, words), message);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function errorField(err: unknown): string | null {
  if (!(err instanceof ApiError)) return null;
  const field = err.details.field;
  return typeof field === 'string' ? field : null;
}

/**
 * Which of the form's fields the error belongs to: the first key of `fields` whose prefixes
 * match details.field (a prefix matches itself, "x.y" and "x[3]"), else null (a general error).
 */
export function fieldOf<K extends string>(err: unknown, fields: Record<K, string[]>): K | null {
  const field = errorField(err);
  if (field === null) return null;
  for (const [key, prefixes] of Object.entries(fields) as [K, string[]][]) {
    if (prefixes.some((p) => field === p || field.startsWith(`${p}.`) || field.startsWith(`${p}[`))) return key;
  }
  return null;
}

export const plainError = (err: unknown): string => plainWords(errorMessage(err));
