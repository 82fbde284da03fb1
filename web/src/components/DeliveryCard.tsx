import type { Account, Delivery } from '../api/types.ts';
import { explain } from '../lib/delivery-help.ts';
import { networkName } from '../lib/networks.ts';
import { Link } from '../lib/router.tsx';
import { formatWhen } from '../lib/zone.ts';
import { DeliveryBadge } from './StatusBadge.tsx';

const OUTCOME: Record<string, string> = {
  published: 'Published',
  failed: 'Failed',
  ambiguous: 'No clear answer',
  interrupted: 'Interrupted',
  skipped: 'Skipped',
};

/**
 * One network of a post: its status, the error in plain words and what to do, the link, every
 * attempt; with a cross-posting preset, the primary network it waits for and how it went out.
 */
export function DeliveryCard({ delivery, account, zone, waitingFor }: { delivery: Delivery; account: Account | undefined; zone: string; waitingFor?: Delivery | undefined }) {
  const help = explain(delivery);
  const history = delivery.history ?? [];
  const waiting = delivery.waiting_for ? networkName(waitingFor?.platform ?? 'the primary network') : null;
  return (
    <li className={`delivery delivery-${delivery.status}`}>
      <div className="row between wrap">
        <h3 className="h4 ellipsis">
          {account?.display_name ?? 'Disconnected account'} <span className="muted">· {networkName(delivery.platform)}</span>
        </h3>
        <DeliveryBadge status={delivery.status} />
      </div>
      <dl className="facts">
        {delivery.published_at && (
          <>
            <dt>Published</dt>
            <dd>{formatWhen(delivery.published_at, zone)}</dd>
          </>
        )}
        {delivery.post_url && (
          <>
            <dt>Link</dt>
            <dd>
              <a href={delivery.post_url} target="_blank" rel="noreferrer noopener" className="break">
                View the published post<span className="visually-hidden"> on {delivery.platform}</span>
              </a>
            </dd>
          </>
        )}
        {delivery.status === 'pending' && delivery.attempts === 0 && (
          <>
            <dt>Goes out</dt>
            <dd>{formatWhen(delivery.due_at, zone)}</dd>
          </>
        )}
        {delivery.next_attempt_at && delivery.attempts > 0 && (
          <>
            <dt>Next try</dt>
            <dd>{formatWhen(delivery.next_attempt_at, zone)}</dd>
          </>
        )}
        {delivery.stop_requested && (
          <>
            <dt>Stopping</dt>
            <dd>You stopped it while it was being sent: this attempt finishes, and is not tried again</dd>
          </>
        )}
        {waiting && (
          <>
            <dt>Waits for</dt>
            <dd>
              Waiting for {waiting}: goes out once that post is published, with its link
            </dd>
          </>
        )}
        <dt>Attempts</dt>
        <dd>{delivery.attempts}</dd>
      </dl>
      {delivery.detail && <p className="note small">{delivery.detail}</p>}
      {help && (
        <div className="note note-error stack tight" role="group" aria-label={`Problem with ${delivery.platform}`}>
          <p>
            <strong>What happened: </strong>
            {help.what}
          </p>
          <p>
            <strong>What to do: </strong>
            {help.todo}
            {delivery.last_error?.reconnect && (
              <>
                {' '}
                <Link to="/accounts">Go to Accounts</Link>
              </>
            )}
          </p>
          {delivery.last_error && <p className="quote break">{delivery.last_error.message}</p>}
        </div>
      )}
      {history.length > 0 && (
        <details>
          <summary>Attempt history ({history.length})</summary>
          <ol className="history">
            {history.map((h) => (
              <li key={h.attempt}>
                <strong>{OUTCOME[h.outcome] ?? h.outcome}</strong> <span className="muted">· attempt {h.attempt} · {formatWhen(h.started_at, zone)}</span>
                {h.error && <span className="break"> — {h.error.message}</span>}
              </li>
            ))}
          </ol>
        </details>
      )}
    </li>
  );
}
