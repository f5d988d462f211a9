/**
 * histogram_quantile over classic buckets (`le` label): buckets sorted by bound, equal bounds
 * merged, counts made monotonic, +Inf bucket required, linear interpolation inside the bucket.
 * https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile
 */
import type { VectorSample } from './context.ts';
import { METRIC_NAME_LABEL } from '../../store/types.ts';
import { keepLabels, labelsKey } from './labels.ts';
import { uniqueLabelsets } from './select.ts';

interface Bucket {
  upper: number;
  count: number;
}

/**
 * One sample per bucket set (labels without `le`), reported without `le` and `__name__`. As in
 * Prometheus, bucket sets of different metric names are separate, and two of them with the same
 * other labels are an error (SLUICE_ERR_PROMQL_EVAL).
 */
export function histogramQuantile(q: number, samples: readonly VectorSample[]): VectorSample[] {
  const groups = new Map<string, { metric: VectorSample['metric']; buckets: Bucket[] }>();
  for (const s of samples) {
    const le = s.metric.le;
    if (le === undefined) continue;
    const upper = parseBound(le);
    if (upper === undefined) continue;
    const metric = keepLabels(s.metric, false, ['le']);
    const key = `${s.metric[METRIC_NAME_LABEL] ?? ''}\u0000${labelsKey(metric)}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { metric, buckets: [] }));
    g.buckets.push({ upper, count: s.value });
  }
  const out: VectorSample[] = [];
  for (const g of groups.values()) out.push({ metric: g.metric, value: bucketQuantile(q, g.buckets) });
  return uniqueLabelsets(out);
}

/** A bucket bound as Go's strconv.ParseFloat reads it. */
function parseBound(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (t === '+inf' || t === 'inf' || t === '+infinity' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  if (t === 'nan') return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

/** The quantile of one bucket set. */
export function bucketQuantile(q: number, buckets: Bucket[]): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  buckets.sort((a, b) => a.upper - b.upper);
  if (buckets.length === 0 || buckets[buckets.length - 1]!.upper !== Infinity) return NaN;
  const merged: Bucket[] = [];
  for (const b of buckets) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.upper === b.upper) last.count += b.count;
    else merged.push({ upper: b.upper, count: b.count });
  }
  let max = -Infinity;
  for (const b of merged) {
    if (b.count > max) max = b.count;
    else if (b.count < max) b.count = max;
  }
  if (merged.length < 2) return NaN;
  const observations = merged[merged.length - 1]!.count;
  if (observations === 0) return NaN;
  let rank = q * observations;
  let b = 0;
  while (b < merged.length - 1 && !(merged[b]!.count >= rank)) b++;
  if (b === merged.length - 1) return merged[merged.length - 2]!.upper;
  if (b === 0 && merged[0]!.upper <= 0) return merged[0]!.upper;
  let start = 0;
  const end = merged[b]!.upper;
  let count = merged[b]!.count;
  if (b > 0) {
    start = merged[b - 1]!.upper;
    count -= merged[b - 1]!.count;
    rank -= merged[b - 1]!.count;
  }
  return start + (end - start) * (rank / count);
}
