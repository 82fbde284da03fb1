import { request } from 'undici';
import type { FormData } from 'undici';
import { DomainError, validationFailed } from '../core/errors.js';
import type { PublishError } from '../core/retry-policy.js';
import { networkErrorCode, parseRetryAfter } from './http-errors.js';
import type { AccountMeta, ConnectedAccount } from './platform.js';

/**
 * Plain HTTP to a Mastodon instance and the reading of its answers: the error table (Mastodon
 * docs, "Rate limits", the methods' documented errors and app/controllers/api/base_controller.rb)
 * and the account/instance reads shared by connect-by-token and the OAuth flow.
 */

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

export interface CallOptions {
  method?: 'GET' | 'POST';
  token?: string;
  json?: unknown;
  form?: Record<string, string>;
  multipart?: FormData;
  headers?: Record<string, string>;
  signal: AbortSignal;
}

const USER_AGENT = 'Octopost/1';

/** One request; network failures throw (the caller knows whether the request may have been received). */
export async function call(instance: string, path: string, opts: CallOptions): Promise<Answer> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: 'application/json', ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | FormData | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  } else if (opts.multipart) {
    body = opts.multipart; // undici writes the multipart boundary header itself
  }
  const response = await request(`${instance}${path}`, {
    method: opts.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
    signal: opts.signal,
  });
  const text = await response.body.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null; // proxies and maintenance pages answer HTML
  }
  return { status: response.statusCode, headers: response.headers, text, json };
}

/** Mastodon's own error text: `{"error": "..."}` (OAuth endpoints add `error_description`). */
export function errorText(answer: Answer): string {
  const j = answer.json;
  if (j && typeof j === 'object') {
    if (typeof j.error_description === 'string') return j.error_description;
    if (typeof j.error === 'string') return j.error;
  }
  return answer.text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 160);
}

function quoted(answer: Answer): string {
  const text = errorText(answer);
  return text ? ` Mastodon said: "${text.slice(0, 300)}".` : '';
}

/**
 * When the limit resets. Mastodon sends X-RateLimit-Reset as an ISO 8601 time (docs, "Rate limits");
 * a proxy in front may send Retry-After instead. At least a second: a 429 always means "wait".
 */
export function rateLimitWaitMs(headers: Answer['headers'], now = Date.now()): number | undefined {
  const retryAfter = parseRetryAfter(headers['retry-after'], now);
  const resetHeader = headers['x-ratelimit-reset'];
  const reset = Date.parse(Array.isArray(resetHeader) ? resetHeader[0] ?? '' : resetHeader ?? '');
  const fromReset = Number.isNaN(reset) ? undefined : reset - now;
  const wait = Math.max(retryAfter ?? 0, fromReset ?? 0);
  return retryAfter === undefined && fromReset === undefined ? undefined : Math.max(1000, wait);
}

/** Mastodon refuses a status whose media is still processing with a 422 that only needs time. */
const NOT_PROCESSED = /not finished processing/i;
/** 403 texts of base_controller.rb#require_user! and NotPermittedError: the account itself is blocked. */
const ACCOUNT_BLOCKED = /login is currently disabled|pending approval|confirmed e-mail|suspended|not allowed/i;

/** Classifies a non-2xx answer to a publishing request (upload, media poll or status). */
export function classifyAnswer(answer: Answer, host: string): PublishError {
  const status = answer.status;
  const said = quoted(answer);
  const text = errorText(answer);
  const base = { httpStatus: status };
  if (status === 429) {
    const retryAfterMs = rateLimitWaitMs(answer.headers);
    const wait = retryAfterMs !== undefined ? `; the limit resets in ${Math.ceil(retryAfterMs / 1000)} s` : '';
    return { ...base, code: 'rate_limited', message: `${host} is rate limiting this account${wait}.`, permanent: false, ...(retryAfterMs !== undefined && { retryAfterMs }) };
  }
  if (status === 401) {
    return { ...base, code: 'token_revoked', message: `${host} no longer accepts Octopost's access token.${said} Reconnect the account.`, permanent: true, reconnect: true };
  }
  if (status === 403 && /outside the authorized scopes/i.test(text)) {
    return { ...base, code: 'missing_scope', message: `The access token lacks a permission Octopost needs (write:statuses, write:media).${said} Reconnect the account.`, permanent: true, reconnect: true };
  }
  if (status === 403) {
    const blocked = ACCOUNT_BLOCKED.test(text);
    return { ...base, code: blocked ? 'account_suspended' : 'forbidden', message: `${host} refused the post (403): the account may be disabled, suspended or limited.${said} Check the account on ${host}.`, permanent: true };
  }
  if (status === 422 && NOT_PROCESSED.test(text)) {
    return { ...base, code: 'media_processing', message: `${host} is still processing an image.${said}`, permanent: false };
  }
  if (status === 422 && /duplicate/i.test(text)) {
    return { ...base, code: 'duplicate', message: `${host} refused the post as a duplicate.${said} Change the content, then retry.`, permanent: true };
  }
  if (status === 422) {
    return { ...base, code: 'invalid_content', message: `${host} refused the post.${said} Fix the content, then retry.`, permanent: true };
  }
  if (status === 404) {
    return { ...base, code: 'not_found', message: `${host} answered 404 (not found): the instance, the account or the post replied to may be gone.${said}`, permanent: true };
  }
  if (status === 408 || status >= 500) {
    return { ...base, code: 'server_error', message: `${host} had a problem (${status}).${said}`, permanent: false };
  }
  if (status >= 300 && status < 400) {
    return { ...base, code: 'redirected', message: `${host} answered ${status} (a redirect, not followed): the instance may have moved. Reconnect the account with its new address.`, permanent: true };
  }
  return { ...base, code: 'rejected', message: `${host} refused the request (${status}).${said}`, permanent: true };
}

/** A network failure (no HTTP answer) described for the user. */
export function networkError(err: unknown, host: string, signal: AbortSignal, maybeReceived: boolean): PublishError {
  if (signal.aborted) {
    return {
      code: 'timeout',
      message: maybeReceived
        ? `${host} did not answer in time; the post may have been created.`
        : `${host} did not answer in time.`,
      permanent: false,
    };
  }
  const code = networkErrorCode(err) ?? (err as Error)?.name ?? 'network_error';
  return {
    code: 'network_error',
    message: maybeReceived
      ? `The connection to ${host} failed mid-request (${code}); the post may have been created.`
      : `Could not reach ${host} (${code}).`,
    permanent: false,
  };
}

/** Connect-time failure of a read (profile, token exchange) as the API reports it. */
export function connectFailure(field: string, instance: string, failure: Answer | unknown): DomainError {
  const host = new URL(instance).host;
  if (!failure || typeof failure !== 'object' || !('status' in failure)) {
    const code = networkErrorCode(failure) ?? (failure as Error)?.name ?? 'network error';
    return validationFailed('instance', `Could not reach ${host} (${code}). Check the instance address.`, { instance });
  }
  const answer = failure as Answer;
  const said = quoted(answer);
  if (answer.status === 429 || answer.status >= 500) {
    return new DomainError('unavailable', `${host} answered ${answer.status}; try again in a few minutes.${said}`, { field: 'instance', instance });
  }
  if (answer.status === 401 || answer.status === 403) {
    return validationFailed(field, `${host} refused the access token (${answer.status}).${said} Create a token with the scopes read:accounts, write:statuses and write:media, or connect through the browser.`, { instance });
  }
  return validationFailed('instance', `${host} does not answer like a Mastodon server (${answer.status} from ${field === 'code' ? '/oauth/token' : 'the API'}).${said}`, { instance });
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);

/**
 * The instance's limits (Instance entity, configuration.*). /api/v2/instance since Mastodon 4.0,
 * /api/v1/instance before (and `max_toot_chars` on Pleroma and glitch-soc). Unknown values stay
 * absent so rulesFor falls back to Mastodon's defaults; a failed read never blocks the connect.
 */
export async function readInstance(instance: string, signal: AbortSignal): Promise<{ meta: AccountMeta; domain: string | undefined }> {
  for (const path of ['/api/v2/instance', '/api/v1/instance']) {
    let answer: Answer;
    try {
      answer = await call(instance, path, { signal });
    } catch {
      break;
    }
    const j = answer.json;
    if (answer.status !== 200 || !j || typeof j !== 'object') continue;
    const statuses = j.configuration?.statuses ?? {};
    const media = j.configuration?.media_attachments ?? {};
    const types = Array.isArray(media.supported_mime_types)
      ? media.supported_mime_types.filter((t: unknown) => typeof t === 'string' && t.startsWith('image/'))
      : undefined;
    const meta: AccountMeta = {
      instance,
      max_characters: num(statuses.max_characters) ?? num(j.max_toot_chars),
      url_length: num(statuses.characters_reserved_per_url),
      max_media: num(statuses.max_media_attachments),
      image_size_limit: num(media.image_size_limit),
      image_types: types && types.length > 0 ? types : undefined,
    };
    for (const key of Object.keys(meta)) if (meta[key] === undefined) delete meta[key];
    const domain = typeof j.domain === 'string' ? j.domain : typeof j.uri === 'string' && !j.uri.includes('/') ? j.uri : undefined;
    return { meta, domain };
  }
  return { meta: { instance }, domain: undefined };
}

/** The account behind a token (verify_credentials) plus the instance's limits. */
export async function readAccount(instance: string, token: string, signal: AbortSignal, field = 'access_token'): Promise<ConnectedAccount> {
  let me: Answer;
  try {
    me = await call(instance, '/api/v1/accounts/verify_credentials', { token, signal });
  } catch (err) {
    throw connectFailure(field, instance, err);
  }
  const j = me.json;
  if (me.status !== 200 || !j || (typeof j.id !== 'string' && typeof j.id !== 'number')) throw connectFailure(field, instance, me);
  const { meta, domain } = await readInstance(instance, signal);
  const host = new URL(instance).host;
  // Handles use the instance's LOCAL_DOMAIN, which may differ from the host serving the API.
  const acct = String(j.acct || j.username);
  const handle = acct.includes('@') ? acct : `${acct}@${domain ?? host}`;
  return {
    platformUserId: `${j.id}@${host}`,
    username: `@${handle}`,
    displayName: typeof j.display_name === 'string' && j.display_name.trim() ? j.display_name : String(j.username ?? acct),
    avatarUrl: typeof j.avatar === 'string' && j.avatar ? j.avatar : null,
    credentials: { instance, access_token: token },
    meta,
    expiresAt: null, // Mastodon tokens do not expire (docs, Token entity): no refresh
  };
}

/** A user-given instance address as its origin (`mastodon.social` and paths are accepted). */
export function instanceOrigin(raw: string): string {
  const text = raw.trim();
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
}

export function withTimeout(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}
