import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one Octopost process (a registry per app, so tests can run several). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'octopost_process_' });
  return {
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
      help: 'Deliveries this process is publishing right now.',
      registers: [registry],
    }),
    recoveredLeases: new Counter({
      name: 'octopost_recovered_leases_total',
      help: 'Deliveries taken back from a worker that stopped mid-attempt, by what followed (retrying, unknown, failed).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    givenBack: new Counter({
      name: 'octopost_given_back_total',
      help: 'Deliveries a worker claimed ahead of its free slots and gave back unstarted, as its slots stayed busy too long (or it was stopping): a sign that workerConcurrency is too low for how slow the networks answer.',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
