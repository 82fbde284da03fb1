import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DomainError } from '../core/errors.js';
import { networkErrorCode } from './http-errors.js';
import { type ConnectedAccount, type OAuthFlow, type Refreshed, RefreshError } from './platform.js';
import { type XAnswer, xRequest, xSaid } from './x-http.js';

/*
 * X's OAuth 2.0 Authorization Code Flow with PKCE (docs.x.com, "OAuth 2.0 Authorization Code
 * Flow with PKCE" and "How to connect to endpoints using OAuth 2.0 ..."): the browser goes to
 * x.com/i/oauth2/authorize, the code comes back to our callback, and POST /2/oauth2/token (form
 * encoded; confidential clients authenticate with HTTP Basic) exchanges it. Access tokens last
 * two hours; offline.access adds a refresh token, which X rotates on every refresh.
 */

export interface XEndpoints {
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  apiBaseUrl: string;
  authorizeUrl: string;
}

export const X_SCOPES = 'tweet.read tweet.write users.read media.write offline.access';

const NOT_CONFIGURED =
  'Set OCTOPOST_X_CLIENT_ID and OCTOPOST_X_CLIENT_SECRET (the OAuth 2.0 client id and secret of an X developer app ' +
  'whose callback URL is <public url>/v1/accounts/connect/x/callback) to connect X accounts.';

export function createXOAuth(o: XEndpoints): OAuthFlow<Record<string, never>> {
  return {
    startSchema: z.object({}),
    configured: () => (o.clientId ? true : NOT_CONFIGURED),

    async start(_input, ctx) {
      if (!o.clientId) throw new DomainError('unavailable', NOT_CONFIGURED);
      // RFC 7636 §4.1: 32 random bytes give a 43-character verifier; S256 sends only its hash.
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const url = new URL(o.authorizeUrl);
      const params: Record<string, string> = {
        response_type: 'code',
        client_id: o.clientId,
        redirect_uri: ctx.redirectUri,
        scope: X_SCOPES,
        state: ctx.state,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      };
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      // X's docs write the spaces of `scope` as %20; URLSearchParams writes '+' (a literal + is %2B).
      url.search = url.searchParams.toString().replace(/\+/g, '%20');
      return { authorizeUrl: url.href, remember: { code_verifier: verifier } };
    },

    async finish(code, remembered, ctx): Promise<ConnectedAccount> {
      if (!o.clientId) throw new DomainError('unavailable', NOT_CONFIGURED);
      const verifier = remembered.code_verifier;
      if (typeof verifier !== 'string') {
        throw new DomainError('bad_request', 'This X connection attempt lost its PKCE verifier; start connecting again.');
      }
      const signal = ctx.signal ?? AbortSignal.timeout(30_000);
      const answer = await reach('exchange the authorization code', () =>
        tokenRequest(o, { grant_type: 'authorization_code', code, redirect_uri: ctx.redirectUri, code_verifier: verifier }, signal),
      );
      if (answer.status !== 200) throw connectRefused(answer, 'the authorization code');
      const tokens = readTokens(answer);
      if (!tokens) throw new DomainError('unavailable', 'X answered the code exchange without an access token; try connecting again.');

      const me = await reach('read the account profile', () =>
        xRequest(`${o.apiBaseUrl}/2/users/me?user.fields=profile_image_url,name,username`, { method: 'GET', token: tokens.access, signal }),
      );
      const user = me.json?.data;
      if (me.status !== 200 || typeof user?.id !== 'string' || typeof user.username !== 'string') {
        throw connectRefused(me, 'the profile request (GET /2/users/me)');
      }
      return {
        platformUserId: user.id,
        username: user.username,
        displayName: typeof user.name === 'string' && user.name ? user.name : user.username,
        avatarUrl: typeof user.profile_image_url === 'string' ? user.profile_image_url : null,
        credentials: { access_token: tokens.access, refresh_token: tokens.refresh },
        meta: { scope: tokens.scope },
        expiresAt: tokens.expiresAt,
      };
    },
  };
}

/** Renews the access token; the answer's refresh token replaces the used one (X rotates them). */
export async function refreshXToken(o: XEndpoints, credentials: Record<string, unknown>, signal: AbortSignal): Promise<Refreshed> {
  if (!o.clientId) throw new RefreshError(`X tokens cannot be refreshed: ${NOT_CONFIGURED}`, false);
  const refreshToken = credentials.refresh_token;
  if (typeof refreshToken !== 'string' || !refreshToken) {
    throw new RefreshError('No X refresh token is stored for this account (offline.access was not granted); reconnect it.', true);
  }
  let answer: XAnswer;
  try {
    answer = await tokenRequest(o, { grant_type: 'refresh_token', refresh_token: refreshToken }, signal);
  } catch (err) {
    throw new RefreshError(`Could not reach X to refresh the access token (${networkErrorCode(err) ?? (err as Error).name}); Octopost will try again.`, false);
  }
  const said = xSaid(answer);
  if (answer.status === 200) {
    const tokens = readTokens(answer);
    if (!tokens) throw new RefreshError('X answered the token refresh without an access token; Octopost will try again.', false);
    return { credentials: { access_token: tokens.access, refresh_token: tokens.refresh ?? refreshToken }, expiresAt: tokens.expiresAt };
  }
  if (answer.status === 429 || answer.status >= 500) {
    throw new RefreshError(`X answered ${answer.status} to the token refresh; Octopost will try again. X said: "${said}".`, false);
  }
  if (answer.status === 401) {
    // The app's own client id/secret were refused: a server setting, which reconnecting would not fix.
    throw new RefreshError(`X refused this server's client credentials (401); check OCTOPOST_X_CLIENT_ID and OCTOPOST_X_CLIENT_SECRET. X said: "${said}".`, false);
  }
  // 400 invalid_request / invalid_grant: the refresh token was revoked, expired or already used.
  throw new RefreshError(`X refused to refresh the access token (${answer.status}); reconnect the X account. X said: "${said}".`, true);
}

function tokenRequest(o: XEndpoints, fields: Record<string, string>, signal: AbortSignal): Promise<XAnswer> {
  const clientId = o.clientId!;
  return xRequest(`${o.apiBaseUrl}/2/oauth2/token`, {
    method: 'POST',
    urlencoded: new URLSearchParams({ ...fields, client_id: clientId }),
    ...(o.clientSecret && { basic: { user: clientId, password: o.clientSecret } }),
    signal,
  });
}

function readTokens(answer: XAnswer): { access: string; refresh: string | undefined; expiresAt: number | null; scope: string } | null {
  const j = answer.json;
  if (typeof j?.access_token !== 'string' || !j.access_token) return null;
  return {
    access: j.access_token,
    refresh: typeof j.refresh_token === 'string' && j.refresh_token ? j.refresh_token : undefined,
    expiresAt: typeof j.expires_in === 'number' ? Date.now() + j.expires_in * 1000 : null,
    scope: typeof j.scope === 'string' ? j.scope : '',
  };
}

async function reach(doing: string, send: () => Promise<XAnswer>): Promise<XAnswer> {
  try {
    return await send();
  } catch (err) {
    throw new DomainError('unavailable', `Could not reach X to ${doing} (${networkErrorCode(err) ?? (err as Error).name}); try connecting again.`);
  }
}

function connectRefused(answer: XAnswer, what: string): DomainError {
  const said = xSaid(answer);
  if (answer.status === 429) return new DomainError('rate_limited', `X is rate limiting ${what} (429); try connecting again in a few minutes.`);
  if (answer.status >= 500) return new DomainError('unavailable', `X answered ${answer.status} to ${what}; try connecting again. X said: "${said}".`);
  if (answer.status === 401 && what === 'the authorization code') {
    return new DomainError('unavailable', `X refused this server's client credentials (401); check OCTOPOST_X_CLIENT_ID and OCTOPOST_X_CLIENT_SECRET. X said: "${said}".`);
  }
  return new DomainError('bad_request', `X refused ${what} (${answer.status}); start connecting again. X said: "${said}".`);
}
