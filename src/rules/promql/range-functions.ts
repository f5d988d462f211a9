/**
 * Functions of a range vector: rate/increase/delta with Prometheus's extrapolation, irate/idelta,
 * deriv/predict_linear (least squares), holt_winters, resets, changes and the *_over_time family.
 * https://prometheus.io/docs/prometheus/latest/querying/functions/
 */
import type { RangeSeries } from './context.ts';
import { quantile } from './quantile.ts';

/** The range a range function looks at, in ms: [startMs, endMs]. */
export interface RangeWindow {
  readonly startMs: number;
  readonly endMs: number;
  readonly rangeMs: number;
}

/**
 * rate, increase and delta: the change between the first and last sample (counter resets added
 * back for counters), extrapolated towards the range's ends unless a sample is more than 1.1×
 * the average interval away from its end, and never below a counter's zero point.
 */
export function extrapolatedRate(s: RangeSeries, w: RangeWindow, isCounter: boolean, isRate: boolean): number | undefined {
  const { ts, values, lo, hi } = s;
  if (hi - lo < 2) return undefined;
  const firstT = ts[lo]!;
  const lastT = ts[hi - 1]!;
  const firstV = values[lo]!;
  let result = values[hi - 1]! - firstV;
  if (isCounter) {
    let last = 0;
    for (let i = lo; i < hi; i++) {
      const v = values[i]!;
      if (v < last) result += last;
      last = v;
    }
  }
  let durationToStart = (firstT - w.startMs) / 1000;
  const durationToEnd = (w.endMs - lastT) / 1000;
  const sampled = (lastT - firstT) / 1000;
  const average = sampled / (hi - lo - 1);
  if (isCounter && result > 0 && firstV >= 0) {
    const durationToZero = sampled * (firstV / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = average * 1.1;
  let interval = sampled;
  interval += durationToStart < threshold ? durationToStart : average / 2;
  interval += durationToEnd < threshold ? durationToEnd : average / 2;
  // The factor first, then the product: Prometheus rounds in this order.
  let factor = interval / sampled;
  if (isRate) factor /= w.rangeMs / 1000;
  return result * factor;
}

/** irate and idelta: from the last two samples only; irate treats a drop as a counter reset. */
export function instantRate(s: RangeSeries, isRate: boolean): number | undefined {
  const { ts, values, hi } = s;
  if (hi - s.lo < 2) return undefined;
  const last = values[hi - 1]!;
  const previous = values[hi - 2]!;
  const interval = ts[hi - 1]! - ts[hi - 2]!;
  if (interval === 0) return undefined;
  let result = isRate && last < previous ? last : last - previous;
  if (isRate) result /= interval / 1000;
  return result;
}

/** Adds `inc` to a Kahan–Neumaier compensated sum; returns the new sum and compensation. */
function kahanInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

/** Least-squares slope and intercept, with times in seconds relative to `interceptMs`. */
export function linearRegression(s: RangeSeries, interceptMs: number): [number, number] {
  const { ts, values, lo, hi } = s;
  let n = 0;
  let sumX = 0, cX = 0, sumY = 0, cY = 0, sumXY = 0, cXY = 0, sumX2 = 0, cX2 = 0;
  const initY = values[lo]!;
  let constY = true;
  for (let i = lo; i < hi; i++) {
    const y = values[i]!;
    if (constY && i > lo && y !== initY) constY = false;
    n++;
    const x = (ts[i]! - interceptMs) / 1000;
    [sumX, cX] = kahanInc(x, sumX, cX);
    [sumY, cY] = kahanInc(y, sumY, cY);
    [sumXY, cXY] = kahanInc(x * y, sumXY, cXY);
    [sumX2, cX2] = kahanInc(x * x, sumX2, cX2);
  }
  if (constY) {
    if (!Number.isFinite(initY) && !Number.isNaN(initY)) return [NaN, NaN];
    return [0, initY];
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  return [slope, sumY / n - (slope * sumX) / n];
}

/**
 * holt_winters: double exponential smoothing of one series' window with smoothing factor `sf` and
 * trend factor `tf` (both in (0, 1), checked by the caller); undefined with fewer than two samples.
 * The trend starts as the difference of the first two samples, as in Prometheus.
 */
export function holtWinters(s: RangeSeries, sf: number, tf: number): number | undefined {
  const { values, lo, hi } = s;
  if (hi - lo < 2) return undefined;
  let s0 = 0;
  let s1 = values[lo]!;
  let b = values[lo + 1]! - values[lo]!;
  for (let i = 1; i < hi - lo; i++) {
    const x = sf * values[lo + i]!;
    if (i > 1) b = tf * (s1 - s0) + (1 - tf) * b;
    const y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}

/** The *_over_time functions, resets and changes, on one series' window (never empty). */
export function overTime(name: string, s: RangeSeries, q: number): number {
  const { values, lo, hi } = s;
  const n = hi - lo;
  switch (name) {
    case 'count_over_time':
      return n;
    case 'present_over_time':
      return 1;
    case 'last_over_time':
      return values[hi - 1]!;
    case 'sum_over_time': {
      let sum = 0;
      let c = 0;
      for (let i = lo; i < hi; i++) [sum, c] = kahanInc(values[i]!, sum, c);
      return Number.isFinite(sum) ? sum + c : sum;
    }
    case 'avg_over_time': {
      let mean = 0;
      let c = 0;
      let count = 0;
      for (let i = lo; i < hi; i++) {
        const v = values[i]!;
        count++;
        if (!Number.isFinite(mean) && !Number.isNaN(mean)) {
          if (!Number.isFinite(v) && !Number.isNaN(v) && mean > 0 === v > 0) continue;
          if (Number.isFinite(v)) continue;
        }
        [mean, c] = kahanInc(v / count - mean / count, mean, c);
      }
      return Number.isFinite(mean) ? mean + c : mean;
    }
    case 'min_over_time': {
      let min = values[lo]!;
      for (let i = lo; i < hi; i++) if (values[i]! < min || Number.isNaN(min)) min = values[i]!;
      return min;
    }
    case 'max_over_time': {
      let max = values[lo]!;
      for (let i = lo; i < hi; i++) if (values[i]! > max || Number.isNaN(max)) max = values[i]!;
      return max;
    }
    case 'stddev_over_time':
    case 'stdvar_over_time': {
      let count = 0, mean = 0, cMean = 0, aux = 0, cAux = 0;
      for (let i = lo; i < hi; i++) {
        const v = values[i]!;
        count++;
        const delta = v - (mean + cMean);
        [mean, cMean] = kahanInc(delta / count, mean, cMean);
        [aux, cAux] = kahanInc(delta * (v - (mean + cMean)), aux, cAux);
      }
      const variance = (aux + cAux) / count;
      return name === 'stdvar_over_time' ? variance : Math.sqrt(variance);
    }
    case 'quantile_over_time':
      return quantile(q, Array.from(values.subarray(lo, hi)));
    case 'resets': {
      let resets = 0;
      for (let i = lo + 1; i < hi; i++) if (values[i]! < values[i - 1]!) resets++;
      return resets;
    }
    case 'changes': {
      let changes = 0;
      for (let i = lo + 1; i < hi; i++) {
        const cur = values[i]!;
        const prev = values[i - 1]!;
        if (!(cur === prev || (Number.isNaN(cur) && Number.isNaN(prev)))) changes++;
      }
      return changes;
    }
    default:
      throw new Error(`not a range function: ${name}`);
  }
}
