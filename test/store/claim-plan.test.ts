import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { insertDeliveries } from '../../src/store/delivery.repository.js';
import { claimDue } from '../../src/store/queue.repository.js';
import { postgresAvailable } from '../helpers/databases.js';
import { storeWithAccounts, type TestStore } from '../helpers/store-fixture.js';

// Migration 0007: on an analysed deliveries table the claim keeps one plan (generic, never
// re-planned per call) and that plan reads the due index and the primary key, never the whole
// table, however many rows it guesses the limit lets through.
const ACCOUNTS = Array.from({ length: 10 }, (_, i) => `a${i}`);
const POSTS = 300;

describe.skipIf(!(await postgresAvailable()))('the claim statement on an analysed postgres table', () => {
  let fixture: TestStore;

  beforeEach(async () => {
    fixture = await storeWithAccounts('postgres', ACCOUNTS);
    const { db } = fixture.store;
    const posts = Array.from({ length: POSTS }, (_, p) => ({
      id: `p${p}`, user_id: 'u', content: 'x', media: '{"images":[]}', segments: '[]', platform_options: '{}',
      stagger_minutes: 0, scheduled_for: 1000 + p, published_at: null, created_at: 0, updated_at: 0,
    }));
    await db.insertInto('posts').values(posts).execute();
    await insertDeliveries(
      db,
      posts.flatMap((post, p) => ACCOUNTS.map((accountId) => ({ id: `d${p}_${accountId}`, postId: post.id, accountId, platform: 'webhook', dueAt: 1000 + p, now: 0 }))),
    );
    // What autovacuum does once enough rows have changed.
    await sql`ANALYZE deliveries`.execute(db);
  });
  afterEach(() => fixture.drop());

  it('is pinned to its generic plan', async () => {
    const { rows } = await sql<{ proconfig: string[] }>`SELECT proconfig FROM pg_proc WHERE proname = 'octopost_claim_due'`.execute(fixture.store.db);
    expect(rows[0]?.proconfig).toContain('plan_cache_mode=force_generic_plan');
  });

  it('claims the oldest due first, batch after batch, without scanning the whole table', async () => {
    const claimedDueTimes = await fixture.store.db.transaction().execute(async (trx) => {
      // This backend's counters not yet sent to the statistics (the setup's are among them).
      const seqScans = async () =>
        Number((await sql<{ seq_scan: string }>`SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'deliveries'`.execute(trx)).rows[0]?.seq_scan);
      const seqScansBefore = await seqScans();
      const dueTimes: number[] = [];
      // More calls than the 5 after which PostgreSQL's plan cache settles on a plan.
      for (let call = 0; call < 8; call++) {
        const batch = await claimDue(trx, 'postgres', 'w', 10_000, 70_000, 28);
        expect(batch).toHaveLength(28);
        expect(batch.every((d) => d.status === 'publishing' && d.lockedBy === 'w')).toBe(true);
        dueTimes.push(...batch.map((d) => d.dueAt));
      }
      expect(await seqScans()).toBe(seqScansBefore);
      return dueTimes;
    });
    expect(claimedDueTimes).toEqual([...claimedDueTimes].sort((a, b) => a - b));
    // 224 of the 10 deliveries a post: posts 0-21 whole, then 4 of post 22.
    expect(new Set(claimedDueTimes)).toEqual(new Set(Array.from({ length: 23 }, (_, p) => 1000 + p)));
  });
});
