// A fresh, empty database for one scenario: a temp data dir (SQLite file, secret key) and, for
// PostgreSQL, a database octopost_bench_<random> created on the admin URL and dropped afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { track } from './cleanup.js';

export const PG_ADMIN_URL = process.env.OCTOPOST_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The server's version string, or null (with the reason) when PostgreSQL does not answer. */
export async function probePostgres() {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const { rows } = await client.query('SHOW server_version');
    return { available: true, version: rows[0].server_version };
  } catch (err) {
    return { available: false, reason: err.message };
  } finally {
    await client.end().catch(() => {});
  }
}

async function admin(statement) {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end().catch(() => {});
  }
}

/** `{ dialect, dataDir, databaseUrl, drop() }`; drop() is also registered for emergency cleanup. */
export async function createDatabase(dialect, label) {
  const dataDir = mkdtempSync(path.join(tmpdir(), `octopost-bench-${label}-`));
  const removeDir = track(`temp dir ${dataDir}`, async () => rmSync(dataDir, { recursive: true, force: true }));
  if (dialect === 'sqlite') return { dialect, dataDir, databaseUrl: undefined, drop: removeDir };

  const name = `octopost_bench_${Math.random().toString(36).slice(2, 10)}`;
  try {
    await admin(`CREATE DATABASE ${name}`);
  } catch (err) {
    await removeDir();
    throw err;
  }
  // WITH (FORCE) ends connections a timed-out scenario may have left open (PostgreSQL 13+).
  const dropDb = track(`database ${name}`, () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    dialect,
    dataDir,
    databaseUrl: url.toString(),
    name,
    async drop() {
      try {
        await dropDb();
      } finally {
        await removeDir();
      }
    },
  };
}
