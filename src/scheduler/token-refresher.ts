import type { AppContext } from '../services/context.js';
import { CredentialService } from '../services/credentials.service.js';

/**
 * Refreshes credentials before they expire, on the sweep's rhythm, in every worker (a lease per
 * account keeps two nodes from refreshing the same one). Publishing also refreshes just in time,
 * so this is what keeps an account that rarely posts connected for months.
 */
export class TokenRefresher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private readonly credentials: CredentialService;

  constructor(private readonly ctx: AppContext) {
    this.credentials = new CredentialService(ctx);
  }

  start(): void {
    const tick = () => {
      this.running = this.credentials
        .refreshDue(this.stopping.signal)
        .then(() => undefined)
        .catch((err) => this.ctx.logger.warn({ err }, 'refreshing credentials failed; trying again at the next sweep'))
        .finally(() => {
          if (!this.stopping.signal.aborted) this.timer = setTimeout(tick, this.ctx.config.sweepIntervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    clearTimeout(this.timer);
    await this.running;
  }
}
