import { XRPCError } from '@atproto/api';
import type { PublishError, PublishOutcome } from '../core/retry-policy.js';
import { networkErrorCode, parseRetryAfter, requestNeverSent } from './http-errors.js';

/**
 * How Bluesky's answers map to outcomes. Shapes follow the XRPC spec (atproto.com/specs/xrpc:
 * error bodies `{"error", "message"}`, rate-limit headers `ratelimit-*` with `ratelimit-reset` in
 * epoch seconds) and what the reference PDS answers (AccountTakedown is a 401, an expired access
 * token a 400 ExpiredToken, a revoked refresh token a 400 ExpiredToken "Token has been revoked").
 */

/** The account itself is blocked: no new session helps, the user must act on Bluesky. */
const ACCOUNT_BLOCKED = new Set([
  'AccountTakedown',
  'AccountDeactivated',
  'AccountSuspended',
  'RepoTakendown',
  'RepoDeactivated',
  'RepoSuspended',
]);

/** Thrown by the session layer once every way to get a working session was refused. */
export class BlueskyAuthError extends Error {
  constructor(readonly error: PublishError) {
    super(error.message);
    this.name = 'BlueskyAuthError';
  }
}

export function xrpcName(err: unknown): string | undefined {
  return err instanceof XRPCError ? err.error || undefined : undefined;
}

export function isAccountBlocked(err: unknown): boolean {
  return ACCOUNT_BLOCKED.has(xrpcName(err) ?? '');
}

/** The access token is no longer accepted: a new session may fix it. */
export function isSessionRefused(err: unknown): boolean {
  if (!(err instanceof XRPCError) || isAccountBlocked(err)) return false;
  return err.error === 'ExpiredToken' || err.error === 'InvalidToken' || err.status === 401;
}

/** Whether the answer came from the server (as opposed to a connection that failed). */
export function isServerAnswer(err: unknown): err is XRPCError {
  return err instanceof XRPCError && err.status >= 200;
}

/** Bluesky's own words, briefly, for the user-facing message. */
export function quote(err: unknown): string {
  if (!(err instanceof XRPCError)) return '';
  const text = [err.error, err.message].filter((s) => s && s !== 'Unknown').join(': ').slice(0, 200).trim();
  return text ? ` Bluesky said: "${text}".` : '';
}

export function suspendedError(err: XRPCError): PublishError {
  const what = err.error.includes('Deactivated')
    ? 'the account is deactivated; reactivate it on Bluesky, then retry'
    : 'the account is suspended or taken down by Bluesky; check its status on Bluesky';
  return { code: 'suspended', message: `Bluesky refused because ${what}.${quote(err)}`, permanent: true, httpStatus: err.status };
}

export function reconnectError(err: unknown): PublishError {
  return {
    code: 'unauthorized',
    message: `Bluesky no longer accepts this account's app password (it was revoked or changed). Create a new app password and reconnect the account.${quote(err)}`,
    permanent: true,
    reconnect: true,
    ...(err instanceof XRPCError && { httpStatus: err.status }),
  };
}

/** Milliseconds until the rate-limit window resets (`ratelimit-reset`, epoch seconds), else Retry-After. */
export function retryAfterMs(headers: Record<string, string | undefined> | undefined, now = Date.now()): number | undefined {
  const reset = Number(headers?.['ratelimit-reset']);
  if (Number.isFinite(reset) && reset > 0) return Math.max(1000, reset * 1000 - now);
  return parseRetryAfter(headers?.['retry-after'], now);
}

/** An answer from Bluesky that is not a success: what the delivery records. */
export function classifyAnswer(err: XRPCError): PublishError {
  const status = err.status;
  if (isAccountBlocked(err)) return suspendedError(err);
  if (status === 429) {
    const wait = retryAfterMs(err.headers);
    return {
      code: 'rate_limited',
      message: `Bluesky is rate limiting this account${wait !== undefined ? ` for ${Math.ceil(wait / 1000)} s` : ''}.${quote(err)}`,
      permanent: false,
      httpStatus: status,
      ...(wait !== undefined && { retryAfterMs: wait }),
    };
  }
  if (status >= 500) {
    return { code: 'server_error', message: `Bluesky answered ${status}.${quote(err)}`, permanent: false, httpStatus: status };
  }
  if (isSessionRefused(err)) return reconnectError(err);
  if (status === 413 || err.error === 'BlobTooLarge') {
    return { code: 'media_too_large', message: `Bluesky refused an image as too large. Use a smaller image, then retry.${quote(err)}`, permanent: true, httpStatus: status };
  }
  return {
    code: 'rejected',
    message: `Bluesky refused the post (${status}${err.error ? ` ${err.error}` : ''}); it will not be retried. Fix the post, then retry.${quote(err)}`,
    permanent: true,
    httpStatus: status,
  };
}

/**
 * Any failure of one step. `sending` is true only for the request that creates a post: a
 * connection lost there may have created it (ambiguous); anywhere else nothing was posted.
 * Every Bluesky call goes through the XRPC client, which wraps network failures and aborts in
 * XRPCError; anything else (a failed saveProgress, a bug) is not Bluesky's answer and is rethrown.
 */
export function classifyFailure(err: unknown, sending: boolean, signal: AbortSignal, host: string): PublishOutcome {
  if (err instanceof BlueskyAuthError) return { kind: 'failed', error: err.error };
  if (!(err instanceof XRPCError)) throw err;
  if (isServerAnswer(err)) return { kind: 'failed', error: classifyAnswer(err) };
  const code = networkErrorCode(err) ?? (err as Error)?.name ?? 'network_error';
  if (requestNeverSent(err) || (!sending && !signal.aborted)) {
    return { kind: 'failed', error: { code: 'unreachable', message: `Could not reach Bluesky at ${host} (${code}).`, permanent: false } };
  }
  if (signal.aborted) {
    if (!sending) {
      return { kind: 'failed', error: { code: 'timeout', message: `Bluesky at ${host} did not answer in time.`, permanent: false } };
    }
    return {
      kind: 'ambiguous',
      error: { code: 'timeout', message: 'Bluesky did not answer in time; the post may have been published. The next attempt looks it up first, so it is not posted twice.', permanent: false },
    };
  }
  return {
    kind: 'ambiguous',
    error: {
      code: 'network_error',
      message: `The connection to Bluesky broke after the post was sent (${code}); it may have been published. The next attempt looks it up first, so it is not posted twice.`,
      permanent: false,
    },
  };
}
