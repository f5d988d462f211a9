import type { Logger } from 'pino';
import pino from 'pino';
import { TopicStore, assignReplicas, type Topic, type Partition } from './topics.ts';
import { ClientQuotaStore } from './quotas.ts';
import { GroupCoordinator } from './groups.ts';
import { BrokerNode, type Handler } from './node.ts';
import { replicatePartition, shrinkIsr } from './replication.ts';
import { electLeader, electPreferred, progressReassignment } from './elections.ts';
import { offsetsPartitionFor, OffsetsLog } from './offsets-log.ts';
import type { BrokerCapacity, BrokerOptions } from './options.ts';

/** The internal topic holding committed offsets, in Kafka's record format. */
export const OFFSETS_TOPIC = '__consumer_offsets';
/** offsets.topic.num.partitions */
export const OFFSETS_TOPIC_PARTITIONS = 50;
const RETENTION_CHECK_MS = 1000;
const REPLICATION_TICK_MS = 100;

/** Cluster options with every default applied. */
export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly brokers: number;
  readonly firstNodeId: number;
  readonly metricsPort: number | null;
  readonly clusterId: string;
  readonly autoCreateTopics: boolean;
  readonly defaultPartitions: number;
  readonly defaultReplicationFactor: number;
  readonly replicaLagTimeMaxMs: number;
  readonly autoLeaderRebalance: boolean;
  readonly leaderImbalanceCheckIntervalMs: number;
  readonly leaderImbalancePerBrokerPercentage: number;
  readonly capacity: Required<BrokerCapacity>;
  readonly saslUsers: ReadonlyMap<string, string> | null;
  readonly maxFrameBytes: number;
  readonly groupInitialRebalanceDelayMs: number;
}

/** Generous defaults: the capacity model only bites when an operator or a test sets it. */
export const DEFAULT_CAPACITY: Required<BrokerCapacity> = {
  networkInBytesPerSec: 1024 * 1024 * 1024,
  networkOutBytesPerSec: 1024 * 1024 * 1024,
  requestHandlers: 8,
  logDirBytes: 64 * 1024 * 1024 * 1024,
};

/** Applies defaults to broker options. */
export function resolveOptions(o: BrokerOptions): ResolvedOptions {
  const brokers = o.brokers ?? 1;
  return {
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 9092,
    brokers,
    firstNodeId: brokers === 1 ? (o.nodeId ?? 0) : 0,
    metricsPort: o.metricsPort ?? null,
    clusterId: o.clusterId ?? 'sluice-bundled-cluster',
    autoCreateTopics: o.autoCreateTopics ?? false,
    defaultPartitions: o.defaultPartitions ?? 1,
    defaultReplicationFactor: Math.min(o.defaultReplicationFactor ?? 3, brokers),
    replicaLagTimeMaxMs: o.replicaLagTimeMaxMs ?? 30_000,
    autoLeaderRebalance: o.autoLeaderRebalance ?? true,
    leaderImbalanceCheckIntervalMs: o.leaderImbalanceCheckIntervalMs ?? 300_000,
    leaderImbalancePerBrokerPercentage: o.leaderImbalancePerBrokerPercentage ?? 10,
    capacity: { ...DEFAULT_CAPACITY, ...o.capacity },
    saslUsers: o.saslUsers ? new Map(Object.entries(o.saslUsers)) : null,
    maxFrameBytes: o.maxFrameBytes ?? 100 * 1024 * 1024,
    groupInitialRebalanceDelayMs: o.groupInitialRebalanceDelayMs ?? 0,
  };
}

/**
 * The bundled cluster: brokers in one process sharing the controller's view (topics, replica
 * assignments, leaders, ISR), the client quota configuration and the group coordinator. Each
 * broker keeps its own replica logs and serves its own listener; a stopped broker serves nothing
 * and its leaderships move as Kafka's controller would move them.
 */
export class Cluster {
  readonly options: ResolvedOptions;
  readonly logger: Logger;
  readonly topics = new TopicStore();
  readonly quotas = new ClientQuotaStore();
  readonly groups: GroupCoordinator;
  readonly nodes: BrokerNode[] = [];
  readonly offsets: OffsetsLog;
  /** Partitions with replication work queued for the next tick. */
  private dirty = new Set<Partition>();
  private replicationScheduled = false;
  private timers: NodeJS.Timeout[] = [];
  /** Counters the metrics endpoint reads. */
  readonly stats = { uncleanElections: 0 };

  constructor(options: BrokerOptions, handlers: readonly Handler[]) {
    this.options = resolveOptions(options);
    this.logger = options.logger ?? pino({ level: 'silent' });
    for (let i = 0; i < this.options.brokers; i++) {
      this.nodes[this.options.firstNodeId + i] = new BrokerNode(this, this.options.firstNodeId + i, handlers);
    }
    this.topics.defaults.set('min.insync.replicas', String(options.minInsyncReplicas ?? 1));
    this.topics.defaults.set('unclean.leader.election.enable', String(options.uncleanLeaderElection ?? false));
    this.offsets = new OffsetsLog(this);
    this.groups = new GroupCoordinator({
      nodeId: this.options.firstNodeId,
      initialRebalanceDelayMs: this.options.groupInitialRebalanceDelayMs,
      partitionExists: (topic, partition) => this.topics.partition(topic, partition) !== undefined,
      onOffsetCommit: (c) => this.offsets.commit(c),
      onOffsetDelete: (c) => this.offsets.tombstone(c.groupId, c.topic, c.partition),
    });
    for (const t of options.topics ?? []) {
      this.createTopic(t.name, t.partitions, t.replicationFactor ?? this.options.defaultReplicationFactor, Object.entries(t.configs ?? {}));
    }
  }

  /** Live brokers in id order. */
  liveNodes(): BrokerNode[] {
    return this.nodes.filter((n) => n?.alive);
  }

  /** The active controller: the live broker with the lowest id, or -1. */
  get controllerId(): number {
    return this.liveNodes()[0]?.nodeId ?? -1;
  }

  /** Starts background work: replication, ISR checks, retention, leader rebalance. */
  startTimers(): void {
    const every = (ms: number, fn: () => void): void => {
      const t = setInterval(fn, ms);
      t.unref();
      this.timers.push(t);
    };
    every(REPLICATION_TICK_MS, () => this.replicationTick(true));
    every(RETENTION_CHECK_MS, () => this.applyRetention(Date.now()));
    if (this.options.autoLeaderRebalance) every(this.options.leaderImbalanceCheckIntervalMs, () => this.rebalanceLeaders());
  }

  /** Stops timers and wakes every waiter. */
  stopTimers(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.groups.stop();
    for (const t of this.topics.all()) for (const p of t.partitions) p.wakeAll();
  }

  /** Ids of every broker of the cluster, live or not. */
  private brokerIds(): number[] {
    return this.nodes.filter((n) => n !== undefined).map((n) => n.nodeId);
  }

  /** Creates a topic spread over the cluster's brokers (or with an explicit assignment). */
  createTopic(name: string, partitions: number, replicationFactor: number, configs: Iterable<[string, string]> = [], assignment?: number[][], internal = false): Topic {
    const brokers = this.brokerIds();
    const plan = assignment ?? assignReplicas(brokers, partitions, replicationFactor, this.topics.size % brokers.length);
    const topic = this.topics.create(name, plan, configs, internal);
    for (const p of topic.partitions) this.fixLeadership(p);
    return topic;
  }

  /** Grows a topic to `count` partitions. */
  addPartitions(topic: Topic, count: number, assignment?: number[][]): void {
    const brokers = this.brokerIds();
    const rf = topic.partitions[0]?.replicas.length ?? 1;
    const plan = assignment ?? assignReplicas(brokers, count - topic.partitions.length, rf, 0, topic.partitions.length);
    const first = topic.partitions.length;
    this.topics.addPartitions(topic, plan);
    for (const p of topic.partitions.slice(first)) this.fixLeadership(p);
  }

  /** After creation: a partition whose preferred leader is down gets another live leader. */
  private fixLeadership(p: Partition): void {
    const dead = p.replicas.filter((b) => !this.nodes[b]?.alive);
    if (dead.length === 0) return;
    p.isr = p.isr.filter((b) => !dead.includes(b));
    if (p.isr.length === 0) {
      p.isr = [p.replicas[0]!];
      p.leader = -1;
      return;
    }
    if (!p.isr.includes(p.leader)) electLeader(this, p, 'creation');
  }

  /** The offsets topic, created on first use with RF min(3, brokers). */
  offsetsTopic(): Topic {
    return this.topics.get(OFFSETS_TOPIC) ??
      this.createTopic(OFFSETS_TOPIC, OFFSETS_TOPIC_PARTITIONS, Math.min(3, this.options.brokers), [['cleanup.policy', 'compact']], undefined, true);
  }

  /** The broker coordinating a group: leader of its offsets partition (Kafka's rule). */
  coordinatorFor(groupId: string): BrokerNode | undefined {
    const p = this.offsetsTopic().partitions[offsetsPartitionFor(groupId)]!;
    return p.leader >= 0 ? this.nodes[p.leader] : undefined;
  }

  /** Queues replication of a partition (after a leader append). */
  scheduleReplication(p: Partition): void {
    if (p.replicas.length === 1 && p.adding.length === 0) {
      p.updateHighWatermark();
      return;
    }
    this.dirty.add(p);
    if (!this.replicationScheduled) {
      this.replicationScheduled = true;
      setImmediate(() => this.replicationTick(false));
    }
  }

  /** Replicates queued partitions; the periodic tick also sweeps all of them and checks the ISR. */
  replicationTick(full: boolean): void {
    this.replicationScheduled = false;
    const now = Date.now();
    const work = full ? this.allPartitions() : this.dirty;
    const again = new Set<Partition>();
    for (const p of work) {
      if (p.replicas.length === 1 && p.adding.length === 0) continue;
      if (replicatePartition(this, p, now)) again.add(p);
      if (full) {
        shrinkIsr(this, p, now, this.options.replicaLagTimeMaxMs);
        if (p.adding.length > 0 || p.removing.length > 0) progressReassignment(this, p);
      }
    }
    this.dirty = again;
    if (again.size > 0 && !this.replicationScheduled) {
      this.replicationScheduled = true;
      setTimeout(() => this.replicationTick(false), 5).unref();
    }
  }

  /** Every partition of every topic. */
  *allPartitions(): Generator<Partition> {
    for (const t of this.topics.all()) yield* t.partitions;
  }

  /** Bytes a follower may copy now under replication throttles (Infinity when unthrottled). */
  replicationBudget(p: Partition, follower: number, leader: number): number {
    return Math.min(this.nodes[follower]!.throttleBudget('follower', p, follower), this.nodes[leader]!.throttleBudget('leader', p, leader));
  }

  /** Charges copied bytes to the throttles and the capacity model of both brokers. */
  chargeReplication(p: Partition, follower: number, leader: number, bytes: number): void {
    this.nodes[follower]!.chargeThrottle('follower', p, follower, bytes);
    this.nodes[leader]!.chargeThrottle('leader', p, leader, bytes);
    this.nodes[follower]!.recordReplication('in', bytes);
    this.nodes[leader]!.recordReplication('out', bytes);
  }

  /** Logs ISR changes and counts them for the exporter metrics. */
  onIsrChange(p: Partition, kind: 'shrink' | 'expand', broker: number): void {
    const leader = this.nodes[p.leader];
    if (leader) leader.stats[kind === 'shrink' ? 'isrShrinks' : 'isrExpands']++;
    this.logger.info({ topic: p.topic, partition: p.index, broker, isr: p.isr }, kind === 'shrink' ? 'ISR shrunk' : 'ISR expanded');
  }

  /** Stops a broker: closes its listener, moves its leaderships, shrinks ISRs. */
  async stopBroker(id: number): Promise<void> {
    const node = this.nodes[id];
    if (!node || !node.alive) return;
    node.alive = false;
    await node.server?.close();
    for (const p of this.allPartitions()) {
      if (!p.replicas.includes(id) && !p.adding.includes(id)) continue;
      if (p.isr.includes(id) && p.isr.length > 1) {
        p.isr = p.isr.filter((b) => b !== id);
        this.onIsrChange(p, 'shrink', id);
      }
      if (p.leader === id) electLeader(this, p, 'broker stopped');
      else p.updateHighWatermark();
    }
    this.logger.warn({ broker: id, controller: this.controllerId }, 'broker stopped');
  }

  /** Starts a stopped broker again; with `wipe`, its logs are lost as with a replaced disk. */
  async startBroker(id: number, wipe = false): Promise<void> {
    const node = this.nodes[id];
    if (!node || node.alive) return;
    for (const p of this.allPartitions()) {
      const r = p.copies.get(id);
      if (!r) continue;
      if (wipe) r.wipe();
      r.followingEpoch = -1;
    }
    node.alive = true;
    await node.server?.listen();
    for (const p of this.allPartitions()) {
      if (p.leader < 0 && p.replicas.includes(id) && (p.isr.includes(id) || this.uncleanAllowed(p))) electLeader(this, p, 'broker started');
    }
    this.logger.warn({ broker: id, wiped: wipe }, 'broker started');
  }

  /** unclean.leader.election.enable for the partition's topic. */
  uncleanAllowed(p: Partition): boolean {
    const t = this.topics.get(p.topic);
    return t !== undefined && this.topics.config(t, 'unclean.leader.election.enable') === 'true';
  }

  /** auto.leader.rebalance: moves leadership back to preferred replicas on imbalanced brokers. */
  rebalanceLeaders(): number {
    const preferredOf = new Map<number, Partition[]>();
    for (const p of this.allPartitions()) {
      const list = preferredOf.get(p.preferred) ?? [];
      list.push(p);
      preferredOf.set(p.preferred, list);
    }
    let moved = 0;
    for (const [broker, parts] of preferredOf) {
      if (!this.nodes[broker]?.alive) continue;
      const notLed = parts.filter((p) => p.leader !== broker);
      if (notLed.length === 0 || (notLed.length * 100) / parts.length <= this.options.leaderImbalancePerBrokerPercentage) continue;
      for (const p of notLed) if (electPreferred(this, p) === 0) moved++;
    }
    if (moved > 0) this.logger.info({ moved }, 'preferred leader election (auto rebalance)');
    return moved;
  }

  /** Drops batches past each topic's retention.ms / retention.bytes on every replica. */
  applyRetention(now: number): void {
    for (const t of this.topics.all()) {
      const ms = this.topics.numericConfig(t, 'retention.ms');
      const bytes = this.topics.numericConfig(t, 'retention.bytes');
      if (ms < 0 && bytes < 0) continue;
      for (const p of t.partitions) for (const r of p.copies.values()) r.log.applyRetention(now, ms, bytes);
    }
  }
}
