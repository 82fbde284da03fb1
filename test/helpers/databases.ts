import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * The databases every store and scheduler test runs against: SQLite always, PostgreSQL when it
 * answers. Under CI (or OCTOPOST_REQUIRE_PG=1) a PostgreSQL that does not answer fails the run
 * instead of skipping the suite. Each test database is created fresh and dropped afterwards.
 */
export type DialectName = 'sqlite' | 'postgres';

export interface TestDatabase {
  dialect: DialectName;
  /** DATABASE_URL for PostgreSQL; undefined for SQLite. */
  databaseUrl: string | undefined;
  dataDir: string;
  drop(): Promise<void>;
}

export const PG_ADMIN_URL = process.env.OCTOPOST_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const pgRequired = process.env.CI === 'true' || process.env.OCTOPOST_REQUIRE_PG === '1';

let pgAvailable: Promise<boolean> | undefined;

export function postgresAvailable(): Promise<boolean> {
  pgAvailable ??= (async () => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch (err) {
      if (pgRequired) throw new Error(`PostgreSQL is required for this run but does not answer at ${PG_ADMIN_URL}: ${(err as Error).message}`);
      console.warn(`\n*** PostgreSQL not reachable at ${PG_ADMIN_URL}: the PostgreSQL suite is SKIPPED (set OCTOPOST_TEST_PG_URL) ***\n`);
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return pgAvailable;
}

/** Dialects to run a suite on, decided once per test file (top-level await in the test). */
export async function dialects(): Promise<DialectName[]> {
  return (await postgresAvailable()) ? ['sqlite', 'postgres'] : ['sqlite'];
}

export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'octopost-test-'));
  if (dialect === 'sqlite') {
    return { dialect, databaseUrl: undefined, dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const name = `octopost_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    dialect,
    databaseUrl: url.toString(),
    dataDir,
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
