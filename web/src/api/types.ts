/** The REST API's wire format (shared/api.md), as the web app reads it. */
export const POST_STATUSES = ['draft', 'scheduled', 'publishing', 'published', 'partially_failed', 'failed'] as const;
export type PostStatus = (typeof POST_STATUSES)[number];

export type DeliveryStatus = 'pending' | 'publishing' | 'retrying' | 'published' | 'failed' | 'unknown' | 'cancelled';

export interface ErrorInfo {
  code: string;
  message: string;
  permanent: boolean;
  http_status?: number;
  reconnect?: boolean;
  /** Its retries were stopped by a person; Retry sends it again. */
  stopped?: boolean;
}

export interface Attempt {
  attempt: number;
  started_at: string;
  finished_at: string;
  outcome: string;
  error: ErrorInfo | null;
}

export interface Delivery {
  id: string;
  account_id: string;
  platform: string;
  status: DeliveryStatus;
  attempts: number;
  due_at: string;
  next_attempt_at: string | null;
  last_error: ErrorInfo | null;
  post_id: string | null;
  post_url: string | null;
  published_at: string | null;
  /** Cross-link: the delivery (the primary's) whose link this one carries, while it waits for it. */
  waiting_for?: string | null;
  /** Being sent, and stopped meanwhile: this attempt finishes and is not retried. */
  stop_requested?: boolean;
  /** How it went out, when worth saying (e.g. published without the cross-link). */
  detail?: string | null;
  history?: Attempt[];
}

export interface Image {
  url: string;
  alt_text?: string;
}

export interface Post {
  id: string;
  content: string;
  accounts: string[];
  platforms: string[];
  status: PostStatus;
  scheduled_for: string | null;
  media: { images: Image[] };
  segments: { content: string }[];
  deliveries: Delivery[];
  created_at: string;
  updated_at: string;
  published_at: string | null;
}

export interface PostList {
  posts: Post[];
  next_cursor: string | null;
}

export interface Account {
  id: string;
  platform: string;
  platform_user_id: string;
  username: string;
  display_name: string;
  avatar_url: string | null;
  is_active: boolean;
  /** Why it must be reconnected, in words (null while active). */
  inactive_reason?: string | null;
  /** When its credentials expire unless refreshed (null: they do not). */
  token_expires_at?: string | null;
  /** This account's limits (a Mastodon instance sets its own). */
  rules?: AccountRules;
  /** true: an attempt whose outcome is unknown is repeated (the network drops repeats); false: it waits for a person as `unknown`. */
  deduplicates?: boolean;
  connected_at: string;
  last_used_at: string | null;
}

export interface Preset {
  id: string;
  name: string;
  accounts: string[];
  platforms: string[];
  primary_platform: string | null;
  cross_link_enabled: boolean;
  cross_link_template: string | null;
  is_default: boolean;
  is_system: boolean;
}

export interface PlatformRulesWire {
  max_length: number;
  max_images: number;
  supports_segments: boolean;
  counting?: 'graphemes' | 'x-weighted';
  url_length?: number | null;
}

/** An account's rules: how its network counts (X weighs characters, Mastodon counts links as 23). */
export interface AccountRules extends PlatformRulesWire {
  counting: 'graphemes' | 'x-weighted';
  url_length: number | null;
}

export interface Platform {
  name: string;
  rules: PlatformRulesWire;
  /** Whether a lost answer is repeated safely; false: the delivery ends `unknown`. */
  deduplicates: boolean;
  /** How long after an attempt the network still drops its repeat (Mastodon: 3600); null: always. */
  deduplicates_within_seconds: number | null;
}

export interface Me {
  id: string;
  email: string | null;
  timezone: string | null;
  created_at: string;
}

export interface Session {
  setup_required: boolean;
  signed_in: boolean;
  user: { id: string; email: string | null; timezone: string | null } | null;
  expires_at: string | null;
}

export interface ApiKey {
  id: string;
  name: string;
  key_hint: string;
  scopes: string[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** What the composer sends to POST /v1/posts and PUT /v1/posts/:id. */
export interface PostInput {
  content: string;
  accounts?: string[];
  preset_id?: string;
  media: { images: Image[] };
  segments: { content: string }[];
  scheduled_for?: string | null;
}

/** Bulk scheduling and the posting queue (shared/api.md, "Bulk scheduling and queue"). */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface SchedulePattern {
  type: 'daily' | 'weekly';
  times: string[];
  days?: Weekday[];
  start_date: string;
  end_date?: string;
  skip_taken?: boolean;
}

export interface BulkScheduleBody {
  post_ids: string[];
  pattern: SchedulePattern;
  timezone?: string;
  stagger_minutes?: number;
}

export interface Assignment {
  post_id: string;
  scheduled_for: string;
  /** YYYY-MM-DDTHH:mm in the pattern's zone. */
  local_time: string;
  adjusted: boolean;
  reason?: string;
}

export interface BulkScheduleResult {
  timezone: string;
  assignments: Assignment[];
}

export interface QueueSlot {
  day: Weekday;
  time: string;
}

export interface UpcomingSlot {
  scheduled_for: string;
  local_time: string;
  adjusted: boolean;
  reason?: string;
  post_ids: string[];
}

export interface PostingQueue {
  timezone: string;
  slots: QueueSlot[];
  upcoming: UpcomingSlot[];
}

/** POST /v1/imports/csv (docs/csv-import.md). */
export interface ImportProblem {
  line: number;
  field: string;
  message: string;
}

export interface ImportRow {
  line: number;
  post_id?: string;
  scheduled_for: string | null;
  local_time?: string;
  queued: boolean;
  adjusted?: boolean;
  reason?: string;
  accounts: string[];
}

export interface ImportResult {
  dry_run: boolean;
  imported: number;
  errors: ImportProblem[];
  rows: ImportRow[];
}
