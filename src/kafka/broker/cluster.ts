import type { Logger } from 'pino';
import pino from 'pino';
import { TopicStore, assignReplicas, type Topic, type Partition } from './topics.ts';
import { ClientQuotaStore } from './quotas.ts';
import { GroupCoordinator } from './groups.ts';
import { BrokerNode, type Handler, type NodeCluster } from './node.ts';
import { ReplicationScheduler } from './replication.ts';
import { Controller } from './controller.ts';
import { OFFSETS_TOPIC, OFFSETS_TOPIC_PARTITIONS, offsetsPartitionFor, OffsetsLog } from './offsets-log.ts';
import { resolveOptions, type BrokerOptions, type ResolvedOptions } from './options.ts';
import type { Brokers } from './state.ts';

const RETENTION_CHECK_MS = 1000;
const REPLICATION_TICK_MS = 100;

/**
 * The bundled cluster: brokers in one process sharing the controller's view (topics, replica
 * assignments, leaders, ISR), the client quota configuration and the group coordinator. Each
 * broker keeps its own replica logs and serves its own listener; a stopped broker serves nothing
 * and its leaderships move as Kafka's controller would move them.
 *
 * This is where the parts are connected: the controller, the replication scheduler and the
 * offsets log each see the cluster only through their own narrow host interface.
 */
export class Cluster implements NodeCluster {
  readonly options: ResolvedOptions;
  readonly logger: Logger;
  readonly topics = new TopicStore();
  readonly quotas = new ClientQuotaStore();
  readonly groups: GroupCoordinator;
  readonly nodes: BrokerNode[] = [];
  readonly offsets: OffsetsLog;
  readonly controller: Controller;
  readonly replication: ReplicationScheduler;
  private timers: NodeJS.Timeout[] = [];

  constructor(options: BrokerOptions, handlers: readonly Handler[]) {
    this.options = resolveOptions(options);
    this.logger = options.logger ?? pino({ level: 'silent' });
    for (let i = 0; i < this.options.brokers; i++) {
      this.nodes[this.options.firstNodeId + i] = new BrokerNode(this, this.options.firstNodeId + i, handlers);
    }
    this.topics.defaults.set('min.insync.replicas', String(options.minInsyncReplicas ?? 1));
    this.topics.defaults.set('unclean.leader.election.enable', String(options.uncleanLeaderElection ?? false));
    this.controller = new Controller({
      logger: this.logger,
      topics: this.topics,
      brokers: () => this.brokers(),
      partitions: () => this.allPartitions(),
      onLeaderChange: (b) => {
        const node = this.nodes[b];
        if (node) node.stats.leaderChanges++;
      },
      onIsrChange: (p, kind, b) => this.onIsrChange(p, kind, b),
      scheduleReplication: (p) => this.scheduleReplication(p),
    });
    this.replication = new ReplicationScheduler({
      partitions: () => this.allPartitions(),
      isAlive: (b) => this.nodes[b]?.alive === true,
      fetching: (b) => this.nodes[b]?.alive === true && !this.nodes[b]!.replicationCut,
      budget: (p, follower, leader) => this.replicationBudget(p, follower, leader),
      charge: (p, follower, leader, bytes) => this.chargeReplication(p, follower, leader, bytes),
      onIsrExpand: (p, b) => this.onIsrChange(p, 'expand', b),
      sweep: (p, now) => {
        this.controller.shrinkIsr(p, now, this.options.replicaLagTimeMaxMs);
        if (p.adding.length > 0 || p.removing.length > 0) this.controller.progressReassignment(p);
      },
    });
    this.offsets = new OffsetsLog({
      offsetsPartition: (index) => this.offsetsTopic().partitions[index]!,
      scheduleReplication: (p) => this.scheduleReplication(p),
    });
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

  /** Counters the metrics endpoint reads. */
  get stats(): { readonly uncleanElections: number } {
    return this.controller.stats;
  }

  /** Live brokers in id order. */
  liveNodes(): BrokerNode[] {
    return this.nodes.filter((n) => n?.alive);
  }

  /** The active controller: the live broker with the lowest id, or -1. */
  get controllerId(): number {
    return this.liveNodes()[0]?.nodeId ?? -1;
  }

  /** Every broker id and the live ones, as the controller decides on them. */
  brokers(): Brokers {
    const all = new Set<number>();
    const live = new Set<number>();
    for (const n of this.nodes) {
      if (n === undefined) continue;
      all.add(n.nodeId);
      if (n.alive) live.add(n.nodeId);
    }
    return { all, live };
  }

  /** Starts background work: replication, ISR checks, retention, leader rebalance. */
  startTimers(): void {
    const every = (ms: number, fn: () => void): void => {
      const t = setInterval(fn, ms);
      t.unref();
      this.timers.push(t);
    };
    every(REPLICATION_TICK_MS, () => this.replication.tick(true));
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
    for (const p of topic.partitions) this.controller.placeNew(p);
    return topic;
  }

  /** Grows a topic to `count` partitions. */
  addPartitions(topic: Topic, count: number, assignment?: number[][]): void {
    const brokers = this.brokerIds();
    const rf = topic.partitions[0]?.replicas.length ?? 1;
    const plan = assignment ?? assignReplicas(brokers, count - topic.partitions.length, rf, 0, topic.partitions.length);
    const first = topic.partitions.length;
    this.topics.addPartitions(topic, plan);
    for (const p of topic.partitions.slice(first)) this.controller.placeNew(p);
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
    this.replication.schedule(p);
  }

  /** Every partition of every topic. */
  *allPartitions(): Generator<Partition> {
    for (const t of this.topics.all()) yield* t.partitions;
  }

  /**
   * Bytes `follower` may copy of `p` from `leader` now: the smaller of the follower's and the
   * leader's replication quota budgets (KIP-73); a follower in the ISR is never held back.
   */
  private replicationBudget(p: Partition, follower: number, leader: number): number {
    const inSync = p.isr.includes(follower);
    const now = Date.now();
    return Math.min(this.nodes[follower]!.replicationBudget('follower', p, inSync, now), this.nodes[leader]!.replicationBudget('leader', p, inSync, now));
  }

  /** Charges copied bytes to the replication quotas and the capacity model of both brokers. */
  private chargeReplication(p: Partition, follower: number, leader: number, bytes: number): void {
    const inSync = p.isr.includes(follower);
    const now = Date.now();
    this.nodes[follower]!.recordReplicationQuota('follower', p, inSync, bytes, now);
    this.nodes[leader]!.recordReplicationQuota('leader', p, inSync, bytes, now);
    this.nodes[follower]!.recordReplication('in', bytes);
    this.nodes[leader]!.recordReplication('out', bytes);
  }

  /** Logs ISR changes and counts them for the exporter metrics. */
  private onIsrChange(p: Partition, kind: 'shrink' | 'expand', broker: number): void {
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
    this.controller.brokerStopped(id);
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
    this.controller.brokerStarted(id);
    this.logger.warn({ broker: id, wiped: wipe }, 'broker started');
  }

  /** auto.leader.rebalance: moves leadership back to preferred replicas on imbalanced brokers. */
  rebalanceLeaders(): number {
    return this.controller.rebalanceLeaders(this.options.leaderImbalancePerBrokerPercentage);
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
