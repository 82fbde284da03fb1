import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Outcome } from '../store/queue.repository.js';

/** What an attempt ends as (`lost_lease`: its outcome came after another worker took it back). */
const ATTEMPT_OUTCOMES = ['published', 'retrying', 'failed', 'unknown', 'lost_lease'] as const satisfies readonly (Outcome['status'] | 'lost_lease')[];
/** What a delivery taken back from a stopped worker becomes. */
const RECOVERED_OUTCOMES = ['retrying', 'unknown', 'failed'] as const satisfies readonly Outcome['status'][];

/**
 * Prometheus metrics of one Octopost process (a registry per app, so tests can run several). The
 * labelled counters start with every series at 0 (each platform this server has, each outcome):
 * a series that appears only at its first event leaves "any lost_lease" or rate() alerts blind
 * until then, and an API node's counters missing rather than 0.
 */
export function createMetrics(platforms: readonly string[] = []) {
  const registry = new Registry();
  // prom-client's process and Node.js metrics, under our prefix: octopost_process_cpu_seconds_total,
  // octopost_nodejs_eventloop_lag_seconds, octopost_nodejs_heap_size_used_bytes...
  collectDefaultMetrics({ register: registry, prefix: 'octopost_' });
  const metrics = {
    registry,
    publishAttempts: new Counter({
      name: 'octopost_publish_attempts_total',
      help: 'Publish attempts by platform and outcome (published, retrying, failed, unknown, lost_lease).',
      labelNames: ['platform', 'outcome'] as const,
      registers: [registry],
    }),
    lateness: new Histogram({
      name: 'octopost_publish_lateness_seconds',
      help: 'Time from a delivery being due to its first attempt starting.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300],
      registers: [registry],
    }),
    dueBacklog: new Gauge({
      name: 'octopost_due_backlog',
      help: 'Deliveries whose time has come and that no worker has claimed yet.',
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'octopost_deliveries_in_flight',
      help: 'Deliveries this process holds: being published, claimed and waiting for a free slot, or published with the outcome not yet written.',
      registers: [registry],
    }),
    recoveredLeases: new Counter({
      name: 'octopost_recovered_leases_total',
      help: 'Deliveries taken back from a worker that stopped mid-attempt, by what followed (retrying, unknown, failed).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    clockOffset: new Gauge({
      name: 'octopost_clock_offset_seconds',
      help: "PostgreSQL's clock minus this worker's, as last measured (at start and each sweep; 0 on SQLite). Positive: this node runs behind PostgreSQL. From 1 s on a warning is logged: if the node's clock is the wrong one, its posts go out that much late (or early).",
      registers: [registry],
    }),
    givenBack: new Counter({
      name: 'octopost_given_back_total',
      help: 'Deliveries a worker claimed ahead of its free slots and gave back unstarted, as its slots stayed busy too long (or it was stopping): a sign that workerConcurrency is too low for how slow the networks answer.',
      registers: [registry],
    }),
  };
  for (const platform of platforms) for (const outcome of ATTEMPT_OUTCOMES) metrics.publishAttempts.inc({ platform, outcome }, 0);
  for (const outcome of RECOVERED_OUTCOMES) metrics.recoveredLeases.inc({ outcome }, 0);
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
