import { z } from 'zod';
import { WEEKDAYS } from '../../core/local-time.js';
import { MAX_STAGGER_MINUTES } from '../../core/time.js';

const time = z.string().max(5).describe('HH:MM, a wall-clock time in the timezone');
const date = z.string().max(10).describe('YYYY-MM-DD');
const common = {
  times: z.array(time).max(24),
  start_date: date,
  end_date: date.optional().describe('Inclusive; without it, as far ahead as the drafts need'),
  skip_taken: z.boolean().optional().describe('Skip a slot where one of the post\'s accounts already has a post in the same minute'),
};

export const Pattern = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('daily'), ...common }),
    z.strictObject({ type: z.literal('weekly'), days: z.array(z.enum(WEEKDAYS)).max(7), ...common }),
  ])
  .meta({ id: 'SchedulePattern' });

export const BulkScheduleBody = z
  .strictObject({
    post_ids: z.array(z.string().max(100)).max(5000).describe('Drafts (or scheduled posts), in the order they take the slots'),
    pattern: Pattern,
    timezone: z.string().max(100).optional().describe("IANA zone of the pattern's times; default: the user's setting"),
    stagger_minutes: z.number().int().optional().meta({ minimum: 0, maximum: MAX_STAGGER_MINUTES }).describe(`Minutes between the networks of each post (replaces each post's own; 0 to ${MAX_STAGGER_MINUTES})`),
  })
  .meta({ id: 'BulkSchedule' });

export const BulkScheduleResult = z
  .object({
    timezone: z.string(),
    assignments: z.array(
      z.object({
        post_id: z.string(),
        scheduled_for: z.string(),
        local_time: z.string().describe('YYYY-MM-DDTHH:mm in the timezone'),
        adjusted: z.boolean().describe('The wall time did not exist (moved forward by the gap) or existed twice (first taken)'),
        reason: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'BulkScheduleResult' });
