import pino, { type Logger } from 'pino';
import type { Config } from './config.js';
import { type Clock, systemClock } from './core/time.js';
import { createPlatformRegistry, type PlatformRegistry } from './platforms/registry.js';
import { LeaseClock } from './scheduler/lease-clock.js';
import { Scheduler } from './scheduler/scheduler.js';
import { TokenRefresher } from './scheduler/token-refresher.js';
import { AccountService } from './services/account.service.js';
import { OAuthService } from './services/oauth.service.js';
import { BulkScheduleService } from './services/bulk-schedule.service.js';
import { CsvImportService } from './services/csv-import/csv-import.service.js';
import { PostingQueueService } from './services/posting-queue.service.js';
import type { AppContext } from './services/context.js';
import { createMetrics } from './services/metrics.js';
import { PostQueries } from './services/post-queries.js';
import { PostService } from './services/post.service.js';
import { PresetService } from './services/preset.service.js';
import { SecretBox } from './services/secret-box.js';
import { UserService } from './services/user.service.js';
import { migrateToLatest, openStore } from './store/database.js';
import { createDueNotifier } from './store/due-notifier.js';

export interface Services {
  posts: PostService;
  postQueries: PostQueries;
  accounts: AccountService;
  oauth: OAuthService;
  presets: PresetService;
  users: UserService;
  bulk: BulkScheduleService;
  queues: PostingQueueService;
  imports: CsvImportService;
}

export interface App {
  ctx: AppContext;
  services: Services;
  scheduler: Scheduler | undefined;
  close(): Promise<void>;
}

export interface AppOptions {
  clock?: Clock;
  platforms?: PlatformRegistry;
  logger?: Logger;
  /** Run the scheduler in this process (serve without --no-worker, or worker). */
  worker?: boolean;
  /** Tests: SQLite file name inside the data dir (or :memory:). */
  sqliteFile?: string;
  /** Tests: compare even a given `clock` with PostgreSQL's, as the system clock is (LeaseClock). */
  compareClockWithDatabase?: boolean;
}

/** Builds one Octopost process: storage (migrated), services and, if asked, the scheduler. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? pino({ level: config.logLevel, redact: ['*.credentials', '*.secret', '*.password', 'req.headers.authorization'] });
  const store = openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, ...(options.sqliteFile && { sqliteFile: options.sqliteFile }) });
  try {
    await migrateToLatest(store);
  } catch (err) {
    await store.close();
    throw err;
  }
  const platforms = options.platforms ?? createPlatformRegistry(config);
  const clock = options.clock ?? systemClock;
  const metrics = createMetrics(platforms.names());
  const ctx: AppContext = {
    config,
    store,
    clock,
    leaseClock: new LeaseClock({ store, clock, metrics, logger }, options.compareClockWithDatabase ?? options.clock === undefined),
    platforms,
    secrets: SecretBox.fromConfig(config.secretKey, config.dataDir),
    due: createDueNotifier(store, (err) => logger.warn({ err }, 'due notifications interrupted; reconnecting')),
    metrics,
    logger,
  };
  const posts = new PostService(ctx);
  const users = new UserService(ctx);
  const accounts = new AccountService(ctx);
  const presets = new PresetService(ctx);
  const queues = new PostingQueueService(ctx, accounts, posts, users);
  const services: Services = {
    posts,
    postQueries: new PostQueries(ctx),
    accounts,
    oauth: new OAuthService(ctx, accounts),
    presets,
    users,
    bulk: new BulkScheduleService(ctx, posts, users),
    queues,
    imports: new CsvImportService(ctx, posts, presets, queues, users),
  };
  let scheduler: Scheduler | undefined;
  let refresher: TokenRefresher | undefined;
  if (options.worker) {
    scheduler = new Scheduler(ctx, { recoverAllOrphansOnStart: store.dialect === 'sqlite' });
    await scheduler.start();
    refresher = new TokenRefresher(ctx);
    refresher.start();
  }
  return {
    ctx,
    services,
    scheduler,
    async close() {
      await scheduler?.stop();
      await refresher?.stop();
      await ctx.due.close();
      await store.close();
    },
  };
}
