import { Agent, XRPCError } from '@atproto/api';
import { BlueskyAuthError, isAccountBlocked, isSessionRefused, reconnectError, suspendedError } from './bluesky-errors.js';

/** The session tokens Bluesky hands out (com.atproto.server.createSession / refreshSession). */
export interface BlueskySessionTokens {
  accessJwt: string;
  refreshJwt: string;
  did: string;
  handle: string;
}

/** What an account stores: the app password is the lasting credential, the session a cache of it. */
export interface BlueskyCredentials {
  service: string;
  identifier: string;
  appPassword: string;
  session?: BlueskySessionTokens;
}

export function readCredentials(raw: Record<string, unknown>): BlueskyCredentials {
  const c = raw as Partial<BlueskyCredentials>;
  if (typeof c.service !== 'string' || typeof c.identifier !== 'string' || typeof c.appPassword !== 'string') {
    throw new BlueskyAuthError({
      code: 'unauthorized',
      message: 'The stored Bluesky credentials are incomplete; reconnect the account.',
      permanent: true,
      reconnect: true,
    });
  }
  return { service: c.service, identifier: c.identifier, appPassword: c.appPassword, ...(c.session && { session: c.session }) };
}

/** When the session can no longer be refreshed (the refresh token's `exp`), epoch ms; null if unreadable. */
export function sessionExpiresAt(session: BlueskySessionTokens | undefined): number | null {
  return jwtClaims(session?.refreshJwt)?.exp ? jwtClaims(session?.refreshJwt)!.exp! * 1000 : null;
}

/** The claims of a JWT, read without verifying (only the server can): `scope`, `exp`. */
export function jwtClaims(jwt: string | undefined): { scope?: string; exp?: number } | undefined {
  try {
    return JSON.parse(Buffer.from(jwt!.split('.')[1]!, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * A signed-in client for one account. Every call carries the stored access token; when Bluesky
 * says it expired (400 ExpiredToken, 401), the session is renewed once, first with the refresh
 * token, then with the app password, and the call repeated (an answer refusing the token means
 * the request was not carried out). The new session goes to `onRenewed`, to be stored.
 */
export class BlueskySession {
  readonly agent: Agent;
  /** Unauthenticated client for createSession / refreshSession (the refresh token is set per call). */
  private readonly anonymous: Agent;
  private renewed = false;

  constructor(
    private credentials: BlueskyCredentials,
    private readonly signal: AbortSignal,
    private readonly onRenewed: (credentials: BlueskyCredentials) => Promise<void> = async () => {},
  ) {
    this.agent = new Agent({
      did: credentials.session?.did,
      fetchHandler: (url: string, init: RequestInit) => {
        const headers = new Headers(init.headers);
        const token = this.credentials.session?.accessJwt;
        if (token && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
        return fetch(new URL(url, this.credentials.service), { ...init, headers, signal: init.signal ?? this.signal });
      },
    } as ConstructorParameters<typeof Agent>[0]);
    this.anonymous = new Agent((url: string, init: RequestInit) =>
      fetch(new URL(url, this.credentials.service), { ...init, signal: init.signal ?? this.signal }),
    );
  }

  get current(): BlueskyCredentials {
    return this.credentials;
  }

  get did(): string {
    return this.credentials.session!.did;
  }

  get handle(): string {
    return this.credentials.session!.handle;
  }

  /** Runs `fn` with a working session, renewing it once if Bluesky refuses the access token. */
  async call<T>(fn: (agent: Agent) => Promise<T>): Promise<T> {
    if (!this.credentials.session) await this.renew();
    try {
      return await fn(this.agent);
    } catch (err) {
      if (this.renewed || !isSessionRefused(err)) throw err;
      await this.renew();
      try {
        return await fn(this.agent);
      } catch (again) {
        // A brand-new session refused at once: the account's access is gone.
        if (isSessionRefused(again)) throw new BlueskyAuthError(reconnectError(again));
        throw again;
      }
    }
  }

  /**
   * A new session: refreshSession with the refresh token, or when that is refused (expired or
   * revoked), createSession with the app password. Throws BlueskyAuthError when Bluesky refuses
   * both (reconnect) or the account is blocked; network and 5xx errors pass through unchanged.
   */
  async renew(): Promise<BlueskyCredentials> {
    this.renewed = true;
    let tokens: BlueskySessionTokens | undefined;
    const refreshJwt = this.credentials.session?.refreshJwt;
    if (refreshJwt) {
      try {
        const { data } = await this.anonymous.com.atproto.server.refreshSession(undefined, {
          headers: { authorization: `Bearer ${refreshJwt}` },
        });
        tokens = pick(data);
      } catch (err) {
        if (isAccountBlocked(err)) throw new BlueskyAuthError(suspendedError(err as XRPCError));
        if (!isSessionRefused(err) && !(err instanceof XRPCError && err.status === 400)) throw err;
      }
    }
    if (!tokens) {
      try {
        const { data } = await this.anonymous.com.atproto.server.createSession({
          identifier: this.credentials.identifier,
          password: this.credentials.appPassword,
        });
        tokens = pick(data);
      } catch (err) {
        if (isAccountBlocked(err)) throw new BlueskyAuthError(suspendedError(err as XRPCError));
        if (isSessionRefused(err) || (err instanceof XRPCError && err.status === 400)) {
          throw new BlueskyAuthError(reconnectError(err));
        }
        throw err;
      }
    }
    this.credentials = { ...this.credentials, session: tokens };
    await this.onRenewed(this.credentials);
    return this.credentials;
  }
}

function pick(data: { accessJwt: string; refreshJwt: string; did: string; handle: string }): BlueskySessionTokens {
  return { accessJwt: data.accessJwt, refreshJwt: data.refreshJwt, did: data.did, handle: data.handle };
}
