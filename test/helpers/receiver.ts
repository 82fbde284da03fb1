import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: any;
  at: number;
}

export type Answer = { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number } | 'hang';

/**
 * A webhook receiver on 127.0.0.1 that records every request and answers from a script per
 * path (then `fallback`), as a real endpoint would: status codes, Retry-After, slowness, silence.
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  private scripts = new Map<string, Answer[]>();
  private fallback: Answer = { status: 200 };
  private server = http.createServer((req, res) => this.handle(req, res));
  private counter = 0;
  private hanging = new Set<http.ServerResponse>();
  private responder: ((req: ReceivedRequest) => Answer | undefined) | undefined;

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** Answers for `path`, used once each in order; afterwards the fallback (200 with an id). */
  script(path: string, answers: Answer[]): void {
    this.scripts.set(path, [...answers]);
  }

  setFallback(answer: Answer): void {
    this.fallback = answer;
  }

  /**
   * Decides every answer with `fn` (ahead of the scripts and the fallback; `undefined` falls
   * through to them), e.g. a random storm of errors or a random delay on every request.
   */
  respondWith(fn: ((req: ReceivedRequest) => Answer | undefined) | undefined): void {
    this.responder = fn;
  }

  on(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  async waitFor(count: number, path?: string, timeoutMs = 10_000): Promise<ReceivedRequest[]> {
    const started = Date.now();
    for (;;) {
      const got = path ? this.on(path) : this.requests;
      if (got.length >= count) return got;
      if (Date.now() - started > timeoutMs) throw new Error(`receiver: ${got.length} of ${count} requests after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const path = req.url ?? '/';
      let json: any;
      try {
        json = JSON.parse(body);
      } catch {}
      const received: ReceivedRequest = { path, headers: req.headers, body, json, at: Date.now() };
      this.requests.push(received);
      const queue = this.scripts.get(path);
      const answer = this.responder?.(received) ?? (queue?.length ? queue.shift()! : this.fallback);
      if (answer === 'hang') {
        this.hanging.add(res);
        return;
      }
      const n = ++this.counter;
      const send = () => {
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(JSON.stringify(answer.body ?? (answer.status < 300 ? { id: `remote-${n}`, url: `https://example.test/p/${n}` } : { error: 'scripted' })));
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  }
}

export function verifySignature(secret: string, body: string, header: string | string[] | undefined): boolean {
  return header === `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
