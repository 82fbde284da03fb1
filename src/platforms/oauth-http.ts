import { request } from 'undici';
import { DomainError } from '../core/errors.js';
import type { PublishError, PublishOutcome } from '../core/retry-policy.js';
import { networkErrorCode, requestNeverSent } from './http-errors.js';
import { RefreshError } from './platform.js';

/**
 * Plain HTTP shared by the OAuth networks that need no SDK (LinkedIn, Threads): one request with
 * its answer read whole (their answers are small JSON), and the wording of failures while
 * connecting, refreshing and publishing.
 */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON, or null when it is not JSON. */
  json: any;
}

export interface SendOptions {
  method: 'GET' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal | undefined;
}

/** Sends one request. Throws only when no answer came (connection refused, reset, aborted). */
export async function send(url: string, options: SendOptions): Promise<HttpAnswer> {
  const response = await request(url, {
    method: options.method,
    headers: { 'user-agent': 'Octopost/1', ...options.headers },
    body: options.body ?? null,
    signal: options.signal ?? null,
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, text, json: parseJson(text) };
}

/** POSTs an application/x-www-form-urlencoded body, as OAuth 2.0 token endpoints expect (RFC 6749 §4.1.3). */
export function postForm(url: string, fields: Record<string, string>, signal?: AbortSignal, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    body: new URLSearchParams(fields).toString(),
    signal,
  });
}

export function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export function header(answer: HttpAnswer, name: string): string | undefined {
  const value = answer.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** `key=value&...` with spaces as %20: some authorize endpoints read `+` literally in `scope`. */
export function query(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

/** What `oauth.configured()` answers: true, or the sentence naming the variables to set. */
export function configuredOrSentence(network: string, vars: Record<string, string | undefined>): true | string {
  const missing = Object.entries(vars).filter(([, v]) => !v).map(([name]) => name);
  if (missing.length === 0) return true;
  return `${network} is not configured on this server: set ${missing.join(' and ')} (from the app registered with ${network}), then restart Octopost.`;
}

/** A short quote of what the network said, for messages (empty when it said nothing). */
export function said(network: string, text: string | undefined): string {
  const excerpt = (text ?? '').replace(/\s+/g, ' ').trim().slice(0, 200);
  return excerpt ? ` ${network} said: "${excerpt}".` : '';
}

/** A connect step (code exchange, profile) the network refused: the user can only start again. */
export function connectRefused(network: string, step: string, answer: HttpAnswer, detail?: string): DomainError {
  const why = detail ?? answer.text;
  if (answer.status >= 500 || answer.status === 429) {
    return new DomainError('unavailable', `${network} could not ${step} (${answer.status}); try connecting again in a few minutes.${said(network, why)}`, { status: answer.status });
  }
  return new DomainError('bad_request', `${network} refused to ${step} (${answer.status}); connect the account again.${said(network, why)}`, { status: answer.status });
}

export function connectUnreachable(network: string, step: string, err: unknown): DomainError {
  const code = networkErrorCode(err) ?? (err as Error)?.name ?? 'network error';
  return new DomainError('unavailable', `Could not reach ${network} to ${step} (${code}); try connecting again in a few minutes.`);
}

/** A refresh that got no answer, or a 5xx / 429: tried again later. */
export function refreshUnavailable(network: string, detail: string): RefreshError {
  return new RefreshError(`${network} could not be reached to renew the connection (${detail}); Octopost will try again.`, false);
}

/**
 * A request that got no answer while publishing. Only a request that can create the post makes
 * the outcome ambiguous (it may have arrived); media uploads and look-ups create nothing visible.
 */
export function networkFailure(network: string, err: unknown, signal: AbortSignal, createsPost: boolean): PublishOutcome {
  const code = networkErrorCode(err) ?? (err as Error)?.name ?? 'network_error';
  if (requestNeverSent(err) || !createsPost) {
    const error: PublishError = {
      code: signal.aborted ? 'timeout' : 'unreachable',
      message: signal.aborted
        ? `${network} did not answer in time, before anything was posted.`
        : `Could not reach ${network} (${code}) before anything was posted.`,
      permanent: false,
    };
    return { kind: 'failed', error };
  }
  if (signal.aborted) {
    return { kind: 'ambiguous', error: { code: 'timeout', message: `${network} did not answer in time; the post may have been published. Check the profile before retrying.`, permanent: false } };
  }
  return { kind: 'ambiguous', error: { code: 'network_error', message: `The connection to ${network} failed mid-request (${code}); the post may have been published. Check the profile before retrying.`, permanent: false } };
}
