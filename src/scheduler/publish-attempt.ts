import { decideNextStep, type NextStep, type PublishError, type PublishOutcome } from '../core/retry-policy.js';
import { deduplicatesOf, type PlatformAdapter } from '../platforms/platform.js';
import { toIso } from '../core/time.js';
import type { AccountRecord } from '../store/account.repository.js';
import type { DeliveryError, DeliveryRecord } from '../store/delivery.repository.js';
import type { PublishPayload } from '../store/post.repository.js';
import type { EndOutcome, Outcome } from '../store/queue.repository.js';
import type { AppContext } from '../services/context.js';
import { CredentialService } from '../services/credentials.service.js';
import { saveDeliveryProgress } from '../store/delivery.repository.js';
import { cutByShutdown } from '../core/attempt-deadline.js';
import { crossLinkedContent } from './cross-link.js';
import { keepRepeatsInWindow, tooLateToRepeat, type Unpublished } from './repeat-window.js';
import { stoppedRetry } from './stopped-retry.js';
import { unknownMessage } from './unknown-message.js';

export interface AttemptResult {
  outcome: Outcome;
  /** What happened on the wire, for the attempt history. */
  wire: 'published' | 'failed' | 'ambiguous' | 'skipped';
  reconnect: boolean;
  /** The sealed credentials the network refused, when `reconnect`: refreshed ones may differ from the claim's copy. */
  refusedCredentials?: string;
}

/**
 * One publish attempt of one claimed delivery: call the platform until `signal` ends it (the
 * attempt's time limit, or a forced shutdown, which `cutByShutdown` tells apart) and decide,
 * with the retry policy, what the delivery becomes. Records no outcome itself.
 */
export async function attemptDelivery(
  ctx: AppContext,
  delivery: DeliveryRecord,
  post: PublishPayload | undefined,
  account: (AccountRecord & { deleted: boolean }) | undefined,
  signal: AbortSignal,
): Promise<AttemptResult> {
  const adapter = ctx.platforms.get(delivery.platform);
  if (!adapter) {
    return permanent('unknown_platform', `This server cannot publish to "${delivery.platform}" any more (its adapter is missing).`, false);
  }
  // Not sent now, but an earlier attempt may have been: an account fixed and retried much later
  // could post it twice (repeat-window.ts).
  const notSent = async (code: string, message: string, reconnect: boolean): Promise<AttemptResult> => {
    const { outcome, ...result } = permanent(code, message, reconnect);
    return { ...result, outcome: await keepRepeatsInWindow(ctx, adapter, delivery, outcome, null) };
  };
  if (!post || !account || account.deleted) {
    return notSent('account_disconnected', 'The account was disconnected, so nothing was sent. Connect it again and retry.', false);
  }
  if (!account.isActive) {
    return notSent('reconnect_required', `The ${delivery.platform} account ${account.displayName} must be reconnected; nothing was sent.`, true);
  }

  const startedAt = ctx.clock.now();
  // Networks without a window (most) skip even the await: this runs for every attempt.
  const late = adapter.repeatWindowMs === undefined ? null : await tooLateToRepeat(ctx, adapter, delivery, startedAt);
  if (late) {
    return { wire: 'skipped', reconnect: false, outcome: { status: 'unknown', error: { code: 'not_repeated', message: unknownMessage(late), permanent: false } } };
  }
  const credentialService = new CredentialService(ctx);
  const seconds = Math.round(ctx.config.publishTimeoutMs / 1000);
  let outcome: PublishOutcome;
  let detail: string | null = null;
  try {
    const credentials = await credentialService.fresh(account, signal);
    if (credentials instanceof Error) {
      outcome = { kind: 'failed', error: { code: credentials.permanent ? 'reconnect_required' : 'refresh_failed', message: credentials.message, permanent: credentials.permanent, reconnect: credentials.permanent } };
    } else {
      const linked = await crossLinkedContent(ctx, delivery, post);
      detail = linked.detail;
      outcome = await adapter.publish({
        deliveryId: delivery.id,
        postId: post.id,
        attempt: delivery.attempts,
        content: linked.content,
        media: post.media,
        segments: post.segments,
        scheduledFor: toIso(post.scheduledFor),
        credentials,
        account: { platformUserId: account.platformUserId, username: account.username, meta: account.meta },
        progress: delivery.progress,
        saveProgress: (progress) => saveDeliveryProgress(ctx.store.db, delivery.id, delivery.lockedBy ?? '', progress),
        saveCredentials: (renewed, expiresAt) => credentialService.save(account.id, adapter, renewed, expiresAt),
        signal,
      });
    }
  } catch (err) {
    // An adapter that throws has not told us whether the post went out: treat it as ambiguous.
    ctx.logger.error({ err, delivery: delivery.id }, 'platform adapter threw');
    outcome = {
      kind: 'ambiguous',
      error: { code: 'internal_error', message: `Publishing stopped unexpectedly (${(err as Error).message}).`, permanent: false },
    };
  }
  // Ended by its signal: the attempt's own time limit, or a stopping worker (its grace over).
  let interrupted = false;
  if (outcome.kind !== 'published' && signal.aborted) {
    const stopped = cutByShutdown(signal);
    // Stopped: the adapter saw an abort and blamed the network ("did not answer in time"). Say what
    // happened; whether anything was sent stays the adapter's call. Any other answer it gave stands.
    interrupted = stopped && (outcome.error.code === 'timeout' || outcome.error.code === 'internal_error');
    if (interrupted) {
      const unsent = outcome.kind === 'failed';
      outcome = {
        kind: unsent ? 'failed' : 'ambiguous',
        error: {
          code: 'interrupted',
          message: unsent ? 'Octopost was stopping and cut this attempt off before it sent anything more.' : 'Octopost was stopping and cut this attempt off; the post may have gone out.',
          permanent: false,
        },
      };
    } else if (!stopped && outcome.error.code !== 'timeout') {
      outcome = { kind: 'ambiguous', error: { code: 'timeout', message: `No answer within ${seconds} s; the post may have gone out.`, permanent: false } };
    }
  }

  const step = decideNextStep(outcome, delivery.attempts - delivery.budgetStart, ctx.config.retryDelaysMs, deduplicatesOf(adapter, account.meta));
  const wire = outcome.kind;
  if (step.next === 'published' && outcome.kind === 'published') {
    return { wire, reconnect: false, outcome: { status: 'published', remoteId: outcome.postId, remoteUrl: outcome.postUrl, detail } };
  }
  const error = toDeliveryError((outcome as Exclude<PublishOutcome, { kind: 'published' }>).error);
  const reconnect = error.reconnect === true;
  // What the network refused may be newer than the claim's copy (refreshed just now, a renewed
  // session); without it, the scheduler falls back to that copy.
  const inUse = reconnect ? credentialService.sealedInUse(account.id) : undefined;
  const refused = inUse !== undefined ? { refusedCredentials: inUse } : {};
  // Not sent, and not the network's fault: any worker may take it again at once. One that may have
  // gone out waits the usual delay, so that a network still working on the cut request (and not
  // yet keeping its Idempotency-Key) does not meet the repeat.
  const retryAt = ctx.clock.now() + (step.next !== 'retry' || (interrupted && outcome.kind === 'failed') ? 0 : step.delayMs);
  const next = await outcomeAfter(ctx, adapter, delivery, step, error, retryAt, outcome.kind === 'ambiguous' ? startedAt : null);
  return { wire, reconnect, ...refused, outcome: next };
}

/**
 * What a delivery whose attempt did not publish becomes, by the retry policy's `step` (a retry due
 * at `retryAt`), with the network's repeat window kept (repeat-window.ts; `maybeSentAt` there):
 * shared by attempts that ended here and attempts a sweep takes back from a worker gone away. A
 * retry also says what it becomes instead if a person stopped the post meanwhile: the recording
 * statement picks that when the delivery asks for it (outcome-update.sql.ts).
 */
export async function outcomeAfter(
  ctx: AppContext,
  adapter: PlatformAdapter<any> | undefined,
  delivery: DeliveryRecord,
  step: NextStep,
  error: DeliveryError,
  retryAt: number,
  maybeSentAt: number | null,
): Promise<Outcome> {
  const next: Unpublished =
    step.next === 'retry'
      ? { status: 'retrying', dueAt: retryAt, error }
      : step.next === 'unknown'
        ? { status: 'unknown', error: { ...error, message: unknownMessage(error.message) } }
        : { status: 'failed', error };
  const kept = adapter ? await keepRepeatsInWindow(ctx, adapter, delivery, next, maybeSentAt) : next;
  if (kept.status === 'retrying') return { ...kept, ifStopped: await stoppedRetry(ctx, adapter, delivery, error, maybeSentAt) };
  return kept.status === 'failed' ? { status: 'failed', error: exhausted(error, delivery) } : kept;
}

function exhausted(error: DeliveryError, delivery: DeliveryRecord): DeliveryError {
  if (error.permanent) return error;
  const tries = delivery.attempts - delivery.budgetStart;
  return { ...error, message: `${error.message} Gave up after ${tries} attempts; use Retry to try again.` };
}

function toDeliveryError(e: PublishError): DeliveryError {
  return {
    code: e.code,
    message: e.message,
    permanent: e.permanent,
    ...(e.httpStatus !== undefined && { http_status: e.httpStatus }),
    ...(e.reconnect && { reconnect: true }),
  };
}

function permanent(code: string, message: string, reconnect: boolean): AttemptResult & { outcome: EndOutcome } {
  return { wire: 'skipped', reconnect, outcome: { status: 'failed', error: { code, message, permanent: true, ...(reconnect && { reconnect }) } } };
}
