import { isIP } from 'node:net';
import path from 'node:path';
import { DEFAULT_RETRY_DELAYS_MS } from './core/retry-policy.js';
import { parseDuration, parseDurationList } from './core/time.js';

/** Everything configurable, from the environment (shared/api.md, "Running it"). */
export interface Config {
  port: number;
  host: string;
  /** `octopost worker` only: serve /metrics and /healthz on HOST at this port (0: one the OS picks). */
  metricsPort: number | undefined;
  dataDir: string;
  databaseUrl: string | undefined;
  sweepIntervalMs: number;
  retryDelaysMs: number[];
  publishTimeoutMs: number;
  secretKey: string | undefined;
  blockPrivateUrls: boolean;
  rateLimitPerMinute: number;
  /**
   * Peers whose X-Forwarded-For is believed (addresses, CIDR ranges, proxy-addr's names), or
   * false: the client's address, which the rate limits and the sign-in throttle count by.
   */
  trustProxy: string[] | false;
  logLevel: string;
  /** How many deliveries one worker publishes at the same time. */
  workerConcurrency: number;
  /** Check every response against its schema (tests); production trusts the presenters. */
  checkResponses: boolean;
  /** The address people reach this server at: OAuth callbacks are built from it. */
  publicUrl: string;
  networks: NetworkConfig;
}

/**
 * App credentials of each network (README, "Connecting networks"), and base URLs that only tests
 * and benchmarks change, to publish to local servers that answer as the networks do.
 */
export interface NetworkConfig {
  x: { clientId?: string; clientSecret?: string; apiUrl?: string; authorizeUrl?: string };
  linkedin: { clientId?: string; clientSecret?: string; apiUrl?: string; oauthUrl?: string };
  threads: { appId?: string; appSecret?: string; apiUrl?: string; authorizeUrl?: string };
  bluesky: { service?: string };
}

/** http://host:port, an IPv6 host in brackets (http://[::1]:3000). */
export function httpOrigin(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
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
  const httpUrl = (v: string) => {
    if (!/^https?:\/\/[^/\s]+(\/[^\s]*)?$/.test(v)) throw new Error(`"${v}" is not an http(s) URL`);
    return v.replace(/\/+$/, '');
  };
  const bool = (v: string) => {
    if (/^(true|1|yes)$/i.test(v)) return true;
    if (/^(false|0|no)$/i.test(v)) return false;
    throw new Error(`"${v}" is not true or false`);
  };
  const portNumber = (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`"${v}" is not a port number`);
    return n;
  };
  const config: Config = {
    port: read('PORT', 3000, portNumber),
    metricsPort: read<number | undefined>('OCTOPOST_METRICS_PORT', undefined, portNumber),
    host: env.HOST || '127.0.0.1',
    dataDir: path.resolve(env.OCTOPOST_DATA_DIR || './data'),
    databaseUrl: env.DATABASE_URL || undefined,
    sweepIntervalMs: read('OCTOPOST_SWEEP_INTERVAL', 60_000, parseDuration),
    retryDelaysMs: read('OCTOPOST_RETRY_DELAYS', DEFAULT_RETRY_DELAYS_MS, parseDurationList),
    publishTimeoutMs: read('OCTOPOST_PUBLISH_TIMEOUT', 30_000, parseDuration),
    secretKey: env.OCTOPOST_SECRET_KEY || undefined,
    blockPrivateUrls: read('OCTOPOST_BLOCK_PRIVATE_URLS', false, bool),
    rateLimitPerMinute: read('OCTOPOST_RATE_LIMIT', 1000, positiveInt),
    trustProxy: read('OCTOPOST_TRUST_PROXY', ['loopback'], trustedProxies),
    logLevel: env.LOG_LEVEL || 'info',
    workerConcurrency: read('OCTOPOST_WORKER_CONCURRENCY', 64, positiveInt),
    publicUrl: read('OCTOPOST_PUBLIC_URL', '', httpUrl),
    checkResponses: read('OCTOPOST_CHECK_RESPONSES', env.VITEST !== undefined, bool),
    networks: {
      x: defined({ clientId: env.OCTOPOST_X_CLIENT_ID, clientSecret: env.OCTOPOST_X_CLIENT_SECRET, apiUrl: env.OCTOPOST_X_API_URL, authorizeUrl: env.OCTOPOST_X_AUTHORIZE_URL }),
      linkedin: defined({
        clientId: env.OCTOPOST_LINKEDIN_CLIENT_ID,
        clientSecret: env.OCTOPOST_LINKEDIN_CLIENT_SECRET,
        apiUrl: env.OCTOPOST_LINKEDIN_API_URL,
        oauthUrl: env.OCTOPOST_LINKEDIN_OAUTH_URL,
      }),
      threads: defined({
        appId: env.OCTOPOST_THREADS_APP_ID,
        appSecret: env.OCTOPOST_THREADS_APP_SECRET,
        apiUrl: env.OCTOPOST_THREADS_API_URL,
        authorizeUrl: env.OCTOPOST_THREADS_AUTHORIZE_URL,
      }),
      bluesky: defined({ service: env.OCTOPOST_BLUESKY_SERVICE }),
    },
  };
  if (!config.publicUrl) config.publicUrl = httpOrigin(config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host, config.port);
  if (config.databaseUrl && !/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    problems.push('DATABASE_URL: only postgres:// URLs are supported (leave it unset for the embedded SQLite)');
  }
  if (config.sweepIntervalMs <= 0) problems.push('OCTOPOST_SWEEP_INTERVAL: must be above zero');
  if (config.publishTimeoutMs <= 0) problems.push('OCTOPOST_PUBLISH_TIMEOUT: must be above zero');
  if (problems.length) throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return config;
}

/** Names proxy-addr (Fastify's trustProxy) gives to address ranges. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * OCTOPOST_TRUST_PROXY: `false` (believe no X-Forwarded-For), or a comma-separated list of
 * addresses, CIDR ranges and the names loopback, linklocal, uniquelocal. The default, loopback,
 * is the documented setup (a reverse proxy on the same machine, HOST=127.0.0.1); a client that
 * connects from elsewhere cannot choose its address by sending the header.
 */
function trustedProxies(v: string): string[] | false {
  if (/^(false|no|none|off)$/i.test(v.trim())) return false;
  const entries = v.split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const entry of entries) {
    if (PROXY_RANGE_NAMES.has(entry)) continue;
    const [address = '', bits, extra] = entry.split('/');
    const family = isIP(address);
    const maxBits = family === 4 ? 32 : 128;
    if (!family || extra !== undefined || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits))) {
      throw new Error(`"${entry}" is not an address, a CIDR range (10.0.0.0/8) or one of loopback, linklocal, uniquelocal (or false)`);
    }
  }
  if (entries.length === 0) throw new Error('list the proxies to believe, or false');
  return entries;
}

/** Leaves out unset (or empty) variables, so adapters keep their defaults. */
function defined<T extends Record<string, string | undefined>>(values: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined && v !== '')) as { [K in keyof T]?: string };
}
