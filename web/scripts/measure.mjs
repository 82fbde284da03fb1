#!/usr/bin/env node
// The web app's figures (issue 3): JavaScript shipped for the first page (gzipped), and the calendar's
// month view with 500 posts in the month, from navigation to the events painted.
// Needs `npm run build` and Chromium at /usr/bin/chromium. Run: node web/scripts/measure.mjs
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('../../', import.meta.url));
const webDir = path.join(root, 'dist/web');
const POSTS = Number(process.env.POSTS ?? 500);
const RUNS = Number(process.env.RUNS ?? 5);

function firstPageJs() {
  const html = readFileSync(path.join(webDir, 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
  const sizes = files.map((f) => {
    const bytes = readFileSync(path.join(webDir, f));
    return { file: f, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  return { files: sizes, gzip: sizes.reduce((n, s) => n + s.gzip, 0) };
}

async function startServer(dataDir) {
  const child = spawn(process.execPath, [path.join(root, 'bin/octopost.js'), 'serve'], {
    env: { ...process.env, OCTOPOST_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      buffer += chunk;
      const m = /Octopost is listening on (http:\/\/[^"\s]+)/.exec(buffer);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

const js = firstPageJs();
console.log(`First page JavaScript: ${(js.gzip / 1024).toFixed(1)} kB gzipped (${js.files.map((f) => `${f.file} ${(f.raw / 1024).toFixed(0)} kB raw`).join(', ')})`);

const dataDir = mkdtempSync(path.join(tmpdir(), 'octopost-measure-'));
const server = await startServer(dataDir);
const browser = await chromium.launch({ executablePath: process.env.OCTOPOST_CHROMIUM ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
try {
  const headers = { 'content-type': 'application/json', 'x-octopost-csrf': '1' };
  const setup = await fetch(`${server.url}/v1/setup`, { method: 'POST', headers, body: JSON.stringify({ email: 'bench@example.com', password: 'bench passphrase' }) });
  const cookie = setup.headers.get('set-cookie').split(';')[0];
  const call = async (method, p, body) => {
    const res = await fetch(`${server.url}${p}`, { method, headers: { ...headers, cookie }, body: body && JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const accounts = [];
  for (const name of ['Blog', 'Shop', 'News']) accounts.push((await call('POST', '/v1/accounts', { platform: 'webhook', url: `http://127.0.0.1:9/${name}`, secret: 'bench-secret', display_name: name })).id);
  // Next month, in UTC: POSTS posts spread over its days and working hours.
  const now = new Date();
  const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  const days = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 0)).getUTCDate();
  const started = Date.now();
  for (let i = 0; i < POSTS; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, POSTS - i) }, (_, j) => {
        const n = i + j;
        const at = new Date(month.getTime() + (n % days) * 86_400_000 + (8 + (n % 10)) * 3_600_000 + (n % 4) * 900_000);
        return call('POST', '/v1/posts', { content: `Post ${n}: ${'lorem ipsum '.repeat(3 + (n % 7))}`, accounts: [accounts[n % 3]], scheduled_for: at.toISOString() });
      }),
    );
  }
  console.log(`Created ${POSTS} posts in ${month.toISOString().slice(0, 7)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const context = await browser.newContext({ timezoneId: 'UTC', locale: 'en-GB', viewport: { width: 1440, height: 1000 } });
  await context.addCookies([{ name: cookie.split('=')[0], value: cookie.split('=')[1], url: server.url }]);
  const page = await context.newPage();
  const target = `${server.url}/calendar?view=dayGridMonth&date=${month.toISOString().slice(0, 10)}`;
  const times = [];
  let t0 = 0;
  const trace = process.env.TRACE ? [] : null;
  if (trace) {
    page.on('request', (r) => trace.push(`${Date.now() - t0} ms → ${r.url().replace(server.url, '').slice(0, 80)}`));
    page.on('requestfinished', (r) => trace.push(`${Date.now() - t0} ms ← ${r.url().replace(server.url, '').slice(0, 80)}`));
  }
  for (let run = 0; run < RUNS + 1; run++) {
    t0 = Date.now();
    if (trace) trace.length = 0;
    await page.goto(target);
    // Painted: every day of the month shows its posts (a few, then "+N more").
    await page.waitForFunction((expected) => document.querySelectorAll('.fc-daygrid-day:not(.fc-day-other) .fc-daygrid-day-events .fc-event').length >= expected, Math.min(POSTS, days), { polling: 'raf', timeout: 30_000 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
    const ms = Date.now() - t0;
    if (run > 0) times.push(ms); // the first run warms the server's and the browser's caches
    if (trace && run === RUNS) console.log(`${trace.join('\n')}\n${ms} ms painted`);
  }
  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
  times.sort((a, b) => a - b);
  console.log(`Calendar month view, ${POSTS} posts: navigation → events painted, median ${times[Math.floor(times.length / 2)]} ms (runs: ${times.join(', ')} ms)`);
} finally {
  await browser.close();
  server.stop();
  setTimeout(() => rmSync(dataDir, { recursive: true, force: true }), 500);
}
