import type { Kysely } from 'kysely';
import { notFound, validationFailed } from '../core/errors.js';
import { derivePostStatus, type PostStatus } from '../core/statuses.js';
import { parseInstant } from '../core/time.js';
import { findAccountsByIds } from '../store/account.repository.js';
import { type AttemptRecord, type DeliveryRecord, listAttempts, listDeliveries } from '../store/delivery.repository.js';
import { findPost, listPosts, type PostFields, type PostRecord } from '../store/post.repository.js';
import type { Database } from '../store/schema.js';
import type { AppContext } from './context.js';

/** A post with what its readers need: deliveries, the platform of each account, the attempt history. */
export interface PostView {
  post: PostRecord;
  deliveries: DeliveryRecord[];
  platformOf: Map<string, string>;
  attempts?: AttemptRecord[];
}

export interface ListQuery {
  statuses?: PostStatus[] | undefined;
  accountId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export class PostQueries {
  constructor(private readonly ctx: AppContext) {}

  async get(userId: string, id: string): Promise<PostView> {
    return this.snapshot(async (db) => {
      const post = await findPost(db, userId, id);
      if (!post) throw notFound('Post', id);
      const [view] = await this.views(db, [post]);
      view!.attempts = await listAttempts(
        db,
        view!.deliveries.map((d) => d.id),
      );
      return view!;
    });
  }

  async list(userId: string, q: ListQuery): Promise<{ views: PostView[]; nextCursor: string | null }> {
    const from = q.from !== undefined ? parseTime('from', q.from) : undefined;
    const to = q.to !== undefined ? parseTime('to', q.to) : undefined;
    if (from !== undefined && to !== undefined && to <= from) throw validationFailed('to', '`to` must be after `from`.');
    const before = q.cursor !== undefined ? decodeCursor(q.cursor) : undefined;
    return this.snapshot(async (db) => {
      const posts = await listPosts(db, this.ctx.store.dialect, {
        userId,
        ...(q.statuses && { statuses: q.statuses }),
        ...(q.accountId && { accountId: q.accountId }),
        ...(from !== undefined && { from }),
        ...(to !== undefined && { to }),
        ...(before !== undefined && { before }),
        limit: q.limit + 1,
      });
      const page = posts.slice(0, q.limit);
      const nextCursor = posts.length > q.limit ? encodeCursor(page[page.length - 1]!.id) : null;
      return { views: await this.views(db, page), nextCursor };
    });
  }

  /**
   * A post, its deliveries and their attempts are read in several statements; a worker recording
   * an attempt in between made one answer say "publishing" beside finished deliveries. One
   * read-only transaction gives them one snapshot (REPEATABLE READ on PostgreSQL; a SQLite
   * transaction is one already).
   */
  private snapshot<T>(read: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    const tx = this.ctx.store.db.transaction();
    return (this.ctx.store.dialect === 'postgres' ? tx.setIsolationLevel('repeatable read').setAccessMode('read only') : tx).execute(read);
  }

  /** The posts with their deliveries, and their status derived from those deliveries. */
  private async views(db: Kysely<Database>, posts: PostFields[]): Promise<PostView[]> {
    const deliveries = await listDeliveries(
      db,
      posts.map((p) => p.id),
    );
    // A delivery carries its account's platform (an account never changes platform): accounts are
    // read only for those without a delivery here (drafts), one round trip less for most pages.
    const platformOf = new Map(deliveries.map((d) => [d.accountId, d.platform]));
    const withoutDelivery = [...new Set(posts.flatMap((p) => p.accountIds))].filter((id) => !platformOf.has(id));
    if (withoutDelivery.length > 0) {
      for (const account of (await findAccountsByIds(db, withoutDelivery)).values()) platformOf.set(account.id, account.platform);
    }
    const byPost = new Map<string, DeliveryRecord[]>();
    for (const d of deliveries) {
      const list = byPost.get(d.postId) ?? [];
      list.push(d);
      byPost.set(d.postId, list);
    }
    return posts.map((post) => {
      const ofPost = sortByAccountOrder(byPost.get(post.id) ?? [], post.accountIds);
      return { post: { ...post, status: derivePostStatus(post.scheduledFor !== null, ofPost) }, deliveries: ofPost, platformOf };
    });
  }
}

function sortByAccountOrder(deliveries: DeliveryRecord[], accountIds: string[]): DeliveryRecord[] {
  return deliveries.sort((a, b) => accountIds.indexOf(a.accountId) - accountIds.indexOf(b.accountId));
}

function parseTime(field: string, iso: string): number {
  const at = parseInstant(iso);
  if (typeof at === 'string') throw validationFailed(field, `${field}: ${at}`);
  return at;
}

/** Cursors are opaque to clients: base64url of the last post id seen. */
const encodeCursor = (id: string) => Buffer.from(id, 'utf8').toString('base64url');

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^post_[0-9a-z]{26}$/.test(id)) throw validationFailed('cursor', 'cursor is not one this API gave out.');
  return id;
}
