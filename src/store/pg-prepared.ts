import { CompiledQuery, type Kysely, type RawBuilder, sql } from 'kysely';
import pg from 'pg';
import { ARRAY_ROWS_MARKER } from './array-rows.js';

/**
 * Statements the scheduler runs thousands of times (the claim, the outcome batch) are prepared
 * once per connection: PostgreSQL parses and plans them once instead of on every call, which was
 * about a third of their server CPU in the burst benchmark. A statement asks for it by starting
 * with `preparedAs(name)` (preparedStatement below does that); its text must then never change
 * with its parameters (one JSON or array parameter rather than a VALUES row per item), as a name
 * stands for one text per connection.
 *
 * Behind PgBouncer in transaction mode, prepared statements need PgBouncer 1.21 or newer with
 * max_prepared_statements set (docs/operations.md).
 */
function preparedAs(name: string): RawBuilder<unknown> {
  if (!/^[a-z_]+$/.test(name)) throw new Error(`prepared statement name must be [a-z_]+: ${name}`);
  return sql.raw(`/* prepared:${name} */`);
}

/**
 * Such a statement, also compiled by Kysely only once per process: building and compiling the
 * template on every call was ~120 µs of this process's CPU per statement, more than the driver's
 * own work (the claim's whole cost on this side, with nothing to claim: ~280 -> ~160 µs).
 * `parameters` gives the values the template takes, in the order it takes them; the first call
 * checks them against Kysely's compilation, so a template edited without it fails at once.
 */
export function preparedStatement<A extends unknown[], R>(
  name: string,
  build: (...args: A) => RawBuilder<R>,
  parameters: (...args: A) => readonly unknown[],
): (db: Kysely<any>, ...args: A) => CompiledQuery<R> {
  let text: string | undefined;
  return (db, ...args) => {
    const values = parameters(...args);
    if (text === undefined) {
      const compiled = sql`${preparedAs(name)} ${build(...args)}`.compile(db);
      const same = compiled.parameters.length === values.length && compiled.parameters.every((v, i) => Object.is(v, values[i]));
      if (!same) throw new Error(`preparedStatement ${name}: parameters() does not list the template's parameters in order`);
      text = compiled.sql;
    }
    return CompiledQuery.raw(text, [...values]) as CompiledQuery<R>;
  };
}

const MARKER = /^\s*\/\* prepared:([a-z_]+) \*\//;

/**
 * A pg client that runs text queries starting with preparedAs(name) as named statements, and
 * those starting with ARRAY_ROWS_MARKER (array-rows.ts) with their rows as arrays.
 */
export class PreparingClient extends pg.Client {
  // pg's query() has many overloads; Kysely calls query(text, values) and expects a promise.
  override query(...args: any[]): any {
    const [text, values] = args;
    if (typeof text === 'string' && args.length <= 2) {
      const name = MARKER.exec(text)?.[1];
      if (name) return super.query({ name, text, values });
      if (text.startsWith(ARRAY_ROWS_MARKER)) return super.query({ text, values, rowMode: 'array' });
    }
    return (super.query as (...a: any[]) => any)(...args);
  }
}
