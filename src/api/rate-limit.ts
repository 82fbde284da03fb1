/**
 * Fixed one-minute windows per API key (or per address before authentication), kept in memory
 * per process: with several API nodes each enforces the limit on its own share of the traffic.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
  ) {}

  hit(key: string, now: number): { allowed: boolean; limit: number; remaining: number; resetAt: number } {
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      w = { start: now - (now % this.windowMs), count: 0 };
      this.windows.set(key, w);
      if (this.windows.size > 100_000) this.prune(now);
    }
    w.count++;
    return {
      allowed: w.count <= this.limit,
      limit: this.limit,
      remaining: Math.max(0, this.limit - w.count),
      resetAt: w.start + this.windowMs,
    };
  }

  /** The verdict for one more request, without counting it. */
  peek(key: string, now: number): { allowed: boolean; limit: number; remaining: number; resetAt: number } {
    const w = this.windows.get(key);
    const count = w && now - w.start < this.windowMs ? w.count : 0;
    const resetAt = w && now - w.start < this.windowMs ? w.start + this.windowMs : now - (now % this.windowMs) + this.windowMs;
    return { allowed: count < this.limit, limit: this.limit, remaining: Math.max(0, this.limit - count), resetAt };
  }

  private prune(now: number) {
    for (const [key, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(key);
  }
}
