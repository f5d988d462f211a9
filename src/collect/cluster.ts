/**
 * The cluster collector: what the controller knows (Metadata, DescribeCluster, topic
 * min.insync.replicas) turned into health series, plus the brokers' exporter series stored as
 * they are. Broker up/down and leader moves seen between cycles become events.
 *
 * Derived series (all with `cluster`):
 * - `sluice_cluster_up`: 1 when some broker answered a Metadata request this cycle, else 0
 * - `sluice_cluster_brokers_alive`: brokers in metadata that answered this cycle (0: unreachable)
 * - `sluice_cluster_broker_up{broker}`: 1 or 0 for every known broker (see brokers.ts: known from
 *   durable state across restarts, forgotten only once drained and removed), written also while
 *   the cluster does not answer
 * - `sluice_cluster_controller_id`: the active controller's id (-1: none)
 * - `sluice_cluster_topics`, `sluice_cluster_partitions`: counts, internal topics included
 * - `sluice_cluster_offline_partitions`: partitions without a leader
 * - `sluice_cluster_under_replicated_partitions`: led partitions with ISR smaller than replicas
 * - `sluice_cluster_under_min_isr_partitions`: led partitions with ISR below min.insync.replicas
 * - `sluice_cluster_preferred_leader_imbalance`: led partitions not led by their first replica
 * - `sluice_cluster_broker_leaders{broker}`, `sluice_cluster_broker_replicas{broker}`
 * - `sluice_topic_partitions{topic}`, `sluice_topic_under_replicated_partitions{topic}`,
 *   `sluice_topic_offline_partitions{topic}`
 * Exporter series keep their names and labels, with `cluster` and `broker` added; node_exporter
 * series (node_*) are left to the host collector.
 */
import type { KafkaAdmin, PartitionInfo } from '../kafka/admin.ts';
import type { Sample } from '../store/types.ts';
import type { StoreEvent } from '../store/events.ts';
import type { ClusterConfig } from './config.ts';
import { ScrapeCache, scrapeBrokers } from './exporter.ts';
import { brokerLiveness, memoryKnownBrokers, type ClusterView } from './brokers.ts';
import { SHARED_READ_MS, type CollectContext, type CollectIssue, type CollectResult, type Collector, type KnownBrokerStore } from './types.ts';

const MIN_ISR = 'min.insync.replicas';

/** Counts of one cycle's metadata, per the list in the file comment. */
export interface PartitionHealth {
  readonly partitions: number;
  readonly offline: number;
  readonly underReplicated: number;
  readonly underMinIsr: number;
  readonly preferredImbalance: number;
  readonly leadersByBroker: Map<number, number>;
  readonly replicasByBroker: Map<number, number>;
}

/** Counts partition health; `minIsr` gives each topic's min.insync.replicas (default 1). */
export function partitionHealth(partitions: Iterable<PartitionInfo>, minIsr: (topic: string) => number): PartitionHealth {
  const h = { partitions: 0, offline: 0, underReplicated: 0, underMinIsr: 0, preferredImbalance: 0, leadersByBroker: new Map<number, number>(), replicasByBroker: new Map<number, number>() };
  for (const p of partitions) {
    h.partitions++;
    for (const r of p.replicas) h.replicasByBroker.set(r, (h.replicasByBroker.get(r) ?? 0) + 1);
    if (p.leader < 0) {
      h.offline++;
      continue;
    }
    h.leadersByBroker.set(p.leader, (h.leadersByBroker.get(p.leader) ?? 0) + 1);
    if (p.isr.length < p.replicas.length) h.underReplicated++;
    if (p.isr.length < minIsr(p.topic)) h.underMinIsr++;
    if (p.replicas.length > 0 && p.leader !== p.replicas[0]) h.preferredImbalance++;
  }
  return h;
}

/** Whether a cluster answered its collector's last cycle, and since when it has not. */
export interface ClusterReachability {
  /** Undefined before the first cycle. */
  readonly reachable: boolean | undefined;
  /** When the cycles began to find the cluster unreachable (ms), while they do. */
  readonly unreachableSinceMs?: number;
  /** Why the last cycle could not read the cluster. */
  readonly error?: string;
}

/** Every broker id in the replica lists of `topics`. */
function replicaIds(topics: Iterable<{ readonly partitions: readonly PartitionInfo[] }>): Set<number> {
  const ids = new Set<number>();
  for (const t of topics) for (const p of t.partitions) for (const r of p.replicas) ids.add(r);
  return ids;
}

/** The cluster collector of one cluster. */
export class ClusterCollector implements Collector {
  readonly name = 'cluster';
  readonly cluster: string;
  readonly intervalMs: number;
  /** Known brokers and when the cluster last claimed each; refreshed from `known` every cycle. */
  private knownBrokers = new Map<number, number>();
  /** Claims not stored yet (the store failed): kept until a cycle stores them. */
  private readonly unsaved = new Set<number>();
  private upBefore: Set<number> | null = null;
  private leadersBefore: Map<string, number> | null = null;
  private state: ClusterReachability = { reachable: undefined };

  private readonly scrapes: ScrapeCache;
  private readonly known: KnownBrokerStore;

  /**
   * `scrapes`: exporter scrapes shared with the cluster's other collectors (default: its own);
   * `known`: where known brokers survive restarts (default: this collector's memory).
   */
  constructor(private readonly config: ClusterConfig, private readonly admin: KafkaAdmin, scrapes?: ScrapeCache, known?: KnownBrokerStore) {
    this.cluster = config.name;
    this.scrapes = scrapes ?? new ScrapeCache(0);
    this.known = known ?? memoryKnownBrokers();
    this.intervalMs = config.intervals.cluster * 1000;
  }

  /** Whether the last cycle reached the cluster (what /readyz reports). */
  get reachability(): ClusterReachability {
    return this.state;
  }

  async collect({ nowMs }: CollectContext): Promise<CollectResult> {
    const cluster = this.cluster;
    const samples: Sample[] = [];
    const errors: CollectIssue[] = [];
    const events: StoreEvent[] = [];
    const add = (metric: string, value: number, labels: Record<string, string> = {}): void => {
      samples.push({ metric, labels: { cluster, ...labels }, ts: nowMs, value });
    };
    const exporter = scrapeBrokers(this.config.metrics, this.config.timeouts.scrapeMs, { cache: this.scrapes, consumer: this });

    const stored = this.loadKnown(errors);
    let meta;
    let unreachable: string | undefined;
    try {
      meta = await this.admin.metadata({ consumer: this, maxAgeMs: SHARED_READ_MS });
    } catch (err) {
      unreachable = (err as Error).message;
      errors.push({ op: 'metadata', message: unreachable });
    }
    await stored;
    this.state = meta ? { reachable: true } : { reachable: false, unreachableSinceMs: this.state.unreachableSinceMs ?? nowMs, error: unreachable ?? 'no metadata' };
    add('sluice_cluster_up', meta ? 1 : 0);
    if (!meta) {
      // No broker answered: every broker known reads as down, so that their alerts fire.
      const decided = brokerLiveness(this.knownBrokers, null, nowMs, this.config.forgetRemovedBrokersAfter * 1000);
      add('sluice_cluster_brokers_alive', 0);
      for (const b of decided.brokers) add('sluice_cluster_broker_up', 0, { broker: String(b.id) });
      this.brokerEvents(new Set(), nowMs, events);
    }
    if (meta) {
      const [probe, configs] = await Promise.all([
        this.admin.probeBrokers(),
        this.admin.describeTopicConfigs([...meta.topics.keys()], [MIN_ISR]),
      ]);
      errors.push(...configs.errors);
      const up = new Set<number>();
      for (const b of meta.brokers) {
        const failure = probe.get(b.id);
        if (failure === null) up.add(b.id);
        else errors.push({ op: 'probe', subject: `broker ${b.id}`, message: failure ?? 'not probed' });
      }
      const view: ClusterView = { listed: meta.brokers.map((b) => b.id), replicas: replicaIds(meta.topics.values()), answered: up };
      const decided = brokerLiveness(this.knownBrokers, view, nowMs, this.config.forgetRemovedBrokersAfter * 1000);
      await this.saveKnown(decided.known, decided.claimed, decided.forgotten, nowMs, errors);
      add('sluice_cluster_brokers_alive', up.size);
      for (const b of decided.brokers) add('sluice_cluster_broker_up', b.up ? 1 : 0, { broker: String(b.id) });
      add('sluice_cluster_controller_id', meta.controller);
      this.brokerEvents(up, nowMs, events);

      const minIsr = (topic: string): number => Number(configs.value.get(topic)?.[MIN_ISR] ?? 1);
      const all = [...meta.topics.values()].flatMap((t) => t.partitions);
      const h = partitionHealth(all, minIsr);
      add('sluice_cluster_topics', meta.topics.size);
      add('sluice_cluster_partitions', h.partitions);
      add('sluice_cluster_offline_partitions', h.offline);
      add('sluice_cluster_under_replicated_partitions', h.underReplicated);
      add('sluice_cluster_under_min_isr_partitions', h.underMinIsr);
      add('sluice_cluster_preferred_leader_imbalance', h.preferredImbalance);
      for (const { id } of decided.brokers) {
        add('sluice_cluster_broker_leaders', h.leadersByBroker.get(id) ?? 0, { broker: String(id) });
        add('sluice_cluster_broker_replicas', h.replicasByBroker.get(id) ?? 0, { broker: String(id) });
      }
      for (const [topic, t] of meta.topics) {
        let underReplicated = 0;
        let offline = 0;
        for (const p of t.partitions) {
          if (p.leader < 0) offline++;
          else if (p.isr.length < p.replicas.length) underReplicated++;
        }
        samples.push(
          { metric: 'sluice_topic_partitions', labels: { cluster, topic }, ts: nowMs, value: t.partitions.length },
          { metric: 'sluice_topic_under_replicated_partitions', labels: { cluster, topic }, ts: nowMs, value: underReplicated },
          { metric: 'sluice_topic_offline_partitions', labels: { cluster, topic }, ts: nowMs, value: offline },
        );
      }
      this.leaderEvents(all, nowMs, events);
    }

    const scraped = await exporter;
    errors.push(...scraped.errors);
    for (const s of scraped.scrapes) {
      for (const x of s.samples) {
        if (x.name.startsWith('node_') || !Number.isFinite(x.value)) continue;
        samples.push({ metric: x.name, labels: { ...x.labels, cluster, broker: s.broker }, ts: nowMs, value: x.value });
      }
    }
    return { samples, errors, events };
  }

  /**
   * Replaces the known brokers with the stored ones (an operator may have forgotten some), plus
   * claims not stored yet; on failure keeps what this process knows and reports the error.
   */
  private async loadKnown(errors: CollectIssue[]): Promise<void> {
    try {
      const rows = await this.known.list(this.cluster);
      const next = new Map(rows.map((r) => [r.id, r.lastClaimedMs]));
      for (const id of this.unsaved) next.set(id, Math.max(next.get(id) ?? 0, this.knownBrokers.get(id) ?? 0));
      this.knownBrokers = next;
    } catch (err) {
      errors.push({ op: 'knownBrokers', message: `known brokers not read: ${(err as Error).message}` });
    }
  }

  /** Stores this cycle's claims and forgets; what fails is retried next cycle. */
  private async saveKnown(known: ReadonlyMap<number, number>, claimed: readonly number[], forgotten: readonly number[], nowMs: number, errors: CollectIssue[]): Promise<void> {
    this.knownBrokers = new Map(known);
    for (const id of forgotten) this.unsaved.delete(id);
    try {
      await this.known.claim(this.cluster, claimed, nowMs);
      this.unsaved.clear();
      if (forgotten.length > 0) await this.known.forget(this.cluster, forgotten);
    } catch (err) {
      for (const id of claimed) this.unsaved.add(id);
      errors.push({ op: 'knownBrokers', message: `known brokers not stored: ${(err as Error).message}` });
    }
  }

  private brokerEvents(up: Set<number>, ts: number, events: StoreEvent[]): void {
    const before = this.upBefore;
    this.upBefore = up;
    if (before === null) return;
    for (const id of before) if (!up.has(id)) events.push({ ts, cluster: this.cluster, kind: 'broker_down', subject: `broker ${id}`, details: { broker: id } });
    for (const id of up) if (!before.has(id)) events.push({ ts, cluster: this.cluster, kind: 'broker_up', subject: `broker ${id}`, details: { broker: id } });
  }

  private leaderEvents(partitions: readonly PartitionInfo[], ts: number, events: StoreEvent[]): void {
    const before = this.leadersBefore;
    const now = new Map<string, number>();
    for (const p of partitions) {
      const key = `${p.topic}-${p.partition}`;
      now.set(key, p.leader);
      const was = before?.get(key);
      if (was !== undefined && was !== p.leader) {
        events.push({ ts, cluster: this.cluster, kind: 'leader_change', subject: key, details: { topic: p.topic, partition: p.partition, from: was, to: p.leader } });
      }
    }
    this.leadersBefore = now;
  }
}
