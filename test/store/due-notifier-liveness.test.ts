import net from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/database.js';
import { createDueNotifier, type DueNotifier } from '../../src/store/due-notifier.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../helpers/databases.js';

/**
 * A TCP relay to PostgreSQL that can go silent on the connections it carries, as a NAT or a load
 * balancer does when it forgets an idle connection: nothing is closed, nothing arrives any more.
 */
async function silenceableRelay(target: URL) {
  const carried = new Set<{ client: net.Socket; server: net.Socket }>();
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((client) => {
    const server = net.connect(Number(target.port || 5432), target.hostname);
    const pair = { client, server };
    carried.add(pair);
    sockets.add(client).add(server);
    client.pipe(server);
    server.pipe(client);
    const forget = () => {
      carried.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on('error', forget).on('close', forget);
    server.on('error', forget).on('close', forget);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    port: (relay.address() as net.AddressInfo).port,
    /** Every connection carried so far stops passing data, both ways, without being closed. */
    silence() {
      for (const { client, server } of carried) {
        client.unpipe(server);
        server.unpipe(client);
        client.pause();
        server.pause();
      }
      carried.clear();
    },
    async close() {
      for (const socket of sockets) socket.destroy(); // the silenced ones too: close() waits for every connection
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}

describe.runIf(await postgresAvailable())('due announcements when the LISTEN connection dies silently', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('notices the silence and listens again on a new connection, announcements arriving again', async () => {
    const database: TestDatabase = await createTestDatabase('postgres');
    cleanups.push(() => database.drop());
    const target = new URL(database.databaseUrl!);
    const relay = await silenceableRelay(target);
    cleanups.push(() => relay.close());
    const throughRelay = new URL(target);
    throughRelay.port = String(relay.port);
    const store: Store = openStore({ databaseUrl: throughRelay.toString(), dataDir: database.dataDir });
    cleanups.push(() => store.close());
    const errors: string[] = [];
    const notifier: DueNotifier = createDueNotifier(store, (err) => errors.push(err.message), { everyMs: 200, timeoutMs: 300 });
    cleanups.push(() => notifier.close());

    const heard: number[] = [];
    notifier.subscribe((dueAt) => heard.push(dueAt));
    await expect.poll(() => heard, { timeout: 5000 }).toContain(0); // listening

    relay.silence();
    heard.length = 0;
    // Another node announces, straight to PostgreSQL, until this one hears it.
    const other = new pg.Client({ connectionString: database.databaseUrl });
    await other.connect();
    cleanups.push(() => other.end());
    const started = Date.now();
    while (!heard.includes(12_345) && Date.now() - started < 5000) {
      await other.query("SELECT pg_notify('octopost_due', '12345')");
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(heard).toContain(12_345);
    expect(heard).toContain(0); // listening again: "look at the queue", for what was missed meanwhile
    expect(errors).toContain('the LISTEN connection did not answer within 300 ms; listening again');
  });
});
