import type { z } from 'zod';
import type { PlatformRules } from '../core/content-rules.js';
import type { PublishOutcome } from '../core/retry-policy.js';

/** What publishing needs to know about one delivery. */
export interface PublishRequest {
  deliveryId: string;
  postId: string;
  content: string;
  media: { images: { url: string; alt_text?: string }[] };
  segments: { content: string }[];
  scheduledFor: string | null;
  credentials: Record<string, unknown>;
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
}

export interface ConnectContext {
  blockPrivateUrls: boolean;
}

/**
 * One network. Every adapter runs the shared conformance suite (test/platforms/).
 * Adapters decide temporary vs permanent from their network's documented answers; the scheduler
 * never guesses.
 */
export interface PlatformAdapter<Input = unknown> {
  readonly name: string;
  readonly rules: PlatformRules;
  /**
   * True when repeating an attempt whose outcome is unknown cannot create a second post (an
   * idempotency key the network honours, a client-chosen record key, or a look-up). When false,
   * an ambiguous attempt makes the delivery `unknown` and a person decides.
   */
  readonly deduplicates: boolean;
  /** Body of `POST /v1/accounts` for this platform (besides `platform`). */
  readonly connectSchema: z.ZodType<Input>;
  connect(input: Input, ctx: ConnectContext): Promise<ConnectedAccount>;
  publish(request: PublishRequest): Promise<PublishOutcome>;
}
