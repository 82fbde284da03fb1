import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database>;

export interface AccountQueueRecord {
  accountId: string;
  timezone: string;
  slots: { day: string; time: string }[];
  updatedAt: number;
}

export async function findAccountQueues(db: Db, accountIds: string[]): Promise<AccountQueueRecord[]> {
  if (accountIds.length === 0) return [];
  const rows = await db.selectFrom('account_queues').selectAll().where('account_id', 'in', accountIds).execute();
  return rows.map((r) => ({ accountId: r.account_id, timezone: r.timezone, slots: JSON.parse(r.slots), updatedAt: r.updated_at }));
}

export async function saveAccountQueue(db: Db, queue: AccountQueueRecord): Promise<void> {
  const values = { account_id: queue.accountId, timezone: queue.timezone, slots: JSON.stringify(queue.slots), updated_at: queue.updatedAt };
  await db
    .insertInto('account_queues')
    .values(values)
    .onConflict((oc) => oc.column('account_id').doUpdateSet({ timezone: values.timezone, slots: values.slots, updated_at: values.updated_at }))
    .execute();
}
