import type { Delivery, ErrorInfo, PostStatus } from '../api/types.ts';

/** What went wrong with a delivery, in plain words, and what the user can do about it. */
export interface Explanation {
  what: string;
  todo: string;
}

const BY_CODE: Record<string, (e: ErrorInfo, finished: boolean) => Explanation> = {
  rate_limited: (_e, finished) => ({
    what: 'The network is limiting how often posts can be sent.',
    todo: finished ? 'Wait a little, then press Retry.' : 'Nothing to do: Octopost waits and tries again by itself.',
  }),
  server_error: (e, finished) => ({
    what: `The network had a problem on its side${e.http_status ? ` (it answered ${e.http_status})` : ''}.`,
    todo: finished ? 'The automatic retries ran out. Check that the receiving side works again, then press Retry.' : 'Nothing to do yet: Octopost tries again automatically.',
  }),
  unreachable: (_e, finished) => ({
    what: 'Octopost could not connect to the network.',
    todo: finished
      ? "Check that the receiving side is running and that the account's address is right, then press Retry."
      : 'Octopost tries again automatically; check that the receiving side is running.',
  }),
  timeout: () => ({
    what: 'The network did not answer in time; the post may or may not have arrived.',
    todo: 'Check whether the post is there. If it is not, press Retry.',
  }),
  network_error: () => ({
    what: 'The connection broke while sending; the post may or may not have arrived.',
    todo: 'Check whether the post is there. If it is not, press Retry.',
  }),
  unauthorized: () => ({
    what: "The network refused this account's credentials.",
    todo: 'Reconnect the account on the Accounts page, then press Retry.',
  }),
  redirected: () => ({
    what: 'The address of this account has moved.',
    todo: "Reconnect the account with its new address on the Accounts page, then press Retry.",
  }),
  rejected: (e) => ({
    what: `The network refused this post${e.http_status ? ` (it answered ${e.http_status})` : ''} and it will not be retried automatically.`,
    todo: 'Read the message below. If the receiving side needed fixing, press Retry; to change the text, duplicate the post into a new draft.',
  }),
};

export function explain(delivery: Delivery): Explanation | null {
  const finished = delivery.status === 'failed' || delivery.status === 'unknown';
  if (delivery.status === 'unknown') {
    return {
      what: 'It is not known whether this post reached the network: an attempt got no answer, and repeating it could post twice.',
      todo: 'Look for the post on the network. If it is not there, press Retry; if it is, there is nothing to do.',
    };
  }
  const e = delivery.last_error;
  if (!e || delivery.status === 'published' || delivery.status === 'cancelled') return null;
  const known = BY_CODE[e.code];
  if (e.stopped && finished) {
    return { what: known?.(e, finished).what ?? 'Publishing failed.', todo: 'You stopped its automatic retries. Press Retry to try again.' };
  }
  if (known) return known(e, finished);
  return {
    what: 'Publishing failed.',
    todo: finished ? (e.permanent ? 'Read the message below, fix the cause, then press Retry.' : 'Press Retry to try again.') : 'Octopost tries again automatically.',
  };
}

export const DELIVERY_LABEL: Record<Delivery['status'], string> = {
  pending: 'Waiting',
  publishing: 'Sending now',
  retrying: 'Will retry',
  published: 'Published',
  failed: 'Failed',
  unknown: 'Outcome unknown',
  cancelled: 'Cancelled',
};

export const STATUS_LABEL: Record<PostStatus, string> = {
  draft: 'Draft',
  scheduled: 'Scheduled',
  publishing: 'Publishing',
  published: 'Published',
  partially_failed: 'Partially failed',
  failed: 'Failed',
};

export const canRetry = (deliveries: Delivery[]) => deliveries.some((d) => d.status === 'failed' || d.status === 'unknown');

/** Something still waits (a retry, a stagger, a cross-link) that Stop would end, or is being sent and not stopped yet. */
export const canStop = (deliveries: Delivery[]) =>
  deliveries.some((d) => d.status === 'pending' || d.status === 'retrying' || (d.status === 'publishing' && !d.stop_requested));
