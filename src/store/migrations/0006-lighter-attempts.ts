import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * Less to write per delivery. Recording an outcome was ~40 µs of PostgreSQL time per delivery
 * (pg_stat_statements, 10,000 deliveries); the parts removed here were ~20 of it:
 *
 * - delivery_attempts is keyed by (delivery_id, attempt), the order it is read in: one index per
 *   attempt row, not two. Its text `id` was never shown or looked up. It stays, nullable, because
 *   nodes of the previous version still write it while a rolling upgrade runs.
 * - No foreign key from delivery_attempts to deliveries. Attempt rows are written only by the
 *   statement that moves their delivery on, from the rows it updated, so the reference holds by
 *   construction; the key's check looked the delivery up again and locked it, for every row. A
 *   trigger removes a deleted delivery's attempts, as the cascade did.
 * - PostgreSQL: deliveries pages are filled to 85%, so the two updates a delivery gets (claimed,
 *   then recorded) mostly find room in the same page instead of moving the row to another one.
 *   Only pages written from now on are affected.
 *
 * SQLite cannot change a table's primary key in place: there the table is rebuilt (one node, so
 * no other version is running), WITHOUT ROWID, so an attempt is one b-tree entry.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // (delivery_id, attempt) is unique by construction (see above); drop any older duplicate anyway
  // rather than fail the upgrade.
  await sql`
    DELETE FROM delivery_attempts
     WHERE EXISTS (SELECT 1 FROM delivery_attempts AS first
                    WHERE first.delivery_id = delivery_attempts.delivery_id
                      AND first.attempt = delivery_attempts.attempt
                      AND first.id < delivery_attempts.id)`.execute(db);

  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`ALTER TABLE delivery_attempts DROP CONSTRAINT delivery_attempts_delivery_id_fkey`.execute(db);
    await sql`ALTER TABLE delivery_attempts DROP CONSTRAINT delivery_attempts_pkey`.execute(db);
    await sql`ALTER TABLE delivery_attempts ALTER COLUMN id DROP NOT NULL`.execute(db);
    await sql`ALTER TABLE delivery_attempts ADD CONSTRAINT delivery_attempts_pkey PRIMARY KEY (delivery_id, attempt)`.execute(db);
    await sql`DROP INDEX delivery_attempts_delivery_idx`.execute(db);
    await sql`ALTER TABLE deliveries SET (fillfactor = 85)`.execute(db);
    await sql`
      CREATE FUNCTION octopost_delete_attempts() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM delivery_attempts WHERE delivery_id = OLD.id;
        RETURN OLD;
      END
      $$`.execute(db);
    await sql`
      CREATE TRIGGER deliveries_delete_attempts AFTER DELETE ON deliveries
      FOR EACH ROW EXECUTE FUNCTION octopost_delete_attempts()`.execute(db);
    return;
  }

  await sql`
    CREATE TABLE delivery_attempts_new (
      id text,
      delivery_id text NOT NULL,
      attempt integer NOT NULL,
      worker text NOT NULL,
      started_at bigint NOT NULL,
      finished_at bigint NOT NULL,
      outcome text NOT NULL,
      error text,
      PRIMARY KEY (delivery_id, attempt)
    ) WITHOUT ROWID`.execute(db);
  await sql`
    INSERT INTO delivery_attempts_new (id, delivery_id, attempt, worker, started_at, finished_at, outcome, error)
    SELECT id, delivery_id, attempt, worker, started_at, finished_at, outcome, error FROM delivery_attempts`.execute(db);
  await sql`DROP TABLE delivery_attempts`.execute(db);
  await sql`ALTER TABLE delivery_attempts_new RENAME TO delivery_attempts`.execute(db);
  await sql`
    CREATE TRIGGER deliveries_delete_attempts AFTER DELETE ON deliveries
    BEGIN
      DELETE FROM delivery_attempts WHERE delivery_id = OLD.id;
    END`.execute(db);
}
