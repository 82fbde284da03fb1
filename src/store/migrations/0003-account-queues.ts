import type { Kysely } from 'kysely';

// A posting queue per account: weekly slots (JSON [{day, time}]) in a named time zone.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('account_queues')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('timezone', 'text', (c) => c.notNull())
    .addColumn('slots', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('account_queues').ifExists().execute();
}
