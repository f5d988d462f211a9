import type { Logger } from 'pino';
import type { TopicStore, Topic, Partition } from './topics.ts';
import type { RequestContext } from './connection.ts';
import type { Message } from '../protocol/codec.ts';
import type { BrokerCapacity, ResolvedOptions } from './options.ts';
import type { ClientQuotaStore } from './quotas.ts';
import type { GroupCoordinator } from './groups.ts';
import type { Controller } from './controller.ts';
import { APIS } from '../protocol/messages.ts';
import { KafkaError } from '../protocol/error-codes.ts';
import { CapacityModel } from './capacity.ts';
import { QuotaEnforcer } from './quota-enforcer.ts';
import { BrokerStats } from './stats.ts';
import { ReplicationQuota, listsReplica, rateConfig, replicasConfig, type ReplicationSide } from './replication-quota.ts';

/** Wall-clock ms with sub-millisecond precision. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A principal's user name for quotas ("User:alice" → "alice"). */
export function quotaUser(principal: string | null): string {
  return principal === null ? 'ANONYMOUS' : principal.startsWith('User:') ? principal.slice(5) : principal;
}

/** A request handler of the bundled broker. */
export interface Handler {
  readonly apiKey: number;
  /** Versions served, [min, max]. */
  readonly versions: readonly [number, number];
  handle(node: BrokerNode, ctx: RequestContext, req: Message): Message | null | Promise<Message | null>;
}

/**
 * What a broker node, its request handlers and its metrics see of the cluster the node belongs
 * to: the shared state (topics, quotas, groups), the other brokers and the controller.
 */
export interface NodeCluster {
  readonly options: ResolvedOptions;
  readonly logger: Logger;
  readonly topics: TopicStore;
  readonly quotas: ClientQuotaStore;
  readonly groups: GroupCoordinator;
  readonly controller: Controller;
  /** Counters the metrics endpoint reads. */
  readonly stats: { readonly uncleanElections: number };
  /** Brokers by id (live or not). */
  readonly nodes: readonly BrokerNode[];
  /** The active controller: the live broker with the lowest id, or -1. */
  readonly controllerId: number;
  /** Live brokers in id order. */
  liveNodes(): BrokerNode[];
  /** Every partition of every topic. */
  allPartitions(): Iterable<Partition>;
  /** Creates a topic spread over the cluster's brokers (or with an explicit assignment). */
  createTopic(name: string, partitions: number, replicationFactor: number, configs?: Iterable<[string, string]>, assignment?: number[][]): Topic;
  /** Grows a topic to `count` partitions. */
  addPartitions(topic: Topic, count: number, assignment?: number[][]): void;
  /** The broker coordinating a group. */
  coordinatorFor(groupId: string): BrokerNode | undefined;
  /** Queues replication of a partition (after a leader append). */
  scheduleReplication(p: Partition): void;
}

/** The listener of a broker node: closed when the broker stops, opened again when it starts. */
export interface Listener {
  readonly connectionCount: number;
  listen(): Promise<void>;
  close(): Promise<void>;
}

/** Broker configs that can be changed at run time (IncrementalAlterConfigs on a broker resource). */
export const DYNAMIC_BROKER_CONFIGS = new Set(['leader.replication.throttled.rate', 'follower.replication.throttled.rate']);

let nextProducerId = 1000n;

/**
 * One broker of the bundled cluster: its identity, liveness, listener, faults injected on it,
 * its capacity and replication throttles, and the dispatch of its requests to handlers. The
 * cluster-wide state (topics, leaders, groups, quotas) lives in the cluster (NodeCluster).
 */
export class BrokerNode {
  alive = true;
  server: Listener | null = null;
  /** Port bound (differs from the configured one when that is 0). */
  port: number;
  /** Port of this broker's metrics endpoint, when it serves one. */
  metricsPort: number | null = null;
  /** Fault: this broker's followers stop fetching (makes under-replicated partitions). */
  replicationCut = false;
  /** Fault: added latency on every response of this broker, in ms. */
  latencyMs = 0;
  /** Current capacity (changeable through fault control). */
  capacity: Required<BrokerCapacity>;
  /** Dynamic broker configs set at run time. */
  readonly dynamicConfigs = new Map<string, string>();
  /** Counters the metrics endpoint reads. */
  readonly stats = new BrokerStats();
  /** Request handlers and network capacity: where load turns into queueing. */
  readonly model: CapacityModel;
  /** Client quota enforcement of this broker (quotas are per broker, as in Kafka). */
  readonly quotaEnforcer: QuotaEnforcer;
  private readonly handlers = new Map<number, Handler>();
  private usedBytesCache = { at: 0, bytes: 0 };
  /** Replication quotas (KIP-73) of this broker as a leader and as a follower. */
  readonly replicationQuotas: Readonly<Record<ReplicationSide, ReplicationQuota>> = { leader: new ReplicationQuota(), follower: new ReplicationQuota() };

  constructor(readonly cluster: NodeCluster, readonly nodeId: number, handlers: readonly Handler[]) {
    this.port = cluster.options.port === 0 ? 0 : cluster.options.port + (nodeId - cluster.options.firstNodeId);
    this.capacity = { ...cluster.options.capacity };
    this.model = new CapacityModel(this.capacity);
    this.quotaEnforcer = new QuotaEnforcer(cluster.quotas, { num: cluster.options.quotaWindow.num, sizeMs: cluster.options.quotaWindow.sizeSeconds * 1000 });
    for (const h of handlers) this.handlers.set(h.apiKey, h);
  }

  /** Changes capacities at run time (fault control). */
  setCapacity(c: BrokerCapacity): void {
    this.capacity = { ...this.capacity, ...c };
    this.model.update(this.capacity);
  }

  get options(): ResolvedOptions { return this.cluster.options; }
  get topics(): TopicStore { return this.cluster.topics; }
  get logger(): Logger { return this.cluster.logger; }
  get groups() { return this.cluster.groups; }
  get quotas() { return this.cluster.quotas; }

  /** Supported version range of an API key. */
  supported(apiKey: number): readonly [number, number] | undefined {
    return this.handlers.get(apiKey)?.versions;
  }

  /** Every served API with its versions, for ApiVersions. */
  apiVersions(): { apiKey: number; minVersion: number; maxVersion: number }[] {
    return [...this.handlers.values()]
      .map((h) => ({ apiKey: h.apiKey, minVersion: h.versions[0], maxVersion: h.versions[1] }))
      .sort((a, b) => a.apiKey - b.apiKey);
  }

  /**
   * Routes a request to its handler, then through the capacity model and the request quota:
   * the response leaves when its handler time is over (later when the broker is saturated),
   * plus any injected latency, with the larger of the byte-rate and request throttles.
   */
  dispatch(ctx: RequestContext, req: Message): Message | null | Promise<Message | null> {
    const arrived = nowMs();
    const result = this.handlers.get(ctx.apiKey)!.handle(this, ctx, req);
    if (result instanceof Promise) return result.then((body) => this.complete(ctx, nowMs(), arrived, body));
    return this.complete(ctx, arrived, arrived, result);
  }

  private complete(ctx: RequestContext, readyAt: number, arrived: number, body: Message | null): Message | null | Promise<Message | null> {
    const timing = this.model.schedule(readyAt, ctx.frameBytes, ctx.responseBytes);
    const now = nowMs();
    if (body !== null) {
      const d = this.quotaEnforcer.recordAndThrottle('request', quotaUser(ctx.conn.principal), ctx.clientId, timing.localMs, now);
      if (d.throttleMs > 0 && 'throttleTimeMs' in body) body.throttleTimeMs = Math.max(body.throttleTimeMs as number, d.throttleMs);
    }
    const doneAt = Math.max(timing.doneAt, now) + this.latencyMs;
    this.stats.request(APIS.get(ctx.apiKey)!.name, ctx.apiVersion, timing.queueMs, timing.localMs, doneAt - arrived, now);
    const wait = doneAt - now;
    if (wait < 1) return body;
    return new Promise((resolve) => setTimeout(() => resolve(body), wait));
  }

  /** Whether `bytes` more would overflow this broker's log dir. */
  logDirFull(bytes: number): boolean {
    const now = Date.now();
    if (now - this.usedBytesCache.at > 200) this.usedBytesCache = { at: now, bytes: this.logDirUsedBytes() };
    if (this.usedBytesCache.bytes + bytes > this.capacity.logDirBytes) return true;
    this.usedBytesCache.bytes += bytes;
    return false;
  }

  /** The partition if this broker leads it; undefined otherwise. */
  ledPartition(topic: Topic | undefined, index: number): Partition | undefined {
    const p = topic?.partitions[index];
    return p && p.leader === this.nodeId ? p : undefined;
  }

  /** Error for a partition this broker does not lead: unknown, offline, or led elsewhere. */
  notLedError(topic: string, index: number): number {
    const p = this.topics.partition(topic, index);
    if (!p) return KafkaError.UNKNOWN_TOPIC_OR_PARTITION;
    return p.leader < 0 ? KafkaError.LEADER_NOT_AVAILABLE : KafkaError.NOT_LEADER_OR_FOLLOWER;
  }

  /** After a leader append: replicate, advance the high watermark, wake consumers. */
  notify(p: Partition): void {
    this.cluster.scheduleReplication(p);
  }

  /** A fresh producer id for InitProducerId, unique across the cluster. */
  allocateProducerId(): bigint {
    return nextProducerId++;
  }

  /** Whether this broker's replica of `p` is listed in the topic's throttled replicas of `side`. */
  replicationThrottled(side: ReplicationSide, p: Partition): boolean {
    const t = this.topics.get(p.topic);
    return t !== undefined && listsReplica(this.topics.config(t, replicasConfig(side)), p.index, this.nodeId);
  }

  /**
   * Bytes this broker may replicate now for its replica of `p` on `side`, for a follower that is
   * in the ISR or not (Infinity when not limited: in sync, not throttled, or no rate set).
   */
  replicationBudget(side: ReplicationSide, p: Partition, inSync: boolean, now: number): number {
    if (inSync || !this.replicationThrottled(side, p)) return Infinity;
    return this.replicationQuotas[side].budget(Number(this.dynamicConfigs.get(rateConfig(side)) ?? NaN), now);
  }

  /** Records replicated bytes against this broker's quota of `side` when `p` is throttled here. */
  recordReplicationQuota(side: ReplicationSide, p: Partition, inSync: boolean, bytes: number, now: number): void {
    if (!this.replicationThrottled(side, p)) return;
    const rate = Number(this.dynamicConfigs.get(rateConfig(side)) ?? NaN);
    this.replicationQuotas[side].record(bytes, !inSync && rate >= 0, now);
  }

  /** The (in-memory) log dir name reported by DescribeLogDirs and the metrics. */
  get logDir(): string {
    return `/var/lib/sluice/broker-${this.nodeId}`;
  }

  /** Bytes held by this broker's replicas. */
  logDirUsedBytes(): number {
    let used = 0;
    for (const p of this.cluster.allPartitions()) used += p.copies.get(this.nodeId)?.log.size ?? 0;
    return used;
  }

  /** Counts replication traffic (metrics and the capacity model). */
  recordReplication(direction: 'in' | 'out', bytes: number): void {
    if (direction === 'in') this.stats.replicationBytesIn += bytes;
    else this.stats.replicationBytesOut += bytes;
    this.model.transfer(nowMs(), direction === 'in' ? bytes : 0, direction === 'out' ? bytes : 0);
  }
}
