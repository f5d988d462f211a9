/**
 * Builds the planner's cluster model from the store through a `Querier`: the series the
 * collectors already record, reduced by load.ts.
 *
 * - `kafka_partition_latest_offset` / `kafka_partition_earliest_offset` `{topic, partition}`
 * - `kafka_log_log_size` `{broker, topic, partition}` (the brokers' exporters): partition size,
 *   and where replicas live (a broker with a fresh sample holds a replica)
 * - `kafka_consumergroup_group_lag` `{group, topic, partition}`: committed offset = log end
 *   offset − lag at the same collection time
 * - `sluice_cluster_broker_up` `{broker}`: brokers up at the end of the window, replicas or not
 *
 * The store records no leader per partition: pass `placement` (e.g. from the cluster's Metadata)
 * for exact leaders, replica order and ISR; without it the leader is taken to be the lowest broker
 * id holding a replica.
 */
import type { Matcher, Querier, SeriesData } from '../store/types.ts';
import { partitionLoad, type PartitionEvidence, type Series } from './load.ts';
import type { BrokerSpec, ClusterModel, PartitionModel } from './model.ts';

/** Where a partition's replicas are, as Metadata says. */
export interface PartitionPlacement {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly number[];
  readonly leader: number;
  readonly isr?: readonly number[];
}

/** What to read. */
export interface ReadModelOptions {
  readonly cluster: string;
  /** End of the window, ms. */
  readonly to: number;
  readonly windowMs: number;
  readonly stepMs: number;
  readonly statistic: string;
  readonly placement?: readonly PartitionPlacement[];
  readonly brokers?: readonly BrokerSpec[];
}

const key = (topic: string, partition: string | number): string => `${topic}\u0000${partition}`;

/** Series by `topic`/`partition` key. */
function byPartition(series: readonly SeriesData[]): Map<string, SeriesData[]> {
  const out = new Map<string, SeriesData[]>();
  for (const s of series) {
    const t = s.labels['topic'];
    const p = s.labels['partition'];
    if (t === undefined || p === undefined) continue;
    const k = key(t, p);
    const list = out.get(k) ?? [];
    list.push(s);
    out.set(k, list);
  }
  return out;
}

/** `end − lag` at the times both were recorded. */
function committedOf(end: Series, lag: SeriesData): Series {
  const endAt = new Map<number, number>();
  for (let i = 0; i < end.ts.length; i++) endAt.set(end.ts[i]!, end.values[i]!);
  const ts: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < lag.ts.length; i++) {
    const e = endAt.get(lag.ts[i]!);
    if (e !== undefined) { ts.push(lag.ts[i]!); values.push(e - lag.values[i]!); }
  }
  return { ts, values };
}

/** Reads the model of `cluster` over the window ending at `to`. */
export async function readClusterModel(q: Querier, opts: ReadModelOptions): Promise<ClusterModel> {
  const from = opts.to - opts.windowMs;
  const sel = (name: string): Matcher[] => [{ name: '__name__', type: '=', value: name }, { name: 'cluster', type: '=', value: opts.cluster }];
  const [ends, starts, sizes, lags, up] = await Promise.all([
    q.select(sel('kafka_partition_latest_offset'), from, opts.to),
    q.select(sel('kafka_partition_earliest_offset'), from, opts.to),
    q.select(sel('kafka_log_log_size'), from, opts.to),
    q.select(sel('kafka_consumergroup_group_lag'), from, opts.to),
    opts.brokers === undefined ? q.select(sel('sluice_cluster_broker_up'), from, opts.to) : Promise.resolve([]),
  ]);
  const endBy = byPartition(ends);
  const startBy = byPartition(starts);
  const sizeBy = byPartition(sizes);
  const lagBy = byPartition(lags);
  const fresh = opts.to - 3 * opts.stepMs;
  const placements = new Map<string, PartitionPlacement>();
  if (opts.placement !== undefined) {
    for (const p of opts.placement) placements.set(key(p.topic, p.partition), p);
  } else {
    for (const [k, list] of sizeBy) {
      const replicas = list.filter((s) => s.ts.length > 0 && s.ts[s.ts.length - 1]! >= fresh).map((s) => Number(s.labels['broker'])).filter((b) => Number.isInteger(b)).sort((a, b) => a - b);
      const [topic, partition] = k.split('\u0000') as [string, string];
      if (replicas.length > 0) placements.set(k, { topic, partition: Number(partition), replicas, leader: replicas[0]! });
    }
  }
  const partitions: PartitionModel[] = [];
  const brokerIds = new Set<number>();
  for (const [k, place] of [...placements].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const end = endBy.get(k)?.[0];
    // The largest replica's log stands for the partition (the leader is never behind).
    const size = (sizeBy.get(k) ?? []).reduce<SeriesData | undefined>((a, s) => (a === undefined || s.values[s.values.length - 1]! > a.values[a.values.length - 1]! ? s : a), undefined);
    const evidence: PartitionEvidence = {
      topic: place.topic, partition: place.partition,
      ...(end === undefined ? {} : { endOffsets: end }),
      ...(startBy.get(k)?.[0] === undefined ? {} : { startOffsets: startBy.get(k)![0]! }),
      ...(size === undefined ? {} : { logSize: size }),
      ...(end === undefined ? {} : { committed: (lagBy.get(k) ?? []).map((l) => ({ group: l.labels['group'] ?? '', offsets: committedOf(end, l) })) }),
    };
    const load = partitionLoad(evidence, { statistic: opts.statistic, from, to: opts.to, stepMs: opts.stepMs });
    for (const b of place.replicas) brokerIds.add(b);
    partitions.push({ topic: place.topic, partition: place.partition, replicas: place.replicas, leader: place.leader, ...(place.isr === undefined ? {} : { isr: place.isr }), bytesIn: load.bytesIn, bytesOut: load.bytesOut, diskBytes: load.diskBytes });
  }
  // Brokers up at the end of the window count too: an empty broker is where load can go.
  for (const s of up) {
    const id = Number(s.labels['broker']);
    if (Number.isInteger(id) && s.values.length > 0 && s.values[s.values.length - 1] === 1 && s.ts[s.ts.length - 1]! >= fresh) brokerIds.add(id);
  }
  const brokers = opts.brokers ?? [...brokerIds].sort((a, b) => a - b).map((id) => ({ id, rack: null }));
  return { brokers, partitions };
}
