import { minuteOf } from '../core/bulk-pattern.js';
import { conflict, validationFailed } from '../core/errors.js';
import { checkQueue, queueInstants, type QueueSlot, type QueueSlotInstant } from '../core/posting-queue.js';
import { isEditable } from '../core/statuses.js';
import { takenMinutes, upcomingDeliveriesOfAccount } from '../store/delivery.repository.js';
import { findAccountQueues, saveAccountQueue } from '../store/queue-slots.repository.js';
import type { AccountService } from './account.service.js';
import type { AppContext } from './context.js';
import type { PostService } from './post.service.js';
import type { UserService } from './user.service.js';

/** How far ahead "Add to queue" looks for a free slot. */
const SEARCH_DAYS = 366;

export interface UpcomingSlot extends QueueSlotInstant {
  postIds: string[];
}

/** Per-account posting queues: weekly slots, and "Add to queue" into the next free one. */
export class PostingQueueService {
  constructor(
    private readonly ctx: AppContext,
    private readonly accounts: AccountService,
    private readonly posts: PostService,
    private readonly users: UserService,
  ) {}

  async get(userId: string, accountId: string, days = 14): Promise<{ timezone: string; slots: QueueSlot[]; upcoming: UpcomingSlot[] }> {
    await this.accounts.get(userId, accountId);
    const [queue] = await findAccountQueues(this.ctx.store.db, [accountId]);
    const timezone = queue?.timezone ?? (await this.users.get(userId)).timezone ?? 'UTC';
    const slots = (queue?.slots ?? []) as QueueSlot[];
    const now = this.ctx.clock.now();
    const taken = await this.postsByMinute(accountId, now);
    const upcoming = [...queueInstants(slots, timezone, now, days)].map((s) => ({ ...s, postIds: taken.get(minuteOf(s.instant)) ?? [] }));
    return { timezone, slots, upcoming };
  }

  async put(userId: string, accountId: string, input: { timezone?: string | undefined; slots: QueueSlot[] }) {
    await this.accounts.get(userId, accountId);
    const timezone = input.timezone ?? (await this.users.get(userId)).timezone ?? 'UTC';
    const slots = checkQueue(input.slots, timezone);
    await saveAccountQueue(this.ctx.store.db, { accountId, timezone, slots, updatedAt: this.ctx.clock.now() });
    return this.get(userId, accountId);
  }

  /** Schedules the post at the next queue slot (of any of its accounts) free on all its accounts. */
  async addToQueue(userId: string, postId: string): Promise<number> {
    const post = await this.posts.get(userId, postId);
    if (!isEditable(post.status)) throw conflict(`This post is ${post.status.replace('_', ' ')}; only drafts and scheduled posts can be queued.`, { status: post.status });
    const at = await this.nextFreeSlot(post.accountIds, [postId]);
    await this.posts.scheduleMany(userId, [{ id: postId, at }]);
    return at;
  }

  /** Used by the CSV import too: `reserved` holds minutes already promised to earlier rows. */
  async nextFreeSlot(accountIds: string[], excludePostIds: string[], reserved: Map<string, Set<number>> = new Map()): Promise<number> {
    if (accountIds.length === 0) throw validationFailed('accounts', 'The post has no account to publish to.');
    const queues = await findAccountQueues(this.ctx.store.db, accountIds);
    const withSlots = queues.filter((q) => q.slots.length > 0);
    if (withSlots.length === 0) throw validationFailed('accounts', "None of the post's accounts has a posting queue: set up its weekly slots first.");
    const now = this.ctx.clock.now();
    const taken = await takenMinutes(this.ctx.store.db, accountIds, now, excludePostIds);
    const isFree = (minute: number) => accountIds.every((a) => !taken.get(a)?.has(minute) && !reserved.get(a)?.has(minute));
    const candidates = withSlots
      .flatMap((q) => [...queueInstants(q.slots as QueueSlot[], q.timezone, now, SEARCH_DAYS)].map((s) => s.instant))
      .sort((a, b) => a - b);
    const at = candidates.find((instant) => isFree(minuteOf(instant)));
    if (at === undefined) throw validationFailed('accounts', 'The posting queue has no free slot in the next year: add slots.');
    for (const a of accountIds) reserved.set(a, (reserved.get(a) ?? new Set()).add(minuteOf(at)));
    return at;
  }

  private async postsByMinute(accountId: string, from: number): Promise<Map<number, string[]>> {
    const map = new Map<number, string[]>();
    for (const d of await upcomingDeliveriesOfAccount(this.ctx.store.db, accountId, from)) {
      map.set(minuteOf(d.dueAt), [...(map.get(minuteOf(d.dueAt)) ?? []), d.postId]);
    }
    return map;
  }
}
