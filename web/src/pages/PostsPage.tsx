import { useAccounts, usePostPages } from '../api/queries.ts';
import { POST_STATUSES, type PostStatus } from '../api/types.ts';
import { ErrorNote, Loading } from '../components/feedback.tsx';
import { PageTitle } from '../components/Layout.tsx';
import { PostSummary } from '../components/PostSummary.tsx';
import { STATUS_LABEL } from '../lib/delivery-help.ts';
import { Link, navigate, useLocation } from '../lib/router.tsx';
import { useZone } from '../lib/zone.ts';

/** Every post, newest first, filtered by the six statuses (the filter lives in the address: ?status=failed). */
export function PostsPage() {
  const { search } = useLocation();
  const status = search.get('status') as PostStatus | null;
  const statuses = status && (POST_STATUSES as readonly string[]).includes(status) ? [status] : [];
  const pages = usePostPages(statuses);
  const accounts = useAccounts();
  const zone = useZone();
  const posts = pages.data?.pages.flatMap((p) => p.posts) ?? [];

  return (
    <>
      <PageTitle actions={<Link to="/compose" className="button primary">New post</Link>}>Posts</PageTitle>
      <div className="filter-bar" role="group" aria-label="Filter by status">
        {[null, ...POST_STATUSES].map((s) => (
          <button
            key={s ?? 'all'}
            type="button"
            className="chip"
            aria-pressed={(statuses[0] ?? null) === s}
            onClick={() => navigate(s ? `/posts?status=${s}` : '/posts', { replace: true })}
          >
            {s ? STATUS_LABEL[s] : 'All'}
          </button>
        ))}
      </div>
      <ErrorNote error={pages.error ?? accounts.error} />
      {pages.isPending ? (
        <Loading what="posts" />
      ) : posts.length === 0 ? (
        <p className="empty">
          {statuses[0] ? `No ${STATUS_LABEL[statuses[0]].toLowerCase()} post.` : 'No post yet.'} <Link to="/compose">Write one</Link>.
        </p>
      ) : (
        <ul className="post-list" aria-label="Posts">
          {posts.map((p) => (
            <PostSummary key={p.id} post={p} accounts={accounts.data ?? []} zone={zone} />
          ))}
        </ul>
      )}
      {pages.hasNextPage && (
        <button type="button" className="button" disabled={pages.isFetchingNextPage} onClick={() => void pages.fetchNextPage()}>
          {pages.isFetchingNextPage ? 'Loading…' : 'Show more'}
        </button>
      )}
    </>
  );
}
