// `npm run bench`: runs every scenario on SQLite and (when it answers) PostgreSQL, prints the
// table and saves bench/results/<timestamp>.json and bench/results/latest.md.
// Exit code: 1 if a scenario crashed or timed out; missed goals show as FAIL but exit 0.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { releaseAll } from './lib/cleanup.js';
import { PG_ADMIN_URL, probePostgres } from './lib/databases.js';
import { derivedRows } from './lib/derived.js';
import { probeMachine, slowMachineNotes } from './lib/machine-probe.js';
import { errorRow, machineInfo, printTable, saveResults, toRow } from './lib/report.js';
import { pairedWith, repeated } from './lib/repeat.js';
import { runBounded } from './lib/timing.js';
import bulk from './scenarios/bulk.js';
import burst, { burst2Workers } from './scenarios/burst.js';
import burst2Processes from './scenarios/burst-processes.js';
import busyRss from './scenarios/busy-rss.js';
import claimFloor from './scenarios/claim-floor.js';
import createRate from './scenarios/create-rate.js';
import storeBatches from './scenarios/store-batches.js';
import { graphileBurst, graphileLateness, graphileNoop } from './scenarios/graphile.js';
import idleMemory from './scenarios/idle-memory.js';
import monthQuery from './scenarios/month-query.js';
import networks from './scenarios/networks.js';
import { latenessScenarios } from './scenarios/lateness.js';

// A scenario with `dialects` runs only on those (graphile-worker and 2 workers: PostgreSQL).
// The throughput scenarios that are compared with each other run several times, by their median
// run; the burst five times, by turns with graphile-worker doing the same work, for their ratio.
const median3 = (scenario, by) => repeated(scenario, { runs: 3, by });
const ALL_SCENARIOS = [
  ...latenessScenarios,
  pairedWith(burst, graphileBurst, { runs: 5, by: 'throughput' }),
  median3(burst2Workers, 'throughput'),
  median3(burst2Processes, 'throughput'),
  median3(claimFloor, 'claim floor'),
  storeBatches,
  idleMemory, busyRss, bulk, monthQuery, createRate, networks,
  median3(graphileNoop, 'throughput'),
  ...graphileLateness,
];

// Optional filters for working on one figure: `npm run bench -- --only=burst,claim-floor --db=sqlite`.
// `--only=lateness` selects every lateness@<rate>/s (the name before the '@').
const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1]?.split(',');
const only = arg('only');
const onlyDb = arg('db');
const selected = (s) => [s.name, s.name.split('@')[0], s.peerName].some((name) => only.includes(name));
const SCENARIOS = only ? ALL_SCENARIOS.filter(selected) : ALL_SCENARIOS;
const RESULTS_DIR = fileURLToPath(new URL('./results', import.meta.url));
// Scenarios share a 780 s budget (each gets at most what is left); the hard limit behind it only
// catches a bench that hangs outside any scenario: clean up and quit.
const BUDGET_MS = 780_000;
const GLOBAL_LIMIT_MS = 840_000;

async function abort(reason, code) {
  console.error(`\n${reason}: cleaning up (apps, receivers, servers, databases, temp dirs)...`);
  await releaseAll();
  process.exit(code);
}
process.once('SIGINT', () => void abort('interrupted', 130));
process.once('SIGTERM', () => void abort('terminated', 143));
// An 'error' event nobody listens to (say, a pg pool's idle client) must still clean up the databases.
process.once('uncaughtException', (err) => void abort(`uncaught exception: ${err?.stack ?? err}`, 1));
setTimeout(() => void abort(`the bench exceeded ${GLOBAL_LIMIT_MS / 1000} s`, 1), GLOBAL_LIMIT_MS).unref();

async function main() {
  const started = Date.now();
  const postgres = await probePostgres();
  const machine = await machineInfo(postgres);
  /** The machine probe's CPU ms just before each scenario (lib/machine-probe.js). */
  machine.probes = {};
  const rows = [];
  const notes = [];
  const details = {};
  let crashed = false;

  const databases = ['sqlite'];
  if (postgres.available) databases.push('postgres');
  else if (!onlyDb || onlyDb.includes('postgres')) {
    const note = `PostgreSQL not reachable at ${PG_ADMIN_URL} (${postgres.reason}): PostgreSQL rows skipped.`;
    console.log(note);
    notes.push(note);
  }

  for (const database of databases.filter((d) => !onlyDb || onlyDb.includes(d))) {
    for (const scenario of SCENARIOS.filter((s) => !s.dialects || s.dialects.includes(database))) {
      const left = started + BUDGET_MS - Date.now();
      if (left < 5000) {
        crashed = true;
        rows.push(errorRow(scenario.name, database, 'not run: the bench time budget is spent'));
        continue;
      }
      machine.probes[`${scenario.name}/${database}`] = Number(probeMachine().toFixed(1));
      process.stdout.write(`${scenario.name} on ${database}: ${scenario.title} ... `);
      const t0 = Date.now();
      try {
        const limit = Math.min(scenario.timeoutMs, left);
        const result = await runBounded(`${scenario.name} on ${database}`, limit, (signal) => scenario.run({ dialect: database, signal }));
        rows.push(...result.figures.map((f) => toRow(f.scenario ?? scenario.name, database, f)));
        details[`${scenario.name}/${database}`] = result.details;
        if (result.peerDetails) details[`${scenario.peerName}/${database}`] = result.peerDetails;
        if (result.notes) notes.push(...result.notes.map((n) => `${scenario.name} on ${database}: ${n}`));
        console.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      } catch (err) {
        crashed = true;
        console.log(`FAILED: ${err.message}`);
        rows.push(errorRow(scenario.name, database, err.message));
      }
    }
    rows.push(...derivedRows(rows, database));
  }

  machine.loadAverageAtEnd = os.loadavg().map((l) => Number(l.toFixed(2)));
  notes.push(...slowMachineNotes(machine.probes));
  // On a shared machine the wall-clock figures (lateness, burst, floor) are inflated; say so.
  const busiest = Math.max(...machine.loadAverageAtStart, ...machine.loadAverageAtEnd);
  if (busiest > os.cpus().length) {
    notes.push(
      `The machine was busy (load average up to ${busiest} on ${os.cpus().length} CPUs, from other processes too): ` +
        'wall-clock figures are inflated; "Octopost CPU per delivery" is the steadier figure to compare runs.',
    );
  }
  const burstDetails = details['burst/sqlite'] ?? details['burst/postgres'];
  const result = {
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    machine,
    settings: { workerConcurrency: burstDetails?.workerConcurrency ?? (Number(process.env.OCTOPOST_BENCH_CONCURRENCY || 64)) },
    rows,
    notes,
    details,
  };
  console.log('');
  printTable(rows);
  const goals = rows.filter((r) => r.pass !== null);
  console.log(`\n${goals.filter((r) => r.pass).length} of ${goals.length} goals met; ${((Date.now() - started) / 1000).toFixed(0)} s.`);
  for (const note of notes) console.log(`Note: ${note}`);
  const saved = saveResults(RESULTS_DIR, result);
  console.log(`Saved ${saved} and ${RESULTS_DIR}/latest.md`);
  return crashed ? 1 : 0;
}

main()
  .then(async (code) => {
    await releaseAll(); // normally empty: every scenario released its own resources
    process.exit(code);
  })
  .catch((err) => abort(`bench failed: ${err.stack ?? err}`, 1));
