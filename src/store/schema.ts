import type { ColumnType, Generated } from 'kysely';

/**
 * Row types, as stored. Times are epoch milliseconds (bigint) in both SQLite and PostgreSQL:
 * one representation, no time-zone conversion anywhere in storage. JSON is stored as text.
 * Booleans are 0/1 integers so both dialects read them alike.
 */
export interface UsersTable {
  id: string;
  email: string | null;
  password_hash: string | null;
  timezone: string | null;
  created_at: number;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  name: string;
  key_hash: string;
  key_hint: string;
  scopes: string; // JSON array, empty = full access
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  token_hash: string; // sha256 of the cookie's token
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  user_agent: string | null;
}

export interface AccountsTable {
  id: string;
  user_id: string;
  platform: string;
  platform_user_id: string;
  username: string;
  display_name: string;
  avatar_url: string | null;
  is_active: number;
  credentials: string; // encrypted JSON
  connected_at: number;
  last_used_at: number | null;
  deleted_at: number | null;
  meta: Generated<string>; // JSON, not secret (instance, limits)
  token_expires_at: number | null;
  refresh_at: number | null;
  refresh_lease_until: number | null;
  inactive_reason: string | null;
}

export interface PresetsTable {
  id: string;
  user_id: string | null; // null: a built-in preset shared by everyone
  name: string;
  accounts: string; // JSON array of account ids
  platforms: string; // JSON array of platform names
  primary_platform: string | null;
  cross_link_enabled: number;
  cross_link_template: string | null;
  is_default: number;
  created_at: number;
  updated_at: number;
}

export interface PostsTable {
  id: string;
  user_id: string;
  content: string;
  media: string; // JSON
  segments: string; // JSON
  platform_options: string; // JSON
  stagger_minutes: number;
  scheduled_for: number | null;
  published_at: number | null;
  created_at: number;
  updated_at: number;
  cross_link: string | null; // JSON {primary_platform, template} copied from the preset
}

export interface OAuthStatesTable {
  state_hash: string;
  user_id: string;
  platform: string;
  remember: string; // encrypted JSON
  return_to: string | null;
  created_at: number;
  expires_at: number;
}

export interface OAuthClientsTable {
  platform: string;
  server: string;
  client: string; // encrypted JSON
  created_at: number;
}

export interface PostAccountsTable {
  post_id: string;
  account_id: string;
  position: number;
}

export interface DeliveriesTable {
  id: string;
  post_id: string;
  account_id: string;
  platform: string;
  status: string;
  due_at: number;
  attempts: number;
  /** Attempts already used when the current retry budget began (a manual retry gives a fresh budget). */
  budget_start: number;
  locked_by: string | null;
  lease_until: number | null;
  last_error: string | null; // JSON
  remote_id: string | null;
  remote_url: string | null;
  published_at: number | null;
  created_at: number;
  updated_at: number;
  /** JSON: what the adapter saved between attempts (a thread's parts already posted). */
  progress: string | null;
  /** The post's primary delivery whose link this one carries (cross-link presets). */
  cross_link_from: string | null;
  /** 1 while waiting for the primary delivery to finish: not claimable. */
  blocked: Generated<number>;
  /** A note on how it went out (e.g. published without the cross-link). */
  detail: string | null;
  /** A Stop pressed during this attempt: it finishes, and is not retried (migration 0009). */
  stop_after_attempt: ColumnType<number | null, number | null | undefined, number | null>;
}

/** Keyed by (delivery_id, attempt). */
export interface DeliveryAttemptsTable {
  /** No longer written (migration 0006); nodes of the version before still write it. */
  id: string | null;
  delivery_id: string;
  attempt: number;
  worker: string;
  started_at: number;
  finished_at: number;
  outcome: string; // published | failed | ambiguous | interrupted
  error: string | null; // JSON
}

export interface AccountQueuesTable {
  account_id: string;
  timezone: string;
  slots: string; // JSON [{day, time}]
  updated_at: number;
}

export interface Database {
  users: UsersTable;
  api_keys: ApiKeysTable;
  sessions: SessionsTable;
  accounts: AccountsTable;
  presets: PresetsTable;
  posts: PostsTable;
  post_accounts: PostAccountsTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
  account_queues: AccountQueuesTable;
  oauth_states: OAuthStatesTable;
  oauth_clients: OAuthClientsTable;
}

export type { Generated };
