import type SQLite from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';
import { ARRAY_ROWS_MARKER } from './array-rows.js';

/**
 * Kysely's SQLite driver prepares every statement anew; preparing was ~10% of the scheduler's CPU in
 * the burst benchmark. This keeps the most recent statements prepared (Kysely runs one query at a
 * time per connection, and never iterates, so reusing a statement is safe). Bounded, because
 * `IN (...)` lists of different lengths make different SQL.
 */
export function withStatementCache(db: SQLite.Database, size = 300): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => db.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (stmt) {
        cache.delete(sql); // re-insert: Map order is recency
      } else {
        stmt = db.prepare(sql);
        if (sql.startsWith(ARRAY_ROWS_MARKER)) stmt.raw(true);
        if (cache.size >= size) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, stmt);
      return stmt as unknown as ReturnType<SqliteDatabase['prepare']>;
    },
  };
}
