// Scenario 4: resident memory of an idle `octopost serve` (API + scheduler, empty database),
// started as a user would, ~3 s after /healthz first answers.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { track } from '../lib/cleanup.js';
import { createDatabase } from '../lib/databases.js';
import { sleep, waitUntil } from '../lib/timing.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SETTLE_MS = 3000;

export default {
  name: 'idle-memory',
  title: 'idle `octopost serve` resident memory',
  timeoutMs: 30_000,

  async run({ dialect, signal }) {
    const database = await createDatabase(dialect, 'idle');
    let stop;
    try {
      // Our own environment must not leak in (a DATABASE_URL or OCTOPOST_* of the shell).
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(OCTOPOST_|DATABASE_URL$|PORT$|HOST$|LOG_LEVEL$)/.test(k)));
      Object.assign(env, { OCTOPOST_DATA_DIR: database.dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
      if (database.databaseUrl) env.DATABASE_URL = database.databaseUrl;

      const child = spawn(process.execPath, ['bin/octopost.js', 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      stop = track(`octopost serve pid ${child.pid}`, () => stopProcess(child));
      let output = '';
      let url;
      child.stdout.setEncoding('utf8').on('data', (chunk) => {
        output += chunk;
        // With PORT=0 the real port is only in the "listening" log line (pino JSON).
        url ??= /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output)?.[1];
      });
      child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk));

      await waitUntil(
        async () => {
          if (child.exitCode !== null) throw new Error(`octopost serve exited (${child.exitCode}): ${output.slice(-500)}`);
          if (!url) return false;
          return (await fetch(`${url}/healthz`).catch(() => null))?.ok;
        },
        { signal, timeoutMs: 20_000, intervalMs: 50, what: '/healthz' },
      );
      await sleep(SETTLE_MS, signal);
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
      if (!kb) throw new Error('VmRSS not found in /proc/<pid>/status');
      const hwmKb = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1]);

      return {
        figures: [{ figure: 'idle RSS', value: kb / 1024, unit: 'MB', goal: { op: '<', value: 150 } }],
        details: { rssKb: kb, peakRssKb: hwmKb, settleMs: SETTLE_MS },
      };
    } finally {
      await stop?.();
      await database.drop();
    }
  },
};

async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
