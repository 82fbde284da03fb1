import { z } from 'zod';
import { DomainError, notFound, validationFailed } from '../core/errors.js';
import { ID_PREFIX, newId } from '../core/ids.js';
import {
  type AccountRecord,
  findAccount,
  insertAccount,
  listAccounts,
  refreshAccountConnection,
  softDeleteAccount,
} from '../store/account.repository.js';
import { detachAccountFromQueue } from '../store/delivery.repository.js';
import type { ConnectedAccount, PlatformAdapter } from '../platforms/platform.js';
import type { AppContext } from './context.js';
import { onAppClock, refreshTime } from './credentials.service.js';

export class AccountService {
  constructor(private readonly ctx: AppContext) {}

  list(userId: string): Promise<AccountRecord[]> {
    return listAccounts(this.ctx.store.db, userId);
  }

  async get(userId: string, id: string): Promise<AccountRecord> {
    const account = await findAccount(this.ctx.store.db, userId, id);
    if (!account) throw notFound('Account', id);
    return account;
  }

  /** Connects an account that needs no browser (webhook, app passwords, pasted tokens). */
  async connect(userId: string, body: Record<string, unknown>): Promise<{ account: AccountRecord; created: boolean }> {
    const platformName = body.platform;
    if (typeof platformName !== 'string') throw validationFailed('platform', 'platform is required.');
    const adapter = this.adapter(platformName);
    if (!adapter.connectSchema || !adapter.connect) {
      throw validationFailed('platform', `${platformName} accounts are connected in the browser: open GET /v1/accounts/connect/${platformName}.`);
    }
    const { platform: _platform, ...rest } = body;
    const parsed = adapter.connectSchema.safeParse(rest);
    if (!parsed.success) throw zodToDomain(parsed.error);
    const connected = await adapter.connect(parsed.data, { blockPrivateUrls: this.ctx.config.blockPrivateUrls, signal: AbortSignal.timeout(30_000) });
    return this.store(userId, adapter, connected);
  }

  adapter(platformName: string): PlatformAdapter<any> {
    const adapter = this.ctx.platforms.get(platformName);
    if (!adapter) {
      throw validationFailed('platform', `Unknown platform "${platformName}". Known: ${this.ctx.platforms.names().join(', ')}.`);
    }
    return adapter;
  }

  /**
   * Stores a connected account (from a connect body or an OAuth callback). Connecting the same
   * platform identity again updates it in place and reactivates it, so a "reconnect" keeps the
   * account's id and the posts that name it. An adapter that returns no meta leaves the account's
   * as it was (a webhook reconnected without `deduplicates`).
   */
  async store(userId: string, adapter: PlatformAdapter<any>, connected: ConnectedAccount): Promise<{ account: AccountRecord; created: boolean }> {
    const now = this.ctx.clock.now();
    const existing = (await listAccounts(this.ctx.store.db, userId)).find(
      (a) => a.platform === adapter.name && a.platformUserId === connected.platformUserId,
    );
    const sealed = this.ctx.secrets.seal(connected.credentials);
    const expiresAt = onAppClock(connected.expiresAt, now);
    const fields = {
      credentials: sealed,
      username: connected.username,
      displayName: connected.displayName,
      avatarUrl: connected.avatarUrl,
      meta: connected.meta ?? existing?.meta ?? {},
      tokenExpiresAt: expiresAt,
      refreshAt: refreshTime(adapter, expiresAt),
    };
    if (existing) {
      await refreshAccountConnection(this.ctx.store.db, existing.id, fields);
      return { account: await this.get(userId, existing.id), created: false };
    }
    const account: AccountRecord = {
      id: newId(ID_PREFIX.account, now),
      userId,
      platform: adapter.name,
      platformUserId: connected.platformUserId,
      isActive: true,
      connectedAt: now,
      lastUsedAt: null,
      inactiveReason: null,
      ...fields,
    };
    await insertAccount(this.ctx.store.db, account);
    return { account, created: true };
  }

  /** Disconnect: forgets the credentials and cancels what was still waiting to go out there. */
  async disconnect(userId: string, id: string): Promise<void> {
    await this.get(userId, id);
    const now = this.ctx.clock.now();
    await this.ctx.store.db.transaction().execute(async (trx) => {
      await detachAccountFromQueue(trx, id, now);
      await softDeleteAccount(trx, id, now);
    });
  }
}

/** A platform's connect body failed its schema: the first problem, by field. */
export function zodToDomain(error: z.ZodError): DomainError {
  const issue = error.issues[0]!;
  const field = issue.path.map(String).join('.') || 'body';
  const status = issue.code === 'invalid_type' ? 'bad_request' : 'validation_failed';
  return new DomainError(status, `${field}: ${issue.message}`, {
    field,
    issues: error.issues.map((i) => ({ field: i.path.map(String).join('.'), message: i.message })),
  });
}
