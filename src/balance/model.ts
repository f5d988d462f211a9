/**
 * What the balancing planner plans on: brokers (with rack and resource group), and partitions with
 * their placement and their measured load (peak bytes in, bytes out, disk). A broker's load is
 * derived from it as Kafka spends it:
 *
 * - network in: every replica takes in the partition's produced bytes (the leader from producers,
 *   each follower by replication);
 * - network out: the leader serves the consumers and every follower: bytesOut + bytesIn × (RF − 1);
 * - disk: every replica holds the partition's size;
 * - leaders and replicas: counts.
 */

/** One broker as the planner sees it. */
export interface BrokerSpec {
  readonly id: number;
  /** Rack (`broker.rack`), null when unknown. Rack awareness applies when every broker has one. */
  readonly rack: string | null;
}

/** One partition: where it lives and what it costs. */
export interface PartitionModel {
  readonly topic: string;
  readonly partition: number;
  /** Replica broker ids in assignment order; the first is the preferred leader. */
  readonly replicas: readonly number[];
  /** The current leader (one of `replicas`). */
  readonly leader: number;
  /** In-sync replicas, when known; a partition whose ISR is short is never moved. */
  readonly isr?: readonly number[];
  /** Peak bytes/s appended (what each replica takes in). */
  readonly bytesIn: number;
  /** Peak bytes/s fetched by consumer groups (served by the leader). */
  readonly bytesOut: number;
  /** Bytes on disk per replica. */
  readonly diskBytes: number;
}

/** The cluster the planner plans on. */
export interface ClusterModel {
  readonly brokers: readonly BrokerSpec[];
  readonly partitions: readonly PartitionModel[];
}

/** The resources the planner balances, in goal priority order. */
export const RESOURCES = ['bytesIn', 'bytesOut', 'disk', 'leaders', 'replicas'] as const;
/** One resource of a broker. */
export type Resource = (typeof RESOURCES)[number];

/** How each resource reads in an explanation. */
export const RESOURCE_NAMES: Readonly<Record<Resource, string>> = {
  bytesIn: 'bytes in',
  bytesOut: 'bytes out',
  disk: 'disk',
  leaders: 'leaders',
  replicas: 'replicas',
};

/** A broker's load on every resource. */
export type BrokerLoad = Record<Resource, number>;

/** Network out a partition's leader carries: consumers plus one copy for each follower. */
export function leaderBytesOut(p: PartitionModel): number {
  return p.bytesOut + p.bytesIn * (p.replicas.length - 1);
}

/** Every broker's load under the model's placement (brokers the model lists, in its order). */
export function brokerLoads(model: ClusterModel): Map<number, BrokerLoad> {
  const out = new Map<number, BrokerLoad>();
  for (const b of model.brokers) out.set(b.id, { bytesIn: 0, bytesOut: 0, disk: 0, leaders: 0, replicas: 0 });
  for (const p of model.partitions) {
    for (const r of p.replicas) {
      const l = out.get(r);
      if (l === undefined) continue;
      l.bytesIn += p.bytesIn;
      l.disk += p.diskBytes;
      l.replicas += 1;
    }
    const leader = out.get(p.leader);
    if (leader !== undefined) {
      leader.bytesOut += leaderBytesOut(p);
      leader.leaders += 1;
    }
  }
  return out;
}
