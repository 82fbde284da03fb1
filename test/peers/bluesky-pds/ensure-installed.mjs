#!/usr/bin/env node
// Installs the Bluesky PDS test peer (`npm ci` in this folder) when its node_modules is missing or
// stale: the stamp written after a good install holds the lockfile's hash and Node's ABI (the PDS
// needs better-sqlite3 built for this Node). Idempotent: a current install returns at once. A
// lock folder keeps two callers (CI script, test file) from installing at the same time.
// Kept out of the root install so that users' `npm install` stays lean.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const stampFile = join(here, 'node_modules', '.octopost-install-stamp');
const lockDir = join(here, '.install-lock');
const LOCK_STALE_MS = 15 * 60_000;

const wanted = [
  createHash('sha256').update(readFileSync(join(here, 'package-lock.json'))).digest('hex'),
  `node-abi-${process.versions.modules}`,
].join(' ');

const current = () => (existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '');

if (current() !== wanted) {
  await acquireLock();
  try {
    if (current() !== wanted) {
      const started = Date.now();
      console.log('Installing the Bluesky PDS test peer (npm ci in test/peers/bluesky-pds; takes a minute or two)...');
      execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: here, stdio: ['ignore', 'inherit', 'inherit'] });
      installSqlite();
      writeFileSync(stampFile, `${wanted}\n`);
      console.log(`Bluesky PDS test peer installed in ${Math.round((Date.now() - started) / 1000)} s.`);
    }
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/**
 * better-sqlite3 is the only module here that needs its install script (core-js's only prints a
 * banner). Building it from source takes minutes on a busy machine, so when the root install has
 * the same version, built for this Node, its binary is reused; otherwise it is built here.
 */
function installSqlite() {
  const ours = join(here, 'node_modules', 'better-sqlite3');
  const root = join(here, '..', '..', '..', 'node_modules', 'better-sqlite3');
  const binary = join('build', 'Release', 'better_sqlite3.node');
  const version = (dir) => (existsSync(join(dir, 'package.json')) ? JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version : null);
  if (version(root) === version(ours) && existsSync(join(root, binary))) {
    mkdirSync(join(ours, 'build', 'Release'), { recursive: true });
    copyFileSync(join(root, binary), join(ours, binary));
  }
  try {
    execFileSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { cwd: here, stdio: 'ignore' });
  } catch {
    console.log('Building better-sqlite3 for the Bluesky PDS test peer...');
    execFileSync('npm', ['rebuild', 'better-sqlite3', '--loglevel=error'], { cwd: here, stdio: ['ignore', 'inherit', 'inherit'] });
  }
}

async function acquireLock() {
  for (;;) {
    try {
      mkdirSync(lockDir);
      return;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      // A lock left by a killed installer is taken over after a while.
      if (Date.now() - statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs > LOCK_STALE_MS) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
