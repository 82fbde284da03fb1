import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { type App, createApp } from '../../src/app.js';
import { buildServer } from '../../src/api/server.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { Clock } from '../../src/core/time.js';
import type { PlatformRegistry } from '../../src/platforms/registry.js';
import { createTestDatabase, type DialectName, type TestDatabase } from './databases.js';

export interface TestApp {
  app: App;
  server: FastifyInstance;
  db: TestDatabase;
  /** A full-access API key of the owner. */
  key: string;
  userId: string;
  /** inject() with the key's Authorization header. */
  request(method: string, url: string, body?: unknown): Promise<{ status: number; json: any; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  clock?: Clock;
  platforms?: PlatformRegistry;
  worker?: boolean;
  config?: Partial<Config>;
}

/** A whole Octopost (storage, services, HTTP API through inject) on a fresh database. */
export async function createTestApp(dialect: DialectName, options: TestAppOptions = {}): Promise<TestApp> {
  const db = await createTestDatabase(dialect);
  const config: Config = {
    ...loadConfig({}),
    dataDir: db.dataDir,
    databaseUrl: db.databaseUrl,
    retryDelaysMs: [1000, 5000, 15000],
    publishTimeoutMs: 2000,
    checkResponses: true,
    ...options.config,
  };
  const app = await createApp(config, {
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    worker: options.worker ?? false,
    ...(options.clock && { clock: options.clock }),
    ...(options.platforms && { platforms: options.platforms }),
  });
  const server = await buildServer(app);
  const owner = await app.services.users.ensureOwner();
  const { key } = await app.services.users.createApiKey(owner.id, 'test', []);
  return {
    app,
    server,
    db,
    key,
    userId: owner.id,
    async request(method, url, body) {
      const res = await server.inject({
        method: method as any,
        url,
        headers: { authorization: `Bearer ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      let json: any;
      try {
        json = res.body ? JSON.parse(res.body) : undefined;
      } catch {
        json = res.body;
      }
      return { status: res.statusCode, json, headers: res.headers };
    },
    async close() {
      await server.close();
      await app.close();
      await db.drop();
    },
  };
}
