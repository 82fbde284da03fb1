// Not a scenario: helpers the child-process scenarios share (month-query, create-rate, busy-rss,
// burst-2proc). Octopost started as a user would (`bin/octopost.js serve|worker`) on a database the
// bench prepared, its memory and CPU read from /proc, and the bench's seeding of many posts.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { track } from '../lib/cleanup.js';
import { processCpuMs } from '../lib/system-cpu.js';
import { waitUntil } from '../lib/timing.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Starts `octopost <args>` (e.g. ['serve', '--no-worker'] or ['worker']) on `octo`'s database (the
 * in-process app the bench set up with; it stays open beside the child). `serve` is ready when
 * /healthz answers; `worker` when `ready()` (async, optional) says so. Our own environment must
 * not leak in (a DATABASE_URL or OCTOPOST_* of the shell); `env` adds to Octopost's.
 */
export async function startOctopostProcess(octo, args, { env: extra = {}, ready, signal, label = args[0] } = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(OCTOPOST_|DATABASE_URL$|PORT$|HOST$|LOG_LEVEL$)/.test(k)));
  Object.assign(env, { OCTOPOST_DATA_DIR: octo.config.dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' }, extra);
  if (octo.config.databaseUrl) env.DATABASE_URL = octo.config.databaseUrl;
  if (process.env.OCTOPOST_BENCH_CONCURRENCY) env.OCTOPOST_WORKER_CONCURRENCY = process.env.OCTOPOST_BENCH_CONCURRENCY;

  const child = spawn(process.execPath, ['bin/octopost.js', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = track(`octopost ${label} pid ${child.pid}`, () => stopProcess(child));
  // Only the start (for the URL) and the last few kB (for an error message) are kept: a busy
  // node logs a line per delivery.
  let head = '';
  let tail = '';
  let url;
  const keep = (chunk) => {
    if (head.length < 8192) head += chunk;
    tail = (tail + chunk).slice(-4096);
    // With PORT=0 the real port is only in the "listening" log line (pino JSON).
    url ??= /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(head)?.[1];
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);

  try {
    await waitUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`octopost ${args.join(' ')} exited (${child.exitCode}): ${tail.slice(-500)}`);
        if (args[0] === 'serve') return url && (await fetch(`${url}/healthz`).catch(() => null))?.ok;
        return ready ? ready() : /Octopost worker started/.test(head);
      },
      { signal, timeoutMs: 30_000, intervalMs: 50, what: `octopost ${args.join(' ')} to start` },
    );
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    pid: child.pid,
    url,
    /** VmRSS (and VmHWM, the peak so far) in kB. */
    memory() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
      if (!rssKb) throw new Error('VmRSS not found in /proc/<pid>/status');
      return { rssKb, hwmKb: Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1]) };
    },
    /** User + system CPU time used so far, ms (clock-tick resolution: 10 ms). */
    cpuMs: () => processCpuMs(child.pid),
    output: () => tail,
    stop,
  };
}

async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** A full-access API key for the owner, for the child's HTTP API. */
export async function createApiKey(octo) {
  const { key } = await octo.app.services.users.createApiKey(octo.userId, 'bench', []);
  return key;
}

/** One HTTP call with undici (keep-alive, the global pool): { status, ms, body (parsed JSON) }. */
export async function call(base, key, method, path, body) {
  const started = performance.now();
  const response = await request(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.body.text();
  const ms = performance.now() - started;
  return { status: response.statusCode, ms, bytes: text.length, body: text ? JSON.parse(text) : null };
}

/** Posts due at times given one by one: lib/octopost.js, where insertDuePosts (one shared time) uses it too. */
export { insertPostsDueAt } from '../lib/octopost.js';
