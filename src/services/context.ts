import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Clock } from '../core/time.js';
import type { PlatformRegistry } from '../platforms/registry.js';
import type { Store } from '../store/database.js';
import type { DueNotifier } from '../store/due-notifier.js';
import type { LeaseClock } from '../scheduler/lease-clock.js';
import type { Metrics } from './metrics.js';
import type { SecretBox } from './secret-box.js';

/** Everything a use-case needs, built once per process (app.ts) and passed down. */
export interface AppContext {
  config: Config;
  store: Store;
  clock: Clock;
  /** The time leases are kept in (deliveries', credential refreshes'): PostgreSQL's, on it. */
  leaseClock: LeaseClock;
  platforms: PlatformRegistry;
  secrets: SecretBox;
  due: DueNotifier;
  metrics: Metrics;
  logger: Logger;
}
