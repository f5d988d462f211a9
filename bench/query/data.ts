/**
 * The bench's data set, the same in every process that builds it: Kafka series under the names
 * Sluice's collectors and the JMX exporter give them, one sample every 15 s per series, each
 * series scraped at its own whole-second offset (as targets are), ending at a given time.
 *
 * Per topic, on 3 of 6 brokers: `kafka_server_brokertopicmetrics_{bytesin,bytesout,messagesin}_total`
 * counters `{cluster, topic, broker}` (a few reset once, as after a broker restart); per consumer
 * group, `kafka_consumergroup_group_lag` gauges `{cluster, group, topic, partition}` for the 25
 * partitions of the topic it reads. About 1 series in 4 is a broker counter, the rest lag.
 *
 * Every value is a whole number (bytes, messages, offsets), so that the OpenMetrics text given to
 * Prometheus and the samples given to Sluice are exactly the same numbers. Pure: no I/O.
 */

/** Seconds between samples of one series. */
export const SCRAPE_S = 15;
export const CLUSTER = 'kafka-bench';
export const BROKERS = 6;
export const PARTITIONS_PER_GROUP = 25;
export const COUNTER_METRICS = [
  'kafka_server_brokertopicmetrics_bytesin_total',
  'kafka_server_brokertopicmetrics_bytesout_total',
  'kafka_server_brokertopicmetrics_messagesin_total',
] as const;
export const LAG_METRIC = 'kafka_consumergroup_group_lag';

/** One series of the set. */
export interface BenchSeries {
  readonly metric: string;
  /** Labels in the order the series is written; `cluster` first. */
  readonly labels: Readonly<Record<string, string>>;
  /** Its scrape offset in whole seconds within the 15 s interval. */
  readonly offsetS: number;
  readonly counter: boolean;
  /** Its index in the set: the seed of its values. */
  readonly index: number;
}

/** The whole set: series and the times they cover. */
export interface DataSet {
  readonly series: readonly BenchSeries[];
  readonly topics: number;
  readonly groups: number;
  /** Samples per series. */
  readonly samples: number;
  /** First scrape interval starts here (ms, a whole second); the last sample of every series is before `endMs`. */
  readonly startMs: number;
  readonly endMs: number;
}

/** A 32-bit hash of two integers (murmur3's finalizer over a mix of both). */
export function hash2(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul((b + 0x27d4eb2f) | 0, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A number in [0, 1) from two integers. */
function unit(a: number, b: number): number {
  return hash2(a, b) / 4_294_967_296;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * About `total` series over `hours` ending at `endMs` (a whole second): `round(total / 40)`
 * topics with 9 broker counters each, and as many groups of 25 lag series as fill the rest.
 */
export function dataSet(total: number, hours: number, endMs: number): DataSet {
  if (!(endMs % 1000 === 0)) throw new Error(`endMs must be a whole second, got ${endMs}`);
  const topics = Math.max(1, Math.round(total / 40));
  const groups = Math.max(1, Math.round((total - topics * 3 * COUNTER_METRICS.length) / PARTITIONS_PER_GROUP));
  const samples = Math.round((hours * 3600) / SCRAPE_S);
  const series: BenchSeries[] = [];
  const add = (metric: string, labels: Record<string, string>, counter: boolean): void => {
    const index = series.length;
    series.push({ metric, labels, counter, index, offsetS: hash2(index, 1) % SCRAPE_S });
  };
  const topicName = (t: number): string => `topic-${pad(t, 4)}`;
  for (const metric of COUNTER_METRICS) {
    for (let t = 0; t < topics; t++) {
      for (let r = 0; r < 3; r++) add(metric, { cluster: CLUSTER, topic: topicName(t), broker: String((t + r) % BROKERS) }, true);
    }
  }
  for (let g = 0; g < groups; g++) {
    const topic = topicName((g * 7) % topics);
    for (let p = 0; p < PARTITIONS_PER_GROUP; p++) add(LAG_METRIC, { cluster: CLUSTER, group: `group-${pad(g, 4)}`, topic, partition: String(p) }, false);
  }
  return { series, topics, groups, samples, startMs: endMs - samples * SCRAPE_S * 1000, endMs };
}

/** Time (ms) of sample `k` of `s`. */
export function sampleTime(set: DataSet, s: BenchSeries, k: number): number {
  return set.startMs + (s.offsetS + k * SCRAPE_S) * 1000;
}

/**
 * The values of `s`, sample by sample. Counters grow by a per-series rate that swings with a
 * period of 1–3 h and jitters ±10% per scrape; 1 in 53 resets to zero at 60% of the span. Lag
 * swings around a per-group level with a per-partition share, with spikes now and then.
 */
export function seriesValues(s: BenchSeries, samples: number): Float64Array {
  const out = new Float64Array(samples);
  const i = s.index;
  const period = 240 * (1 + (hash2(i, 2) % 3));
  const phase = unit(i, 3) * 2 * Math.PI;
  if (s.counter) {
    const base = 50 * 2 ** (hash2(i, 4) % 14) * (1 + unit(i, 5));
    const resetAt = i % 53 === 7 ? Math.floor(samples * 0.6) : -1;
    let v = Math.round(unit(i, 6) * 1e9);
    for (let k = 0; k < samples; k++) {
      if (k === resetAt) v = 0;
      const rate = base * (1 + 0.4 * Math.sin((2 * Math.PI * k) / period + phase)) * (0.9 + 0.2 * unit(i, 1000 + k));
      v += Math.round(rate * SCRAPE_S);
      out[k] = v;
    }
    return out;
  }
  const level = 10 * 2 ** (hash2(Math.floor(i / PARTITIONS_PER_GROUP), 7) % 16);
  const share = 0.5 + unit(i, 8);
  for (let k = 0; k < samples; k++) {
    const swing = 1 + 0.8 * Math.sin((2 * Math.PI * k) / period + phase);
    const spike = unit(i, 2000 + Math.floor(k / 40)) < 0.02 ? 20 : 1;
    out[k] = Math.round(level * share * swing * spike * (0.8 + 0.4 * unit(i, 3000 + k)));
  }
  return out;
}

/** A series' labels in OpenMetrics/Prometheus text form: `{cluster="…",topic="…"}` (values need no escaping here). */
export function labelText(labels: Readonly<Record<string, string>>): string {
  return `{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`;
}
