/**
 * Side by side with Cruise Control's model, on a day with a peak. The day is synthesized as it
 * would be recorded (one sample a minute for 24 h): every partition follows a daily curve around
 * the rate measured in the live run (40% of it at midnight, all of it at noon), and the partitions
 * carrying hot keys (above their topic's mean) take 2.5× more from 11:00 to 14:00. Two models of
 * the same cluster are planned by the same planner from the same placement:
 *
 * - Sluice's: each partition's p95 over the day (5-minute steps) through load.ts, from the
 *   synthesized offsets and log sizes;
 * - the baseline (Cruise Control's): a topic's mean bytes over the window split evenly across its
 *   partitions, bytes out likewise; disk as measured.
 *
 * Each plan's placement is then loaded with the peak hour's real per-partition rates, and each
 * group's per-broker bytes in at the peak (max/min, standard deviation) says what it leaves.
 */
import type { BalanceConfig } from '../../src/balance/config.ts';
import { partitionLoad, type Series } from '../../src/balance/load.ts';
import type { ClusterModel, PartitionModel } from '../../src/balance/model.ts';
import { planBalance, type Plan } from '../../src/balance/plan.ts';
import { spread } from './measure.ts';
import { GROUPS, MESSAGE_BYTES, TOPICS } from './scenario.ts';

const MINUTES = 24 * 60;
const MINUTE_MS = 60_000;
const PEAK_FROM_H = 11;
const PEAK_TO_H = 14;
const HOT_FACTOR = 2.5;

/** One variant's result at the peak hour. */
export interface PeakOutcome {
  readonly label: string;
  readonly moves: number;
  readonly bytesMoved: number;
  /** Per group: per-broker bytes in at the peak hour. */
  readonly groups: readonly { readonly group: string; readonly ratio: number; readonly std: number; readonly mean: number }[];
}

/** What the day comparison gives. */
export interface DayComparison {
  readonly peakHour: number;
  readonly outcomes: readonly PeakOutcome[];
}

/** Hot partitions: those of a key-skewed topic carrying more than the topic's mean. */
function hotSet(model: ClusterModel): Set<string> {
  const out = new Set<string>();
  for (const t of TOPICS) {
    if (!t.keySkewed) continue;
    const parts = model.partitions.filter((p) => p.topic === t.name);
    const mean = parts.reduce((a, p) => a + p.bytesIn, 0) / Math.max(1, parts.length);
    for (const p of parts) if (p.bytesIn > mean) out.add(`${p.topic}-${p.partition}`);
  }
  return out;
}

/** A partition's bytes/s at minute `m` of the day. */
function rateAt(base: number, hot: boolean, m: number): number {
  const h = m / 60;
  const daily = 0.4 + 0.6 * (1 - Math.cos((2 * Math.PI * h) / 24)) / 2;
  return base * daily * (hot && h >= PEAK_FROM_H && h < PEAK_TO_H ? HOT_FACTOR : 1);
}

/** The synthesized recorded day of one partition: cumulative offsets and log size, a sample a minute. */
function recordedDay(base: number, hot: boolean): { ends: Series; sizes: Series } {
  const ts: number[] = [];
  const ends: number[] = [];
  const sizes: number[] = [];
  let bytes = 0;
  for (let m = 0; m <= MINUTES; m++) {
    if (m > 0) bytes += rateAt(base, hot, m - 0.5) * 60;
    ts.push(m * MINUTE_MS);
    ends.push(bytes / MESSAGE_BYTES);
    sizes.push(bytes);
  }
  return { ends: { ts, values: ends }, sizes: { ts, values: sizes } };
}

/** Sluice's model of the day: p95 of 5-minute rates per partition, by load.ts. */
function sluiceModel(live: ClusterModel, hot: Set<string>, statistic: string): ClusterModel {
  const partitions = live.partitions.map((p): PartitionModel => {
    const day = recordedDay(p.bytesIn, hot.has(`${p.topic}-${p.partition}`));
    const load = partitionLoad({
      topic: p.topic, partition: p.partition, endOffsets: day.ends, startOffsets: { ts: [0, MINUTES * MINUTE_MS], values: [0, 0] }, logSize: day.sizes,
      committed: [{ group: 'readers', offsets: day.ends }],
    }, { statistic, from: 0, to: MINUTES * MINUTE_MS, stepMs: 5 * MINUTE_MS });
    return { ...p, bytesIn: load.bytesIn, bytesOut: load.bytesOut, diskBytes: load.diskBytes };
  });
  return { brokers: live.brokers, partitions };
}

/** The baseline: a topic's mean bytes over the day split evenly across its partitions. */
function evenSplitModel(live: ClusterModel, hot: Set<string>): ClusterModel {
  const meanOf = (p: PartitionModel): number => {
    let sum = 0;
    for (let m = 0; m < MINUTES; m++) sum += rateAt(p.bytesIn, hot.has(`${p.topic}-${p.partition}`), m + 0.5);
    return sum / MINUTES;
  };
  const topicMean = new Map<string, { sum: number; n: number }>();
  for (const p of live.partitions) {
    const t = topicMean.get(p.topic) ?? { sum: 0, n: 0 };
    t.sum += meanOf(p);
    t.n += 1;
    topicMean.set(p.topic, t);
  }
  const partitions = live.partitions.map((p): PartitionModel => {
    const t = topicMean.get(p.topic)!;
    const even = t.sum / t.n;
    const size = recordedDay(p.bytesIn, hot.has(`${p.topic}-${p.partition}`)).sizes.values[MINUTES]!;
    return { ...p, bytesIn: even, bytesOut: even, diskBytes: size };
  });
  return { brokers: live.brokers, partitions };
}

/** The hour (0–23) with the most bytes in, all partitions together. */
function peakHourOf(live: ClusterModel, hot: Set<string>): number {
  let best = 0;
  let most = -Infinity;
  for (let h = 0; h < 24; h++) {
    let sum = 0;
    for (const p of live.partitions) for (let m = h * 60; m < (h + 1) * 60; m++) sum += rateAt(p.bytesIn, hot.has(`${p.topic}-${p.partition}`), m + 0.5);
    if (sum > most) { most = sum; best = h; }
  }
  return best;
}

/** Per-group spread of per-broker bytes in at hour `h` with `placement`. */
function atPeak(live: ClusterModel, hot: Set<string>, h: number, placement: ReadonlyMap<string, readonly number[]>): PeakOutcome['groups'] {
  const load = new Map<number, number>(live.brokers.map((b) => [b.id, 0]));
  for (const p of live.partitions) {
    const key = `${p.topic}-${p.partition}`;
    let sum = 0;
    for (let m = h * 60; m < (h + 1) * 60; m++) sum += rateAt(p.bytesIn, hot.has(key), m + 0.5);
    for (const b of placement.get(key) ?? p.replicas) load.set(b, (load.get(b) ?? 0) + sum / 60);
  }
  return GROUPS.map((g) => {
    const s = spread(g.brokers.map((b) => load.get(b) ?? 0));
    return { group: g.name, ratio: s.ratio, std: s.std, mean: s.mean };
  });
}

/** Placement after a plan (partition key → replicas). */
function placementAfter(plan: Plan): Map<string, readonly number[]> {
  return new Map(plan.reassignments.map((r) => [`${r.topic}-${r.partition}`, r.replicasAfter]));
}

/** Plans the day both ways from the live model's placement and rates, and loads each at the peak hour. */
export function compareOnDay(live: ClusterModel, config: BalanceConfig): DayComparison {
  const hot = hotSet(live);
  const peakHour = peakHourOf(live, hot);
  const sluice = planBalance(sluiceModel(live, hot, config.peak.statistic), config, { mode: 'full' });
  const even = planBalance(evenSplitModel(live, hot), config, { mode: 'full' });
  return {
    peakHour,
    outcomes: [
      { label: 'no plan', moves: 0, bytesMoved: 0, groups: atPeak(live, hot, peakHour, new Map()) },
      { label: 'even split, window mean (Cruise Control model)', moves: even.reassignments.length, bytesMoved: even.bytesMoved, groups: atPeak(live, hot, peakHour, placementAfter(even)) },
      { label: `measured per partition, ${config.peak.statistic} (Sluice)`, moves: sluice.reassignments.length, bytesMoved: sluice.bytesMoved, groups: atPeak(live, hot, peakHour, placementAfter(sluice)) },
    ],
  };
}
