import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database>;

export interface UserRecord {
  id: string;
  email: string | null;
  timezone: string | null;
  createdAt: number;
}

export async function insertUser(db: Db, user: UserRecord): Promise<void> {
  await db
    .insertInto('users')
    .values({ id: user.id, email: user.email, password_hash: null, timezone: user.timezone, created_at: user.createdAt })
    .execute();
}

export async function findUser(db: Db, id: string): Promise<UserRecord | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? { id: row.id, email: row.email, timezone: row.timezone, createdAt: row.created_at } : undefined;
}

/** The first user created is the instance's owner. */
export async function findOwner(db: Db): Promise<UserRecord | undefined> {
  const row = await db.selectFrom('users').selectAll().orderBy('created_at').orderBy('id').limit(1).executeTakeFirst();
  return row ? { id: row.id, email: row.email, timezone: row.timezone, createdAt: row.created_at } : undefined;
}

export async function updateUserTimezone(db: Db, id: string, timezone: string | null): Promise<void> {
  await db.updateTable('users').set({ timezone }).where('id', '=', id).execute();
}
