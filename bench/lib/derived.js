// Figures computed from other scenarios' figures of the same run and database: throughput against
// the bare claim floor, what the machine's cores could carry at all, and Octopost against
// graphile-worker.
import os from 'node:os';
import { toRow } from './report.js';

// The CPU each side spends per delivery in a burst (its own process, the database server (none on
// SQLite: in-process), the receiver last), as the burst scenarios name those figures.
const CPU_FIGURES = {
  burst: ['Octopost CPU per delivery', 'PostgreSQL server CPU per delivery', 'receiver CPU per delivery'],
  'graphile-burst': ['graphile-worker CPU per job', 'PostgreSQL server CPU per job', 'receiver CPU per job'],
};

export function derivedRows(rows, database) {
  const figureOf = (scenario, prefix) =>
    rows.find((r) => r.database === database && r.scenario === scenario && r.figure.startsWith(prefix))?.value;
  return [...floorRows(figureOf, database), ...versusGraphileRows(figureOf, database)];
}

/**
 * Issue 6's ratio: end-to-end throughput against the bare claim floor on the same database; and,
 * to tell whether that ratio is out of reach on this machine, the CPU-bound ceiling: the rate at
 * which all the cores, busy with nothing else, could carry the CPU a delivery costs (every
 * process it takes, the receiver's included: it shares the cores).
 */
function floorRows(figureOf, database) {
  const floor = figureOf('claim-floor', 'claim floor');
  const throughput = figureOf('burst', 'throughput');
  if (typeof floor !== 'number' || typeof throughput !== 'number') return [];
  const row = (figure) => toRow('throughput/floor', database, figure);
  const out = [row({ figure: 'throughput / claim floor', value: (100 * throughput) / floor, unit: '%', goal: { op: '>=', value: 30 } })];
  const ceiling = cpuCeiling(figureOf, 'burst');
  if (ceiling !== null) {
    out.push(row({ figure: 'CPU-bound ceiling: the cores / burst CPU per delivery (all its processes)', value: ceiling, unit: '/s' }));
    out.push(row({ figure: 'CPU-bound ceiling / claim floor', value: (100 * ceiling) / floor, unit: '%' }));
    const receiver = figureOf('burst', 'receiver CPU per delivery');
    out.push(row({ figure: "the receiver's CPU alone at 30% of the floor", value: (0.3 * floor * receiver) / 1e4 / os.cpus().length, unit: '% of the cores' }));
  }
  // For scale: the peer doing the same work, against the same floor.
  const peer = figureOf('graphile-burst', 'throughput');
  if (typeof peer === 'number') out.push(row({ figure: 'graphile-worker (same work) / this claim floor', value: (100 * peer) / floor, unit: '%' }));
  const peerCeiling = cpuCeiling(figureOf, 'graphile-burst');
  if (peerCeiling !== null) out.push(row({ figure: "graphile-worker's CPU-bound ceiling / this claim floor", value: (100 * peerCeiling) / floor, unit: '%' }));
  return out;
}

function cpuCeiling(figureOf, scenario) {
  const perDelivery = CPU_FIGURES[scenario].map((figure) => figureOf(scenario, figure));
  if (typeof perDelivery.at(-1) !== 'number') return null; // no receiver figure: not measured
  const totalµs = perDelivery.filter((µs) => typeof µs === 'number').reduce((sum, µs) => sum + µs, 0);
  return (os.cpus().length * 1e6) / totalµs;
}

/** Octopost's throughput against graphile-worker's on the same work (webhook POST) and its no-op anchor. */
function versusGraphileRows(figureOf, database) {
  const out = [];
  const peer = figureOf('graphile-burst', 'throughput');
  const anchor = figureOf('graphile-noop', 'throughput');
  // burst-2w: two apps inside the bench process; burst-2proc: two `octopost worker` processes.
  const runs = [['1 worker', 'burst'], ['2 workers in one process', 'burst-2w'], ['2 worker processes', 'burst-2proc']];
  // 1 worker: the median of the ratios of the 5 runs made by turns with graphile-worker's (pairedWith).
  const paired = figureOf('burst', "throughput / graphile-burst's, median");
  const row = (figure) => toRow('vs graphile-worker', database, figure);
  for (const [label, scenario] of runs) {
    const ours = figureOf(scenario, 'throughput');
    if (typeof ours !== 'number') continue;
    if (scenario === 'burst' && typeof paired === 'number') {
      out.push(row({ figure: `Octopost ${label} / graphile-worker, same work (5 runs by turns, median pair)`, value: paired, unit: '×', goal: { op: '>=', value: 1 } }));
    } else if (typeof peer === 'number') {
      out.push(row({ figure: `Octopost ${label} / graphile-worker, same work`, value: ours / peer, unit: '×', goal: { op: '>=', value: 1 } }));
    }
    if (typeof anchor === 'number') out.push(row({ figure: `Octopost ${label} / graphile-worker no-op`, value: ours / anchor, unit: '×' }));
  }
  return out;
}
