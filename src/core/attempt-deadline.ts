import { setMaxListeners } from 'node:events';

/** Why an attempt's signal fired when the scheduler was forced to stop (not its own time limit). */
class StoppingError extends Error {
  override name = 'AbortError';
  constructor() {
    super('Octopost is stopping');
  }
}

/** Whether `signal` was aborted by a forced stop, rather than by running out of time first. */
export function cutByShutdown(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof StoppingError;
}

/**
 * The time limit of attempts started together, as one AbortSignal: attempts that start within a
 * few milliseconds of each other share one controller and one timer. Creating an AbortSignal
 * costs ~6 µs on Node 20, ~3% of a delivery's CPU in the burst benchmark when every attempt made
 * its own. Also aborted when the scheduler is forced to stop.
 *
 * Not AbortSignal.any(): on Node 20 it keeps every signal it ever combined alive
 * (nodejs/node#55351). In core/ because a credentials refresh, outside the scheduler, bounds its
 * request the same way.
 */
export class AttemptDeadline {
  readonly signal: AbortSignal;
  /** performance.now() when it was made: an attempt joining later gets that much less time. */
  readonly createdAt = performance.now();
  private readonly abort: () => void;
  private readonly timer: NodeJS.Timeout;
  private running = 0;
  private closed = false;

  constructor(
    timeoutMs: number,
    private readonly shutdown: AbortSignal,
  ) {
    const controller = new AbortController();
    this.signal = controller.signal;
    // Every attempt's HTTP request listens on it: as many listeners as attempts, on purpose.
    setMaxListeners(0, this.signal);
    this.abort = () => controller.abort(new StoppingError());
    this.timer = setTimeout(() => controller.abort(new DOMException('The attempt ran out of time', 'TimeoutError')), timeoutMs);
    this.shutdown.addEventListener('abort', this.abort, { once: true });
    if (this.shutdown.aborted) this.abort(); // already over: no 'abort' event is coming
  }

  /** One more attempt under this deadline; false once it has fired or its attempts are all over. */
  join(): boolean {
    if (this.closed || this.signal.aborted) return false;
    this.running++;
    return true;
  }

  /** One attempt is over; after the last, nothing is left waiting for the deadline. */
  attemptOver(): void {
    if (--this.running > 0) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.shutdown.removeEventListener('abort', this.abort);
  }
}
