import type { EventInput } from '@fullcalendar/core';
import { DateTime } from 'luxon';
import type { Post, PostStatus } from '../api/types.ts';

/** Posts as calendar events: at their time (scheduled, else published), marked by status in words and colour. */
const PREFIX: Partial<Record<PostStatus, string>> = {
  published: '✓ ',
  publishing: '↻ Publishing: ',
  partially_failed: '! Partly failed: ',
  failed: '✕ Failed: ',
};

export const MORE_PREFIX = 'more:';

export const excerpt = (text: string, max = 80) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

const timeOf = (post: Post) => post.scheduled_for ?? post.published_at;

function toEvent(post: Post, start: string): EventInput {
  return {
    id: post.id,
    start,
    allDay: false,
    title: `${PREFIX[post.status] ?? ''}${excerpt(post.content)}`,
    classNames: ['ev', `ev-${post.status}`],
    // Only a post still waiting for its time can move.
    startEditable: post.status === 'scheduled',
    durationEditable: false,
  };
}

/**
 * With `perDay`, a day with more posts shows its first ones and a "+N more" entry that opens the
 * day: a busy month (hundreds of posts) stays readable and renders fast, since FullCalendar
 * measures every event it is given.
 */
export function toEvents(posts: Post[], options: { zone: string; perDay?: number }): EventInput[] {
  // Drafts live in the side panel (a draft can keep an old time when its accounts were all disconnected).
  const timed = posts
    .filter((p) => p.status !== 'draft' && timeOf(p))
    .sort((a, b) => timeOf(a)!.localeCompare(timeOf(b)!));
  const perDay = options.perDay ?? Infinity;
  if (!Number.isFinite(perDay)) return timed.map((p) => toEvent(p, timeOf(p)!));
  const byDay = new Map<string, Post[]>();
  for (const p of timed) {
    const day = DateTime.fromISO(timeOf(p)!, { zone: options.zone }).toISODate()!;
    const list = byDay.get(day) ?? [];
    list.push(p);
    byDay.set(day, list);
  }
  return [...byDay].flatMap(([day, list]) => {
    if (list.length <= perDay + 1) return list.map((p) => toEvent(p, timeOf(p)!));
    const shown = list.slice(0, perDay).map((p) => toEvent(p, timeOf(p)!));
    const hidden = list.length - perDay;
    return [
      ...shown,
      {
        id: `${MORE_PREFIX}${day}`,
        // Last in the day, and ending in it (a default duration would spill into the next day).
        start: DateTime.fromISO(day, { zone: options.zone }).set({ hour: 23, minute: 58 }).toISO()!,
        end: DateTime.fromISO(day, { zone: options.zone }).set({ hour: 23, minute: 59 }).toISO()!,
        allDay: false,
        title: `+${hidden} more`,
        classNames: ['ev-more'],
        startEditable: false,
        durationEditable: false,
      },
    ];
  });
}
