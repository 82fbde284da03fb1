// A throughput scenario run several times in a row, reported by its median run: one run of a few
// seconds on a shared 2-core machine moved by ±15% from run to run, which is more than the
// differences the bench is there to show (Octopost against graphile-worker, one worker against two).

/**
 * `scenario` run `runs` times; the figures are those of the run with the median `by` figure (a
 * figure name prefix), plus `by` of every run. A figure with an "=" goal (duplicates, deliveries
 * not published) is summed over the runs instead: a fault in any run must show.
 */
export function repeated(scenario, { runs = 3, by }) {
  return {
    ...scenario,
    title: `${scenario.title} (median of ${runs} runs)`,
    timeoutMs: scenario.timeoutMs * runs,
    async run(args) {
      const results = [];
      for (let i = 0; i < runs; i++) results.push(await scenario.run(args));
      const key = (result) => result.figures.find((f) => f.figure.startsWith(by)).value;
      const median = [...results].sort((a, b) => key(a) - key(b))[Math.floor(runs / 2)];
      const figures = median.figures.map((figure) =>
        figure.goal?.op === '='
          ? { ...figure, figure: `${figure.figure} (all runs)`, value: results.reduce((sum, r) => sum + r.figures.find((f) => f.figure === figure.figure).value, 0) }
          : figure,
      );
      figures.push({ figure: `${by}, each run`, value: results.map((r) => Math.round(key(r)).toLocaleString('en')).join(' · '), unit: '' });
      return { figures, details: { ...median.details, runs: results.map((r) => r.details) }, notes: median.notes };
    },
  };
}
