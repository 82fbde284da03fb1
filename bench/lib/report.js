// Turns figures into rows (with pass/fail against their goal), prints the table, and writes
// bench/results/<timestamp>.json and bench/results/latest.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';

const COMPARE = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>=': (a, b) => a >= b,
  '=': (a, b) => a === b,
};

/** A figure { figure, value, unit, goal? } of a scenario on a database, as a table row. */
export function toRow(scenario, database, f) {
  const measured = typeof f.value === 'number' && Number.isFinite(f.value);
  const pass = !f.goal ? null : measured ? COMPARE[f.goal.op](f.value, f.goal.value) : false;
  return { scenario, database, figure: f.figure, value: f.value, unit: f.unit ?? '', goal: f.goal ?? null, pass };
}

export const errorRow = (scenario, database, message) => ({ scenario, database, figure: 'error', value: message, unit: '', goal: null, pass: false });

function formatNumber(v) {
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) || Math.abs(v) >= 100) return Math.round(v).toLocaleString('en');
  return v.toFixed(Math.abs(v) >= 10 ? 1 : 2);
}

const unitText = (unit) => (unit ? (unit.startsWith('/') || unit === '%' ? unit : ` ${unit}`) : '');
const formatValue = (row) => (typeof row.value === 'number' ? `${formatNumber(row.value)}${unitText(row.unit)}` : String(row.value));
const formatGoal = (row) => (row.goal ? `${row.goal.op} ${formatNumber(row.goal.value)}${unitText(row.unit)}` : '-');
const formatPass = (row) => (row.pass === null ? '-' : row.pass ? 'pass' : 'FAIL');

function cells(rows, maxValue = Infinity) {
  const clip = (v) => (v.length > maxValue ? `${v.slice(0, maxValue - 1)}…` : v);
  return rows.map((r) => [r.scenario, r.database, r.figure, clip(formatValue(r)), formatGoal(r), formatPass(r)]);
}

const HEADER = ['scenario', 'database', 'figure', 'value', 'goal', 'result'];

export function printTable(rows) {
  const body = cells(rows, 60); // a long error message is in full in the saved results
  const widths = HEADER.map((h, i) => Math.max(h.length, ...body.map((c) => c[i].length)));
  const line = (c) => c.map((v, i) => (i === 3 ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ');
  console.log(line(HEADER));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of body) console.log(line(c));
}

export async function machineInfo(postgres) {
  const cpus = os.cpus();
  let sqlite = 'unknown';
  try {
    const { default: SQLite } = await import('better-sqlite3');
    const db = new SQLite(':memory:');
    sqlite = db.prepare('select sqlite_version() as v').get().v;
    db.close();
  } catch {}
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: `${cpus.length} x ${cpus[0]?.model ?? 'unknown'}`,
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
    sqlite,
    postgres: postgres.available ? postgres.version : `not reachable (${postgres.reason})`,
  };
}

/** Writes the JSON (everything, details included) and the markdown summary; returns the JSON path. */
export function saveResults(dir, result) {
  mkdirSync(dir, { recursive: true });
  // ISO time with ':' replaced, so the name is valid on every file system.
  const stamp = result.startedAt.replace(/:/g, '-');
  const jsonPath = `${dir}/${stamp}.json`;
  writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);

  const m = result.machine;
  const md = [
    '# Octopost bench: latest run',
    '',
    `Run ${result.startedAt}, took ${(result.durationMs / 1000).toFixed(0)} s. Full data: \`${stamp}.json\`.`,
    '',
    `Machine: Node ${m.node}, ${m.cpus}, ${m.memory} RAM, ${m.platform}; SQLite ${m.sqlite}; PostgreSQL ${m.postgres}.`,
    `Load average (1/5/15 min): ${m.loadAverageAtStart.join(' / ')} at start, ${m.loadAverageAtEnd?.join(' / ') ?? '?'} at end.`,
    ...(m.probes && Object.keys(m.probes).length
      ? [`Machine probe before each scenario (fixed JSON work, CPU ms, lower is faster; \`lib/machine-probe.js\`): ${Math.min(...Object.values(m.probes))} to ${Math.max(...Object.values(m.probes))} ms.`]
      : []),
    `Settings: worker concurrency ${result.settings.workerConcurrency}, claim batch 50.`,
    '',
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map((_, i) => (i === 3 ? '---:' : '---')).join('|')}|`,
    ...cells(result.rows).map((c) => `| ${c.map((v) => v.replace(/\|/g, '\\|')).join(' | ')} |`),
    '',
    ...(result.notes.length ? ['Notes:', '', ...result.notes.map((n) => `- ${n}`), ''] : []),
  ].join('\n');
  writeFileSync(`${dir}/latest.md`, md);
  return jsonPath;
}
