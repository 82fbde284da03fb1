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
import type { AppContext } from './context.js';

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

  /**
   * Connects an account that needs no browser (webhook, app passwords, pasted tokens).
   * Connecting the same platform identity again updates it in place and reactivates it, so a
   * "reconnect" keeps the account's id and the posts that name it.
   */
  async connect(userId: string, body: Record<string, unknown>): Promise<{ account: AccountRecord; created: boolean }> {
    const platformName = body.platform;
    if (typeof platformName !== 'string') throw validationFailed('platform', 'platform is required.');
    const adapter = this.ctx.platforms.get(platformName);
    if (!adapter) {
      throw validationFailed('platform', `Unknown platform "${platformName}". Known: ${this.ctx.platforms.names().join(', ')}.`);
    }
    const { platform: _platform, ...rest } = body;
    const parsed = adapter.connectSchema.safeParse(rest);
    if (!parsed.success) throw zodToDomain(parsed.error);
    const connected = await adapter.connect(parsed.data, { blockPrivateUrls: this.ctx.config.blockPrivateUrls });
    const now = this.ctx.clock.now();
    const sealed = this.ctx.secrets.seal(connected.credentials);
    const existing = (await listAccounts(this.ctx.store.db, userId)).find(
      (a) => a.platform === adapter.name && a.platformUserId === connected.platformUserId,
    );
    if (existing) {
      await refreshAccountConnection(this.ctx.store.db, existing.id, {
        credentials: sealed,
        username: connected.username,
        displayName: connected.displayName,
        avatarUrl: connected.avatarUrl,
      });
      return { account: await this.get(userId, existing.id), created: false };
    }
    const account: AccountRecord = {
      id: newId(ID_PREFIX.account, now),
      userId,
      platform: adapter.name,
      platformUserId: connected.platformUserId,
      username: connected.username,
      displayName: connected.displayName,
      avatarUrl: connected.avatarUrl,
      isActive: true,
      credentials: sealed,
      connectedAt: now,
      lastUsedAt: null,
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
