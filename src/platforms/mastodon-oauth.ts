import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DomainError, validationFailed } from '../core/errors.js';
import { type Answer, call, connectFailure, errorText, instanceOrigin, readAccount, withTimeout } from './mastodon-api.js';
import type { OAuthClientStore, OAuthFlow } from './platform.js';
import { checkPublicUrl } from './url-guard.js';

/**
 * Granular scopes (docs, "OAuth Scopes"): verify_credentials needs read:accounts, posting needs
 * write:statuses and uploading write:media. `profile` (4.3+) would be narrower than read:accounts
 * but older servers refuse unknown scopes at app registration.
 */
export const MASTODON_SCOPES = 'read:accounts write:statuses write:media';

const CONNECT_TIMEOUT_MS = 15_000;

export const oauthStartSchema = z.strictObject({
  instance: z.string().min(3).max(300).describe('the Mastodon instance, e.g. https://mastodon.social'),
});

interface StoredClient {
  client_id: string;
  client_secret: string;
  redirect_uri: string;
  scopes: string;
}

function storedClient(value: Record<string, unknown> | undefined): StoredClient | undefined {
  if (!value) return undefined;
  const { client_id, client_secret, redirect_uri, scopes } = value;
  if (typeof client_id !== 'string' || typeof client_secret !== 'string' || typeof redirect_uri !== 'string' || typeof scopes !== 'string') {
    return undefined;
  }
  return { client_id, client_secret, redirect_uri, scopes };
}

/**
 * Mastodon has no server-wide client: each instance registers its own app (POST /api/v1/apps),
 * kept per instance in `clients`. It is registered again only when Octopost's public URL (the
 * redirect URI) or the scopes changed, or when the instance forgot it (invalid_client).
 */
async function clientFor(
  instance: string,
  redirectUri: string,
  clients: OAuthClientStore,
  options: { clientName: string; website?: string | undefined },
  signal: AbortSignal,
): Promise<StoredClient> {
  const known = storedClient(await clients.get(instance));
  if (known && known.redirect_uri === redirectUri && known.scopes === MASTODON_SCOPES) return known;
  let answer: Answer;
  try {
    answer = await call(instance, '/api/v1/apps', {
      // redirect_uris as one string: arrays are only understood since 4.3.
      json: {
        client_name: options.clientName,
        redirect_uris: redirectUri,
        scopes: MASTODON_SCOPES,
        ...(options.website && { website: options.website }),
      },
      signal,
    });
  } catch (err) {
    throw connectFailure('instance', instance, err);
  }
  const j = answer.json;
  if (answer.status !== 200 || typeof j?.client_id !== 'string' || typeof j?.client_secret !== 'string') {
    if (answer.status === 422) {
      throw validationFailed('instance', `${new URL(instance).host} refused to register Octopost as an app: "${errorText(answer)}".`, { instance });
    }
    throw connectFailure('instance', instance, answer);
  }
  const client: StoredClient = { client_id: j.client_id, client_secret: j.client_secret, redirect_uri: redirectUri, scopes: MASTODON_SCOPES };
  await clients.put(instance, { ...client });
  return client;
}

export function createMastodonOAuth(options: { clientName: string; website?: string | undefined }): OAuthFlow<z.infer<typeof oauthStartSchema>> {
  return {
    startSchema: oauthStartSchema,
    configured: () => true, // nothing to configure: apps are registered per instance on first use

    async start(input, ctx) {
      const instance = (await checkPublicUrl('instance', instanceOrigin(input.instance), ctx.blockPrivateUrls)).origin;
      const signal = withTimeout(ctx.signal, CONNECT_TIMEOUT_MS);
      const client = await clientFor(instance, ctx.redirectUri, ctx.clients, options, signal);
      // PKCE (S256), honoured since Mastodon 4.3; older servers ignore the parameters.
      const codeVerifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(codeVerifier).digest('base64url');
      const params = new URLSearchParams({
        response_type: 'code',
        client_id: client.client_id,
        redirect_uri: ctx.redirectUri,
        scope: MASTODON_SCOPES,
        state: ctx.state,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      return { authorizeUrl: `${instance}/oauth/authorize?${params}`, remember: { instance, code_verifier: codeVerifier } };
    },

    async finish(code, remembered, ctx) {
      const instance = remembered.instance;
      const codeVerifier = remembered.code_verifier;
      if (typeof instance !== 'string' || typeof codeVerifier !== 'string') {
        throw validationFailed('state', 'This sign-in attempt is incomplete; start connecting the account again.');
      }
      const client = storedClient(await ctx.clients.get(instance));
      if (!client) throw validationFailed('instance', `Octopost's app registration for ${new URL(instance).host} is missing; start connecting again.`);
      const signal = withTimeout(ctx.signal, CONNECT_TIMEOUT_MS);
      let answer: Answer;
      try {
        answer = await call(instance, '/oauth/token', {
          form: {
            grant_type: 'authorization_code',
            code,
            client_id: client.client_id,
            client_secret: client.client_secret,
            redirect_uri: ctx.redirectUri,
            code_verifier: codeVerifier,
          },
          signal,
        });
      } catch (err) {
        throw connectFailure('code', instance, err);
      }
      if (answer.status === 401 && answer.json?.error === 'invalid_client') {
        // Servers before 4.3 could delete unused apps: forget it so the next attempt registers anew.
        await ctx.clients.put(instance, {});
        throw validationFailed('instance', `${new URL(instance).host} no longer knows Octopost's app registration; start connecting again.`, { instance });
      }
      if (answer.status === 400) {
        throw validationFailed('code', `${new URL(instance).host} refused the authorization code: "${errorText(answer)}". Start connecting again.`, { instance });
      }
      const token = answer.json?.access_token;
      if (answer.status !== 200 || typeof token !== 'string') {
        if (answer.status >= 500 || answer.status === 429) throw connectFailure('code', instance, answer);
        throw new DomainError('validation_failed', `${new URL(instance).host} did not issue a token (${answer.status}): "${errorText(answer)}".`, { field: 'code', instance });
      }
      return readAccount(instance, token, signal, 'code');
    },
  };
}
