import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestDatabase } from './databases.js';

/**
 * The real `octopost` command as a child process (bin/octopost.js runs the compiled dist/, so
 * build first: `npm test` does it through pretest). Collects stdout/stderr so a failing test can
 * show what the process said, and never leaves a process behind: every process is killed by the
 * group that started it (call `killAll()` in afterEach) and, as a last resort, when the test
 * worker exits.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/octopost.js', import.meta.url));

/** One pino JSON line of the process's log. */
export interface LogLine {
  level: number;
  time: number;
  msg: string;
  [field: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Date.now() when the process was seen to exit. */
  at: number;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

/**
 * The environment of a child: ours without anything that configures Octopost (so a developer's
 * DATABASE_URL or PORT never leaks in), plus `env`.
 */
export function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(OCTOPOST_|DATABASE_URL$|PORT$|HOST$|LOG_LEVEL$)/.test(k)) continue;
    base[k] = v;
  }
  const merged: NodeJS.ProcessEnv = { ...base, LOG_LEVEL: 'info' };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged[k] = v;
  return merged;
}

/** OCTOPOST_DATA_DIR and, for PostgreSQL, DATABASE_URL of a test database, plus `extra`. */
export function envFor(db: TestDatabase, extra: Record<string, string> = {}): Record<string, string> {
  return { OCTOPOST_DATA_DIR: db.dataDir, ...(db.databaseUrl && { DATABASE_URL: db.databaseUrl }), ...extra };
}

export class OctopostProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  /** Base URL (`http://127.0.0.1:port`) once a `serve` process is listening. */
  url = '';
  private out = '';
  private partial = '';
  private readonly lines: LogLine[] = [];
  private exit: Exit | undefined;

  constructor(
    readonly args: string[],
    env: Record<string, string | undefined>,
  ) {
    this.child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    track(this.child);
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.onStdout(chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.out += `[stderr] ${chunk}`));
    this.exited = new Promise<Exit>((resolve) => {
      // 'exit' gives the moment; 'close' comes once stdout/stderr are read to their end, so
      // that every log line the process wrote is in `logs()` when `exited` resolves.
      let exitedAt = 0;
      this.child.once('exit', () => (exitedAt = Date.now()));
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal, at: exitedAt || Date.now() };
        resolve(this.exit);
      });
      this.child.once('error', (err) => {
        this.out += `[spawn error] ${err.message}\n`;
        this.exit ??= { code: null, signal: null, at: Date.now() };
        resolve(this.exit);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  /** All of stdout and stderr so far. */
  output(): string {
    return this.out;
  }

  logs(): LogLine[] {
    return [...this.lines];
  }

  /** What a failing test prints: command, pid, exit, and the last part of the output. */
  describe(maxChars = 20_000): string {
    const all = this.output();
    const tail = all.length > maxChars ? `…${all.slice(-maxChars)}` : all;
    const exit = this.exit ? `exited code=${this.exit.code} signal=${this.exit.signal}` : 'running';
    return `--- octopost ${this.args.join(' ')} (pid ${this.pid}, ${exit}) ---\n${tail}`;
  }

  async waitForLog(predicate: (line: LogLine) => boolean, what: string, timeoutMs = 30_000): Promise<LogLine> {
    const started = Date.now();
    for (;;) {
      const found = this.lines.find(predicate);
      if (found) return found;
      if (this.exit) throw new Error(`octopost exited before logging ${what}\n${this.describe()}`);
      if (Date.now() - started > timeoutMs) throw new Error(`octopost did not log ${what} within ${timeoutMs} ms\n${this.describe()}`);
      await sleep(20);
    }
  }

  /** Sends a signal without waiting (e.g. SIGTERM to watch a graceful shutdown). */
  signal(signal: NodeJS.Signals): void {
    if (!this.exit) this.child.kill(signal);
  }

  /** SIGKILL, as a crash would: nothing runs in the process afterwards. */
  async kill(): Promise<Exit> {
    this.signal('SIGKILL');
    return this.exited;
  }

  /** Graceful: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 15_000): Promise<Exit> {
    if (this.exit) return this.exit;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves with the exit, or rejects (with the output) if the process runs past `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`octopost did not exit within ${timeoutMs} ms\n${this.describe()}`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private onStdout(chunk: string): void {
    this.out += chunk;
    const text = this.partial + chunk;
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      if (!line.startsWith('{')) continue;
      try {
        const parsed = JSON.parse(line) as LogLine;
        if (typeof parsed.msg === 'string') this.lines.push(parsed);
      } catch {
        // not a log line
      }
    }
  }
}

/**
 * Starts `octopost serve [args]` on a port the OS picks (PORT=0), reads the chosen address from
 * the "Octopost is listening on ..." log line and waits until /healthz answers 200.
 */
export async function startServe(env: Record<string, string | undefined>, args: string[] = [], timeoutMs = 30_000): Promise<OctopostProcess> {
  const proc = new OctopostProcess(['serve', ...args], { PORT: '0', HOST: '127.0.0.1', ...env });
  try {
    const line = await proc.waitForLog((l) => l.msg.startsWith('Octopost is listening on '), '"Octopost is listening on ..."', timeoutMs);
    proc.url = typeof line.url === 'string' ? line.url : line.msg.slice('Octopost is listening on '.length).trim();
    const started = Date.now();
    for (;;) {
      const status = await fetch(`${proc.url}/healthz`, { signal: AbortSignal.timeout(5000) }).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) break;
      if (proc.hasExited || Date.now() - started > 10_000) throw new Error(`/healthz did not answer 200 (last: ${status})\n${proc.describe()}`);
      await sleep(50);
    }
    return proc;
  } catch (err) {
    await proc.kill();
    throw err;
  }
}

/**
 * Starts `octopost worker` and waits for "Octopost worker started". With OCTOPOST_METRICS_PORT,
 * `url` is where it serves /metrics and /healthz (from the same log line).
 */
export async function startWorker(env: Record<string, string | undefined>, timeoutMs = 30_000): Promise<OctopostProcess> {
  const proc = new OctopostProcess(['worker'], env);
  try {
    const line = await proc.waitForLog((l) => l.msg === 'Octopost worker started', '"Octopost worker started"', timeoutMs);
    if (typeof line.metrics === 'string' && line.metrics !== 'off') proc.url = line.metrics;
    return proc;
  } catch (err) {
    await proc.kill();
    throw err;
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a one-shot command (`keys create`, `posts list`, `migrate`) to its end. */
export async function runCli(args: string[], env: Record<string, string | undefined>, timeoutMs = 30_000): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  let timer: NodeJS.Timeout | undefined;
  const code = await new Promise<number | null>((resolve, reject) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`octopost ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  }).finally(() => clearTimeout(timer));
  return { code, stdout, stderr };
}

/** `octopost keys create --name <name>`: returns the key, printed alone on the last line. */
export async function createApiKey(env: Record<string, string | undefined>, name = 'me'): Promise<string> {
  const res = await runCli(['keys', 'create', '--name', name], env);
  if (res.code !== 0) throw new Error(`keys create exited with ${res.code}\nstdout: ${res.stdout}\nstderr: ${res.stderr}`);
  const key = res.stdout.trimEnd().split('\n').at(-1)?.trim() ?? '';
  if (!/^oct_live_\S+$/.test(key)) throw new Error(`keys create did not print a key on its last line:\n${res.stdout}`);
  return key;
}

/**
 * The processes one test started. `killAll()` in afterEach (before dropping the database);
 * `describeAll()` for a failure message; `reset()` in beforeEach.
 */
export class ProcessGroup {
  private readonly procs: OctopostProcess[] = [];

  async serve(env: Record<string, string | undefined>, args: string[] = []): Promise<OctopostProcess> {
    return this.add(startServe(env, args));
  }

  async worker(env: Record<string, string | undefined>): Promise<OctopostProcess> {
    return this.add(startWorker(env));
  }

  async killAll(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.kill()));
  }

  describeAll(): string {
    return this.procs.map((p) => p.describe()).join('\n');
  }

  reset(): void {
    this.procs.length = 0;
  }

  private async add(starting: Promise<OctopostProcess>): Promise<OctopostProcess> {
    const proc = await starting;
    this.procs.push(proc);
    return proc;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
