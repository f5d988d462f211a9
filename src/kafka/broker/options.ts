import type { Logger } from 'pino';

/** A topic the broker creates at start. */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  /** Topic-level configs, e.g. { 'retention.ms': '60000' }. */
  readonly configs?: Readonly<Record<string, string>>;
}

/** How to run one bundled broker node. */
export interface BrokerOptions {
  /** Interface to listen on; default 127.0.0.1. */
  readonly host?: string;
  /** Port to listen on; 0 picks a free one. Default 9092. */
  readonly port?: number;
  /** Broker id; default 0. */
  readonly nodeId?: number;
  /** Cluster id reported in Metadata/DescribeCluster. */
  readonly clusterId?: string;
  /** Topics created at start. */
  readonly topics?: readonly TopicSpec[];
  /** Create unknown topics on Metadata/Produce (auto.create.topics.enable); default false. */
  readonly autoCreateTopics?: boolean;
  /** Partitions of an auto-created topic (num.partitions); default 1. */
  readonly defaultPartitions?: number;
  /** When set, the listener is SASL_PLAINTEXT and requires PLAIN auth with these users. */
  readonly saslUsers?: Readonly<Record<string, string>>;
  /** Largest request frame accepted (socket.request.max.bytes); default 100 MiB. */
  readonly maxFrameBytes?: number;
  /** group.initial.rebalance.delay.ms; default 0 for the bundled broker. */
  readonly groupInitialRebalanceDelayMs?: number;
  /** Logger; default a silent one. */
  readonly logger?: Logger;
}

/** A started broker node. */
export interface RunningBroker {
  readonly host: string;
  readonly port: number;
  readonly nodeId: number;
  /** host:port, ready for a client's bootstrap list. */
  readonly bootstrap: string;
  /** Closes the listener and every connection; idempotent. */
  stop(): Promise<void>;
}
