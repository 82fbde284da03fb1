import type { Kysely } from 'kysely';
import { checkContent, type ContentProblem } from '../core/content-rules.js';
import { LINK_PLACEHOLDER, withCrossLink } from '../core/cross-link.js';
import { conflict, DomainError, notFound, validationFailed } from '../core/errors.js';
import { ID_PREFIX, newId } from '../core/ids.js';
import { isEditable, type PostStatus } from '../core/statuses.js';
import { MAX_STAGGER_MINUTES, parseInstant } from '../core/time.js';
import { rulesOf } from '../platforms/platform.js';
import { checkPublicUrl } from '../platforms/url-guard.js';
import { findAccountsByIds, type AccountRecord } from '../store/account.repository.js';
import {
  deleteReplaceableDeliveries,
  deleteReplaceableDeliveriesOfPosts,
  insertDeliveries,
  lockDeliveriesOfPost,
  lockDeliveriesOfPosts,
  type NewDelivery,
  requeueFinishedDeliveries,
} from '../store/delivery.repository.js';
import {
  type CrossLink,
  deletePost,
  findPost,
  findPostsByIds,
  insertPost,
  insertPostsBatch,
  type PostRecord,
  replacePostAccounts,
  setScheduledTimes,
  updatePost,
} from '../store/post.repository.js';
import type { Database } from '../store/schema.js';
import type { AppContext } from './context.js';
import { stopDeliveries } from './post-stop.js';
import { resolvePostTargets, type TargetSelection } from './post-targets.js';

export interface PostDraftInput extends TargetSelection {
  content?: string | undefined;
  scheduled_for?: string | null | undefined;
  media?: PostRecord['media'] | undefined;
  segments?: PostRecord['segments'] | undefined;
  platform_options?: Record<string, unknown> | undefined;
  stagger_minutes?: number | undefined;
}

type Db = Kysely<Database>;

export interface NewPostRow {
  content: string;
  media: PostRecord['media'];
  segments: PostRecord['segments'];
  accounts: AccountRecord[];
  scheduledFor: number | null;
  staggerMinutes: number;
}

/**
 * Times from the year 10000 on need expanded ISO years, and a staggered delivery of one near the
 * end of the Date range (+275760) fell outside it: stored, then a 500 when shown.
 */
const LATEST_TIME = Date.UTC(10000, 0, 1);

export class PostService {
  constructor(private readonly ctx: AppContext) {}

  async create(userId: string, input: PostDraftInput & { content: string }): Promise<PostRecord> {
    const now = this.ctx.clock.now();
    const { accounts, crossLink } = await resolvePostTargets(this.ctx, userId, input);
    if (input.media) await this.checkMedia(input.media);
    const post = {
      id: newId(ID_PREFIX.post, now),
      userId,
      content: checkText(input.content),
      media: input.media ?? { images: [] },
      segments: input.segments ?? [],
      platformOptions: input.platform_options ?? {},
      staggerMinutes: checkStagger(input.stagger_minutes ?? 0),
      // null (or leaving it out) makes a draft; any string must be a future time, as on PUT.
      scheduledFor: input.scheduled_for !== undefined && input.scheduled_for !== null ? this.futureTime(input.scheduled_for) : null,
      createdAt: now,
      updatedAt: now,
      accountIds: accounts.map((a) => a.id),
      crossLink,
    };
    this.checkRules(post, accounts);
    await this.ctx.store.db.transaction().execute(async (trx) => {
      await insertPost(trx, post);
      if (post.scheduledFor !== null) await this.createDeliveries(trx, post, accounts, post.scheduledFor);
    });
    if (post.scheduledFor !== null) this.ctx.due.announce(post.scheduledFor);
    return this.get(userId, post.id);
  }

  /**
   * Creates many already-validated posts in one transaction (CSV import): all or none.
   * Returns their ids in the order given.
   */
  async createMany(userId: string, rows: NewPostRow[]): Promise<string[]> {
    const now = this.ctx.clock.now();
    const posts = rows.map((row) => ({
      id: newId(ID_PREFIX.post, now),
      userId,
      content: checkText(row.content),
      media: row.media,
      segments: row.segments,
      platformOptions: {},
      staggerMinutes: checkStagger(row.staggerMinutes),
      scheduledFor: row.scheduledFor,
      createdAt: now,
      updatedAt: now,
      accountIds: row.accounts.map((a) => a.id),
      crossLink: null,
    }));
    const deliveries = posts.flatMap((post, i) =>
      post.scheduledFor === null ? [] : deliveriesFor(post, rows[i]!.accounts, post.scheduledFor, post.staggerMinutes, now),
    );
    await this.ctx.store.db.transaction().execute(async (trx) => {
      await insertPostsBatch(trx, posts);
      await insertDeliveries(trx, deliveries);
    });
    const first = deliveries.reduce((min, d) => Math.min(min, d.dueAt), Number.POSITIVE_INFINITY);
    if (Number.isFinite(first)) this.ctx.due.announce(first);
    return posts.map((p) => p.id);
  }

  async get(userId: string, id: string): Promise<PostRecord> {
    const post = await findPost(this.ctx.store.db, userId, id);
    if (!post) throw notFound('Post', id);
    return post;
  }

  /** PUT: fields left out stay as they are; only while draft or scheduled. */
  async update(userId: string, id: string, input: PostDraftInput): Promise<PostRecord> {
    const now = this.ctx.clock.now();
    const targetsChanged = input.accounts !== undefined || input.platforms !== undefined || input.preset_id !== undefined;
    // New targets bring the preset's cross-link settings, or none when picked by account or platform.
    const newTargets = targetsChanged ? await resolvePostTargets(this.ctx, userId, input) : undefined;
    const newAccounts = newTargets?.accounts;
    if (input.media) await this.checkMedia(input.media);
    const scheduledFor =
      input.scheduled_for === undefined ? undefined : input.scheduled_for === null ? null : this.futureTime(input.scheduled_for);
    const due = await this.ctx.store.db.transaction().execute(async (trx) => {
      const current = await this.lockEditable(trx, userId, id, 'edited');
      const next: PostRecord = {
        ...current,
        content: input.content !== undefined ? checkText(input.content) : current.content,
        media: input.media ?? current.media,
        segments: input.segments ?? current.segments,
        platformOptions: input.platform_options ?? current.platformOptions,
        staggerMinutes: input.stagger_minutes !== undefined ? checkStagger(input.stagger_minutes) : current.staggerMinutes,
        scheduledFor: scheduledFor !== undefined ? scheduledFor : current.scheduledFor,
        accountIds: newAccounts ? newAccounts.map((a) => a.id) : current.accountIds,
        crossLink: newTargets ? newTargets.crossLink : current.crossLink,
      };
      const accounts = newAccounts ?? (await this.accountsOf(trx, next.accountIds));
      this.checkRules(next, accounts);
      await updatePost(trx, id, {
        content: next.content,
        media: next.media,
        segments: next.segments,
        platformOptions: next.platformOptions,
        staggerMinutes: next.staggerMinutes,
        scheduledFor: next.scheduledFor,
        crossLink: next.crossLink,
        updatedAt: now,
      });
      if (newAccounts) await replacePostAccounts(trx, id, next.accountIds);
      await deleteReplaceableDeliveries(trx, id);
      if (next.scheduledFor !== null) {
        this.checkActive(accounts);
        await this.createDeliveries(trx, next, accounts, next.scheduledFor);
      }
      return next.scheduledFor;
    });
    if (due !== null) this.ctx.due.announce(due);
    return this.get(userId, id);
  }

  /** Schedules a draft, or moves a scheduled post to another moment. */
  async schedule(userId: string, id: string, scheduledForIso: string): Promise<PostRecord> {
    const scheduledFor = this.futureTime(scheduledForIso);
    await this.replaceDeliveries(userId, id, scheduledFor, 'scheduled');
    this.ctx.due.announce(scheduledFor);
    return this.get(userId, id);
  }

  /** Publish now: the deliveries are due at once, whatever the post's schedule said. */
  async publishNow(userId: string, id: string): Promise<PostRecord> {
    const now = this.ctx.clock.now();
    await this.replaceDeliveries(userId, id, now, 'published');
    this.ctx.due.announce(now);
    return this.get(userId, id);
  }

  /** scheduled → draft, its time cleared. */
  async cancel(userId: string, id: string): Promise<PostRecord> {
    await this.ctx.store.db.transaction().execute(async (trx) => {
      const post = await this.lockEditable(trx, userId, id, 'cancelled');
      if (post.status !== 'scheduled') throw conflict('Only a scheduled post can be cancelled; this one is a draft.', { status: post.status });
      await deleteReplaceableDeliveries(trx, id);
      await updatePost(trx, id, { scheduledFor: null, updatedAt: this.ctx.clock.now() });
    });
    return this.get(userId, id);
  }

  /**
   * Stops what a post being published still has to do (retries, a stagger, a cross-link):
   * post-stop.ts. What is being sent right now finishes its attempt and is not retried; 409 when
   * there is nothing left to stop.
   */
  async stop(userId: string, id: string): Promise<PostRecord> {
    await this.ctx.store.db.transaction().execute(async (trx) => {
      const deliveries = await lockDeliveriesOfPost(trx, this.ctx.store.dialect, id);
      const post = await findPost(trx, userId, id);
      if (!post) throw notFound('Post', id);
      if (post.status !== 'publishing') throw conflict(`Only a post being published can be stopped; this one is ${post.status}.`, { status: post.status });
      if ((await stopDeliveries(this.ctx, trx, deliveries)) === 0) {
        throw conflict('Already stopped: what is left is being sent right now, and will not be retried.', { status: post.status });
      }
      if (deliveries.every((d) => d.status === 'pending' || d.status === 'cancelled')) {
        // None was ever tried ("publish now" not started yet): a draft again, as after cancel.
        await deleteReplaceableDeliveries(trx, id);
        await updatePost(trx, id, { scheduledFor: null, updatedAt: this.ctx.clock.now() });
      }
    });
    return this.get(userId, id);
  }

  /** Deletes a post; a scheduled one is cancelled first; refused while it is being published. */
  async delete(userId: string, id: string): Promise<void> {
    await this.ctx.store.db.transaction().execute(async (trx) => {
      await lockDeliveriesOfPost(trx, this.ctx.store.dialect, id);
      const post = await findPost(trx, userId, id);
      if (!post) throw notFound('Post', id);
      if (post.status === 'publishing') {
        throw conflict('This post is being published right now; wait until it finishes, then delete it.', { status: post.status });
      }
      await deletePost(trx, id);
    });
  }

  /** Retries the failed and unknown deliveries now, each with a fresh retry budget. */
  async retry(userId: string, id: string, accountIds?: string[]): Promise<PostRecord> {
    const now = this.ctx.clock.now();
    await this.ctx.store.db.transaction().execute(async (trx) => {
      await lockDeliveriesOfPost(trx, this.ctx.store.dialect, id);
      const post = await findPost(trx, userId, id);
      if (!post) throw notFound('Post', id);
      accountIds?.forEach((accountId, i) => {
        if (!post.accountIds.includes(accountId)) throw validationFailed(`accounts[${i}]`, `Account ${accountId} is not one of this post's accounts.`);
      });
      const requeued = await requeueFinishedDeliveries(trx, id, now, accountIds);
      if (requeued === 0) throw conflict('Nothing to retry: no delivery of this post has failed or ended unknown.', { status: post.status });
    });
    this.ctx.due.announce(now);
    return this.get(userId, id);
  }

  /**
   * Schedules several posts at once, all or none (bulk scheduling, CSV import): any post that
   * cannot be scheduled rolls the whole batch back. `staggerMinutes` replaces each post's own.
   */
  async scheduleMany(userId: string, items: { id: string; at: number }[], staggerMinutes?: number): Promise<void> {
    if (staggerMinutes !== undefined) checkStagger(staggerMinutes);
    const ids = items.map((i) => i.id);
    const now = this.ctx.clock.now();
    // Set-wise, in a handful of statements whatever the count: one round trip per post and step
    // took 9 s for 1,000 posts on PostgreSQL.
    await this.ctx.store.db.transaction().execute(async (trx) => {
      await lockDeliveriesOfPosts(trx, this.ctx.store.dialect, ids);
      const posts = await findPostsByIds(trx, userId, ids);
      const accounts = await findAccountsByIds(trx, [...new Set([...posts.values()].flatMap((p) => p.accountIds))]);
      const deliveries: NewDelivery[] = [];
      for (const item of items) {
        const post = posts.get(item.id);
        if (!post) throw notFound('Post', item.id);
        if (!isEditable(post.status)) throw notEditable(post.status, 'scheduled', item.id);
        const targets = connectedAccounts(post.accountIds, accounts);
        if (targets.length === 0) throw validationFailed('accounts', `Post ${item.id} has no connected account to publish to.`, { post_id: item.id });
        this.checkActive(targets);
        this.checkRules(post, targets);
        deliveries.push(...deliveriesFor(post, targets, item.at, staggerMinutes ?? post.staggerMinutes, now));
      }
      await deleteReplaceableDeliveriesOfPosts(trx, ids);
      await setScheduledTimes(trx, items, now, staggerMinutes);
      await insertDeliveries(trx, deliveries);
    });
    const first = items.reduce((min, i) => Math.min(min, i.at), Number.POSITIVE_INFINITY);
    if (Number.isFinite(first)) this.ctx.due.announce(first);
  }

  private async replaceDeliveries(userId: string, id: string, dueAt: number, verb: 'scheduled' | 'published'): Promise<void> {
    await this.ctx.store.db.transaction().execute((trx) => this.placeInTime(trx, userId, id, dueAt, verb));
  }

  /** (Re)creates the post's deliveries due at `dueAt`; `published` means now, without a schedule. */
  private async placeInTime(trx: Db, userId: string, id: string, dueAt: number, verb: 'scheduled' | 'published') {
    const post = await this.lockEditable(trx, userId, id, verb);
    if (post.accountIds.length === 0) throw validationFailed('accounts', `Post ${id} has no account to publish to.`, { post_id: id });
    const accounts = await this.accountsOf(trx, post.accountIds);
    this.checkActive(accounts);
    this.checkRules(post, accounts);
    await deleteReplaceableDeliveries(trx, id);
    const scheduledFor = verb === 'scheduled' ? dueAt : null;
    await updatePost(trx, id, { scheduledFor, updatedAt: this.ctx.clock.now() });
    await this.createDeliveries(trx, post, accounts, dueAt);
  }

  /** Locks the post's deliveries, then checks it has not started going out (409 otherwise). */
  private async lockEditable(trx: Db, userId: string, id: string, verb: string): Promise<PostRecord> {
    await lockDeliveriesOfPost(trx, this.ctx.store.dialect, id);
    const post = await findPost(trx, userId, id);
    if (!post) throw notFound('Post', id);
    if (!isEditable(post.status)) throw notEditable(post.status, verb);
    return post;
  }

  private async createDeliveries(trx: Db, post: Pick<PostRecord, 'id' | 'staggerMinutes' | 'crossLink'>, accounts: AccountRecord[], firstDueAt: number) {
    await insertDeliveries(trx, deliveriesFor(post, accounts, firstDueAt, post.staggerMinutes, this.ctx.clock.now()));
  }

  private async accountsOf(db: Db, ids: string[]): Promise<AccountRecord[]> {
    return connectedAccounts(ids, await findAccountsByIds(db, ids));
  }

  private checkActive(accounts: AccountRecord[]) {
    if (accounts.length === 0) throw validationFailed('accounts', 'The post has no connected account left to publish to.');
    const inactive = accounts.find((a) => !a.isActive);
    if (inactive) {
      throw validationFailed('accounts', `Account ${inactive.displayName} (${inactive.platform}) needs to be reconnected before it can publish.`, {
        account_id: inactive.id,
      });
    }
  }

  /**
   * Content limits of every selected account (a Mastodon instance has its own): what would stop
   * this post from going out. Accounts that will carry a cross-link are checked with it added.
   */
  contentProblems(post: Pick<PostRecord, 'content' | 'segments' | 'media'> & { crossLink?: CrossLink | null }, accounts: AccountRecord[]): ContentProblem[] {
    const problems: ContentProblem[] = [];
    const checked = new Set<string>();
    for (const account of accounts) {
      const adapter = this.ctx.platforms.get(account.platform);
      if (!adapter) continue;
      const rules = rulesOf(adapter, account.meta);
      const link = post.crossLink && post.crossLink.primaryAccountId !== account.id ? post.crossLink : null;
      const key = `${account.platform}|${JSON.stringify(rules)}|${link ? 'linked' : ''}`;
      if (checked.has(key)) continue;
      checked.add(key);
      const content = link ? withCrossLink(post.content, link.template, link.primaryPlatform, LINK_PLACEHOLDER) : post.content;
      problems.push(...checkContent(account.platform, rules, { ...post, content }));
    }
    return problems;
  }

  /** Checked before anything is stored or sent: a 422 naming the platform, the limit and the count. */
  private checkRules(post: Pick<PostRecord, 'content' | 'segments' | 'media' | 'crossLink'>, accounts: AccountRecord[]) {
    const problems = this.contentProblems(post, accounts);
    const first = problems[0];
    if (first) {
      throw new DomainError('validation_failed', first.message, {
        field: first.field,
        platform: first.platform,
        ...(first.limit !== undefined && { limit: first.limit, count: first.count }),
        problems,
      });
    }
  }

  /** Image URLs: http(s) only, and (when hosting others) not on loopback or private networks. */
  private async checkMedia(media: PostRecord['media']): Promise<void> {
    for (const [i, image] of media.images.entries()) {
      await checkPublicUrl(`media.images[${i}].url`, image.url, this.ctx.config.blockPrivateUrls);
    }
  }

  private futureTime(iso: string): number {
    const at = parseInstant(iso);
    if (typeof at === 'string') throw validationFailed('scheduled_for', `scheduled_for: ${at}`);
    if (at <= this.ctx.clock.now()) {
      throw validationFailed('scheduled_for', `scheduled_for (${new Date(at).toISOString()}) is in the past; pick a future moment.`, {
        now: new Date(this.ctx.clock.now()).toISOString(),
      });
    }
    if (at >= LATEST_TIME) throw validationFailed('scheduled_for', 'scheduled_for must be before the year 10000.');
    return at;
  }
}

/**
 * One delivery per account; "space out your posts": each further network goes out stagger minutes
 * later. With a cross-link, the primary goes first and the others wait for it to finish.
 */
function deliveriesFor(
  post: Pick<PostRecord, 'id' | 'crossLink'>,
  accounts: AccountRecord[],
  firstDueAt: number,
  staggerMinutes: number,
  now: number,
): NewDelivery[] {
  const primary = post.crossLink ? accounts.find((a) => a.id === post.crossLink!.primaryAccountId) : undefined;
  const ordered = primary ? [primary, ...accounts.filter((a) => a !== primary)] : accounts;
  const deliveries = ordered.map((account, i) => ({
    id: newId(ID_PREFIX.delivery, now),
    postId: post.id,
    accountId: account.id,
    platform: account.platform,
    dueAt: firstDueAt + i * staggerMinutes * 60_000,
    now,
    crossLinkFrom: null as string | null,
  }));
  if (primary) for (const d of deliveries.slice(1)) d.crossLinkFrom = deliveries[0]!.id;
  return deliveries;
}

/** The accounts among `ids`, in that order, that are still connected. */
function connectedAccounts(ids: string[], accounts: Map<string, AccountRecord & { deleted: boolean }>): AccountRecord[] {
  return ids.flatMap((id) => {
    const a = accounts.get(id);
    return a && !a.deleted ? [a] : [];
  });
}

function checkText(content: string): string {
  if (content.trim().length === 0) throw validationFailed('content', 'content is empty; write something to post.');
  return content;
}

function checkStagger(minutes: number): number {
  if (!Number.isInteger(minutes) || minutes < 0 || minutes > MAX_STAGGER_MINUTES) {
    throw validationFailed('stagger_minutes', `stagger_minutes must be a whole number from 0 to ${MAX_STAGGER_MINUTES}.`);
  }
  return minutes;
}

function notEditable(status: PostStatus, verb: string, postId?: string) {
  const why = status === 'publishing' ? 'it is being published' : `it is already ${status.replace('_', ' ')}`;
  const subject = postId ? `Post ${postId}` : 'This post';
  return conflict(`${subject} cannot be ${verb}: ${why}. Only drafts and scheduled posts can change.`, { status, ...(postId && { post_id: postId }) });
}
