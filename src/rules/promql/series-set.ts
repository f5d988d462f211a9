/**
 * SeriesSet: a fixed, in-memory set of series that answers `Querier.select` with PromQL matcher
 * semantics. Used by unit tests, rule unit tests and replay.
 */
import { compileMatchers, exactMetricName, matchesSeries } from '../../store/matchers.ts';
import { METRIC_NAME_LABEL, type Matcher, type Querier, type SeriesData } from '../../store/types.ts';
import { lowerBound } from './context.ts';
import { STALE_NAN } from './stale.ts';

/**
 * One series given to the constructor; the metric name may be given as `metric` or as the
 * `__name__` label. Staleness markers are written `'stale'`: a NaN's bit pattern does not
 * survive a plain JS array, only a Float64Array.
 */
export interface SeriesInput {
  readonly metric?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ts: ArrayLike<number>;
  readonly values: ArrayLike<number | 'stale'>;
}

interface Entry {
  readonly metric: string;
  readonly labels: Readonly<Record<string, string>>;
  ts: Float64Array;
  values: Float64Array;
  length: number;
  sorted: boolean;
}

/** An in-memory, fixed set of series; a `Querier`. */
export class SeriesSet implements Querier {
  private readonly byMetric = new Map<string, Map<string, Entry>>();

  constructor(series: readonly SeriesInput[] = []) {
    for (const s of series) {
      if (s.ts.length !== s.values.length) throw new RangeError('ts and values must have the same length');
      const labels = s.metric === undefined ? s.labels : { ...s.labels, [METRIC_NAME_LABEL]: s.metric };
      for (let i = 0; i < s.ts.length; i++) {
        const v = s.values[i]!;
        this.add(labels, s.ts[i]!, v === 'stale' ? STALE_NAN : v);
      }
    }
  }

  /** Adds one sample (pass STALE_NAN itself for a staleness marker); `labels` includes `__name__`. A sample at a time the series already has replaces it. */
  add(labels: Readonly<Record<string, string>>, ts: number, value: number): void {
    const metric = labels[METRIC_NAME_LABEL] ?? '';
    const rest: Record<string, string> = {};
    for (const name of Object.keys(labels).sort()) if (name !== METRIC_NAME_LABEL && labels[name] !== '') rest[name] = labels[name]!;
    const key = JSON.stringify(rest);
    let byLabels = this.byMetric.get(metric);
    if (byLabels === undefined) this.byMetric.set(metric, (byLabels = new Map()));
    let e = byLabels.get(key);
    if (e === undefined) byLabels.set(key, (e = { metric, labels: rest, ts: new Float64Array(4), values: new Float64Array(4), length: 0, sorted: true }));
    if (e.length === e.ts.length) {
      const ts = new Float64Array(e.length * 2);
      const values = new Float64Array(e.length * 2);
      ts.set(e.ts);
      values.set(e.values);
      e.ts = ts;
      e.values = values;
    }
    if (e.length > 0 && ts <= e.ts[e.length - 1]!) e.sorted = false;
    e.ts[e.length] = ts;
    e.values[e.length] = value;
    e.length++;
  }

  /** `Querier.select`: every series matching all matchers with samples in [from, to], with only those samples. */
  async select(matchers: readonly Matcher[], from: number, to: number): Promise<SeriesData[]> {
    const compiled = compileMatchers(matchers);
    const exact = exactMetricName(matchers);
    const out: SeriesData[] = [];
    const metrics = exact === undefined ? [...this.byMetric.keys()] : [exact];
    for (const metric of metrics) {
      for (const e of this.byMetric.get(metric)?.values() ?? []) {
        if (!matchesSeries(compiled, metric, e.labels)) continue;
        if (!e.sorted) sortEntry(e);
        const lo = lowerBound(e.ts, 0, e.length, from);
        const hi = lowerBound(e.ts, lo, e.length, to, true);
        if (hi > lo) out.push({ metric, labels: e.labels, ts: e.ts.slice(lo, hi), values: e.values.slice(lo, hi) });
      }
    }
    return out;
  }
}

/** Sorts a series' samples by time, the last one added winning at equal times. */
function sortEntry(e: Entry): void {
  const order = Array.from({ length: e.length }, (_, i) => i).sort((a, b) => e.ts[a]! - e.ts[b]! || b - a);
  // Values stay in Float64Arrays: a plain array would turn staleness markers into plain NaNs.
  const ts = new Float64Array(e.length);
  const values = new Float64Array(e.length);
  let n = 0;
  for (const i of order) {
    if (n > 0 && ts[n - 1] === e.ts[i]) continue;
    ts[n] = e.ts[i]!;
    values[n++] = e.values[i]!;
  }
  e.ts = ts;
  e.values = values;
  e.length = n;
  e.sorted = true;
}
