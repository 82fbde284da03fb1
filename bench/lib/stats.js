/** Nearest-rank percentile (p in 0..100) of a list of numbers; NaN for an empty list. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export const max = (values) => values.reduce((m, v) => (v > m ? v : m), Number.NEGATIVE_INFINITY);
export const min = (values) => values.reduce((m, v) => (v < m ? v : m), Number.POSITIVE_INFINITY);
