// A throughput scenario run several times, reported by its median run: one run of a few seconds
// on a shared 2-core machine moved by ±15% from run to run, which is more than the differences
// the bench is there to show (Octopost against graphile-worker, one worker against two).

const byFigure = (by) => (result) => result.figures.find((f) => f.figure.startsWith(by)).value;

/**
 * The figures of the run with the median `by` figure (a figure name prefix), plus `by` of every
 * run. A figure with an "=" goal (duplicates, deliveries not published) is summed over the runs
 * instead: a fault in any run must show.
 */
function medianOf(results, by) {
  const key = byFigure(by);
  const median = [...results].sort((a, b) => key(a) - key(b))[Math.floor(results.length / 2)];
  const figures = median.figures.map((figure) =>
    figure.goal?.op === '='
      ? { ...figure, figure: `${figure.figure} (all runs)`, value: results.reduce((sum, r) => sum + r.figures.find((f) => f.figure === figure.figure).value, 0) }
      : figure,
  );
  figures.push({ figure: `${by}, each run`, value: results.map((r) => Math.round(key(r)).toLocaleString('en')).join(' · '), unit: '' });
  return { figures, details: { ...median.details, runs: results.map((r) => r.details) }, notes: median.notes };
}

/** `scenario` run `runs` times in a row, by its median run. */
export function repeated(scenario, { runs = 3, by }) {
  return {
    ...scenario,
    title: `${scenario.title} (median of ${runs} runs)`,
    timeoutMs: scenario.timeoutMs * runs,
    async run(args) {
      const results = [];
      for (let i = 0; i < runs; i++) results.push(await scenario.run(args));
      return medianOf(results, by);
    },
  };
}

/**
 * `scenario` and the `peer` it is compared with, run by turns (scenario, peer, scenario, ...):
 * run one after the other in blocks, several minutes apart, their ratio also measured how the
 * machine's speed drifted in between (one such bench gave 0.72× and a later one 1.02× for the
 * same code). Each is reported by its median run; the ratio of each pair and their median
 * are figures of the scenario. The peer's figures carry `scenario: peer.name` (run.js files
 * them under it). Where the peer does not run (its `dialects`), this is `repeated(scenario)`.
 */
export function pairedWith(scenario, peer, { runs = 3, by }) {
  const alone = repeated(scenario, { runs, by });
  return {
    ...alone,
    peerName: peer.name,
    title: `${scenario.title}, by turns with ${peer.name} (median of ${runs} runs each)`,
    timeoutMs: (scenario.timeoutMs + peer.timeoutMs) * runs,
    async run(args) {
      if (peer.dialects && !peer.dialects.includes(args.dialect)) return alone.run(args);
      const ours = [];
      const theirs = [];
      for (let i = 0; i < runs; i++) {
        ours.push(await scenario.run(args));
        theirs.push(await peer.run(args));
      }
      const key = byFigure(by);
      const ratios = ours.map((r, i) => key(r) / key(theirs[i]));
      const sorted = [...ratios].sort((a, b) => a - b);
      const result = medianOf(ours, by);
      const peerResult = medianOf(theirs, by);
      result.figures.push(
        { figure: `${by} / ${peer.name}'s, each pair`, value: ratios.map((r) => r.toFixed(2)).join(' · '), unit: '' },
        { figure: `${by} / ${peer.name}'s, median of the pairs`, value: sorted[Math.floor(runs / 2)], unit: '×' },
        ...peerResult.figures.map((f) => ({ ...f, scenario: peer.name })),
      );
      result.details.pairRatios = ratios;
      result.peerDetails = peerResult.details;
      return result;
    },
  };
}
