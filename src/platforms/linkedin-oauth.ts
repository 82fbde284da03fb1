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

export interface LinkedInOptions {
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  apiBaseUrl?: string;
  oauthBaseUrl?: string;
  /** LinkedIn-Version header (YYYYMM); LinkedIn keeps each version about a year. */
  apiVersion?: string;
}

export type LinkedInSettings = Required<Pick<LinkedInOptions, 'apiBaseUrl' | 'oauthBaseUrl' | 'apiVersion'>> &
  Pick<LinkedInOptions, 'clientId' | 'clientSecret'>;

/** What the account keeps: the token, its expiry, and the refresh token only approved apps get. */
export interface LinkedInCredentials {
  access_token: string;
  /** Epoch ms. */
  expires_at: number;
  refresh_token?: string;
  refresh_token_expires_at?: number;
}

/** Posting as the member needs w_member_social; openid + profile give /v2/userinfo (Sign In with LinkedIn using OpenID Connect). */
export const LINKEDIN_SCOPE = 'openid profile w_member_social';

/**
 * LinkedIn's 3-legged OAuth 2.0 (learn.microsoft.com/linkedin/shared/authentication/authorization-code-flow):
 * the browser goes to /authorization, the code is exchanged at /accessToken (60-day token), and
 * the member is read from the OpenID userinfo endpoint (`sub` is the member id of urn:li:person).
 */
export function linkedInOAuth(s: LinkedInSettings): OAuthFlow {
  return {
    startSchema: z.strictObject({}),

    configured: () => configuredOrSentence('LinkedIn', { OCTOPOST_LINKEDIN_CLIENT_ID: s.clientId, OCTOPOST_LINKEDIN_CLIENT_SECRET: s.clientSecret }),

    async start(_input, ctx) {
      const client = requireClient(s);
      const params = { response_type: 'code', client_id: client.id, redirect_uri: ctx.redirectUri, state: ctx.state, scope: LINKEDIN_SCOPE };
      return { authorizeUrl: `${s.oauthBaseUrl}/authorization?${query(params)}`, remember: {} };
    },

    async finish(code, _remembered, ctx): Promise<ConnectedAccount> {
      const client = requireClient(s);
      const fields = { grant_type: 'authorization_code', code, redirect_uri: ctx.redirectUri, client_id: client.id, client_secret: client.secret };
      let token: HttpAnswer;
      try {
        token = await postForm(`${s.oauthBaseUrl}/accessToken`, fields, ctx.signal);
      } catch (err) {
        throw connectUnreachable('LinkedIn', 'exchange the authorization code', err);
      }
      if (token.status !== 200 || typeof token.json?.access_token !== 'string') {
        throw connectRefused('LinkedIn', 'exchange the authorization code', token, oauthErrorText(token));
      }
      const credentials = credentialsFrom(token.json, Date.now());
      const profile = await readProfile(s, credentials.access_token, ctx.signal);
      const sub = profile.json?.sub;
      if (profile.status !== 200 || typeof sub !== 'string' || !sub) {
        throw connectRefused('LinkedIn', 'read the profile', profile, profile.json?.message);
      }
      const name = typeof profile.json.name === 'string' && profile.json.name ? profile.json.name : null;
      const email = typeof profile.json.email === 'string' && profile.json.email ? profile.json.email : null;
      return {
        platformUserId: sub,
        username: name ?? email ?? sub,
        displayName: name ?? email ?? sub,
        avatarUrl: typeof profile.json.picture === 'string' ? profile.json.picture : null,
        credentials: { ...credentials },
        meta: { author: `urn:li:person:${sub}` },
        expiresAt: credentials.expires_at,
      };
    },
  };
}

/** Waits before asking again for the profile of a token LinkedIn has just issued. */
export const PROFILE_RETRY_MS = [1000, 2000];

/**
 * GET /v2/userinfo. A token LinkedIn has just issued is sometimes refused for a moment
 * (401 REVOKED_ACCESS_TOKEN right after the exchange, reported by many OAuth libraries), so a
 * 401 is asked again after a short wait before connecting fails.
 */
async function readProfile(s: LinkedInSettings, token: string, signal: AbortSignal | undefined): Promise<HttpAnswer> {
  for (let attempt = 0; ; attempt++) {
    let profile: HttpAnswer;
    try {
      profile = await send(`${s.apiBaseUrl}/v2/userinfo`, { method: 'GET', headers: { authorization: `Bearer ${token}` }, signal });
    } catch (err) {
      throw connectUnreachable('LinkedIn', 'read the profile', err);
    }
    const wait = PROFILE_RETRY_MS[attempt];
    if (profile.status !== 401 || wait === undefined || signal?.aborted) return profile;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/**
 * Renews with the refresh token (programmatic refresh tokens are granted to approved apps only).
 * Without one nothing can renew the token: the member must sign in again before it expires.
 */
export async function refreshLinkedIn(s: LinkedInSettings, stored: Record<string, unknown>, signal: AbortSignal): Promise<Refreshed> {
  const credentials = stored as unknown as LinkedInCredentials;
  const client = s.clientId && s.clientSecret ? { id: s.clientId, secret: s.clientSecret } : null;
  if (!client) throw new RefreshError('LinkedIn is not configured on this server (OCTOPOST_LINKEDIN_CLIENT_ID / OCTOPOST_LINKEDIN_CLIENT_SECRET).', false);
  if (!credentials.refresh_token) {
    throw new RefreshError(`LinkedIn gives this app no refresh token: reconnect before ${day(credentials.expires_at)}`, true);
  }
  if (credentials.refresh_token_expires_at !== undefined && credentials.refresh_token_expires_at <= Date.now()) {
    throw new RefreshError(`the LinkedIn refresh token expired on ${day(credentials.refresh_token_expires_at)}`, true);
  }
  let answer: HttpAnswer;
  try {
    answer = await postForm(
      `${s.oauthBaseUrl}/accessToken`,
      { grant_type: 'refresh_token', refresh_token: credentials.refresh_token, client_id: client.id, client_secret: client.secret },
      signal,
    );
  } catch (err) {
    throw refreshUnavailable('LinkedIn', (err as Error).message);
  }
  if (answer.status === 200 && typeof answer.json?.access_token === 'string') {
    const renewed = credentialsFrom(answer.json, Date.now(), credentials);
    return { credentials: { ...renewed }, expiresAt: renewed.expires_at };
  }
  if (answer.status >= 500 || answer.status === 429) throw refreshUnavailable('LinkedIn', `HTTP ${answer.status}`);
  // 400/401 invalid_request / invalid_grant: the refresh token was revoked or has expired.
  throw new RefreshError(`LinkedIn refused the refresh token (${answer.status}).${said('LinkedIn', oauthErrorText(answer))}`, true);
}

function credentialsFrom(json: any, now: number, previous?: LinkedInCredentials): LinkedInCredentials {
  const credentials: LinkedInCredentials = {
    access_token: json.access_token,
    expires_at: now + Number(json.expires_in ?? 0) * 1000,
  };
  const refresh = typeof json.refresh_token === 'string' ? json.refresh_token : previous?.refresh_token;
  if (refresh) credentials.refresh_token = refresh;
  if (json.refresh_token_expires_in !== undefined) credentials.refresh_token_expires_at = now + Number(json.refresh_token_expires_in) * 1000;
  else if (previous?.refresh_token_expires_at !== undefined) credentials.refresh_token_expires_at = previous.refresh_token_expires_at;
  return credentials;
}

/** OAuth errors come as {error, error_description} (RFC 6749 §5.2). */
function oauthErrorText(answer: HttpAnswer): string {
  const j = answer.json;
  if (j && typeof j === 'object') return [j.error, j.error_description ?? j.message].filter(Boolean).join(': ');
  return answer.text;
}

function requireClient(s: LinkedInSettings): { id: string; secret: string } {
  if (!s.clientId || !s.clientSecret) {
    const sentence = configuredOrSentence('LinkedIn', { OCTOPOST_LINKEDIN_CLIENT_ID: s.clientId, OCTOPOST_LINKEDIN_CLIENT_SECRET: s.clientSecret });
    throw new DomainError('validation_failed', sentence === true ? 'LinkedIn is not configured.' : sentence, { field: 'platform' });
  }
  return { id: s.clientId, secret: s.clientSecret };
}

function day(epochMs: number | undefined): string {
  return epochMs ? new Date(epochMs).toISOString().slice(0, 10) : 'the token expires';
}
