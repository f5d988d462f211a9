/** The φ-quantile of a set of values, as quantile and quantile_over_time compute it. */

/**
 * Linear interpolation between the two nearest ranks (rank φ·(n-1)); -Inf below 0, +Inf above
 * 1, NaN for no values or a NaN φ.
 * https://prometheus.io/docs/prometheus/latest/querying/operators/#aggregation-operators
 */
export function quantile(q: number, values: number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  // NaN sorts first, as Go's sort.Float64s puts it.
  values.sort((a, b) => (Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : Number.isNaN(b) ? 1 : a - b));
  const n = values.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return values[lower]! * (1 - weight) + values[upper]! * weight;
}
