import { RefreshError, type PlatformAdapter } from '../platforms/platform.js';
import {
  type AccountRecord,
  accountsDueForRefresh,
  deactivateAccount,
  findAccountById,
  postponeRefresh,
  storeCredentials,
  takeRefreshLease,
} from '../store/account.repository.js';
import { AttemptDeadline } from '../core/attempt-deadline.js';
import type { AppContext } from './context.js';

const DEFAULT_REFRESH_AHEAD_MS = 24 * 60 * 60_000;
/** A refresh that failed for a passing reason (network down, 5xx) is tried again this much later. */
const RETRY_REFRESH_MS = 5 * 60_000;
const LEASE_MS = 60_000;
/**
 * A refresh gives up well within its lease: a token endpoint left hanging past it would let another
 * node refresh with the same (rotating) refresh token, and the account end up disconnected.
 */
const REFRESH_TIMEOUT_MS = LEASE_MS / 2;
/** Publishing with credentials this close to expiry refreshes them first. */
const EXPIRY_MARGIN_MS = 2 * 60_000;
const opened = new Map<string, Record<string, unknown>>();

/**
 * Adapters read expiry off the wall clock (now + expires_in); the app's clock may be another
 * (injected in tests), so the remaining lifetime is what is kept.
 */
export function onAppClock(expiresAt: number | null | undefined, appNow: number): number | null {
  return expiresAt === null || expiresAt === undefined ? null : appNow + (expiresAt - Date.now());
}

/** When to refresh credentials that expire at `expiresAt`: the platform's margin before it. */
export function refreshTime(adapter: PlatformAdapter<any>, expiresAt: number | null | undefined): number | null {
  if (!adapter.refresh || expiresAt === null || expiresAt === undefined) return null;
  return expiresAt - (adapter.refreshAheadMs ?? DEFAULT_REFRESH_AHEAD_MS);
}

/**
 * Keeps accounts connected: refreshes credentials before they expire (in the background, and
 * just in time before publishing), one node at a time per account. A refresh the network refuses
 * makes the account inactive with the reason in words; its deliveries then fail as "reconnect".
 */
export class CredentialService {
  /** The sealed credentials this service last handed out or stored, by account (sealedInUse). */
  private readonly inUse = new Map<string, string>();

  constructor(private readonly ctx: AppContext) {}

  /**
   * The sealed credentials of the account as this service last handed them out or stored them:
   * what a refusal was a refusal of. A refresh or a renewed session seals anew, so they differ from
   * the copy the caller started with.
   */
  sealedInUse(accountId: string): string | undefined {
    return this.inUse.get(accountId);
  }

  /** The account's credentials, opened; refreshed first when they are about to expire. */
  async fresh(account: AccountRecord, signal: AbortSignal): Promise<Record<string, unknown> | RefreshError> {
    const adapter = this.ctx.platforms.get(account.platform);
    const now = this.ctx.clock.now();
    if (!adapter?.refresh || account.tokenExpiresAt === null || account.tokenExpiresAt - now > EXPIRY_MARGIN_MS) {
      this.inUse.set(account.id, account.credentials);
      return this.open(account.credentials);
    }
    return this.refresh(account.id, signal);
  }

  /**
   * Decrypting costs ~50 µs; a burst publishes many deliveries of few accounts. Keyed by the
   * sealed text, so new credentials (reconnect, refresh) are never served stale. Bounded.
   */
  private open(sealed: string): Record<string, unknown> {
    const cached = opened.get(sealed);
    if (cached) return cached;
    const credentials = this.ctx.secrets.open(sealed);
    if (opened.size >= 1000) opened.clear();
    opened.set(sealed, credentials);
    return credentials;
  }

  /** Refreshes every account whose time has come (called by the worker's timer). */
  async refreshDue(signal: AbortSignal): Promise<number> {
    const ids = await accountsDueForRefresh(this.ctx.store.db, this.ctx.clock.now(), this.ctx.leaseClock.now(), 50);
    for (const id of ids) {
      if (signal.aborted) break;
      await this.refresh(id, signal);
    }
    return ids.length;
  }

  /**
   * Refreshes one account under a lease. When another node holds the lease, waits for its result
   * (a few seconds) instead of refreshing twice. Returns the opened credentials, or the error.
   */
  async refresh(accountId: string, signal: AbortSignal): Promise<Record<string, unknown> | RefreshError> {
    const db = this.ctx.store.db;
    for (let waited = 0; ; waited += 500) {
      const account = await findAccountById(db, accountId);
      if (!account || account.deleted || !account.isActive) {
        return new RefreshError(account?.inactiveReason ?? 'The account is disconnected; connect it again.', true);
      }
      const now = this.ctx.clock.now();
      if (account.tokenExpiresAt !== null && account.tokenExpiresAt - now > EXPIRY_MARGIN_MS && (account.refreshAt ?? Infinity) > now) {
        this.inUse.set(accountId, account.credentials);
        return this.open(account.credentials); // someone else just refreshed it
      }
      if (await takeRefreshLease(db, accountId, this.ctx.leaseClock.now(), LEASE_MS)) return this.refreshHeld(account, signal);
      if (waited >= 10_000 || signal.aborted) return new RefreshError('Another node is refreshing this account; try again shortly.', false);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  private async refreshHeld(account: AccountRecord, signal: AbortSignal): Promise<Record<string, unknown> | RefreshError> {
    const adapter = this.ctx.platforms.get(account.platform)!;
    const db = this.ctx.store.db;
    // The refresh's own time limit, ended early by `signal` (the refresher stopping).
    const deadline = new AttemptDeadline(REFRESH_TIMEOUT_MS, signal);
    deadline.join();
    try {
      const refreshed = await adapter.refresh!(this.ctx.secrets.open(account.credentials), account.meta, deadline.signal);
      await this.save(account.id, adapter, refreshed.credentials, refreshed.expiresAt);
      this.ctx.logger.info({ account: account.id, platform: account.platform }, 'credentials refreshed');
      return refreshed.credentials;
    } catch (err) {
      const error = err instanceof RefreshError ? err : new RefreshError(`Refreshing failed: ${(err as Error).message}`, false);
      const stillValid = account.tokenExpiresAt !== null && account.tokenExpiresAt - this.ctx.clock.now() > EXPIRY_MARGIN_MS;
      if (error.permanent && stillValid) {
        // The current credentials still work (e.g. LinkedIn gives most apps no refresh token):
        // keep publishing with them, and ask again when they are about to run out.
        await postponeRefresh(db, account.id, account.tokenExpiresAt! - EXPIRY_MARGIN_MS);
        this.ctx.logger.warn({ account: account.id, platform: account.platform, err: error.message }, 'refresh refused; the credentials work until they expire');
      } else if (error.permanent) {
        const reason = `${adapter.name} refused to renew the connection (${error.message.replace(/\.$/, '')}). Reconnect the account.`;
        await deactivateAccount(db, account.id, reason, account.credentials);
        this.ctx.logger.warn({ account: account.id, platform: account.platform }, 'refresh refused: account needs reconnecting');
      } else {
        await postponeRefresh(db, account.id, this.ctx.clock.now() + RETRY_REFRESH_MS);
        this.ctx.logger.warn({ account: account.id, platform: account.platform, err: error.message }, 'refresh failed; will try again');
      }
      return error;
    } finally {
      deadline.attemptOver();
    }
  }

  /** Stores renewed credentials (a refresh, or a session the adapter renewed while publishing). */
  async save(accountId: string, adapter: PlatformAdapter<any>, credentials: Record<string, unknown>, wallExpiresAt: number | null): Promise<void> {
    const expiresAt = onAppClock(wallExpiresAt, this.ctx.clock.now());
    const sealed = this.ctx.secrets.seal(credentials);
    this.inUse.set(accountId, sealed);
    await storeCredentials(this.ctx.store.db, accountId, {
      credentials: sealed,
      tokenExpiresAt: expiresAt,
      refreshAt: refreshTime(adapter, expiresAt),
    });
  }
}
