import { afterEach, beforeEach, expect } from 'vitest';
import { createTestDatabase, type DialectName, type TestDatabase } from './databases.js';
import { HttpApi, waitUntil } from './http-api.js';
import { ProcessGroup, runCli } from './octopost-process.js';
import { Receiver } from './receiver.js';

/**
 * Per-test set-up for the end-to-end suites (call inside a describe): a fresh database, a
 * webhook receiver and a group of Octopost processes. Afterwards the processes are killed first,
 * then the receiver stopped and the database dropped. A failing test prints the processes' output.
 */
export interface E2eFixture {
  readonly procs: ProcessGroup;
  readonly db: TestDatabase;
  readonly receiver: Receiver;
  /** Connects a webhook account to the receiver at `path`; returns its id. */
  connect(api: HttpApi, path?: string, secret?: string): Promise<string>;
  /** Creates a post on `accounts` scheduled at `at` (epoch ms); returns the post. */
  schedule(api: HttpApi, accounts: string[], content: string, at: number): Promise<any>;
  /** Polls GET /v1/posts/:id until the post has `status`; returns it. */
  waitForStatus(api: HttpApi, id: string, status: string, timeoutMs?: number): Promise<any>;
  /** Status of every post as the storage has it, read through `posts list --json` (no scheduler runs there). */
  statusesOnDisk(env: Record<string, string>): Promise<Record<string, string>>;
}

export function useE2eFixture(dialect: DialectName): E2eFixture {
  const procs = new ProcessGroup();
  let db: TestDatabase | undefined;
  let receiver: Receiver | undefined;

  beforeEach(async ({ onTestFailed }) => {
    procs.reset();
    onTestFailed(() => console.error(procs.describeAll()));
    db = await createTestDatabase(dialect);
    receiver = await new Receiver().start();
  });
  afterEach(async () => {
    await procs.killAll();
    await receiver?.stop();
    await db?.drop();
    receiver = undefined;
    db = undefined;
  });

  const fixture: E2eFixture = {
    procs,
    get db() {
      if (!db) throw new Error('e2e fixture: no database outside a test');
      return db;
    },
    get receiver() {
      if (!receiver) throw new Error('e2e fixture: no receiver outside a test');
      return receiver;
    },
    async connect(api, path = '/hook', secret = 'e2e-webhook-secret') {
      return (await api.expectPost('/v1/accounts', { platform: 'webhook', url: fixture.receiver.url(path), secret }, 201)).id as string;
    },
    async schedule(api, accounts, content, at) {
      return api.expectPost('/v1/posts', { content, accounts, scheduled_for: new Date(at).toISOString() }, 201);
    },
    async waitForStatus(api, id, status, timeoutMs = 20_000) {
      return waitUntil(
        `post ${id} to become ${status}`,
        async () => {
          const p = await api.getPost(id);
          return p.status === status && p;
        },
        { timeoutMs, context: () => procs.describeAll() },
      );
    },
    async statusesOnDisk(env) {
      const res = await runCli(['posts', 'list', '--json'], env);
      expect(res.code, res.stderr).toBe(0);
      const lines = res.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; status: string });
      return Object.fromEntries(lines.map((l) => [l.id, l.status]));
    },
  };
  return fixture;
}
