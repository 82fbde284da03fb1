/**
 * Slows password guessing: after `limit` failed sign-ins from one address within the window,
 * further attempts are refused until the window ends. Kept in memory per process, like the rate limiter.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit = 10,
    private readonly windowMs = 15 * 60_000,
  ) {}

  /** Milliseconds to wait before trying again, or 0 when an attempt is allowed. */
  waitMs(key: string, now: number): number {
    const f = this.failures.get(key);
    if (!f || now - f.start >= this.windowMs) return 0;
    return f.count >= this.limit ? f.start + this.windowMs - now : 0;
  }

  fail(key: string, now: number): void {
    let f = this.failures.get(key);
    if (!f || now - f.start >= this.windowMs) {
      f = { start: now, count: 0 };
      this.failures.set(key, f);
      if (this.failures.size > 10_000) this.prune(now);
    }
    f.count++;
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }

  private prune(now: number) {
    for (const [key, f] of this.failures) if (now - f.start >= this.windowMs) this.failures.delete(key);
  }
}
