import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database>;

export interface OAuthStateRecord {
  userId: string;
  platform: string;
  /** Encrypted JSON: what the flow remembers until the callback (PKCE verifier, instance). */
  remember: string;
  returnTo: string | null;
  expiresAt: number;
}

export async function insertOAuthState(db: Db, stateHash: string, s: OAuthStateRecord, now: number): Promise<void> {
  // Flows abandoned in the browser leave their rows behind: clear the expired ones on the way.
  await db.deleteFrom('oauth_states').where('expires_at', '<', now).execute();
  await db
    .insertInto('oauth_states')
    .values({ state_hash: stateHash, user_id: s.userId, platform: s.platform, remember: s.remember, return_to: s.returnTo, created_at: now, expires_at: s.expiresAt })
    .execute();
}

/** Takes the state (once: a replayed callback finds nothing). */
export async function takeOAuthState(db: Db, stateHash: string): Promise<OAuthStateRecord | undefined> {
  const row = await db.selectFrom('oauth_states').selectAll().where('state_hash', '=', stateHash).executeTakeFirst();
  if (!row) return undefined;
  const deleted = await db.deleteFrom('oauth_states').where('state_hash', '=', stateHash).executeTakeFirst();
  if (Number(deleted.numDeletedRows) === 0) return undefined;
  return { userId: row.user_id, platform: row.platform, remember: row.remember, returnTo: row.return_to, expiresAt: row.expires_at };
}

export async function findOAuthClient(db: Db, platform: string, server: string): Promise<string | undefined> {
  const row = await db.selectFrom('oauth_clients').select('client').where('platform', '=', platform).where('server', '=', server).executeTakeFirst();
  return row?.client;
}

export async function saveOAuthClient(db: Db, platform: string, server: string, sealed: string, now: number): Promise<void> {
  await db
    .insertInto('oauth_clients')
    .values({ platform, server, client: sealed, created_at: now })
    .onConflict((oc) => oc.columns(['platform', 'server']).doUpdateSet({ client: sealed, created_at: now }))
    .execute();
}
