import path from 'node:path';
import { DEFAULT_RETRY_DELAYS_MS } from './core/retry-policy.js';
import { parseDuration, parseDurationList } from './core/time.js';

/** Everything configurable, from the environment (shared/api.md, "Running it"). */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  sweepIntervalMs: number;
  retryDelaysMs: number[];
  publishTimeoutMs: number;
  secretKey: string | undefined;
  blockPrivateUrls: boolean;
  rateLimitPerMinute: number;
  logLevel: string;
  /** How many deliveries one worker publishes at the same time. */
  workerConcurrency: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const read = <T>(name: string, fallback: T, parse: (v: string) => T): T => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    try {
      return parse(raw);
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
      return fallback;
    }
  };
  const positiveInt = (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`"${v}" is not a positive whole number`);
    return n;
  };
  const bool = (v: string) => {
    if (/^(true|1|yes)$/i.test(v)) return true;
    if (/^(false|0|no)$/i.test(v)) return false;
    throw new Error(`"${v}" is not true or false`);
  };
  const config: Config = {
    port: read('PORT', 3000, (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`"${v}" is not a port number`);
      return n;
    }),
    host: env.HOST || '127.0.0.1',
    dataDir: path.resolve(env.OCTOPOST_DATA_DIR || './data'),
    databaseUrl: env.DATABASE_URL || undefined,
    sweepIntervalMs: read('OCTOPOST_SWEEP_INTERVAL', 60_000, parseDuration),
    retryDelaysMs: read('OCTOPOST_RETRY_DELAYS', DEFAULT_RETRY_DELAYS_MS, parseDurationList),
    publishTimeoutMs: read('OCTOPOST_PUBLISH_TIMEOUT', 30_000, parseDuration),
    secretKey: env.OCTOPOST_SECRET_KEY || undefined,
    blockPrivateUrls: read('OCTOPOST_BLOCK_PRIVATE_URLS', false, bool),
    rateLimitPerMinute: read('OCTOPOST_RATE_LIMIT', 1000, positiveInt),
    logLevel: env.LOG_LEVEL || 'info',
    workerConcurrency: read('OCTOPOST_WORKER_CONCURRENCY', 64, positiveInt),
  };
  if (config.databaseUrl && !/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    problems.push('DATABASE_URL: only postgres:// URLs are supported (leave it unset for the embedded SQLite)');
  }
  if (config.sweepIntervalMs <= 0) problems.push('OCTOPOST_SWEEP_INTERVAL: must be above zero');
  if (config.publishTimeoutMs <= 0) problems.push('OCTOPOST_PUBLISH_TIMEOUT: must be above zero');
  if (problems.length) throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return config;
}
