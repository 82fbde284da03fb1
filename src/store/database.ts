import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrations } from './migrations/index.js';
import { PreparingClient } from './pg-prepared.js';
import type { Database } from './schema.js';
import { withStatementCache } from './sqlite-statement-cache.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** PostgreSQL only: the pool, for LISTEN/NOTIFY. */
  pgPool?: pg.Pool;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** `postgres://...` for PostgreSQL; otherwise SQLite in `dataDir`. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** SQLite file name inside dataDir; `:memory:` is allowed for tests. */
  sqliteFile?: string;
  poolSize?: number;
}

// PostgreSQL returns bigint (int8) as strings to protect precision beyond 2^53. Our bigints are
// epoch milliseconds and counts, far below that, so read them as numbers like SQLite does.
pg.types.setTypeParser(20, (value) => Number(value));

export function openStore(options: StoreOptions): Store {
  if (options.databaseUrl && /^postgres(ql)?:\/\//.test(options.databaseUrl)) {
    const pool = new pg.Pool({
      Client: PreparingClient,
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      // A server that does not answer (network lost, host down) fails a new connection after 10 s
      // instead of hanging it: the API answers 503 and the scheduler backs off. The same limit
      // bounds the wait for a free client of the pool, which takes milliseconds in normal operation.
      connectionTimeoutMillis: 10_000,
      // Notice a peer that vanished without closing an open connection (TCP keepalive), probing
      // after 30 s of silence rather than the system's default two hours. The probes' own pace is
      // the system's (Linux: 9 probes 75 s apart); the LISTEN connection, idle by nature, is also
      // checked by the due notifier itself (due-notifier.ts).
      keepAlive: true,
      keepAliveInitialDelayMillis: 30_000,
    });
    // An idle client losing its server (PostgreSQL restarting) must not crash the process: the
    // pool drops it and opens a new connection on the next query.
    pool.on('error', () => {});
    // The same for a client that is checked out but between queries (Kysely holds one for a whole
    // transaction, the due notifier one for LISTEN): without a listener of its own, the server's
    // "terminating connection" (57P01) arriving then is an unhandled 'error' event that kills the
    // process. The client is broken from then on: its next query fails (and is retried or answered
    // 503 by its caller) and the pool discards it on release.
    pool.on('connect', (client) => client.on('error', () => {}));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', pgPool: pool, close: () => db.destroy() };
  }
  const file = options.sqliteFile ?? 'octopost.sqlite';
  if (file !== ':memory:') mkdirSync(options.dataDir, { recursive: true });
  const sqlite = new SQLite(file === ':memory:' ? file : path.join(options.dataDir, file));
  // WAL lets the API read while the scheduler writes; NORMAL sync is durable across process
  // crashes (only an OS crash may lose the last transactions), and 10x faster than FULL.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

export async function migrateToLatest(store: Store): Promise<string[]> {
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: async () => migrations },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * PostgreSQL SQLSTATEs meaning "the server is away or refusing connections for now", or that it
 * rolled the statement back whole to resolve a conflict with another (running it again is right).
 */
const UNAVAILABLE_SQLSTATES = new Set([
  '40P01', // deadlock_detected: e.g. two workers' batches touching the same posts in other orders
  '40001', // serialization_failure
  '57P01', // admin_shutdown: the server is stopping (pg_ctl stop -m fast)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up, shutting down or in recovery
  '53300', // too_many_connections
]);
/** Socket errors of a database that cannot be reached. */
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
/** What node-postgres and its pool say when a connection is lost or cannot be had. */
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|timeout expired|Client has encountered a connection error|connect ECONNREFUSED/i;

/** PostgreSQL undid the statement to settle a conflict with another transaction (deadlock, serialization). */
const CONFLICT_SQLSTATES = new Set(['40P01', '40001']);

/** True when `err` (or what it wraps) is such a conflict: nothing was changed, and trying again is right. */
export function isConflictRollback(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 3) return false;
  const e = err as { code?: unknown; cause?: unknown };
  return (typeof e.code === 'string' && CONFLICT_SQLSTATES.has(e.code)) || isConflictRollback(e.cause, depth + 1);
}

/**
 * True when `err` says the database cannot be reached right now (PostgreSQL stopped, restarting,
 * unreachable, out of connections; SQLite locked past its busy timeout) or rolled the statement
 * back for a conflict (deadlock), rather than that the statement is wrong: the API answers 503
 * and asks to retry, the scheduler backs off and retries.
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 3) return false;
  const e = err as { code?: unknown; message?: unknown; errors?: unknown; cause?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code)) return true;
  if (/^08[0-9A-Z]{3}$/.test(code)) return true; // class 08: connection exception
  if (code.startsWith('SQLITE_BUSY')) return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message)) return true;
  // Node's connect to several addresses fails with an AggregateError; wrappers keep a cause.
  if (Array.isArray(e.errors) && e.errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
}
