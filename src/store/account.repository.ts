import type { Kysely, Selectable } from 'kysely';
import type { AccountsTable, Database } from './schema.js';

type Db = Kysely<Database>;

export interface AccountRecord {
  id: string;
  userId: string;
  platform: string;
  platformUserId: string;
  username: string;
  displayName: string;
  avatarUrl: string | null;
  isActive: boolean;
  /** Encrypted at rest; only services decrypt it, and only to hand it to the platform adapter. */
  credentials: string;
  connectedAt: number;
  lastUsedAt: number | null;
  /** Not secret: what the adapter keeps about the account (instance URL, limits). */
  meta: Record<string, unknown>;
  /** When the credentials stop working unless refreshed; null: they do not expire. */
  tokenExpiresAt: number | null;
  /** When to refresh them next (expiry minus the platform's margin); null: never. */
  refreshAt: number | null;
  /** Why the account must be reconnected, in words (null while active). */
  inactiveReason: string | null;
}

function toRecord(row: Selectable<AccountsTable>): AccountRecord {
  return {
    id: row.id,
    userId: row.user_id,
    platform: row.platform,
    platformUserId: row.platform_user_id,
    username: row.username,
    displayName: row.display_name,
    avatarUrl: row.avatar_url,
    isActive: row.is_active === 1,
    credentials: row.credentials,
    connectedAt: row.connected_at,
    lastUsedAt: row.last_used_at,
    meta: JSON.parse(row.meta),
    tokenExpiresAt: row.token_expires_at,
    refreshAt: row.refresh_at,
    inactiveReason: row.inactive_reason,
  };
}

export async function insertAccount(db: Db, a: AccountRecord): Promise<void> {
  await db
    .insertInto('accounts')
    .values({
      id: a.id,
      user_id: a.userId,
      platform: a.platform,
      platform_user_id: a.platformUserId,
      username: a.username,
      display_name: a.displayName,
      avatar_url: a.avatarUrl,
      is_active: a.isActive ? 1 : 0,
      credentials: a.credentials,
      connected_at: a.connectedAt,
      last_used_at: a.lastUsedAt,
      deleted_at: null,
      meta: JSON.stringify(a.meta),
      token_expires_at: a.tokenExpiresAt,
      refresh_at: a.refreshAt,
      inactive_reason: a.inactiveReason,
    })
    .execute();
}

export async function listAccounts(db: Db, userId: string): Promise<AccountRecord[]> {
  const rows = await db
    .selectFrom('accounts')
    .selectAll()
    .where('user_id', '=', userId)
    .where('deleted_at', 'is', null)
    .orderBy('connected_at')
    .orderBy('id')
    .execute();
  return rows.map(toRecord);
}

export async function findAccount(db: Db, userId: string, id: string): Promise<AccountRecord | undefined> {
  const row = await db
    .selectFrom('accounts')
    .selectAll()
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/** For the scheduler: accounts by id whoever owns them, disconnected ones included. */
export async function findAccountsByIds(db: Db, ids: string[]): Promise<Map<string, AccountRecord & { deleted: boolean }>> {
  if (ids.length === 0) return new Map();
  return accountsById(await db.selectFrom('accounts').selectAll().where('id', 'in', ids).execute());
}

/** Account rows (from any query returning whole rows) by id, deleted ones marked. */
export function accountsById(rows: Selectable<AccountsTable>[]): Map<string, AccountRecord & { deleted: boolean }> {
  return new Map(rows.map((row) => [row.id, { ...toRecord(row), deleted: row.deleted_at !== null }]));
}

/**
 * Marks an account as needing a reconnect, with the reason shown to the user; only while it still
 * has the credentials that were refused (`refusedCredentials`, sealed): a worker holding an older
 * copy of the account must not undo the reconnect a person made in the meantime.
 */
export async function deactivateAccount(db: Db, id: string, reason: string, refusedCredentials: string): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ is_active: 0, inactive_reason: reason, refresh_at: null })
    .where('id', '=', id)
    .where('credentials', '=', refusedCredentials)
    .execute();
}

/** Disconnecting keeps the row (past posts still name it) but removes it from every list. */
export async function softDeleteAccount(db: Db, id: string, at: number): Promise<void> {
  await db.updateTable('accounts').set({ deleted_at: at, is_active: 0, credentials: '' }).where('id', '=', id).execute();
}

/** Reconnect: new credentials and profile for the same platform identity, active again. */
export async function refreshAccountConnection(
  db: Db,
  id: string,
  fields: Pick<AccountRecord, 'credentials' | 'username' | 'displayName' | 'avatarUrl' | 'meta' | 'tokenExpiresAt' | 'refreshAt'>,
): Promise<void> {
  await db
    .updateTable('accounts')
    .set({
      credentials: fields.credentials,
      is_active: 1,
      inactive_reason: null,
      username: fields.username,
      display_name: fields.displayName,
      avatar_url: fields.avatarUrl,
      meta: JSON.stringify(fields.meta),
      token_expires_at: fields.tokenExpiresAt,
      refresh_at: fields.refreshAt,
      refresh_lease_until: null,
    })
    .where('id', '=', id)
    .execute();
}

/**
 * Takes the right to refresh one account's credentials for `leaseMs` (one node at a time: refresh
 * tokens often rotate, so a second refresh with the old token would lock the account out).
 * `leaseNow` is now in the leases' time (LeaseClock).
 */
export async function takeRefreshLease(db: Db, id: string, leaseNow: number, leaseMs: number): Promise<boolean> {
  const result = await db
    .updateTable('accounts')
    .set({ refresh_lease_until: leaseNow + leaseMs })
    .where('id', '=', id)
    .where('is_active', '=', 1)
    .where((eb) => eb.or([eb('refresh_lease_until', 'is', null), eb('refresh_lease_until', '<', leaseNow)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Active accounts whose refresh time has come (`now`, this node's clock), and no other node is
 * refreshing (`leaseNow`, the leases' time: LeaseClock).
 */
export async function accountsDueForRefresh(db: Db, now: number, leaseNow: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('accounts')
    .select('id')
    .where('refresh_at', '<=', now)
    .where('is_active', '=', 1)
    .where('deleted_at', 'is', null)
    .where((eb) => eb.or([eb('refresh_lease_until', 'is', null), eb('refresh_lease_until', '<', leaseNow)]))
    .orderBy('refresh_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** New credentials (a refresh, or a session renewed while publishing); releases the lease. */
export async function storeCredentials(
  db: Db,
  id: string,
  fields: { credentials: string; tokenExpiresAt: number | null; refreshAt: number | null },
): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ credentials: fields.credentials, token_expires_at: fields.tokenExpiresAt, refresh_at: fields.refreshAt, refresh_lease_until: null })
    .where('id', '=', id)
    .execute();
}

/** A refresh that failed for a while: try again at `retryAt`. */
export async function postponeRefresh(db: Db, id: string, retryAt: number): Promise<void> {
  await db.updateTable('accounts').set({ refresh_at: retryAt, refresh_lease_until: null }).where('id', '=', id).execute();
}

/** Any account by id (the refresher works across users). */
export async function findAccountById(db: Db, id: string): Promise<(AccountRecord & { deleted: boolean }) | undefined> {
  return (await findAccountsByIds(db, [id])).get(id);
}
