import type { PublishOutcome } from '../core/retry-policy.js';
import type { PublishRequest } from './platform.js';

/**
 * X and LinkedIn now and then answer a 5xx to creating a post although they created it, and
 * refuse the retry's identical text as a duplicate. After a 5xx for the same part, that refusal
 * most likely means the post is there: it is `ambiguous` (the delivery becomes `unknown` and a
 * person checks) rather than `failed` while the post is online. A duplicate with no 5xx before it
 * is the user's own and stays a refusal.
 *
 * `outcome`: what creating part `part` came to; `progress`: what the adapter saves anyway (kept);
 * `duplicate`: whether the refusal is the network's duplicate answer; `existing`: the post the
 * network named as the original, when it does (LinkedIn).
 */
export async function judgeCreateRefusal(
  req: PublishRequest,
  outcome: Extract<PublishOutcome, { kind: 'failed' }>,
  part: number,
  progress: Record<string, unknown>,
  facts: { network: string; what: string; duplicate: boolean; existing?: string },
): Promise<PublishOutcome> {
  if (facts.duplicate && req.progress?.server_error_on === part) {
    const original = facts.existing ? ` (${facts.existing})` : '';
    const message = `${facts.network} refused ${facts.what} as a duplicate${original} right after answering the previous attempt with a server error: that attempt most likely posted it. Check the ${facts.network} account.`;
    return { kind: 'ambiguous', error: { ...outcome.error, code: 'duplicate_after_server_error', message, permanent: false } };
  }
  if ((outcome.error.httpStatus ?? 0) >= 500) await req.saveProgress({ ...progress, server_error_on: part });
  return outcome;
}
