import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FaultProxy } from './fault-proxy.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface PeerAccount {
  did: string;
  handle: string;
  email: string;
  password: string;
  appPassword: string;
  /** A session of the main password, for admin-like steps the test makes itself. */
  accessJwt: string;
}

export interface StoredPost {
  uri: string;
  cid: string;
  value: {
    text: string;
    createdAt: string;
    facets?: { index: { byteStart: number; byteEnd: number }; features: { $type: string; uri?: string; did?: string; tag?: string }[] }[];
    reply?: { root: { uri: string }; parent: { uri: string } };
    embed?: { $type: string; images?: { alt: string; aspectRatio?: { width: number; height: number }; image: { mimeType: string; size: number } }[] };
  };
}

/**
 * The real PDS (start.mjs, run with this folder's own node_modules) and the fault proxy in front of
 * it. The adapter talks to `proxy.url`; the test reads and sets up the PDS directly.
 */
export class BlueskyPeer {
  private constructor(
    private readonly child: ChildProcess,
    readonly pdsUrl: string,
    readonly proxy: FaultProxy,
    readonly startupMs: number,
    private readonly adminPassword: string,
  ) {}

  static async start(): Promise<BlueskyPeer> {
    // Asynchronous on purpose: a first install takes a minute or more, and a test worker whose
    // event loop is blocked that long loses touch with the test runner.
    const installer = spawn(process.execPath, [join(here, 'ensure-installed.mjs')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    installer.stdout!.on('data', (d) => {
      output += d;
      process.stdout.write(d); // the "Installing..." line, through the test runner
    });
    installer.stderr!.on('data', (d) => (output += d));
    const [code] = await once(installer, 'exit');
    if (code !== 0) throw new Error(`installing the Bluesky PDS test peer failed (exit ${code}):\n${output.slice(-4000)}`);
    const child = spawn(process.execPath, [join(here, 'start.mjs')], { cwd: here, stdio: ['pipe', 'pipe', 'pipe'] });
    const ready = await new Promise<{ pdsUrl: string; startupMs: number; adminPassword: string }>((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => fail(new Error(`the PDS did not start within 90 s.\n${err}`)), 90_000);
      const fail = (e: Error) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(e);
      };
      child.stderr!.on('data', (d) => (err += d));
      child.stdout!.on('data', (d) => {
        out += d;
        const line = out.split('\n').slice(0, -1).find((l) => l.startsWith('{"event":"ready"'));
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line));
        }
      });
      child.once('exit', (code) => fail(new Error(`the PDS exited (${code}) before it was ready:\n${err.slice(-4000)}`)));
    });
    const proxy = await new FaultProxy(ready.pdsUrl).start();
    return new BlueskyPeer(child, ready.pdsUrl, proxy, ready.startupMs, ready.adminPassword);
  }

  async stop(): Promise<void> {
    await this.proxy.close();
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (this.child.exitCode === null) this.child.kill('SIGKILL');
    }
  }

  /** An XRPC call straight to the PDS (not through the proxy). */
  async xrpc<T = any>(nsid: string, opts: { input?: unknown; params?: Record<string, string>; auth?: string } = {}): Promise<T> {
    const url = new URL(`/xrpc/${nsid}`, this.pdsUrl);
    for (const [k, v] of Object.entries(opts.params ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = {};
    if (opts.input !== undefined) headers['content-type'] = 'application/json';
    if (opts.auth) headers.authorization = opts.auth;
    const res = await fetch(url, { method: opts.input === undefined ? 'GET' : 'POST', headers, body: opts.input === undefined ? null : JSON.stringify(opts.input) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${nsid} answered ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A new account (com.atproto.server.createAccount), its profile, and an app password. */
  async createAccount(displayName = 'Octopost Tester'): Promise<PeerAccount> {
    const name = `u${Math.random().toString(36).slice(2, 10)}`;
    const email = `${name}@example.com`;
    const password = `pw-${Math.random().toString(36).slice(2)}`;
    const created = await this.xrpc('com.atproto.server.createAccount', { input: { handle: `${name}.test`, email, password } });
    const auth = `Bearer ${created.accessJwt}`;
    await this.xrpc('com.atproto.repo.putRecord', {
      auth,
      input: { repo: created.did, collection: 'app.bsky.actor.profile', rkey: 'self', record: { $type: 'app.bsky.actor.profile', displayName } },
    });
    const app = await this.xrpc('com.atproto.server.createAppPassword', { auth, input: { name: 'octopost' } });
    return { did: created.did, handle: created.handle, email, password, appPassword: app.password, accessJwt: created.accessJwt };
  }

  /** The account's posts (com.atproto.repo.listRecords), oldest first by createdAt. */
  async posts(did: string): Promise<StoredPost[]> {
    const all: StoredPost[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.xrpc('com.atproto.repo.listRecords', {
        params: { repo: did, collection: 'app.bsky.feed.post', limit: '100', ...(cursor && { cursor }) },
      });
      all.push(...page.records);
      cursor = page.records.length === 100 ? page.cursor : undefined;
    } while (cursor);
    // Keys are derived from delivery ids, not from time: order by the record's own timestamp.
    return all.sort((a, b) => a.value.createdAt.localeCompare(b.value.createdAt));
  }

  async revokeAppPassword(account: PeerAccount): Promise<void> {
    await this.xrpc('com.atproto.server.revokeAppPassword', { auth: `Bearer ${account.accessJwt}`, input: { name: 'octopost' } });
  }

  /** A moderator's takedown (com.atproto.admin.updateSubjectStatus with the PDS admin password). */
  async takeDown(did: string): Promise<void> {
    await this.xrpc('com.atproto.admin.updateSubjectStatus', {
      auth: `Basic ${Buffer.from(`admin:${this.adminPassword}`).toString('base64')}`,
      input: { subject: { $type: 'com.atproto.admin.defs#repoRef', did }, takedown: { applied: true, ref: 'octopost-test' } },
    });
  }
}
