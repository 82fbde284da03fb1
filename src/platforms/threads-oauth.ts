import { z } from 'zod';
import { DomainError } from '../core/errors.js';
import {
  configuredOrSentence,
  connectRefused,
  connectUnreachable,
  type HttpAnswer,
  postForm,
  query,
  refreshUnavailable,
  said,
  send,
} from './oauth-http.js';
import { type ConnectedAccount, type OAuthFlow, type Refreshed, RefreshError } from './platform.js';

export interface ThreadsOptions {
  appId?: string | undefined;
  appSecret?: string | undefined;
  graphBaseUrl?: string;
  authorizeUrl?: string;
  apiVersion?: string;
  /** Waits between reads of a media container that is still IN_PROGRESS (the last one ends the wait). */
  statusPollMs?: number[];
}

export type ThreadsSettings = Required<Pick<ThreadsOptions, 'graphBaseUrl' | 'authorizeUrl' | 'apiVersion' | 'statusPollMs'>> &
  Pick<ThreadsOptions, 'appId' | 'appSecret'>;

/** A long-lived token (about 60 days) and when it was issued: Threads renews only tokens at least 24 hours old. */
export interface ThreadsCredentials {
  access_token: string;
  /** Epoch ms. */
  expires_at: number;
  issued_at: number;
}

export const THREADS_SCOPE = 'threads_basic,threads_content_publish';

/** A Graph API error body: {"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}. */
export function graphError(answer: HttpAnswer): { code?: number; subcode?: number; message: string; transient: boolean } {
  const e = answer.json?.error;
  if (!e || typeof e !== 'object') return { message: answer.text.slice(0, 200), transient: false };
  return {
    ...(Number.isFinite(Number(e.code)) && e.code !== undefined ? { code: Number(e.code) } : {}),
    ...(e.error_subcode !== undefined ? { subcode: Number(e.error_subcode) } : {}),
    message: String(e.error_user_msg ?? e.message ?? ''),
    transient: e.is_transient === true,
  };
}

/**
 * Threads' OAuth (developers.facebook.com/docs/threads/get-started/get-access-tokens-and-permissions):
 * the browser goes to threads.net/oauth/authorize; the code buys a short-lived token (1 hour) at
 * /oauth/access_token, exchanged at once for a long-lived one (60 days) with th_exchange_token.
 */
export function threadsOAuth(s: ThreadsSettings): OAuthFlow {
  return {
    startSchema: z.strictObject({}),

    configured: () => configuredOrSentence('Threads', { OCTOPOST_THREADS_APP_ID: s.appId, OCTOPOST_THREADS_APP_SECRET: s.appSecret }),

    async start(_input, ctx) {
      const app = requireApp(s);
      const params = { client_id: app.id, redirect_uri: ctx.redirectUri, scope: THREADS_SCOPE, response_type: 'code', state: ctx.state };
      return { authorizeUrl: `${s.authorizeUrl}?${query(params)}`, remember: {} };
    },

    async finish(rawCode, _remembered, ctx): Promise<ConnectedAccount> {
      const app = requireApp(s);
      // Threads appends "#_" to the redirect; it is not part of the code.
      const code = rawCode.replace(/#_?$/, '');
      const short = await step('exchange the authorization code', () =>
        postForm(`${s.graphBaseUrl}/oauth/access_token`, { client_id: app.id, client_secret: app.secret, grant_type: 'authorization_code', redirect_uri: ctx.redirectUri, code }, ctx.signal),
      );
      const long = await step('exchange for a long-lived token', () =>
        send(`${s.graphBaseUrl}/access_token?${query({ grant_type: 'th_exchange_token', client_secret: app.secret, access_token: short.json.access_token })}`, { method: 'GET', signal: ctx.signal }),
      );
      const credentials = credentialsFrom(long.json, Date.now());
      // The profile's id is a string; the token answer's user_id is a JSON number too large for a double.
      const me = await step('read the profile', () =>
        send(`${s.graphBaseUrl}/${s.apiVersion}/me?${query({ fields: 'id,username,name,threads_profile_picture_url', access_token: credentials.access_token })}`, { method: 'GET', signal: ctx.signal }),
        'id',
      );
      const username = typeof me.json.username === 'string' ? me.json.username : String(me.json.id);
      return {
        platformUserId: String(me.json.id),
        username,
        displayName: typeof me.json.name === 'string' && me.json.name ? me.json.name : username,
        avatarUrl: typeof me.json.threads_profile_picture_url === 'string' ? me.json.threads_profile_picture_url : null,
        credentials: { ...credentials },
        meta: { username },
        expiresAt: credentials.expires_at,
      };
    },
  };
}

/** One connect step: the answer when it is 200 with `field`, else a DomainError quoting Threads. */
async function step(what: string, call: () => Promise<HttpAnswer>, field = 'access_token'): Promise<HttpAnswer> {
  let answer: HttpAnswer;
  try {
    answer = await call();
  } catch (err) {
    throw connectUnreachable('Threads', what, err);
  }
  if (answer.status !== 200 || answer.json?.[field] === undefined) throw connectRefused('Threads', what, answer, graphError(answer).message);
  return answer;
}

/**
 * GET /refresh_access_token (th_refresh_token) renews a long-lived token that is at least 24
 * hours old and not yet expired; an expired one cannot be renewed: the user must reconnect.
 * Refreshing starts 7 days before expiry, so the token is always old enough by then.
 */
export async function refreshThreads(s: ThreadsSettings, stored: Record<string, unknown>, signal: AbortSignal): Promise<Refreshed> {
  const credentials = stored as unknown as ThreadsCredentials;
  const now = Date.now();
  if (credentials.expires_at <= now) {
    throw new RefreshError(`the Threads token expired on ${new Date(credentials.expires_at).toISOString().slice(0, 10)} and can no longer be renewed`, true);
  }
  let answer: HttpAnswer;
  try {
    answer = await send(`${s.graphBaseUrl}/refresh_access_token?${query({ grant_type: 'th_refresh_token', access_token: credentials.access_token })}`, { method: 'GET', signal });
  } catch (err) {
    throw refreshUnavailable('Threads', (err as Error).message);
  }
  if (answer.status === 200 && typeof answer.json?.access_token === 'string') {
    const renewed = credentialsFrom(answer.json, Date.now());
    return { credentials: { ...renewed }, expiresAt: renewed.expires_at };
  }
  const error = graphError(answer);
  if (error.code !== 190 && (answer.status >= 500 || error.transient || [1, 2, 4, 17, 32, 613].includes(error.code ?? -1))) {
    throw refreshUnavailable('Threads', `HTTP ${answer.status}, code ${error.code ?? '?'}`);
  }
  // 190 (OAuthException): the token is invalid, expired or revoked. Another refusal of a token
  // younger than a day is Threads' age rule (renewal needs 24 hours): it passes with time.
  const young = credentials.issued_at > now - 24 * 60 * 60_000;
  throw new RefreshError(
    `Threads refused to renew the token (${answer.status}${error.code !== undefined ? `, code ${error.code}` : ''}).${said('Threads', error.message)}`,
    error.code === 190 || !young,
  );
}

function credentialsFrom(json: any, now: number): ThreadsCredentials {
  // Long-lived tokens last 60 days (expires_in 5183944 s); assume that when the answer omits it.
  const seconds = Number(json.expires_in ?? 5_183_944);
  return { access_token: json.access_token, expires_at: now + seconds * 1000, issued_at: now };
}

function requireApp(s: ThreadsSettings): { id: string; secret: string } {
  if (!s.appId || !s.appSecret) {
    const sentence = configuredOrSentence('Threads', { OCTOPOST_THREADS_APP_ID: s.appId, OCTOPOST_THREADS_APP_SECRET: s.appSecret });
    throw new DomainError('validation_failed', sentence === true ? 'Threads is not configured.' : sentence, { field: 'platform' });
  }
  return { id: s.appId, secret: s.appSecret };
}
