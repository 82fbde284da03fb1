import { Migrator } from 'kysely';
import { migrateToLatest, openStore, type Store } from '../../src/store/database.js';
import { migrations } from '../../src/store/migrations/index.js';
import { createTestDatabase, type DialectName } from './databases.js';

/** A store on a fresh test database, and `drop()` to close it and remove the database. */
export interface TestStore {
  store: Store;
  drop(): Promise<void>;
}

/**
 * For store tests that write rows directly: a fresh database at the latest schema (or at the
 * migration `migrateTo` names), with user 'u' and a webhook account per id in `accountIds`.
 */
export async function storeWithAccounts(dialect: DialectName, accountIds: string[], { migrateTo }: { migrateTo?: string } = {}): Promise<TestStore> {
  const database = await createTestDatabase(dialect);
  const store = openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
  if (migrateTo) {
    await migrateStoreTo(store, migrateTo);
  } else {
    await migrateToLatest(store);
  }
  await store.db.insertInto('users').values({ id: 'u', email: null, password_hash: null, timezone: null, created_at: 0 }).execute();
  if (accountIds.length) {
    await store.db
      .insertInto('accounts')
      .values(accountIds.map((id, i) => ({ id, user_id: 'u', platform: 'webhook', platform_user_id: `${i}`, username: 'x', display_name: 'x', avatar_url: null, is_active: 1, credentials: '', connected_at: 0, last_used_at: null, deleted_at: null })))
      .execute();
  }
  return {
    store,
    async drop() {
      await store.close();
      await database.drop();
    },
  };
}

/** Migrates the store up or down to the migration `name` (down runs each later one's `down`). */
export async function migrateStoreTo(store: Store, name: string): Promise<void> {
  const { error } = await new Migrator({ db: store.db, provider: { getMigrations: async () => migrations } }).migrateTo(name);
  if (error) throw error;
}
