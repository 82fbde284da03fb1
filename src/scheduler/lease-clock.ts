import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../core/time.js';
import type { Metrics } from '../services/metrics.js';
import type { Store } from '../store/database.js';

/** Offsets below this are measurement noise (and what NTP keeps clocks within): not applied. */
const NOISE_MS = 50;
/** From this offset on, each measurement logs a warning: posts go out that much early or late. */
const WARN_MS = 1000;
/** Round trips per measurement; the quickest bounds the error best (it is at most half of it). */
const SAMPLES = 3;

/**
 * The time leases are kept in: PostgreSQL's clock, as this node's clock corrected by its measured
 * offset to it. A lease is written by one node and judged expired by another, so with each node's
 * own clock a node running behind the others handed out leases that they saw expire too soon:
 * with a 2 s lag the last second of a long attempt could be taken over and published a second
 * time. Kept in the database's time, every node judges the same lease alike, however their clocks
 * disagree. The same goes for the lease on refreshing an account's credentials. Due times stay in
 * this node's own clock, which should agree with the world's; an offset of a second or more is
 * logged as a warning and shown as `octopost_clock_offset_seconds`.
 *
 * Workers measure (the scheduler, at start and at each sweep); until then the offset is 0. On
 * SQLite there is one node, and nothing to agree with: it stays 0. Neither is it measured when the
 * app was given a clock of its own (tests' fake clocks) unless asked to.
 */
export class LeaseClock {
  private offsetMs = 0;

  constructor(
    private readonly ctx: { store: Store; clock: Clock; metrics: Metrics; logger: Logger },
    private readonly measured: boolean,
  ) {}

  /** Now, in the database's time. */
  now(): number {
    return this.ctx.clock.now() + this.offsetMs;
  }

  /**
   * Measures this node's clock against PostgreSQL's. An error (the database away) keeps the last
   * offset: the clock has not changed because the database cannot be reached.
   */
  async measure(): Promise<void> {
    if (!this.measured || this.ctx.store.dialect !== 'postgres') return;
    let best: { offsetMs: number; roundTripMs: number } | undefined;
    for (let i = 0; i < SAMPLES; i++) {
      const sent = this.ctx.clock.now();
      const { rows } = await sql<{ ms: number }>`SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms`.execute(this.ctx.store.db);
      const received = this.ctx.clock.now();
      const sample = { offsetMs: rows[0]!.ms - (sent + received) / 2, roundTripMs: received - sent };
      if (!best || sample.roundTripMs < best.roundTripMs) best = sample;
    }
    const offsetMs = Math.round(best!.offsetMs);
    this.offsetMs = Math.abs(offsetMs) < NOISE_MS ? 0 : offsetMs;
    this.ctx.metrics.clockOffset.set(offsetMs / 1000);
    if (Math.abs(offsetMs) >= WARN_MS) {
      const seconds = Math.abs(offsetMs / 1000).toFixed(1);
      this.ctx.logger.warn(
        { clockOffsetMs: offsetMs },
        `this node's clock is ${seconds} s ${offsetMs > 0 ? 'behind' : 'ahead of'} PostgreSQL's: posts due are published by this node's clock, ${seconds} s ${offsetMs > 0 ? 'late' : 'early'}. Synchronise the clocks (NTP, chrony). Leases are kept in PostgreSQL's time, so this cannot make a post go out twice.`,
      );
    }
  }
}
