import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database>;

/** Storage of web sign-in: sessions (by token hash) and the users' password hashes. */
export interface SessionRecord {
  id: string;
  userId: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  userAgent: string | null;
}

export async function insertSession(db: Db, session: SessionRecord, tokenHash: string): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      id: session.id,
      user_id: session.userId,
      token_hash: tokenHash,
      created_at: session.createdAt,
      last_seen_at: session.lastSeenAt,
      expires_at: session.expiresAt,
      user_agent: session.userAgent,
    })
    .execute();
}

export async function findSessionByHash(db: Db, tokenHash: string): Promise<SessionRecord | undefined> {
  const row = await db.selectFrom('sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    userId: row.user_id,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
    userAgent: row.user_agent,
  };
}

export async function extendSession(db: Db, id: string, lastSeenAt: number, expiresAt: number): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: lastSeenAt, expires_at: expiresAt }).where('id', '=', id).execute();
}

export async function deleteSessionByHash(db: Db, tokenHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
}

export async function deleteExpiredSessions(db: Db, now: number): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
}

export interface PasswordRecord {
  userId: string;
  email: string;
  passwordHash: string;
}

export async function findPasswordByEmail(db: Db, email: string): Promise<PasswordRecord | undefined> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'email', 'password_hash'])
    .where('email', '=', email)
    .where('password_hash', 'is not', null)
    .executeTakeFirst();
  return row ? { userId: row.id, email: row.email!, passwordHash: row.password_hash! } : undefined;
}

export async function countUsersWithPassword(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('password_hash', 'is not', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Sets the owner's sign-in only while nobody has one: true when this call did it (first setup wins). */
export async function claimOwnerCredentials(db: Db, userId: string, email: string, passwordHash: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if ((await countUsersWithPassword(trx)) > 0) return false;
    const result = await trx
      .updateTable('users')
      .set({ email, password_hash: passwordHash })
      .where('id', '=', userId)
      .where('password_hash', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  });
}
