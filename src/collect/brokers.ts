/**
 * Which brokers of a cluster count, and which of them are up: the cluster collector's decision,
 * kept pure so that restarts, outages and decommissions can be tested without a cluster.
 *
 * A broker is known from the first time the cluster claims it (lists it in its metadata, or
 * assigns it a replica) until it has been unclaimed for `forgetAfterMs`: Apache Kafka lists
 * only live brokers in Metadata, but keeps a stopped broker in the replica lists of the
 * partitions it holds, so a broker that is merely down stays claimed while one that was drained
 * (its partitions reassigned away) and removed is not. Known brokers come from durable state
 * (see `KnownBrokerStore`), so a restart of Sluice forgets none. While the cluster does not
 * answer at all, every known broker reads as down and none is forgotten.
 */
import type { KnownBrokerStore } from './types.ts';

/** What the cluster answered this cycle; null when no broker answered a Metadata request. */
export interface ClusterView {
  /** Brokers the metadata lists (the live ones). */
  readonly listed: readonly number[];
  /** Every broker id in any partition's replica list. */
  readonly replicas: Iterable<number>;
  /** Listed brokers that answered this cycle's probe. */
  readonly answered: ReadonlySet<number>;
}

/** The outcome of one cycle. */
export interface BrokerLiveness {
  /** Every broker that counts, ascending, with whether it is up. */
  readonly brokers: readonly { readonly id: number; readonly up: boolean }[];
  /** Brokers the cluster claimed this cycle (their `lastClaimedMs` becomes now). */
  readonly claimed: readonly number[];
  /** Known brokers unclaimed for longer than `forgetAfterMs`: no longer counted. */
  readonly forgotten: readonly number[];
  /** The brokers known after this cycle, with when each was last claimed. */
  readonly known: ReadonlyMap<number, number>;
}

/**
 * Decides the cycle: `known` maps each known broker to when it was last claimed (ms), `view`
 * is what the cluster answered (null: unreachable).
 */
export function brokerLiveness(known: ReadonlyMap<number, number>, view: ClusterView | null, nowMs: number, forgetAfterMs: number): BrokerLiveness {
  const next = new Map(known);
  if (view === null) {
    const brokers = [...known.keys()].sort((a, b) => a - b).map((id) => ({ id, up: false }));
    return { brokers, claimed: [], forgotten: [], known: next };
  }
  const claimed = new Set<number>([...view.listed, ...view.replicas].filter((id) => Number.isInteger(id) && id >= 0));
  for (const id of claimed) next.set(id, nowMs);
  const forgotten: number[] = [];
  for (const [id, last] of next) {
    if (!claimed.has(id) && nowMs - last > forgetAfterMs) {
      forgotten.push(id);
      next.delete(id);
    }
  }
  const listed = new Set(view.listed);
  const brokers = [...next.keys()].sort((a, b) => a - b).map((id) => ({ id, up: listed.has(id) && view.answered.has(id) }));
  return { brokers, claimed: [...claimed].sort((a, b) => a - b), forgotten: forgotten.sort((a, b) => a - b), known: next };
}

/** A `KnownBrokerStore` in memory: what a collector without a store (tests, benchmarks) uses. */
export function memoryKnownBrokers(): KnownBrokerStore {
  const byCluster = new Map<string, Map<number, number>>();
  const of = (cluster: string): Map<number, number> => {
    let m = byCluster.get(cluster);
    if (m === undefined) byCluster.set(cluster, m = new Map());
    return m;
  };
  return {
    list: async (cluster) => [...of(cluster)].map(([id, lastClaimedMs]) => ({ id, lastClaimedMs })),
    claim: async (cluster, brokers, atMs) => {
      const m = of(cluster);
      for (const id of brokers) m.set(id, Math.max(m.get(id) ?? atMs, atMs));
    },
    forget: async (cluster, brokers) => {
      const m = of(cluster);
      for (const id of brokers) m.delete(id);
    },
  };
}
