import type { Logger } from 'pino';
import { KAFKA_QUOTA_WINDOW_NUM, KAFKA_QUOTA_WINDOW_SIZE_SECONDS } from '../quota.ts';

/** A topic the broker creates at start. */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  /** Replication factor; default the cluster's default.replication.factor (capped to the broker count). */
  readonly replicationFactor?: number;
  /** Topic-level configs, e.g. { 'retention.ms': '60000' }. */
  readonly configs?: Readonly<Record<string, string>>;
}

/** Per-broker capacity of the capacity model: what the broker can do per second. */
export interface BrokerCapacity {
  /** Bytes per second the broker can take in (produce and replication in). */
  readonly networkInBytesPerSec?: number;
  /** Bytes per second the broker can send (fetch and replication out). */
  readonly networkOutBytesPerSec?: number;
  /** Request handler threads (num.io.threads). */
  readonly requestHandlers?: number;
  /** Bytes the log dir can hold; writes beyond fail with KAFKA_STORAGE_ERROR. */
  readonly logDirBytes?: number;
}

/** How to run the bundled broker: one node, or a cluster of nodes in one process. */
export interface BrokerOptions {
  /** Interface to listen on; default 127.0.0.1. */
  readonly host?: string;
  /** Port of broker 0 (broker i listens on port+i); 0 picks free ports. Default 9092. */
  readonly port?: number;
  /** Number of brokers, ids 0..n-1; default 1. */
  readonly brokers?: number;
  /** Id of the single broker when brokers is 1; default 0. */
  readonly nodeId?: number;
  /** Metrics port of broker 0 (broker i serves metrics on metricsPort+i); 0 picks free ports; unset = no metrics endpoint. */
  readonly metricsPort?: number;
  /** Cluster id reported in Metadata/DescribeCluster. */
  readonly clusterId?: string;
  /** Topics created at start. */
  readonly topics?: readonly TopicSpec[];
  /** Create unknown topics on Metadata (auto.create.topics.enable); default false. */
  readonly autoCreateTopics?: boolean;
  /** Partitions of an auto-created topic (num.partitions); default 1. */
  readonly defaultPartitions?: number;
  /** default.replication.factor for created topics; default min(3, brokers). */
  readonly defaultReplicationFactor?: number;
  /** min.insync.replicas default for topics; default 1. */
  readonly minInsyncReplicas?: number;
  /** replica.lag.time.max.ms: a follower this far behind leaves the ISR; default 30000. */
  readonly replicaLagTimeMaxMs?: number;
  /** unclean.leader.election.enable default; default false. */
  readonly uncleanLeaderElection?: boolean;
  /** auto.leader.rebalance.enable; default true. */
  readonly autoLeaderRebalance?: boolean;
  /** leader.imbalance.check.interval.seconds, in ms; default 300000. */
  readonly leaderImbalanceCheckIntervalMs?: number;
  /** leader.imbalance.per.broker.percentage; default 10. */
  readonly leaderImbalancePerBrokerPercentage?: number;
  /** Capacity of every broker (each can be changed later through fault control). */
  readonly capacity?: BrokerCapacity;
  /** When set, listeners are SASL_PLAINTEXT and require PLAIN auth with these users. */
  readonly saslUsers?: Readonly<Record<string, string>>;
  /** Largest request frame accepted (socket.request.max.bytes); default 100 MiB. */
  readonly maxFrameBytes?: number;
  /** group.initial.rebalance.delay.ms; default 0 for the bundled broker. */
  readonly groupInitialRebalanceDelayMs?: number;
  /**
   * Client quota windows: quota.window.num samples of quota.window.size.seconds each; default
   * Kafka's 11 × 1 s. A client over its quota is let through and held in turn with about this
   * period, so a shorter window makes a throttled client's traffic steadier.
   */
  readonly quotaWindow?: { readonly num?: number; readonly sizeSeconds?: number };
  /** Logger; default a silent one. */
  readonly logger?: Logger;
}

/** A started broker node (or the first node of a started cluster). */
export interface RunningBroker {
  readonly host: string;
  readonly port: number;
  readonly nodeId: number;
  /** host:port of every live broker, ready for a client's bootstrap list. */
  readonly bootstrap: string;
  /** Closes every listener and connection; idempotent. */
  stop(): Promise<void>;
}

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
  readonly quotaWindow: { readonly num: number; readonly sizeSeconds: number };
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
    quotaWindow: { num: o.quotaWindow?.num ?? KAFKA_QUOTA_WINDOW_NUM, sizeSeconds: o.quotaWindow?.sizeSeconds ?? KAFKA_QUOTA_WINDOW_SIZE_SECONDS },
  };
}
