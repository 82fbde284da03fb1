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
  const map = new Map<string, AccountRecord & { deleted: boolean }>();
  if (ids.length === 0) return map;
  const rows = await db.selectFrom('accounts').selectAll().where('id', 'in', ids).execute();
  for (const row of rows) map.set(row.id, { ...toRecord(row), deleted: row.deleted_at !== null });
  return map;
}

export async function setAccountActive(db: Db, id: string, active: boolean): Promise<void> {
  await db.updateTable('accounts').set({ is_active: active ? 1 : 0 }).where('id', '=', id).execute();
}

export async function touchAccount(db: Db, id: string, at: number): Promise<void> {
  await db.updateTable('accounts').set({ last_used_at: at }).where('id', '=', id).execute();
}

/** Disconnecting keeps the row (past posts still name it) but removes it from every list. */
export async function softDeleteAccount(db: Db, id: string, at: number): Promise<void> {
  await db.updateTable('accounts').set({ deleted_at: at, is_active: 0, credentials: '' }).where('id', '=', id).execute();
}

/** Reconnect: new credentials and profile for the same platform identity, active again. */
export async function refreshAccountConnection(
  db: Db,
  id: string,
  fields: Pick<AccountRecord, 'credentials' | 'username' | 'displayName' | 'avatarUrl'>,
): Promise<void> {
  await db
    .updateTable('accounts')
    .set({
      credentials: fields.credentials,
      is_active: 1,
      username: fields.username,
      display_name: fields.displayName,
      avatar_url: fields.avatarUrl,
    })
    .where('id', '=', id)
    .execute();
}
