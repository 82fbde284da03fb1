import type { Account, Post } from '../api/types.ts';
import { Link } from '../lib/router.tsx';
import { formatWhen } from '../lib/zone.ts';
import { StatusBadge } from './StatusBadge.tsx';

/** One post in a list: its text (clamped), where it goes, when, and its status. */
export function PostSummary({ post, accounts, zone }: { post: Post; accounts: Account[]; zone: string }) {
  const names = post.accounts.map((id) => accounts.find((a) => a.id === id)?.display_name ?? 'disconnected account');
  const when = post.scheduled_for ?? post.published_at;
  const failed = post.deliveries.filter((d) => d.status === 'failed' || d.status === 'unknown').length;
  return (
    <li className="post-item">
      <Link to={post.status === 'draft' || post.status === 'scheduled' ? `/posts/${post.id}/edit` : `/posts/${post.id}`} className="post-link">
        <span className="post-text clamp">{post.content}</span>
      </Link>
      <div className="post-meta">
        <StatusBadge status={post.status} />
        <span>{when ? formatWhen(when, zone) : 'No time yet'}</span>
        <span className="ellipsis" title={names.join(', ')}>
          {names.join(', ') || 'no account'}
        </span>
        {failed > 0 && <span className="warn-text">{failed} failed</span>}
        <Link to={`/posts/${post.id}`} className="small">
          Details<span className="visually-hidden"> of this post</span>
        </Link>
      </div>
    </li>
  );
}
