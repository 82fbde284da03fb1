import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../core/time.js';
import type { Metrics } from '../services/metrics.js';
import type { Store } from '../store/database.js';

/** From this offset on, a measurement logs a warning: posts may go out that much early or late. */
const WARN_MS = 1000;
/** A warning is repeated when the offset has moved by this much since the last one, */
const WARN_AGAIN_AFTER_CHANGE_MS = 500;
/** or after this long. */
const WARN_AGAIN_AFTER_MS = 60 * 60_000;
/** Round trips per measurement; the quickest bounds the error best (it is at most half of it). */
const SAMPLES = 3;

/**
 * The time leases are kept in: PostgreSQL's clock. A lease is written by one node and judged
 * expired by another, so with each node's own clock a node running behind the others handed out
 * leases that they saw expire too soon: with a 2 s lag the last second of a long attempt could be
 * taken over and published a second time. Kept in the database's time, every node judges the same
 * lease alike, however their clocks disagree. The same goes for the lease on refreshing an
 * account's credentials. Due times stay in this node's own clock, which should agree with the
 * world's; an offset of a second or more is logged as a warning and shown as
 * `octopost_clock_offset_seconds`.
 *
 * Between measurements (the scheduler's start and each sweep) the time runs on from the last one
 * by the monotonic clock, so a step of this node's clock (NTP, a machine waking up) does not move
 * its leases. Until the first measurement, and on SQLite (one node, nothing to agree with), it is
 * the app's clock. Neither is it measured when the app was given a clock of its own (tests' fake
 * clocks) unless asked to.
 */
export class LeaseClock {
  /** PostgreSQL's time at the last measurement, and performance.now() at that moment. */
  private anchor: { databaseMs: number; monotonicMs: number } | undefined;
  private lastWarning: { offsetMs: number; at: number } | undefined;

  constructor(
    private readonly ctx: { store: Store; clock: Clock; metrics: Metrics; logger: Logger },
    private readonly measured: boolean,
  ) {}

  /** Now, in the database's time. */
  now(): number {
    if (!this.anchor) return this.ctx.clock.now();
    return Math.round(this.anchor.databaseMs + (performance.now() - this.anchor.monotonicMs));
  }

  /**
   * Measures PostgreSQL's clock, and this node's against it. An error (the database away) keeps
   * the last measurement: the clocks have not changed because the database cannot be reached.
   */
  async measure(): Promise<void> {
    if (!this.measured || this.ctx.store.dialect !== 'postgres') return;
    let best: { databaseMs: number; monotonicMs: number; offsetMs: number; roundTripMs: number } | undefined;
    for (let i = 0; i < SAMPLES; i++) {
      const sent = { monotonic: performance.now(), clock: this.ctx.clock.now() };
      const { rows } = await sql<{ ms: number }>`SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms`.execute(this.ctx.store.db);
      const received = { monotonic: performance.now(), clock: this.ctx.clock.now() };
      const roundTripMs = received.monotonic - sent.monotonic;
      const databaseMs = rows[0]!.ms;
      const sample = { databaseMs: databaseMs + roundTripMs / 2, monotonicMs: received.monotonic, offsetMs: databaseMs - (sent.clock + received.clock) / 2, roundTripMs };
      if (!best || sample.roundTripMs < best.roundTripMs) best = sample;
    }
    this.anchor = { databaseMs: best!.databaseMs, monotonicMs: best!.monotonicMs };
    const offsetMs = Math.round(best!.offsetMs);
    this.ctx.metrics.clockOffset.set(offsetMs / 1000);
    this.warnIfOff(offsetMs);
  }

  private warnIfOff(offsetMs: number): void {
    if (Math.abs(offsetMs) < WARN_MS) return;
    const at = performance.now();
    const last = this.lastWarning;
    if (last && Math.abs(offsetMs - last.offsetMs) < WARN_AGAIN_AFTER_CHANGE_MS && at - last.at < WARN_AGAIN_AFTER_MS) return;
    this.lastWarning = { offsetMs, at };
    const seconds = Math.abs(offsetMs / 1000).toFixed(1);
    const behind = offsetMs > 0;
    this.ctx.logger.warn(
      { clockOffsetMs: offsetMs },
      `this node's clock is ${seconds} s ${behind ? 'behind' : 'ahead of'} PostgreSQL's. Posts due are published by this node's clock: if it is the wrong one, ${seconds} s ${behind ? 'late' : 'early'}; if every node says the same, PostgreSQL's clock is the wrong one. Synchronise the clocks (NTP, chrony). Leases are kept in PostgreSQL's time, so the workers still agree on them.`,
    );
  }
}
