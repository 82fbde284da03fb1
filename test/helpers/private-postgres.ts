import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * A PostgreSQL server of the test's own, for faults that touch the server itself (stopping and
 * starting it mid-run). The shared PostgreSQL on 5432 serves every other suite and must never be
 * stopped; this one lives in a fresh temporary directory, listens on a free port of 127.0.0.1
 * (and a unix socket in that directory), trusts every local connection and runs with fsync off
 * (commits stay synchronous: an acknowledged transaction survives `pg_ctl stop -m immediate`).
 *
 * Run as root (CI, containers), the binaries run as the `postgres` OS user through `runuser`
 * (initdb refuses root); otherwise as the current user. The binaries are looked for in
 * OCTOPOST_TEST_PG_BIN, then /usr/lib/postgresql/<newest>/bin, then `pg_config --bindir`.
 */
export interface PrivatePostgres {
  /** DATABASE_URL of the `octopost` database on this server. */
  readonly databaseUrl: string;
  readonly port: number;
  /** The temporary directory: data/, the server log and the unix socket. */
  readonly dir: string;
  readonly running: boolean;
  /** `pg_ctl stop -m <mode>`: 'fast' ends sessions (57P01) and shuts down cleanly; 'immediate' is a crash. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** `pg_ctl start -w`: resolves once the server accepts connections. */
  start(): Promise<void>;
  /** The server's own log (what it said about the stops and starts), for a failure message. */
  log(maxChars?: number): string;
  /** Stops the server (immediate) if it runs and removes the directory. Never throws. */
  destroy(): Promise<void>;
}

const pgRequired = process.env.CI === 'true' || process.env.OCTOPOST_REQUIRE_PG === '1';
const asRoot = process.getuid?.() === 0;

function findBinDir(): string | undefined {
  const candidates: string[] = [];
  if (process.env.OCTOPOST_TEST_PG_BIN) candidates.push(process.env.OCTOPOST_TEST_PG_BIN);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => path.join(debian, v, 'bin')));
  }
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // no pg_config on the PATH
  }
  return candidates.find((dir) => ['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(path.join(dir, b))));
}

function findRunuser(): string | undefined {
  return ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser', '/bin/runuser'].find((p) => existsSync(p));
}

function postgresUser(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

let checked: string | undefined | null = null;

/**
 * Why a private PostgreSQL cannot be started here (undefined when it can). Under CI (or
 * OCTOPOST_REQUIRE_PG=1) a missing piece throws instead, so that the suite is not silently skipped.
 */
export function privatePostgresUnavailable(): string | undefined {
  if (checked !== null) return checked;
  let reason: string | undefined;
  if (process.platform === 'win32') reason = 'not supported on Windows';
  else if (!findBinDir()) reason = 'no PostgreSQL server binaries (initdb, pg_ctl, postgres) found: set OCTOPOST_TEST_PG_BIN';
  else if (asRoot && !findRunuser()) reason = 'running as root but `runuser` is missing (initdb refuses to run as root)';
  else if (asRoot && !postgresUser()) reason = 'running as root but there is no `postgres` OS user to run the server as';
  if (reason && pgRequired) throw new Error(`A private PostgreSQL is required for this run (CI or OCTOPOST_REQUIRE_PG=1) but: ${reason}`);
  if (reason) console.warn(`\n*** private PostgreSQL unavailable (${reason}): the PostgreSQL restart suite is SKIPPED ***\n`);
  checked = reason;
  return reason;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Every live instance, stopped (immediate) if the test process exits without cleaning up. */
const live = new Set<{ pgCtl: string[]; dataDir: string; dir: string }>();
let exitHook = false;

/**
 * initdb in a fresh temporary directory, start on a free port, create the `octopost` database.
 * Call `destroy()` in afterAll (it is also done, synchronously, if the process exits first).
 */
export async function startPrivatePostgres(options: { settings?: Record<string, string> } = {}): Promise<PrivatePostgres> {
  const reason = privatePostgresUnavailable();
  if (reason) throw new Error(`private PostgreSQL unavailable: ${reason}`);
  const bin = findBinDir()!;
  const user = asRoot ? postgresUser()! : undefined;
  const runuser = asRoot ? findRunuser()! : undefined;
  /** argv for running `binary args...` as the server's user. */
  const command = (binary: string, args: string[]): [string, string[]] =>
    runuser ? [runuser, ['-u', 'postgres', '--', path.join(bin, binary), ...args]] : [path.join(bin, binary), args];
  const dir = mkdtempSync(path.join(tmpdir(), 'octopost-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgres.log');

  const run = (binary: string, args: string[], timeoutMs = 60_000) =>
    new Promise<string>((resolve, reject) => {
      const [file, argv] = command(binary, args);
      execFile(file, argv, { cwd: dir, timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${binary} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
        else resolve(stdout);
      });
    });

  const entry = { pgCtl: command('pg_ctl', []).flat(), dataDir, dir };
  live.add(entry);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const e of live) {
        const [file, ...prefix] = e.pgCtl;
        spawnSync(file!, [...prefix, 'stop', '-D', e.dataDir, '-m', 'immediate', '-w', '-t', '10'], { cwd: e.dir, stdio: 'ignore' });
        rmSync(e.dir, { recursive: true, force: true });
      }
    });
  }

  let port = 0;
  let running = false;
  const start = async () => {
    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      port: String(port),
      unix_socket_directories: dir,
      // Speed without changing what a test sees: fsync only matters if the OS crashes. Commits
      // stay synchronous (WAL written before COMMIT answers), so a server stopped with `-m
      // immediate` (a crash) still keeps every transaction it acknowledged, as in production.
      fsync: 'off',
      full_page_writes: 'off',
      max_connections: '100',
      ...options.settings,
    };
    const serverOptions = Object.entries(settings)
      .map(([k, v]) => `-c ${k}=${v}`)
      .join(' ');
    await run('pg_ctl', ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', serverOptions]);
    running = true;
  };

  try {
    await run('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    // A port found free can be taken by someone else before the server binds it: try a few.
    for (let tries = 1; ; tries++) {
      port = await freePort();
      try {
        await start();
        break;
      } catch (err) {
        if (tries >= 5) throw err;
      }
    }
    const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    await admin.connect();
    try {
      await admin.query('CREATE DATABASE octopost');
    } finally {
      await admin.end();
    }
  } catch (err) {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-5000) : '';
    await run('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w']).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    live.delete(entry);
    throw new Error(`${(err as Error).message}\n--- postgres.log ---\n${log}`);
  }

  return {
    databaseUrl: `postgres://postgres@127.0.0.1:${port}/octopost`,
    port,
    dir,
    get running() {
      return running;
    },
    async stop(mode = 'fast') {
      await run('pg_ctl', ['stop', '-D', dataDir, '-m', mode, '-w', '-t', '60']);
      running = false;
    },
    start,
    log(maxChars = 10_000) {
      const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      return text.length > maxChars ? `…${text.slice(-maxChars)}` : text;
    },
    async destroy() {
      if (existsSync(path.join(dataDir, 'postmaster.pid'))) await run('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '30']).catch(() => {});
      running = false;
      rmSync(dir, { recursive: true, force: true });
      live.delete(entry);
    },
  };
}
