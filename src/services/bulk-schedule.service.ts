import { type Assignment, assignSlots, type SchedulePattern } from '../core/bulk-pattern.js';
import { conflict, validationFailed } from '../core/errors.js';
import { isEditable } from '../core/statuses.js';
import { takenMinutes } from '../store/delivery.repository.js';
import { findPostsByIds, type PostRecord } from '../store/post.repository.js';
import type { AppContext } from './context.js';
import type { PostService } from './post.service.js';
import type { UserService } from './user.service.js';

export interface BulkScheduleInput {
  post_ids: string[];
  pattern: SchedulePattern;
  timezone?: string | undefined;
  stagger_minutes?: number | undefined;
}

/**
 * Bulk scheduling (scheduling.md): drafts and scheduled posts get the times of a pattern, in the
 * order given. Preview writes nothing; apply computes the very same assignments and schedules them
 * all in one transaction, or none.
 */
export class BulkScheduleService {
  constructor(
    private readonly ctx: AppContext,
    private readonly posts: PostService,
    private readonly users: UserService,
  ) {}

  async preview(userId: string, input: BulkScheduleInput): Promise<{ assignments: Assignment[]; timezone: string }> {
    const timezone = await this.zoneFor(userId, input.timezone);
    const drafts = await this.loadDrafts(userId, input.post_ids);
    const now = this.ctx.clock.now();
    const taken = input.pattern.skip_taken
      ? await takenMinutes(this.ctx.store.db, [...new Set(drafts.flatMap((d) => d.accountIds))], now, input.post_ids)
      : new Map();
    const assignments = assignSlots(
      drafts.map((d) => ({ id: d.id, accountIds: d.accountIds })),
      input.pattern,
      timezone,
      now,
      taken,
    );
    return { assignments, timezone };
  }

  async apply(userId: string, input: BulkScheduleInput): Promise<{ assignments: Assignment[]; timezone: string }> {
    const result = await this.preview(userId, input);
    await this.posts.scheduleMany(
      userId,
      result.assignments.map((a) => ({ id: a.post_id, at: a.scheduled_for })),
      input.stagger_minutes,
    );
    return result;
  }

  private async zoneFor(userId: string, given: string | undefined): Promise<string> {
    if (given !== undefined) return given;
    const user = await this.users.get(userId);
    if (user.timezone) return user.timezone;
    throw validationFailed('timezone', 'Give the time zone of the pattern (like Europe/Berlin), or set yours in Settings.');
  }

  private async loadDrafts(userId: string, ids: string[]): Promise<PostRecord[]> {
    if (ids.length === 0) throw validationFailed('post_ids', 'Select at least one draft.');
    const found = await findPostsByIds(this.ctx.store.db, userId, ids);
    return ids.map((id, i) => {
      const post = found.get(id);
      if (!post) throw validationFailed(`post_ids[${i}]`, `Post ${id} does not exist.`);
      if (!isEditable(post.status)) {
        throw conflict(`Post ${id} is ${post.status.replace('_', ' ')}; only drafts and scheduled posts can be scheduled.`, { field: `post_ids[${i}]`, post_id: id, status: post.status });
      }
      if (post.accountIds.length === 0) throw validationFailed(`post_ids[${i}]`, `Post ${id} has no account to publish to.`);
      return post;
    });
  }
}
