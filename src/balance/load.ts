/**
 * The per-partition load model from measurement, pure: recorded series of one partition in,
 * its peak bytes in, bytes out and disk out. Nothing is split evenly across a topic's partitions,
 * so key skew (one partition of a topic carrying more than the others) shows as it is.
 *
 * - Bytes in: log-end-offset growth × the partition's average message size (log size over the
 *   messages retained); without offsets, the growth of the log size (retention deletes are not
 *   growth and are skipped).
 * - Bytes out: each consumer group's committed-offset movement × the average message size,
 *   summed over groups per step.
 * - Disk: the newest log size.
 *
 * Rates are computed per step (each interval between two samples spread over the steps it
 * covers), then reduced to the configured statistic (p95 by default, not the mean: a plan made on
 * averages is undone at the daily peak).
 */

/** One recorded series: sample times (ms, ascending) and values. */
export interface Series {
  readonly ts: ArrayLike<number>;
  readonly values: ArrayLike<number>;
}

/** What was recorded about one partition over the window. */
export interface PartitionEvidence {
  readonly topic: string;
  readonly partition: number;
  /** Log end offset (`kafka_partition_latest_offset`). */
  readonly endOffsets?: Series;
  /** Log start offset (`kafka_partition_earliest_offset`). */
  readonly startOffsets?: Series;
  /** Bytes of the partition's log (`kafka_log_log_size`, the leader's replica). */
  readonly logSize?: Series;
  /** Each consumer group's committed offsets on this partition. */
  readonly committed?: readonly { readonly group: string; readonly offsets: Series }[];
}

/** How the evidence is reduced. */
export interface LoadOptions {
  /** `p95`, `p99.9`, `max` or `mean`. */
  readonly statistic: string;
  /** Window start and end, ms. */
  readonly from: number;
  readonly to: number;
  /** Step of the per-step rates, ms. */
  readonly stepMs: number;
}

/** One partition's measured load. */
export interface PartitionLoad {
  readonly topic: string;
  readonly partition: number;
  /** Peak bytes/s appended. */
  readonly bytesIn: number;
  /** Peak bytes/s consumed, all groups together. */
  readonly bytesOut: number;
  /** Bytes on disk (one replica). */
  readonly diskBytes: number;
  /** Average message size, bytes; null when the log size or the retained messages are unknown. */
  readonly messageBytes: number | null;
}

/** Reduces `values` to `statistic` (`pN` interpolates linearly between ranks, as numpy does); 0 for none. */
export function peakOf(values: readonly number[], statistic: string): number {
  if (values.length === 0) return 0;
  if (statistic === 'mean') return values.reduce((a, b) => a + b, 0) / values.length;
  const sorted = [...values].sort((a, b) => a - b);
  if (statistic === 'max') return sorted[sorted.length - 1]!;
  const q = Number(statistic.slice(1)) / 100;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`peak statistic "${statistic}": expected p<N> (such as p95), max or mean`);
  const rank = q * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/**
 * Adds a counter's growth rate per step into `sum`/`dt` (per step index): each interval between
 * two samples inside [from, to] spreads its rate over the steps it covers. Decreases (resets,
 * retention) are skipped. Values are scaled by `scale` (bytes per unit).
 */
function addStepRates(series: Series, scale: number, opts: LoadOptions, sum: Float64Array, dt: Float64Array): void {
  const { ts, values } = series;
  for (let i = 1; i < ts.length; i++) {
    const t0 = Math.max(ts[i - 1]!, opts.from);
    const t1 = Math.min(ts[i]!, opts.to);
    const span = ts[i]! - ts[i - 1]!;
    const delta = values[i]! - values[i - 1]!;
    if (!(t1 > t0) || !(span > 0) || !(delta >= 0) || !Number.isFinite(delta)) continue;
    const rate = (delta * scale * 1000) / span;
    for (let s = Math.floor((t0 - opts.from) / opts.stepMs); s < sum.length && opts.from + s * opts.stepMs < t1; s++) {
      const overlap = Math.min(t1, opts.from + (s + 1) * opts.stepMs) - Math.max(t0, opts.from + s * opts.stepMs);
      if (overlap <= 0) continue;
      sum[s]! += rate * overlap;
      dt[s]! += overlap;
    }
  }
}

/** The per-step rates of the steps that any interval covered. */
function stepRates(sum: Float64Array, dt: Float64Array): number[] {
  const out: number[] = [];
  for (let s = 0; s < sum.length; s++) if (dt[s]! > 0) out.push(sum[s]! / dt[s]!);
  return out;
}

/** The newest value of a series, or null. */
function newest(series: Series | undefined): number | null {
  return series === undefined || series.values.length === 0 ? null : series.values[series.values.length - 1]!;
}

/** One partition's load from its evidence. */
export function partitionLoad(e: PartitionEvidence, opts: LoadOptions): PartitionLoad {
  if (!(opts.stepMs > 0) || !(opts.to > opts.from)) throw new RangeError('load window: expected from < to and a positive step');
  const steps = Math.ceil((opts.to - opts.from) / opts.stepMs);
  const size = newest(e.logSize);
  const end = newest(e.endOffsets);
  const start = newest(e.startOffsets);
  const retained = end !== null && start !== null ? end - start : null;
  const messageBytes = size !== null && retained !== null && retained > 0 ? size / retained : null;

  let bytesIn = 0;
  const sum = new Float64Array(steps);
  const dt = new Float64Array(steps);
  if (e.endOffsets !== undefined && messageBytes !== null) {
    addStepRates(e.endOffsets, messageBytes, opts, sum, dt);
    bytesIn = peakOf(stepRates(sum, dt), opts.statistic);
  } else if (e.logSize !== undefined) {
    addStepRates(e.logSize, 1, opts, sum, dt);
    bytesIn = peakOf(stepRates(sum, dt), opts.statistic);
  }

  let bytesOut = 0;
  if (messageBytes !== null && e.committed !== undefined && e.committed.length > 0) {
    // Groups are summed per step before the statistic: the peak of the sum, not the sum of peaks.
    const total = new Float64Array(steps);
    const any = new Uint8Array(steps);
    for (const g of e.committed) {
      const gs = new Float64Array(steps);
      const gd = new Float64Array(steps);
      addStepRates(g.offsets, messageBytes, opts, gs, gd);
      for (let s = 0; s < steps; s++) {
        if (gd[s]! > 0) {
          total[s]! += gs[s]! / gd[s]!;
          any[s] = 1;
        }
      }
    }
    const rates: number[] = [];
    for (let s = 0; s < steps; s++) if (any[s] === 1) rates.push(total[s]!);
    bytesOut = peakOf(rates, opts.statistic);
  }
  return { topic: e.topic, partition: e.partition, bytesIn, bytesOut, diskBytes: size ?? 0, messageBytes };
}

/** Every partition's load, in the order given. */
export function partitionLoads(evidence: readonly PartitionEvidence[], opts: LoadOptions): PartitionLoad[] {
  return evidence.map((e) => partitionLoad(e, opts));
}
