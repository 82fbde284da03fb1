import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { preparedStatement } from '../../src/store/pg-prepared.js';

// Compiling needs no server: the pool never connects.
const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ max: 1 }) }) });
afterAll(() => db.destroy());

describe('preparedStatement', () => {
  it('compiles once, then reuses the text with each call’s parameters', () => {
    const byName = preparedStatement(
      'test_by_name',
      (name: string, limit: number) => sql`SELECT * FROM users WHERE name = ${name} LIMIT ${limit}`,
      (name, limit) => [name, limit],
    );
    const first = byName(db, 'ada', 5);
    expect(first.sql).toMatch(/^\/\* prepared:test_by_name \*\/ SELECT \* FROM users WHERE name = \$1 LIMIT \$2$/);
    expect(first.parameters).toEqual(['ada', 5]);
    const second = byName(db, 'grace', 7);
    expect(second.sql).toBe(first.sql);
    expect(second.parameters).toEqual(['grace', 7]);
  });

  it('refuses parameters listed in another order than the template takes them', () => {
    const wrong = preparedStatement(
      'test_wrong_order',
      (name: string, limit: number) => sql`SELECT * FROM users WHERE name = ${name} LIMIT ${limit}`,
      (name, limit) => [limit, name],
    );
    expect(() => wrong(db, 'ada', 5)).toThrow(/parameters\(\) does not list/);
  });
});
