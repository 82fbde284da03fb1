import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { setTimeout as pause } from 'node:timers/promises';
import { newId } from '../core/ids.js';
import type { TimerHandle } from '../core/time.js';
import { decideNextStep } from '../core/retry-policy.js';
import type { AppContext } from '../services/context.js';
import { deduplicatesOf } from '../platforms/platform.js';
import { deactivateAccount, findAccountsByIds } from '../store/account.repository.js';
import { type ClaimedWork, claimWork } from '../store/claim-work.js';
import { isDatabaseUnavailable } from '../store/database.js';
import { countDue, type DeliveryRecord, nextDueAt } from '../store/delivery.repository.js';
import { findExpiredLeases, recordInterrupted, recordOutcomes, releaseUnstarted } from '../store/queue.repository.js';
import { AttemptDeadline } from '../core/attempt-deadline.js';
import { OutcomeRecorder } from './outcome-recorder.js';
import { attemptDelivery, outcomeAfter } from './publish-attempt.js';
import { stoppedWaiting } from './stopped-retry.js';

export interface SchedulerOptions {
  workerId?: string;
  /**
   * Deliveries claimed per statement, and how many may wait for a free network slot (see
   * capacity). 50 keeps one claim short while amortising its cost.
   */
  batchSize?: number;
  /** SQLite runs one worker: at start, every delivery left `publishing` is an orphan of a crash. */
  recoverAllOrphansOnStart?: boolean;
}

/** A claimed delivery waiting for a network slot; `begin(false)` gives it back instead. */
interface Queued {
  delivery: DeliveryRecord;
  startBy: number;
  begin: (start: boolean) => void;
}

/** Attempts starting within this many ms of each other share one deadline (AttemptDeadline). */
const SHARED_DEADLINE_MS = 50;

/** Margin between the latest end of an attempt started from the local queue and its lease's end. */
const LEASE_MARGIN_MS = 1000;

/**
 * Claims due deliveries and publishes them, on time: a timer is armed for the next due moment
 * (re-armed whenever something is scheduled, here or, through NOTIFY, on another node), and a
 * sweep every OCTOPOST_SWEEP_INTERVAL is the safety net that also takes back expired leases.
 */
export class Scheduler {
  readonly workerId: string;
  private readonly batchSize: number;
  /**
   * Every claimed delivery not yet recorded: being published, or its outcome being written. Keyed
   * by delivery and attempt (flightKey): a delivery taken back by another worker during a database
   * outage may be claimed here again while the first attempt's outcome still waits to be written.
   */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Of those, the attempts talking to a network now: what workerConcurrency limits. */
  private publishing = 0;
  /** Of those, claimed and waiting for a network slot, oldest due first. */
  private readonly queued: Queued[] = [];
  private deadline: AttemptDeadline | undefined;
  private readonly shutdown = new AbortController();
  private timer: TimerHandle | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private sweepTimer: TimerHandle | undefined;
  private loop: Promise<void> | undefined;
  private loopAgain = false;
  private stopping = false;
  private unsubscribe: (() => void) | undefined;
  private dbBackoffMs = 0;
  private keepAlive: NodeJS.Timeout | undefined;
  private readonly recorder: OutcomeRecorder;

  constructor(
    private readonly ctx: AppContext,
    private readonly options: SchedulerOptions = {},
  ) {
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${newId('w').slice(-6)}`;
    this.batchSize = options.batchSize ?? 50;
    this.recorder = new OutcomeRecorder({
      write: (entries) => recordOutcomes(ctx.store.db, ctx.store.dialect, entries),
      moreComing: () => this.publishing > 0,
      // A round of every slot: what a busy worker finishes within a few milliseconds.
      minBatch: ctx.config.workerConcurrency,
    });
    // The deadline of every claim with attempts still running listens for shutdown: many, on purpose.
    setMaxListeners(0, this.shutdown.signal);
  }

  async start(): Promise<void> {
    this.unsubscribe = this.ctx.due.subscribe((dueAt) => this.wake(dueAt));
    await this.ctx.leaseClock.measure();
    await this.recoverLeases(this.options.recoverAllOrphansOnStart ?? false);
    this.armSweep();
    this.poke();
    // The scheduler's timers do not hold the process open (tests, serve), so a running scheduler
    // does: without it a `worker` whose database went away (no socket left) would exit, code 0.
    this.keepAlive = setInterval(() => {}, 2 ** 30);
  }

  /** Something became due at `dueAt`: make sure the timer fires by then. */
  wake(dueAt: number): void {
    if (this.stopping) return;
    if (dueAt <= this.ctx.clock.now()) return this.poke();
    if (dueAt < this.timerAt) this.arm(dueAt);
  }

  /** Runs the claim loop now (or right after the one already running). */
  poke(): void {
    if (this.stopping) return;
    if (this.loop) {
      this.loopAgain = true;
      return;
    }
    this.loop = this.runLoop().finally(() => {
      this.loop = undefined;
      if (this.loopAgain) {
        this.loopAgain = false;
        this.poke();
      }
    });
  }

  /**
   * For tests and benchmarks: claim what is due now and wait until all of it is recorded,
   * including what is claimed meanwhile (a finished attempt frees room and claims more).
   */
  async drain(): Promise<void> {
    this.poke();
    while (this.loop || this.inFlight.size > 0) {
      await this.loop;
      await Promise.all(this.inFlight.values());
    }
  }

  /** Graceful first: stop claiming, let in-flight attempts finish; after `graceMs`, abort them. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    if (this.timer) this.ctx.clock.clearTimer(this.timer);
    if (this.sweepTimer) this.ctx.clock.clearTimer(this.sweepTimer);
    await this.loop?.catch(() => {});
    // Not started: given back now, for another node to take at once rather than after the lease.
    const unstarted = this.queued.splice(0);
    if (unstarted.length > 0) this.ctx.logger.info({ givenBack: unstarted.length }, 'stopping: giving back the claimed deliveries not started, for any worker to take');
    for (const waiting of unstarted) waiting.begin(false);
    const all = Promise.all(this.inFlight.values());
    let forced: NodeJS.Timeout | undefined;
    await Promise.race([
      all,
      new Promise<void>((resolve) => {
        forced = setTimeout(() => {
          this.ctx.logger.warn({ inFlight: this.inFlight.size }, 'shutdown grace over: aborting in-flight attempts');
          this.shutdown.abort();
          resolve();
        }, graceMs);
      }),
    ]);
    clearTimeout(forced);
    await all;
    clearInterval(this.keepAlive);
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  private async runLoop(): Promise<void> {
    try {
      while (!this.stopping) {
        // Whole batches only. Less room means every slot is busy with more waiting behind (or
        // outcomes to write): a finishing attempt pokes the loop again once a batch fits
        // (pokeIfRoom). Claiming the leftover room made ~40% more claims in the burst benchmark.
        if (this.capacity() < this.batchSize) return;
        const want = this.batchSize;
        const now = this.ctx.clock.now();
        const leaseUntil = this.ctx.leaseClock.now() + this.leaseMs();
        const work = await claimWork(this.ctx.store.db, this.ctx.store.dialect, this.workerId, now, leaseUntil, want);
        this.dbBackoffMs = 0;
        this.enqueue(work, now);
        if (work.deliveries.length < want) break;
      }
      if (!this.stopping) await this.armForNext();
    } catch (err) {
      // The database is away (restarting, network): try again with a growing pause, up to 5 s.
      this.dbBackoffMs = Math.min(5000, this.dbBackoffMs ? this.dbBackoffMs * 2 : 100);
      this.ctx.logger.error({ err, retryInMs: this.dbBackoffMs }, 'scheduler loop failed; retrying');
      this.arm(this.ctx.clock.now() + this.dbBackoffMs);
    }
  }

  /**
   * How many more deliveries to claim now: enough for the free network slots plus a batch waiting
   * behind them, so that a slot freed while a claim is on its way to the database is taken at once
   * and claims stay full batches. Claiming only for the free slots left them idle for most of each
   * claim's round trip when attempts are quick, and made claims of ~29 (burst benchmark: ~400
   * claims per 10,000 deliveries, now ~207; PostgreSQL's CPU per delivery ~125 -> ~100 µs). A
   * delivery's slot is free once its attempt is over, while its outcome is written in the next
   * batch (OutcomeRecorder); outcomes still to be written hold leases and memory, so at most
   * `workerConcurrency` of them: a slow database slows claiming rather than piling up work.
   */
  private capacity(): number {
    const concurrency = this.ctx.config.workerConcurrency;
    const ahead = concurrency + this.batchSize;
    return Math.min(ahead - this.publishing - this.queued.length, ahead + concurrency - this.inFlight.size);
  }

  /**
   * Claims again once a whole batch of room is free (or all is done), not after every single
   * attempt: claiming one row at a time cost ~40% more CPU per delivery. The batch waiting behind
   * the slots keeps them busy meanwhile.
   */
  private pokeIfRoom(): void {
    if (this.inFlight.size === 0 || this.capacity() >= this.batchSize) this.poke();
  }

  /**
   * `claimedAt`: when the claim was sent, as its lease counts from then: a claim that took long to
   * come back (a busy database, a wait for a pooled connection) leaves less of the window.
   */
  private enqueue({ deliveries, posts, accounts }: ClaimedWork, claimedAt: number): void {
    if (deliveries.length === 0) return;
    const startBy = claimedAt + this.startWindowMs();
    for (const delivery of deliveries) {
      const key = flightKey(delivery);
      const work: Promise<void> = new Promise<boolean>((begin) => this.queued.push({ delivery, startBy, begin }))
        .then((start) => (start ? this.publishOne(delivery, posts.get(delivery.postId), accounts.get(delivery.accountId)) : this.giveBack(delivery)))
        .catch((err) => this.ctx.logger.error({ err, delivery: delivery.id }, 'recording an attempt failed; the lease will expire and the sweep takes it back'))
        .finally(() => {
          // Only this entry: a delivery given back and claimed again has the same key, a new entry.
          if (this.inFlight.get(key) === work) this.inFlight.delete(key);
          this.ctx.metrics.inFlight.set(this.inFlight.size);
          this.pokeIfRoom();
        });
      this.inFlight.set(key, work);
    }
    this.ctx.metrics.inFlight.set(this.inFlight.size);
    this.startQueued();
  }

  /**
   * Starts waiting deliveries while network slots are free. One that waited past its start-by
   * moment is given back instead: started later, its attempt could outlive its lease, and another
   * worker would take it while it is being published.
   */
  private startQueued(): void {
    // Stopping: what a claim still on its way brings is given back by stop(), not started.
    if (this.stopping) return;
    const concurrency = this.ctx.config.workerConcurrency;
    const now = this.ctx.clock.now();
    while (this.publishing < concurrency && this.queued.length > 0) {
      const next = this.queued.shift()!;
      if (now > next.startBy) {
        next.begin(false);
        continue;
      }
      const { delivery } = next;
      if (delivery.attempts - delivery.budgetStart === 1) {
        this.ctx.metrics.lateness.observe(Math.max(0, now - delivery.dueAt) / 1000);
      }
      this.publishing++;
      next.begin(true);
    }
  }

  /** Attempts starting within SHARED_DEADLINE_MS of each other share one deadline. */
  private joinDeadline(): AttemptDeadline {
    const current = this.deadline;
    if (current && performance.now() - current.createdAt < SHARED_DEADLINE_MS && current.join()) return current;
    this.deadline = new AttemptDeadline(this.ctx.config.publishTimeoutMs, this.shutdown.signal);
    this.deadline.join();
    return this.deadline;
  }

  /** A claimed delivery that will not be started here, waiting again for any worker. */
  private async giveBack(delivery: DeliveryRecord): Promise<void> {
    const now = this.ctx.clock.now();
    // Stopped by a person since the claim: what it becomes as the waiting delivery it was (the
    // claim counted an attempt that was not made).
    const ifStopped = await stoppedWaiting(this.ctx, { ...delivery, attempts: delivery.attempts - 1 });
    const released = await this.persistently(`giving back delivery ${delivery.id}`, () => releaseUnstarted(this.ctx.store.db, this.workerId, delivery, now, ifStopped));
    if (!released) return;
    this.ctx.metrics.givenBack.inc();
    this.ctx.logger.debug({ delivery: delivery.id }, 'gave back a delivery not started in time');
    this.wake(now);
  }

  private async publishOne(delivery: DeliveryRecord, post: Parameters<typeof attemptDelivery>[2], account: Parameters<typeof attemptDelivery>[3]): Promise<void> {
    const startedAt = this.ctx.clock.now();
    const deadline = this.joinDeadline();
    let result: Awaited<ReturnType<typeof attemptDelivery>>;
    try {
      result = await attemptDelivery(this.ctx, delivery, post, account, deadline.signal);
    } finally {
      this.publishing--;
      deadline.attemptOver();
      this.startQueued();
      this.pokeIfRoom();
    }
    const finishedAt = this.ctx.clock.now();
    const db = this.ctx.store.db;
    const entry = {
      delivery,
      outcome: result.outcome,
      attempt: { worker: this.workerId, startedAt, finishedAt, result: result.wire },
      // Only a cross-linked post's primary has deliveries waiting for it.
      mayReleaseWaiting: Boolean(post?.crossLink) && !delivery.crossLinkFrom,
    };
    // The attempt happened: its outcome must be written, so a lost database is waited out rather
    // than the outcome dropped and the post sent again. The delivery stays ours for the rest of its
    // lease; an outage longer than that lets another worker's sweep take it over (interrupted:
    // repeated where the account deduplicates, unknown elsewhere), and this outcome is then
    // refused by the guard and counted as lost_lease.
    const kept = await this.persistently(`recording delivery ${delivery.id}`, () => this.recorder.record(entry));
    const status = kept ? result.outcome.status : 'lost_lease';
    this.ctx.metrics.publishAttempts.inc({ platform: delivery.platform, outcome: status });
    this.ctx.logger.info(
      { delivery: delivery.id, post: delivery.postId, platform: delivery.platform, attempt: delivery.attempts, status, ms: finishedAt - startedAt },
      'publish attempt',
    );
    if (!kept) return;
    if (result.reconnect && account && result.outcome.status !== 'published' && result.outcome.status !== 'retrying') {
      await deactivateAccount(db, account.id, result.outcome.error.message, result.refusedCredentials ?? account.credentials);
    }
    if (result.outcome.status === 'retrying') this.wake(result.outcome.dueAt);
    // A finished primary released the deliveries waiting for its link (cross-link): they are due.
    else if (post?.crossLink && !delivery.crossLinkFrom) this.wake(finishedAt);
  }

  /**
   * Takes back deliveries whose worker stopped mid-attempt. Their outcome is unknown: repeated
   * at once where the account deduplicates (deduplicatesOf; within the retry budget), `unknown`
   * elsewhere. Never this worker's own live ones: it knows they are not abandoned, whatever the
   * lease says after its clock jumped (a machine waking from sleep, an NTP step), and their
   * attempts end with their own outcome.
   */
  private async recoverLeases(allOrphans: boolean): Promise<void> {
    const now = this.ctx.clock.now();
    const leaseNow = this.ctx.leaseClock.now();
    const expired = (await findExpiredLeases(this.ctx.store.db, leaseNow, allOrphans, 1000)).filter(
      (delivery) => !(delivery.lockedBy === this.workerId && this.inFlight.has(flightKey(delivery))),
    );
    if (expired.length === 0) return;
    const accounts = await findAccountsByIds(this.ctx.store.db, [...new Set(expired.map((d) => d.accountId))]);
    for (const delivery of expired) {
      const adapter = this.ctx.platforms.get(delivery.platform);
      const account = accounts.get(delivery.accountId);
      const error = {
        code: 'interrupted',
        message: 'The worker publishing this stopped mid-attempt (crash or shutdown); the post may or may not have gone out.',
        permanent: false,
      };
      const step = decideNextStep(
        { kind: 'ambiguous', error },
        delivery.attempts - delivery.budgetStart,
        this.ctx.config.retryDelaysMs.map(() => 0),
        deduplicatesOf(adapter, account?.meta ?? {}),
      );
      // The attempt began at its claim, the delivery's last change before the worker went away.
      const outcome = await outcomeAfter(this.ctx, adapter, delivery, step, error, now, delivery.updatedAt);
      const kept = await recordInterrupted(this.ctx.store.db, this.ctx.store.dialect, delivery, outcome, {
        worker: delivery.lockedBy ?? 'unknown',
        startedAt: delivery.updatedAt,
        finishedAt: now,
        result: 'interrupted',
      }, allOrphans ? undefined : leaseNow);
      if (kept) {
        this.ctx.metrics.recoveredLeases.inc({ outcome: outcome.status });
        this.ctx.logger.warn({ delivery: delivery.id, from: delivery.lockedBy, now: outcome.status }, 'took back an interrupted delivery');
      }
    }
  }

  /**
   * Runs `fn` until it succeeds while the error says the database is away (PostgreSQL restarting,
   * unreachable), pausing 100 ms, doubling up to 5 s. Any other error, or the shutdown grace being
   * over, ends it with that error: the delivery then stays `publishing` until its lease runs out
   * and a sweep takes it back, as after a crash.
   */
  private async persistently<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let failures = 0;
    for (let waitMs = 100; ; waitMs = Math.min(5000, waitMs * 2)) {
      try {
        const value = await fn();
        if (failures > 0) this.ctx.logger.info({ failures }, `${what}: done once the database was back`);
        return value;
      } catch (err) {
        if (!isDatabaseUnavailable(err) || this.shutdown.signal.aborted) throw err;
        if (failures++ === 0) this.ctx.logger.warn({ err: { code: (err as { code?: string }).code, message: (err as Error).message } }, `${what}: the database is unavailable; retrying until it is back`);
        try {
          await pause(waitMs, undefined, { signal: this.shutdown.signal });
        } catch {
          throw err;
        }
      }
    }
  }

  private armSweep(): void {
    this.sweepTimer = this.ctx.clock.setTimer(async () => {
      if (this.stopping) return;
      try {
        await this.ctx.leaseClock.measure();
        await this.recoverLeases(false);
        this.ctx.metrics.dueBacklog.set(await countDue(this.ctx.store.db, this.ctx.clock.now()));
      } catch (err) {
        this.ctx.logger.error({ err }, 'sweep failed');
      }
      this.poke();
      this.armSweep();
    }, this.ctx.config.sweepIntervalMs);
  }

  private async armForNext(): Promise<void> {
    const next = await nextDueAt(this.ctx.store.db);
    if (next !== null) this.arm(next);
  }

  private arm(at: number): void {
    if (this.stopping) return;
    if (this.timer) this.ctx.clock.clearTimer(this.timer);
    this.timerAt = at;
    this.timer = this.ctx.clock.setTimer(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.poke();
    }, at - this.ctx.clock.now());
  }

  /** Long enough that a live worker always finishes (or times out) before its lease can be taken. */
  private leaseMs(): number {
    const timeout = this.ctx.config.publishTimeoutMs;
    // Whole milliseconds: lease_until is a bigint, and an odd limit (30001ms) made half of it a fraction.
    return timeout + Math.ceil(Math.max(5000, timeout / 2));
  }

  /**
   * How long after its claim a delivery may still start here: its attempt then ends, at the
   * latest, LEASE_MARGIN_MS before its lease does: max(5 s, half the time limit) less 1 s (14 s with
   * the default 30 s limit, 4 s with limits up to 10 s).
   */
  private startWindowMs(): number {
    return this.leaseMs() - this.ctx.config.publishTimeoutMs - LEASE_MARGIN_MS;
  }
}

const flightKey = (delivery: DeliveryRecord) => `${delivery.id}:${delivery.attempts}`;
