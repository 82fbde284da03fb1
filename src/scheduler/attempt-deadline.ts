import { setMaxListeners } from 'node:events';

/**
 * The time limit of the attempts started together from one claim, as one AbortSignal: they start
 * in the same tick, so their deadlines are the same moment and one controller and one timer serve
 * them all. Creating an AbortSignal costs ~6 µs on Node 20, ~3% of a delivery's CPU in the burst
 * benchmark when every attempt made its own. Also aborted when the scheduler is forced to stop.
 *
 * Not AbortSignal.any(): on Node 20 it keeps every signal it ever combined alive
 * (nodejs/node#55351).
 */
export class AttemptDeadline {
  readonly signal: AbortSignal;
  private readonly abort: () => void;
  private readonly timer: NodeJS.Timeout;
  private running: number;

  constructor(
    timeoutMs: number,
    private readonly shutdown: AbortSignal,
    attempts: number,
  ) {
    const controller = new AbortController();
    this.signal = controller.signal;
    // Every attempt's HTTP request listens on it: as many listeners as attempts, on purpose.
    setMaxListeners(0, this.signal);
    this.abort = () => controller.abort();
    this.timer = setTimeout(this.abort, timeoutMs);
    this.shutdown.addEventListener('abort', this.abort, { once: true });
    this.running = attempts;
  }

  /** One attempt is over; after the last, nothing is left waiting for the deadline. */
  attemptOver(): void {
    if (--this.running > 0) return;
    clearTimeout(this.timer);
    this.shutdown.removeEventListener('abort', this.abort);
  }
}
