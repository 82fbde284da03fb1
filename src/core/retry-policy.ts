/**
 * The retry policy, in one place. scheduling.md: up to 3 retries after 1, 5 and 15 minutes
 * (OCTOPOST_RETRY_DELAYS changes them; the count of delays is the retry limit). A platform's
 * Retry-After is a minimum: the retry waits the longer of it and the policy's delay.
 */
export const DEFAULT_RETRY_DELAYS_MS = [60_000, 300_000, 900_000];

/**
 * The longest wait a platform's Retry-After may impose: a day, as X's daily limits. The header's
 * value comes from whoever answers (a webhook receiver is anyone's server): left unbounded, a
 * number meant as milliseconds kept a post waiting for weeks, beyond ~8.6e15 ms it broke every
 * page listing the post, and beyond the 64-bit range it failed the whole batch of outcomes
 * written with it.
 */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60_000;

export type PublishOutcome =
  | { kind: 'published'; postId: string | null; postUrl: string | null }
  /** Refused, and the request certainly did not create anything. */
  | { kind: 'failed'; error: PublishError }
  /** May or may not have reached the platform (timeout after sending, connection reset mid-answer). */
  | { kind: 'ambiguous'; error: PublishError };

export interface PublishError {
  code: string;
  message: string;
  permanent: boolean;
  /** The account's credentials were refused: mark it inactive and tell the user to reconnect. */
  reconnect?: boolean;
  /** Milliseconds the platform asked us to wait (Retry-After, rate-limit reset headers). */
  retryAfterMs?: number;
  httpStatus?: number;
}

export type NextStep =
  | { next: 'published' }
  | { next: 'retry'; delayMs: number }
  | { next: 'failed' }
  | { next: 'unknown' };

/**
 * Decides what follows an attempt. `attempts` counts attempts made so far, this one included
 * (the first publish is attempt 1; retry n is attempt n + 1).
 * An ambiguous outcome is only repeated when the platform makes a repeat safe; otherwise the
 * delivery becomes `unknown` and a person decides (never a blind double post).
 */
export function decideNextStep(
  outcome: PublishOutcome,
  attempts: number,
  retryDelaysMs: readonly number[],
  platformDeduplicates: boolean,
): NextStep {
  if (outcome.kind === 'published') return { next: 'published' };
  if (outcome.kind === 'ambiguous' && !platformDeduplicates) return { next: 'unknown' };
  if (outcome.error.permanent) return { next: 'failed' };
  const retryIndex = attempts - 1;
  const policyDelay = retryDelaysMs[retryIndex];
  if (policyDelay === undefined) return { next: 'failed' };
  const asked = Math.min(MAX_RETRY_AFTER_MS, Math.ceil(outcome.error.retryAfterMs ?? 0));
  return { next: 'retry', delayMs: Math.max(policyDelay, Number.isFinite(asked) ? asked : 0) };
}
