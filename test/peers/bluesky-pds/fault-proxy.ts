import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32, deflateSync } from 'node:zlib';

/**
 * An HTTP proxy in front of the real PDS. It forwards every request unchanged, except:
 * - the next call of a chosen XRPC method can be answered with an XRPC error instead (body
 *   `{"error", "message"}` and status as atproto.com/specs/xrpc documents them), or forwarded with
 *   its answer lost (the PDS handled it, then the connection is destroyed) or held back until
 *   the client gives up ('hang');
 * - access tokens it was told to expire are answered 400 ExpiredToken, as the PDS does;
 * - requests are checked for the shapes the adapter must send (a client-chosen rkey, JSON
 *   content type, a bearer token...): a wrong one is answered 400 and recorded in `problems`.
 * It also serves a small PNG at /image.png for the image tests.
 */
export type Fault = { status: number; error: string; message: string; headers?: Record<string, string> } | 'lose' | 'hang';

interface Rule {
  nsid: string;
  skip: number;
  fault: Fault;
}

/** Methods that need the account's access token (a stale one gets ExpiredToken). */
const AUTHENTICATED = new Set([
  'com.atproto.repo.createRecord',
  'com.atproto.repo.uploadBlob',
  'com.atproto.repo.applyWrites',
  'com.atproto.repo.putRecord',
  'com.atproto.repo.deleteRecord',
  'com.atproto.server.getSession',
]);

export class FaultProxy {
  /** Requests whose shape broke the contract; tests assert it stays empty. */
  readonly problems: string[] = [];
  /** Every XRPC call seen, in order, with the status it got (0: answer lost). */
  readonly calls: { nsid: string; status: number }[] = [];
  url = '';
  private rules: Rule[] = [];
  private readonly expired = new Set<string>();
  private readonly issued = new Set<string>();
  private server?: http.Server;

  constructor(private readonly upstream: string) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        this.problems.push(`proxy error: ${(err as Error).message}`);
        if (!res.headersSent) res.writeHead(502).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** The call of `nsid` after `skip` others is answered with `fault`. Rules queue in order. */
  failNext(nsid: string, fault: Fault, skip = 0): void {
    this.rules.push({ nsid, skip, fault });
  }

  /** Every access token handed out through the proxy so far is answered "expired" from now on. */
  expireIssuedAccessTokens(): void {
    for (const token of this.issued) this.expired.add(token);
  }

  count(nsid: string): number {
    return this.calls.filter((c) => c.nsid === nsid).length;
  }

  get pendingFaults(): number {
    return this.rules.length;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://proxy');
    if (url.pathname === '/image.png') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(PNG.length) }).end(PNG);
      return;
    }
    const body = await readBody(req);
    const nsid = url.pathname.startsWith('/xrpc/') ? url.pathname.slice(6) : '';
    const call = { nsid, status: 0 };
    this.calls.push(call);
    const problem = this.check(nsid, req, url, body);
    if (problem) {
      this.problems.push(`${nsid}: ${problem}`);
      call.status = 400;
      return answer(res, { status: 400, error: 'InvalidRequest', message: `test peer: ${problem}` });
    }
    const token = req.headers.authorization?.replace(/^Bearer /, '');
    if (token && this.expired.has(token) && AUTHENTICATED.has(nsid)) {
      call.status = 400;
      return answer(res, { status: 400, error: 'ExpiredToken', message: 'Token has expired' });
    }
    const fault = this.takeFault(nsid);
    if (fault && fault !== 'lose' && fault !== 'hang') {
      call.status = fault.status;
      return answer(res, fault);
    }

    const upstream = await forward(this.upstream, req, body);
    if (fault === 'lose') {
      req.socket.destroy(); // the PDS did the work; the client never hears about it
      return;
    }
    if (fault === 'hang') return; // the PDS did the work; the answer never comes (close() ends it)
    call.status = upstream.status;
    if (upstream.status === 200 && (nsid === 'com.atproto.server.createSession' || nsid === 'com.atproto.server.refreshSession')) {
      const token = JSON.parse(upstream.body.toString('utf8')).accessJwt;
      if (typeof token === 'string') {
        this.issued.add(token);
        // JWTs have a one-second `iat` and no nonce: a session made in the same second as an
        // expired one is byte-identical, yet the PDS just issued it as valid.
        this.expired.delete(token);
      }
    }
    res.writeHead(upstream.status, { ...upstream.headers, 'content-length': String(upstream.body.length) }).end(upstream.body);
  }

  private takeFault(nsid: string): Fault | undefined {
    const i = this.rules.findIndex((r) => r.nsid === nsid);
    if (i < 0) return undefined;
    const rule = this.rules[i]!;
    if (rule.skip > 0) {
      rule.skip--;
      return undefined;
    }
    this.rules.splice(i, 1);
    return rule.fault;
  }

  /** What the adapter must send (the XRPC spec, and Octopost's own no-double-post contract). */
  private check(nsid: string, req: http.IncomingMessage, url: URL, body: Buffer): string | undefined {
    const type = req.headers['content-type'] ?? '';
    const bearer = /^Bearer \S+$/.test(req.headers.authorization ?? '');
    if (req.method === 'POST' && body.length > 0 && nsid !== 'com.atproto.repo.uploadBlob' && !type.startsWith('application/json')) {
      return `content-type ${type || 'missing'} (expected application/json)`;
    }
    if (nsid === 'com.atproto.repo.createRecord') {
      const input = JSON.parse(body.toString('utf8') || '{}');
      if (!bearer) return 'no bearer token';
      if (typeof input.repo !== 'string' || !input.repo.startsWith('did:')) return 'repo must be the account DID';
      if (input.collection !== 'app.bsky.feed.post') return `unexpected collection ${input.collection}`;
      if (typeof input.rkey !== 'string') return 'no rkey: a repeat could post twice';
      if (input.record?.$type !== input.collection) return 'record.$type missing';
      if (Number.isNaN(Date.parse(input.record?.createdAt))) return 'record.createdAt missing';
    }
    if (nsid === 'com.atproto.repo.uploadBlob') {
      if (!bearer) return 'no bearer token';
      if (!type.startsWith('image/')) return `content-type ${type || 'missing'} (expected the image type)`;
      if (body.length === 0) return 'empty blob';
    }
    if (nsid === 'com.atproto.repo.getRecord') {
      for (const p of ['repo', 'collection', 'rkey']) if (!url.searchParams.get(p)) return `missing ${p}`;
    }
    if (nsid === 'com.atproto.server.refreshSession' && !bearer) return 'refresh without the refresh token';
    return undefined;
  }
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function forward(base: string, req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.OutgoingHttpHeaders; body: Buffer }> {
  const target = new URL(req.url ?? '/', base);
  const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
  delete headers['transfer-encoding'];
  delete headers.connection;
  return new Promise((resolve, reject) => {
    const out = http.request(target, { method: req.method, headers }, (res) => {
      readBody(res).then((data) => {
        const { 'transfer-encoding': _t, connection: _c, 'keep-alive': _k, ...rest } = res.headers;
        resolve({ status: res.statusCode ?? 502, headers: rest, body: data });
      }, reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}

function answer(res: http.ServerResponse, fault: Exclude<Fault, 'lose' | 'hang'>): void {
  const body = JSON.stringify({ error: fault.error, message: fault.message });
  res.writeHead(fault.status, { 'content-type': 'application/json; charset=utf-8', ...fault.headers }).end(body);
}

/** A 6x4 red PNG (so an aspect ratio can be checked), built rather than stored as bytes. */
function makePng(width: number, height: number): Buffer {
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, Buffer.from([0xd0, 0x20, 0x20]))]);
  return encodePng(width, height, Buffer.concat(Array.from({ length: height }, () => row)));
}

/**
 * The bytes of an 8-bit RGB PNG of `width` x `height`: `scanlines` are its rows, each a filter
 * byte then width x 3 bytes (the bench's image host builds its image with it too).
 */
export function encodePng(width: number, height: number, scanlines: Buffer): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([head, typed, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(scanlines)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
const PNG = makePng(6, 4);
