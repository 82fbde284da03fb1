/**
 * Talks HTTP to a running Octopost as a script of a user would: fetch, a Bearer key, JSON.
 * Every call is bounded (10 s) so a hung server fails the test instead of stalling it.
 */
export interface ApiResponse {
  status: number;
  json: any;
  headers: Headers;
}

export class HttpApi {
  constructor(
    readonly baseUrl: string,
    private readonly key?: string,
  ) {}

  async request(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    if (this.key) headers.authorization = `Bearer ${this.key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: res.status, json, headers: res.headers };
  }

  get(path: string) {
    return this.request('GET', path);
  }

  post(path: string, body: unknown = {}) {
    return this.request('POST', path, body);
  }

  /** POST that must answer `expected`; otherwise throws with the body, which says why. */
  async expectPost(path: string, body: unknown, expected: number): Promise<any> {
    const res = await this.post(path, body);
    if (res.status !== expected) throw new Error(`POST ${path} answered ${res.status}, expected ${expected}: ${JSON.stringify(res.json)}`);
    return res.json;
  }

  async getPost(id: string): Promise<any> {
    const res = await this.get(`/v1/posts/${id}`);
    if (res.status !== 200) throw new Error(`GET /v1/posts/${id} answered ${res.status}: ${JSON.stringify(res.json)}`);
    return res.json;
  }
}

/**
 * Polls `check` until it returns something truthy and returns that; fails after `timeoutMs` with
 * `what`, the last value seen (or error thrown) and, if given, `context()` (e.g. process output).
 */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  options: { timeoutMs?: number; intervalMs?: number; context?: () => string } = {},
): Promise<T> {
  const { timeoutMs = 20_000, intervalMs = 100 } = options;
  const started = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (err) {
      last = err instanceof Error ? `error: ${err.message}` : err;
    }
    if (Date.now() - started > timeoutMs) {
      const extra = options.context ? `\n${options.context()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${typeof last === 'string' ? last : JSON.stringify(last)}${extra}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
