import { createHash, randomBytes } from 'node:crypto';
import { DomainError, validationFailed } from '../core/errors.js';
import type { OAuthClientStore } from '../platforms/platform.js';
import type { AccountRecord } from '../store/account.repository.js';
import { findOAuthClient, insertOAuthState, saveOAuthClient, takeOAuthState } from '../store/oauth.repository.js';
import { type AccountService, zodToDomain } from './account.service.js';
import type { AppContext } from './context.js';

/** How long a person has to approve the app on the network's page. */
const STATE_TTL_MS = 15 * 60_000;

/**
 * Browser connections (OAuth): `start` sends the person to the network with a random `state`;
 * `finish` takes that state back once (it names the user and what the flow remembered, such as
 * the PKCE verifier, stored encrypted) and stores the account.
 */
export class OAuthService {
  constructor(
    private readonly ctx: AppContext,
    private readonly accounts: AccountService,
  ) {}

  redirectUri(platform: string): string {
    return `${this.ctx.config.publicUrl}/v1/accounts/connect/${platform}/callback`;
  }

  async start(userId: string, platform: string, query: Record<string, unknown>): Promise<{ authorizeUrl: string }> {
    const adapter = this.accounts.adapter(platform);
    if (!adapter.oauth) {
      throw validationFailed('platform', `${platform} accounts connect without a browser: POST /v1/accounts with {"platform": "${platform}", ...}.`);
    }
    const configured = adapter.oauth.configured();
    if (configured !== true) {
      throw new DomainError('validation_failed', typeof configured === 'string' ? configured : `${platform} is not configured on this server.`, {
        field: 'platform',
        reason: 'not_configured',
      });
    }
    const { return_to: returnTo, ...rest } = query;
    const parsed = adapter.oauth.startSchema.safeParse(rest);
    if (!parsed.success) throw zodToDomain(parsed.error);
    const state = randomBytes(32).toString('base64url');
    const now = this.ctx.clock.now();
    const { authorizeUrl, remember } = await adapter.oauth.start(parsed.data, {
      redirectUri: this.redirectUri(platform),
      state,
      clients: this.clientStore(platform),
      blockPrivateUrls: this.ctx.config.blockPrivateUrls,
      signal: AbortSignal.timeout(30_000),
    });
    await insertOAuthState(
      this.ctx.store.db,
      hashState(state),
      { userId, platform, remember: this.ctx.secrets.seal(remember), returnTo: safeReturnPath(returnTo), expiresAt: now + STATE_TTL_MS },
      now,
    );
    return { authorizeUrl };
  }

  /** The network sent the browser back with `code` and `state` (or `error`). */
  async finish(
    platform: string,
    query: { code?: string | undefined; state?: string | undefined; error?: string | undefined; error_description?: string | undefined },
  ): Promise<{ account: AccountRecord; created: boolean; returnTo: string | null }> {
    if (!query.state) throw validationFailed('state', 'The network sent no state back; start connecting again from Accounts.');
    const saved = await takeOAuthState(this.ctx.store.db, hashState(query.state));
    if (!saved || saved.platform !== platform || saved.expiresAt < this.ctx.clock.now()) {
      throw validationFailed('state', 'This connection attempt expired or was already used; start connecting again from Accounts.');
    }
    if (query.error) {
      const said = query.error_description ? `: ${query.error_description}` : '';
      throw validationFailed('code', `${platform} did not grant access (${query.error}${said}). Nothing was connected.`, { return_to: saved.returnTo });
    }
    if (!query.code) throw validationFailed('code', `${platform} sent no authorization code back; start connecting again.`);
    const adapter = this.accounts.adapter(platform);
    const connected = await adapter.oauth!.finish(query.code, this.ctx.secrets.open(saved.remember), {
      redirectUri: this.redirectUri(platform),
      clients: this.clientStore(platform),
      blockPrivateUrls: this.ctx.config.blockPrivateUrls,
      signal: AbortSignal.timeout(30_000),
    });
    const stored = await this.accounts.store(saved.userId, adapter, connected);
    return { ...stored, returnTo: saved.returnTo };
  }

  /** Client apps registered per server (Mastodon), encrypted like credentials. */
  private clientStore(platform: string): OAuthClientStore {
    const { db } = this.ctx.store;
    return {
      get: async (server) => {
        const sealed = await findOAuthClient(db, platform, server);
        return sealed ? this.ctx.secrets.open(sealed) : undefined;
      },
      put: (server, client) => saveOAuthClient(db, platform, server, this.ctx.secrets.seal(client), this.ctx.clock.now()),
    };
  }
}

function hashState(state: string): string {
  return createHash('sha256').update(state).digest('hex');
}

/** Only a path of this site may be returned to (an open redirect would help phishing). */
function safeReturnPath(value: unknown): string | null {
  return typeof value === 'string' && /^\/(?!\/)[\w\-./?=&%]*$/.test(value) ? value : null;
}
