import type { z } from 'zod';
import type { PlatformRules } from '../core/content-rules.js';
import type { PublishOutcome } from '../core/retry-policy.js';

/** Non-secret facts about a connected account that its adapter keeps (instance URL, limits...). */
export type AccountMeta = Record<string, unknown>;

/** What publishing needs to know about one delivery. */
export interface PublishRequest {
  deliveryId: string;
  postId: string;
  /** 1 for the first attempt; higher on retries (an adapter that can look a post up does so when > 1). */
  attempt: number;
  content: string;
  media: { images: { url: string; alt_text?: string }[] };
  segments: { content: string }[];
  scheduledFor: string | null;
  credentials: Record<string, unknown>;
  account: { platformUserId: string; username: string; meta: AccountMeta };
  /**
   * What an earlier attempt of this delivery saved with `saveProgress` (null on the first attempt):
   * a thread whose first parts went out resumes after them instead of posting them again.
   */
  progress: Record<string, unknown> | null;
  /** Stores progress at once (one row update), so a crash right after keeps it. */
  saveProgress(progress: Record<string, unknown>): Promise<void>;
  /** Stores credentials the adapter renewed while publishing (a refreshed session). */
  saveCredentials(credentials: Record<string, unknown>, expiresAt: number | null): Promise<void>;
  /** Aborts when the attempt's time limit (OCTOPOST_PUBLISH_TIMEOUT) runs out. */
  signal: AbortSignal;
}

/** An account as a platform describes it after a successful connect. */
export interface ConnectedAccount {
  platformUserId: string;
  username: string;
  displayName: string;
  avatarUrl: string | null;
  credentials: Record<string, unknown>;
  meta?: AccountMeta;
  /** When the credentials stop working unless refreshed (epoch ms); null or absent: they do not expire. */
  expiresAt?: number | null;
}

export interface ConnectContext {
  blockPrivateUrls: boolean;
  signal?: AbortSignal;
}

/** Client registrations an OAuth flow keeps per server (Mastodon registers one app per instance). */
export interface OAuthClientStore {
  get(server: string): Promise<Record<string, unknown> | undefined>;
  put(server: string, client: Record<string, unknown>): Promise<void>;
}

export interface OAuthStartContext extends ConnectContext {
  /** Where the network sends the browser back: `<public url>/v1/accounts/connect/<platform>/callback`. */
  redirectUri: string;
  /** The random `state` to put in the authorize URL (checked on the way back). */
  state: string;
  clients: OAuthClientStore;
}

export interface OAuthFinishContext extends ConnectContext {
  redirectUri: string;
  clients: OAuthClientStore;
}

/**
 * A browser flow: `start` gives the network's authorize URL and what to remember until the
 * callback (a PKCE verifier, the instance); `finish` exchanges the code for an account.
 */
export interface OAuthFlow<StartInput = Record<string, never>> {
  /** Query parameters of `GET /v1/accounts/connect/:platform` besides none (Mastodon: `instance`). */
  readonly startSchema: z.ZodType<StartInput>;
  /** Whether the server is configured for it (client id and secret set); false: 422 explaining what to set. */
  configured(): boolean | string;
  start(input: StartInput, ctx: OAuthStartContext): Promise<{ authorizeUrl: string; remember: Record<string, unknown> }>;
  finish(code: string, remembered: Record<string, unknown>, ctx: OAuthFinishContext): Promise<ConnectedAccount>;
}

/** New credentials from a refresh. */
export interface Refreshed {
  credentials: Record<string, unknown>;
  expiresAt: number | null;
}

/**
 * A refresh that failed. `permanent`: the network refused it (revoked, expired refresh token):
 * the account becomes inactive and the user must reconnect. Otherwise it is tried again later.
 */
export class RefreshError extends Error {
  constructor(message: string, readonly permanent: boolean) {
    super(message);
    this.name = 'RefreshError';
  }
}

/**
 * One network. Every adapter runs the shared conformance suite (test/platforms/conformance.ts).
 * Adapters decide temporary vs permanent from their network's documented answers; the scheduler
 * never guesses.
 */
export interface PlatformAdapter<Input = unknown> {
  readonly name: string;
  /** Limits without knowing the account (shown by GET /v1/platforms). */
  readonly rules: PlatformRules;
  /** Limits of one account when they depend on it (a Mastodon instance's own limit). */
  rulesFor?(meta: AccountMeta): PlatformRules;
  /**
   * True when repeating an attempt whose outcome is unknown cannot create a second post (an
   * idempotency key the network honours, a client-chosen record key, or a look-up). When false,
   * an ambiguous attempt makes the delivery `unknown` and a person decides.
   */
  readonly deduplicates: boolean;
  /** The same for one account, when it depends on the account (a webhook's receiver may not drop repeats). */
  deduplicatesFor?(meta: AccountMeta): boolean;
  /**
   * How long after an attempt the network still drops its repeat (Mastodon keeps an
   * Idempotency-Key for an hour); absent: for as long as the delivery lives (a record key). Past
   * it, a delivery that may have gone out becomes `unknown` (scheduler/repeat-window.ts).
   */
  readonly repeatWindowMs?: number;
  /** Body of `POST /v1/accounts` for this platform (besides `platform`); absent: browser (OAuth) only. */
  readonly connectSchema?: z.ZodType<Input>;
  connect?(input: Input, ctx: ConnectContext): Promise<ConnectedAccount>;
  readonly oauth?: OAuthFlow<any>;
  publish(request: PublishRequest): Promise<PublishOutcome>;
  /** Renews credentials before `expiresAt`; throws RefreshError. */
  refresh?(credentials: Record<string, unknown>, meta: AccountMeta, signal: AbortSignal): Promise<Refreshed>;
  /** How long before expiry to refresh (default one day). */
  readonly refreshAheadMs?: number;
}

export function rulesOf(adapter: PlatformAdapter<any>, meta: AccountMeta): PlatformRules {
  return adapter.rulesFor ? adapter.rulesFor(meta) : adapter.rules;
}

/**
 * Whether an attempt of this account whose outcome is unknown may be repeated (see `deduplicates`).
 * Without its adapter (a platform this server no longer has) nothing says a repeat is safe.
 */
export function deduplicatesOf(adapter: PlatformAdapter<any> | undefined, meta: AccountMeta): boolean {
  if (!adapter) return false;
  return adapter.deduplicatesFor ? adapter.deduplicatesFor(meta) : adapter.deduplicates;
}
