import { type FormData, request } from 'undici';
import type { PublishError, PublishOutcome } from '../core/retry-policy.js';
import { networkErrorCode, parseRetryAfter, requestNeverSent } from './http-errors.js';

/*
 * HTTP to the X API v2 and the reading of its answers.
 *
 * Why plain undici and not `twitter-api-v2` (1.29.1, installed): its request maker sends every
 * request through node:https with hard-coded https://api.x.com / x.com URLs (a local base URL
 * needs an onBeforeRequestConfig plugin rewriting each URL plus an http.Agent smuggled in as
 * `httpAgent`), it takes no AbortSignal (only a socket timeout, so OCTOPOST_PUBLISH_TIMEOUT could
 * not cancel a request), its authorize link says `code_challenge_method=s256` and its token
 * request body is JSON (its form detection tests `url.password`), and its uploadMedia always
 * takes the chunked route (3+ requests for an image the one-shot upload sends in one).
 */

export type XHeaders = Record<string, string | string[] | undefined>;

export interface XAnswer {
  status: number;
  headers: XHeaders;
  text: string;
  /** The parsed body, or null when it is not JSON. */
  json: any;
}

export interface XCall {
  method: 'GET' | 'POST';
  /** A user access token (Bearer). */
  token?: string;
  /** HTTP Basic credentials of a confidential client (token endpoint). */
  basic?: { user: string; password: string };
  json?: unknown;
  form?: FormData;
  urlencoded?: URLSearchParams;
  signal: AbortSignal;
}

/** One request; a failed connection throws (what it means depends on whether it creates a post). */
export async function xRequest(url: string, call: XCall): Promise<XAnswer> {
  const headers: Record<string, string> = { 'user-agent': 'Octopost/1', accept: 'application/json' };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  if (call.basic) {
    // RFC 6749 §2.3.1: both parts form-encoded before base64 (X's "Working with confidential clients").
    const pair = `${encodeURIComponent(call.basic.user)}:${encodeURIComponent(call.basic.password)}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  }
  let body: string | FormData | undefined;
  if (call.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(call.json);
  } else if (call.urlencoded) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = call.urlencoded.toString();
  } else if (call.form) {
    body = call.form; // undici sets multipart/form-data with its boundary
  }
  const response = await request(url, { method: call.method, headers, body: body ?? null, signal: call.signal });
  const text = await response.body.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: response.statusCode, headers: response.headers as XHeaders, text, json };
}

/** X's own words about a refusal: a problem's detail/title, an errors[] message, or an OAuth error. */
export function xSaid(answer: XAnswer): string {
  const j = answer.json ?? {};
  const firstError = Array.isArray(j.errors) ? j.errors[0] : undefined;
  const texts = (list: unknown[]) => list.filter((p, i): p is string => typeof p === 'string' && p.length > 0 && list.indexOf(p) === i);
  // The specific words first; a bare title ("Forbidden") only when there is nothing else.
  const specific = texts([j.detail, firstError?.message, j.error_description]);
  const parts = specific.length > 0 ? specific.slice(0, 2) : texts([j.title, j.error]);
  const said = (parts.join(' ') || answer.text).replace(/\s+/g, ' ').trim();
  return said.length > 200 ? `${said.slice(0, 197)}...` : said;
}

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** Milliseconds until an epoch-seconds reset header, at least one second (clocks differ). */
function untilReset(value: string | string[] | undefined, now: number): number | undefined {
  const text = first(value);
  if (!text || !/^\d+$/.test(text.trim())) return undefined;
  return Math.max(1000, Number(text.trim()) * 1000 - now);
}

/**
 * When to try again after a 429 (X API v2 "Rate limits"): x-rate-limit-reset is the 15-minute
 * window's end in epoch seconds; POST /2/tweets also has a 24-hour user limit, whose own
 * x-user-limit-24hour-reset applies when x-user-limit-24hour-remaining is 0.
 */
export function retryAfterMs(headers: XHeaders, now = Date.now()): { ms: number | undefined; daily: boolean } {
  if (first(headers['x-user-limit-24hour-remaining']) === '0') {
    const daily = untilReset(headers['x-user-limit-24hour-reset'], now);
    if (daily !== undefined) return { ms: daily, daily: true };
  }
  return { ms: untilReset(headers['x-rate-limit-reset'], now) ?? parseRetryAfter(headers['retry-after'], now), daily: false };
}

/**
 * X API v2 "Response codes and errors": the answer of a refused request, as a PublishError.
 * `what` names the step for the user ("the post", "the image 2").
 */
export function classifyXAnswer(answer: XAnswer, what: string): PublishError {
  const status = answer.status;
  const said = xSaid(answer);
  const quoted = said ? ` X said: "${said}".` : '';
  const j = answer.json ?? {};
  const type = typeof j.type === 'string' ? j.type : '';
  if (status === 429) {
    const wait = retryAfterMs(answer.headers);
    const hours = wait.ms !== undefined ? ` in about ${Math.max(1, Math.round(wait.ms / 3_600_000))} h` : ' within 24 h';
    const mins = wait.ms !== undefined ? `, for ${Math.ceil(wait.ms / 60_000)} min` : '';
    return {
      code: 'rate_limited',
      message: wait.daily
        ? `This account reached X's 24-hour posting limit; it resets${hours}.`
        : `X is rate limiting this account (429)${mins}.`,
      permanent: false,
      httpStatus: status,
      ...(wait.ms !== undefined && { retryAfterMs: wait.ms }),
    };
  }
  if (status >= 500 || status === 408) {
    return { code: 'server_error', message: `X answered ${status} while sending ${what}.${quoted}`, permanent: false, httpStatus: status };
  }
  if (status === 401) {
    return {
      code: 'unauthorized',
      message: `X refused the account's access token (401): it was revoked or has expired. Reconnect the X account.${quoted}`,
      permanent: true,
      reconnect: true,
      httpStatus: status,
    };
  }
  if (status === 403 && /duplicate content/i.test(said)) {
    return { code: 'duplicate_content', message: `X refused ${what} as a duplicate of a recent post. Change the text, then retry.${quoted}`, permanent: true, httpStatus: status };
  }
  if (status === 403 && (/user-suspended/.test(type) || /suspended/i.test(said))) {
    return { code: 'suspended', message: `X says this account is suspended, so nothing can be posted until X lifts it.${quoted}`, permanent: true, httpStatus: status };
  }
  if (status === 403) {
    return { code: 'forbidden', message: `X refused ${what} (403); it will not be retried.${quoted}`, permanent: true, httpStatus: status };
  }
  return { code: 'rejected', message: `X refused ${what} (${status}); fix it, then retry.${quoted}`, permanent: true, httpStatus: status };
}

/**
 * A request that got no complete answer. `creates`: whether it was the one that creates a tweet.
 * Only then is the outcome unknown: an upload that may have arrived leaves at most an unused
 * media id behind, so repeating it is harmless.
 */
export function networkFailure(err: unknown, signal: AbortSignal, creates: boolean, what: string): PublishOutcome {
  const code = networkErrorCode(err) ?? (err as Error)?.name ?? 'network_error';
  if (requestNeverSent(err)) {
    return { kind: 'failed', error: { code: 'unreachable', message: `Could not connect to X (${code}) to send ${what}; nothing was posted.`, permanent: false } };
  }
  if (!creates) {
    const timeout = signal.aborted;
    return {
      kind: 'failed',
      error: {
        code: timeout ? 'timeout' : 'network_error',
        message: timeout
          ? `X did not answer in time while sending ${what}; nothing was posted.`
          : `The connection to X failed while sending ${what} (${code}); nothing was posted.`,
        permanent: false,
      },
    };
  }
  // X takes no idempotency key: repeating could post twice, so a person checks the account.
  const check = 'Check the X account: if it is not there, publish the post again.';
  return signal.aborted
    ? { kind: 'ambiguous', error: { code: 'timeout', message: `X did not answer in time; ${what} may have been published. ${check}`, permanent: false } }
    : { kind: 'ambiguous', error: { code: 'network_error', message: `The connection to X broke before its answer (${code}); ${what} may have been published. ${check}`, permanent: false } };
}
