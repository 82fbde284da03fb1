import { type RawBuilder, sql } from 'kysely';
import pg from 'pg';

/**
 * Statements the scheduler runs thousands of times (the claim, the outcome batch) are prepared
 * once per connection: PostgreSQL parses and plans them once instead of on every call, which was
 * about a third of their server CPU in the burst benchmark. A statement asks for it by starting
 * with `preparedAs(name)`; its text must then never change with its parameters (one JSON or array
 * parameter rather than a VALUES row per item), as a name stands for one text per connection.
 *
 * Behind PgBouncer in transaction mode, prepared statements need PgBouncer 1.21 or newer with
 * max_prepared_statements set (docs/operations.md).
 */
export function preparedAs(name: string): RawBuilder<unknown> {
  if (!/^[a-z_]+$/.test(name)) throw new Error(`prepared statement name must be [a-z_]+: ${name}`);
  return sql.raw(`/* prepared:${name} */`);
}

const MARKER = /^\s*\/\* prepared:([a-z_]+) \*\//;

/** A pg client that runs text queries starting with preparedAs(name) as named statements. */
export class PreparingClient extends pg.Client {
  // pg's query() has many overloads; Kysely calls query(text, values) and expects a promise.
  override query(...args: any[]): any {
    const [text, values] = args;
    const name = typeof text === 'string' && args.length <= 2 ? MARKER.exec(text)?.[1] : undefined;
    if (name) return super.query({ name, text, values });
    return (super.query as (...a: any[]) => any)(...args);
  }
}
