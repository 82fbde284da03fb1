import type { PublishOutcome } from '../core/retry-policy.js';
import type { PublishRequest } from './platform.js';

/**
 * X and LinkedIn now and then answer a 5xx (or 408) to creating a post although they created it,
 * and refuse the retry's identical text as a duplicate. After such an answer for the same part,
 * that refusal most likely means the post is there: it is `ambiguous` (the delivery becomes
 * `unknown` and a person checks) rather than `failed` while the post is online. The mark is used
 * once: a Retry after that meets the plain duplicate refusal ("change the text"). A duplicate with
 * no server error before it is the user's own and stays a refusal.
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
    await saveHint(req, progress);
    const original = facts.existing ? ` of ${facts.existing}` : '';
    const message = `${facts.network} refused ${facts.what} as a duplicate${original}, after answering an earlier attempt of it with a server error: that attempt most likely posted it.`;
    return { kind: 'ambiguous', error: { ...outcome.error, code: 'duplicate_after_server_error', message, permanent: false } };
  }
  const status = outcome.error.httpStatus ?? 0;
  if (status >= 500 || status === 408) await saveHint(req, { ...progress, server_error_on: part });
  return outcome;
}

/**
 * Best effort: the mark only sharpens a later verdict, and a save that fails (the database away)
 * must not turn this attempt's plain answer into an adapter error.
 */
async function saveHint(req: PublishRequest, progress: Record<string, unknown>): Promise<void> {
  try {
    await req.saveProgress(progress);
  } catch {
    // Without the mark, a later duplicate refusal is a plain refusal, as before it existed.
  }
}
