import { expect } from 'vitest';
import type { TestApp } from './test-app.js';

/**
 * Helpers for the API tests (test/api/): requests with any headers or key, a second user, a
 * webhook account in one call, the shape of error answers, and a snapshot of every table a
 * request could write to (to prove a refused request changed nothing).
 */
export interface Answer {
  status: number;
  json: any;
  body: string;
  headers: Record<string, string | string[] | number | undefined>;
}

export interface RawRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  payload?: unknown;
}

/** inject() exactly as given: no Authorization unless `headers` has one. */
export async function send(t: TestApp, req: RawRequest): Promise<Answer> {
  const headers: Record<string, string> = { ...req.headers };
  let payload: string | undefined;
  if (req.payload !== undefined) {
    payload = typeof req.payload === 'string' ? req.payload : JSON.stringify(req.payload);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  const res = await t.server.inject({ method: req.method as any, url: req.url, headers, ...(payload !== undefined && { payload }) });
  let json: any;
  try {
    json = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, json, body: res.body, headers: res.headers };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** A request function like `t.request`, for another API key. */
export function withKey(t: TestApp, key: string) {
  return (method: string, url: string, body?: unknown) => send(t, { method, url, headers: bearer(key), ...(body !== undefined && { payload: body }) });
}

export type Requester = ReturnType<typeof withKey>;

/** A second user of the same instance, with a key of the given scopes (none: full access). */
export async function otherUser(t: TestApp, email = 'b@example.com', scopes: string[] = []) {
  const user = await t.app.services.users.createUser(email);
  const { key } = await t.app.services.users.createApiKey(user.id, 'other', scopes);
  return { userId: user.id, key, request: withKey(t, key) };
}

/** Connects a webhook account through the API and returns its id (201 expected). */
export async function connectWebhook(
  request: (method: string, url: string, body?: unknown) => Promise<{ status: number; json: any }>,
  url: string,
  options: { secret?: string; display_name?: string } = {},
): Promise<string> {
  const res = await request('POST', '/v1/accounts', {
    platform: 'webhook',
    url,
    secret: options.secret ?? 'a-shared-secret',
    display_name: options.display_name ?? url,
  });
  if (res.status !== 201) throw new Error(`connecting ${url} answered ${res.status}: ${JSON.stringify(res.json)}`);
  return res.json.id as string;
}

/** The error body of shared/api.md: {error: sentence, code, details: object}. */
export function expectErrorBody(res: { status: number; json: any }, status?: number, code?: string): void {
  if (status !== undefined) expect(res.status, JSON.stringify(res.json)).toBe(status);
  expect(res.json, `body of a ${res.status}`).toEqual({
    error: expect.any(String),
    code: code ?? expect.any(String),
    details: expect.any(Object),
  });
  expect(Array.isArray(res.json.details)).toBe(false);
  expect(res.json.error.length).toBeGreaterThan(0);
}

export const WRITABLE_TABLES = ['users', 'accounts', 'presets', 'posts', 'post_accounts', 'deliveries', 'delivery_attempts'] as const;

/** Every row of every table a request could change (api_keys left out: using a key touches it). */
export async function snapshotTables(t: TestApp): Promise<Record<string, unknown[]>> {
  const db = t.app.ctx.store.db;
  const out: Record<string, unknown[]> = {};
  for (const table of WRITABLE_TABLES) {
    const rows = await db.selectFrom(table).selectAll().execute();
    out[table] = rows.map((r) => JSON.stringify(r)).sort();
  }
  return out;
}

/** Row counts of the tables the brief names, the cheap form of the snapshot. */
export async function rowCounts(t: TestApp): Promise<Record<string, number>> {
  const db = t.app.ctx.store.db;
  const out: Record<string, number> = {};
  for (const table of ['posts', 'deliveries', 'accounts', 'presets'] as const) {
    const row = await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  return out;
}
