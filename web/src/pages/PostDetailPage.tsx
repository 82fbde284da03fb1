import { type ReactNode, useState } from 'react';
import type { Post } from '../api/types.ts';
import { postActions, useAccounts, usePost, usePostMutation } from '../api/queries.ts';
import { ConfirmDialog } from '../components/Dialog.tsx';
import { DeliveryCard } from '../components/DeliveryCard.tsx';
import { ErrorNote, Loading, announce } from '../components/feedback.tsx';
import { PageTitle } from '../components/Layout.tsx';
import { ScheduleDialog } from '../components/ScheduleDialog.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { canRetry, canStop } from '../lib/delivery-help.ts';
import { Link, navigate } from '../lib/router.tsx';
import { formatWhen, useZone, zoneLabel } from '../lib/zone.ts';

/** A post: what it says, where it goes and how each network did, with the actions its status allows. */
export function PostDetailPage({ id }: { id: string }) {
  const post = usePost(id);
  const accounts = useAccounts();
  const zone = useZone();
  const [dialog, setDialog] = useState<'schedule' | 'delete' | 'stop' | null>(null);
  const retry = usePostMutation(() => postActions.retry(id));
  const cancel = usePostMutation(() => postActions.cancel(id));
  const stop = usePostMutation(() => postActions.stop(id));
  const publish = usePostMutation(() => postActions.publish(id));
  const schedule = usePostMutation((iso: string) => postActions.schedule(id, iso));
  const queue = usePostMutation(() => postActions.queue(id));
  const [deleteError, setDeleteError] = useState<unknown>(null);

  if (post.isPending) return (<><PageTitle>Post</PageTitle><Loading what="the post" /></>);
  if (post.isError) return (<><PageTitle>Post</PageTitle><ErrorNote error={post.error} /><Link to="/posts">Back to posts</Link></>);

  const p = post.data;
  const editable = p.status === 'draft' || p.status === 'scheduled';
  const when = p.scheduled_for ?? p.published_at;
  const remove = async () => {
    try {
      await postActions.remove(id);
      announce('Post deleted.');
      navigate('/posts', { replace: true });
    } catch (err) {
      setDeleteError(err);
      setDialog(null);
    }
  };

  return (
    <>
      <PageTitle actions={<Link to="/posts">All posts</Link>}>Post</PageTitle>
      <div className="row wrap">
        <StatusBadge status={p.status} />
        <span>{describeWhen(p, zone)}</span>
        <span className="muted small">{zoneLabel(zone, when ?? undefined)}</span>
      </div>

      <div className="actions wrap" role="group" aria-label="Actions">
        {editable && <Link to={`/posts/${id}/edit`} className="button primary">Edit</Link>}
        {editable && <button type="button" className="button" onClick={() => setDialog('schedule')}>{p.status === 'scheduled' ? 'Reschedule…' : 'Schedule…'}</button>}
        {p.status === 'draft' && (
          <button
            type="button"
            className="button"
            disabled={queue.isPending}
            onClick={() => queue.mutate(undefined, { onSuccess: (saved) => announce(`Added to the queue: goes out ${formatWhen(saved.scheduled_for!, zone)}.`) })}
          >
            {queue.isPending ? 'Adding…' : 'Add to queue'}
          </button>
        )}
        {p.status === 'scheduled' && (
          <button type="button" className="button" disabled={cancel.isPending} onClick={() => cancel.mutate(undefined, { onSuccess: () => announce('Unscheduled: the post is a draft again.') })}>
            Cancel schedule
          </button>
        )}
        {editable && (
          <button type="button" className="button" disabled={publish.isPending} onClick={() => publish.mutate(undefined, { onSuccess: () => announce('Publishing now.') })}>
            Publish now
          </button>
        )}
        {canRetry(p.deliveries) && (
          <button type="button" className="button primary" disabled={retry.isPending} onClick={() => retry.mutate(undefined, { onSuccess: () => announce('Retrying now.') })}>
            {retry.isPending ? 'Retrying…' : 'Retry'}
          </button>
        )}
        {p.status === 'publishing' && canStop(p.deliveries) && (
          <button type="button" className="button" disabled={stop.isPending} onClick={() => setDialog('stop')}>
            Stop…
          </button>
        )}
        <Link to={`/compose?from=${id}`} className="button">Duplicate</Link>
        {p.status !== 'publishing' && <button type="button" className="button danger" onClick={() => setDialog('delete')}>Delete</button>}
      </div>
      <ErrorNote error={retry.error ?? cancel.error ?? stop.error ?? publish.error ?? queue.error ?? deleteError} />

      <section className="panel stack" aria-labelledby="content-title">
        <h2 id="content-title" className="h3">Content</h2>
        <p className="post-body">{p.content}</p>
        {p.media.images.length > 0 && (
          <ul className="image-list" aria-label="Images">
            {p.media.images.map((img, i) => (
              <li key={i}>
                <img src={img.url} alt={img.alt_text ?? ''} loading="lazy" />
                <span className="small muted break">{img.alt_text ? `Alt: ${img.alt_text}` : 'No alt text'}</span>
              </li>
            ))}
          </ul>
        )}
        {p.segments.length > 0 && (
          <h3 className="h4">Replies (thread)</h3>
        )}
        {p.segments.length > 0 && (
          <ol className="segments" aria-label="Replies">
            {p.segments.map((s, i) => <li key={i} className="post-body">{s.content}</li>)}
          </ol>
        )}
      </section>

      <section className="stack" aria-labelledby="networks-title">
        <h2 id="networks-title" className="h3">Networks</h2>
        {p.deliveries.length === 0 ? (
          <p className="muted">
            {p.status === 'draft' ? 'A draft: nothing is sent until it is scheduled or published.' : 'Nothing to send.'} Goes to:{' '}
            {p.accounts.map((a) => accounts.data?.find((x) => x.id === a)?.display_name ?? a).join(', ')}.
          </p>
        ) : (
          <ul className="deliveries">
            {p.deliveries.map((d) => (
              <DeliveryCard
                key={d.id}
                delivery={d}
                account={accounts.data?.find((a) => a.id === d.account_id)}
                zone={zone}
                waitingFor={d.waiting_for ? p.deliveries.find((x) => x.id === d.waiting_for) : undefined}
              />
            ))}
          </ul>
        )}
      </section>

      <ScheduleDialog
        open={dialog === 'schedule'}
        title={p.status === 'scheduled' ? 'Reschedule post' : 'Schedule post'}
        initial={{ iso: p.scheduled_for }}
        busy={schedule.isPending}
        error={schedule.error}
        onConfirm={(iso) =>
          schedule.mutate(iso, {
            onSuccess: (saved) => {
              setDialog(null);
              announce(`Scheduled for ${formatWhen(saved.scheduled_for!, zone)}.`);
            },
          })
        }
        onClose={() => { setDialog(null); schedule.reset(); }}
      />
      <ConfirmDialog
        open={dialog === 'stop'}
        title="Stop publishing this post?"
        message="A network waiting for a retry is not tried again: it ends failed (or unknown, where a repeat could post twice), and Retry sends it later. Accounts not reached yet are cancelled for good. A network being sent to right now finishes that attempt, and is not tried again after it."
        confirmLabel="Stop"
        danger
        onConfirm={() => {
          setDialog(null);
          stop.mutate(undefined, { onSuccess: () => announce('Stopped: no further tries will be made.') });
        }}
        onClose={() => setDialog(null)}
      />
      <ConfirmDialog
        open={dialog === 'delete'}
        title="Delete this post?"
        message={p.status === 'scheduled' ? 'It is cancelled and will not go out. This cannot be undone.' : 'This cannot be undone. Posts already published stay on the networks.'}
        confirmLabel="Delete post"
        danger
        onConfirm={() => void remove()}
        onClose={() => setDialog(null)}
      />
    </>
  );
}

/** The moment that matters for the post's status, in words. */
function describeWhen(p: Post, zone: string): ReactNode {
  if (p.status === 'scheduled' && p.scheduled_for) return <>Goes out <strong>{formatWhen(p.scheduled_for, zone)}</strong></>;
  if (p.published_at) return <>Published {formatWhen(p.published_at, zone)}</>;
  const attempts = p.deliveries.flatMap((d) => d.history ?? []).map((h) => h.finished_at).sort();
  const last = attempts[attempts.length - 1];
  if (p.status === 'publishing') return p.scheduled_for ? <>Going out since {formatWhen(p.scheduled_for, zone)}</> : 'Going out now';
  if (last) return <>Last attempt {formatWhen(last, zone)}</>;
  return <>Not scheduled · written {formatWhen(p.created_at, zone)}</>;
}
