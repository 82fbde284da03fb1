import { z } from 'zod';
import { DELIVERY_STATUSES, POST_STATUSES } from '../../core/statuses.js';
import { MAX_STAGGER_MINUTES } from '../../core/time.js';
import { IsoTime, Media, Segment } from './common.schemas.js';

const ErrorInfo = z.object({
  code: z.string(),
  message: z.string(),
  permanent: z.boolean(),
  http_status: z.number().optional(),
  reconnect: z.boolean().optional(),
  stopped: z.boolean().optional().describe('Its retries were stopped by a person (POST /v1/posts/:id/stop); Retry sends it again'),
});

export const DeliveryWire = z
  .object({
    id: z.string(),
    account_id: z.string(),
    platform: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    due_at: IsoTime,
    next_attempt_at: IsoTime.nullable().describe('When the next attempt is due (pending or retrying), else null'),
    last_error: ErrorInfo.nullable(),
    post_id: z.string().nullable().describe("The platform's id for the published post"),
    post_url: z.string().nullable(),
    published_at: IsoTime.nullable(),
    waiting_for: z.string().nullable().describe('Cross-link: the delivery whose link this one carries, while it waits for it to finish'),
    stop_requested: z
      .boolean()
      .describe('Being sent, and stopped by a person (POST /v1/posts/{id}/stop) meanwhile: this attempt finishes and is not retried'),
    detail: z.string().nullable().describe('How it went out, when worth saying (e.g. published without the cross-link because the primary failed)'),
    history: z
      .array(
        z.object({
          attempt: z.number().int(),
          started_at: IsoTime,
          finished_at: IsoTime,
          outcome: z.string().describe('published | failed | ambiguous | interrupted | skipped'),
          error: ErrorInfo.nullable(),
        }),
      )
      .optional()
      .describe('Every attempt, oldest first (only on GET /v1/posts/{id})'),
  })
  .meta({ id: 'Delivery' });

export const PostWire = z
  .object({
    id: z.string(),
    content: z.string(),
    accounts: z.array(z.string()),
    platforms: z.array(z.string()),
    status: z.enum(POST_STATUSES),
    scheduled_for: IsoTime.nullable(),
    media: z.object({ images: z.array(z.object({ url: z.string(), alt_text: z.string().optional() })) }),
    segments: z.array(z.object({ content: z.string() })),
    platform_options: z.record(z.string(), z.unknown()),
    stagger_minutes: z.number().int(),
    platform_results: z.record(
      z.string(),
      z.object({
        success: z.boolean(),
        post_id: z.string().nullable().optional(),
        post_url: z.string().nullable().optional(),
        error: z.string().optional(),
      }),
    ),
    deliveries: z.array(DeliveryWire),
    created_at: IsoTime,
    updated_at: IsoTime.describe(
      'When the post itself last changed (content, media, accounts, time: creating, editing, scheduling, unscheduling). Publishing does not change it: see `status`, `published_at` and each delivery.',
    ),
    published_at: IsoTime.nullable().describe('When the first of its deliveries was published'),
  })
  .meta({ id: 'Post' });

const targets = {
  accounts: z.array(z.string().max(100)).max(50).optional().describe('Account ids'),
  platforms: z.array(z.string().max(50)).max(50).optional().describe('Platform names, each resolving to your one active account of it'),
  preset_id: z.string().max(100).optional(),
};

const editable = {
  content: z.string().max(200_000),
  scheduled_for: IsoTime.nullable().optional().describe('A future moment; makes the post scheduled'),
  media: Media.optional(),
  segments: z.array(Segment).max(100).optional().describe('Replies that follow the post (a thread)'),
  thread: z.array(Segment).max(100).optional().describe('Alias of segments'),
  platform_options: z.record(z.string(), z.unknown()).optional(),
  stagger_minutes: z.number().int().optional().meta({ minimum: 0, maximum: MAX_STAGGER_MINUTES }).describe(`Minutes between the networks of one post (0 to ${MAX_STAGGER_MINUTES})`),
};

export const CreatePostBody = z.strictObject({ ...editable, ...targets }).meta({ id: 'CreatePost' });
export const UpdatePostBody = z.strictObject({ ...editable, content: editable.content.optional(), ...targets }).meta({ id: 'UpdatePost' });

export const ScheduleBody = z.strictObject({ scheduled_for: IsoTime });
export const RetryBody = z.strictObject({ accounts: z.array(z.string().max(100)).max(50).optional() });

const statusList = z
  .union([z.enum(POST_STATUSES), z.array(z.enum(POST_STATUSES))])
  .transform((v) => (Array.isArray(v) ? v : [v]));

export const ListPostsQuery = z.strictObject({
  status: statusList.optional().describe('Repeatable: status=scheduled&status=draft'),
  account: z.string().max(100).optional(),
  from: IsoTime.optional().describe("Inclusive; over the post's time (scheduled_for, else published_at)"),
  to: IsoTime.optional().describe('Exclusive'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});

export const PostList = z.object({ posts: z.array(PostWire), next_cursor: z.string().nullable() }).meta({ id: 'PostList' });
