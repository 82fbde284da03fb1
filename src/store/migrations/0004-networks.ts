import { type Kysely, sql } from 'kysely';

// Migrations never import app types: they describe the schema as it was on the day they were written.

/**
 * Real networks: per-account facts and token expiry (refresh), OAuth flows in progress and the
 * client apps registered per server (Mastodon), a thread's progress per delivery, and cross-links
 * (a post's other networks wait for its primary delivery, then carry its link).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('accounts')
    .addColumn('meta', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
  await db.schema.alterTable('accounts').addColumn('token_expires_at', 'bigint').execute();
  // When to refresh next (expiry minus the platform's margin), and who is refreshing: refresh
  // tokens often rotate, so two nodes refreshing at once would lock the account out.
  await db.schema.alterTable('accounts').addColumn('refresh_at', 'bigint').execute();
  await db.schema.alterTable('accounts').addColumn('refresh_lease_until', 'bigint').execute();
  await db.schema.alterTable('accounts').addColumn('inactive_reason', 'text').execute();
  await db.schema.createIndex('accounts_refresh_idx').on('accounts').column('refresh_at').execute();

  await db.schema.alterTable('deliveries').addColumn('progress', 'text').execute();
  await db.schema.alterTable('deliveries').addColumn('cross_link_from', 'text').execute();
  await db.schema
    .alterTable('deliveries')
    .addColumn('blocked', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('deliveries').addColumn('detail', 'text').execute();
  // Finding the deliveries a finished primary releases, on every recorded outcome: only the few waiting.
  await sql`CREATE INDEX deliveries_waiting_idx ON deliveries (cross_link_from) WHERE blocked = 1`.execute(db);
  await db.schema.alterTable('posts').addColumn('cross_link', 'text').execute();

  await db.schema
    .createTable('oauth_states')
    .addColumn('state_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('remember', 'text', (c) => c.notNull()) // encrypted JSON (PKCE verifier...)
    .addColumn('return_to', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('oauth_clients')
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('server', 'text', (c) => c.notNull())
    .addColumn('client', 'text', (c) => c.notNull()) // encrypted JSON
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('oauth_clients_pk', ['platform', 'server'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('oauth_clients').ifExists().execute();
  await db.schema.dropTable('oauth_states').ifExists().execute();
  await db.schema.alterTable('posts').dropColumn('cross_link').execute();
  await db.schema.dropIndex('deliveries_waiting_idx').ifExists().execute();
  for (const column of ['detail', 'blocked', 'cross_link_from', 'progress']) {
    await db.schema.alterTable('deliveries').dropColumn(column).execute();
  }
  await db.schema.dropIndex('accounts_refresh_idx').ifExists().execute();
  for (const column of ['inactive_reason', 'refresh_lease_until', 'refresh_at', 'token_expires_at', 'meta']) {
    await db.schema.alterTable('accounts').dropColumn(column).execute();
  }
}
