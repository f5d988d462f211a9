import type { Logger } from 'pino';
import pino from 'pino';
import { TopicStore, type Partition, type Topic } from './topics.ts';
import { ClientQuotaStore } from './quotas.ts';
import { GroupCoordinator } from './groups.ts';
import type { BrokerOptions } from './options.ts';
import type { RequestContext } from './connection.ts';
import type { Message } from '../protocol/codec.ts';
import { encodeBuffer } from '../protocol/codec.ts';
import { schema } from '../protocol/messages.ts';
import { buildBatch, parseBatches } from '../protocol/records.ts';

/** The internal topic holding committed offsets, in Kafka's record format. */
export const OFFSETS_TOPIC = '__consumer_offsets';
const OFFSETS_TOPIC_PARTITIONS = 50;
const RETENTION_CHECK_MS = 1000;

/** A request handler of the bundled broker. */
export interface Handler {
  readonly apiKey: number;
  /** Versions served, [min, max]. */
  readonly versions: readonly [number, number];
  handle(node: BrokerNode, ctx: RequestContext, req: Message): Message | null | Promise<Message | null>;
}

/** Options with every default applied. */
export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly nodeId: number;
  readonly clusterId: string;
  readonly autoCreateTopics: boolean;
  readonly defaultPartitions: number;
  readonly saslUsers: ReadonlyMap<string, string> | null;
  readonly maxFrameBytes: number;
  readonly groupInitialRebalanceDelayMs: number;
}

/** Applies defaults to broker options. */
export function resolveOptions(o: BrokerOptions): ResolvedOptions {
  return {
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 9092,
    nodeId: o.nodeId ?? 0,
    clusterId: o.clusterId ?? 'sluice-bundled-cluster',
    autoCreateTopics: o.autoCreateTopics ?? false,
    defaultPartitions: o.defaultPartitions ?? 1,
    saslUsers: o.saslUsers ? new Map(Object.entries(o.saslUsers)) : null,
    maxFrameBytes: o.maxFrameBytes ?? 100 * 1024 * 1024,
    groupInitialRebalanceDelayMs: o.groupInitialRebalanceDelayMs ?? 0,
  };
}

/**
 * The state of one broker node and the dispatch of requests to handlers. Handlers live in
 * handlers/ and read or change this state; the network side lives in connection.ts/server.ts.
 */
export class BrokerNode {
  readonly options: ResolvedOptions;
  readonly logger: Logger;
  readonly topics = new TopicStore();
  readonly quotas = new ClientQuotaStore();
  readonly groups: GroupCoordinator;
  /** The port actually bound (differs from options.port when that is 0). */
  port: number;
  private readonly handlers = new Map<number, Handler>();
  private nextProducerId = 1000n;
  private retentionTimer: NodeJS.Timeout | null = null;

  constructor(options: BrokerOptions, handlers: readonly Handler[]) {
    this.options = resolveOptions(options);
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.port = this.options.port;
    for (const h of handlers) this.handlers.set(h.apiKey, h);
    this.groups = new GroupCoordinator({
      nodeId: this.options.nodeId,
      initialRebalanceDelayMs: this.options.groupInitialRebalanceDelayMs,
      partitionExists: (topic, partition) => this.topics.partition(topic, partition) !== undefined,
      onOffsetCommit: (c) => this.appendOffsetCommit(c),
      onOffsetDelete: (c) => this.appendOffsetTombstone(c.groupId, c.topic, c.partition),
    });
    for (const t of options.topics ?? []) {
      this.topics.create(t.name, t.partitions, Object.entries(t.configs ?? {}));
    }
  }

  /** Starts background work (retention). */
  start(): void {
    this.retentionTimer = setInterval(() => this.applyRetention(Date.now()), RETENTION_CHECK_MS);
    this.retentionTimer.unref();
  }

  /** Stops background work and wakes every waiter. */
  stop(): void {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.retentionTimer = null;
    this.groups.stop();
    for (const t of this.topics.all()) for (const p of t.partitions) for (const w of p.waiters) w();
  }

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

  /** Routes a request to its handler. */
  dispatch(ctx: RequestContext, req: Message): Message | null | Promise<Message | null> {
    return this.handlers.get(ctx.apiKey)!.handle(this, ctx, req);
  }

  /** Wakes Fetch long polls waiting on a partition. */
  notify(p: Partition): void {
    if (p.waiters.size === 0) return;
    for (const w of [...p.waiters]) w();
  }

  /** A fresh producer id for InitProducerId. */
  allocateProducerId(): bigint {
    return this.nextProducerId++;
  }

  /** Drops batches past each topic's retention.ms / retention.bytes. */
  applyRetention(now: number): void {
    for (const t of this.topics.all()) {
      const ms = this.topics.numericConfig(t, 'retention.ms');
      const bytes = this.topics.numericConfig(t, 'retention.bytes');
      if (ms < 0 && bytes < 0) continue;
      for (const p of t.partitions) p.log.applyRetention(now, ms, bytes);
    }
  }

  /** The offsets topic, created on first use as Kafka does on the first FindCoordinator. */
  offsetsTopic(): Topic {
    return this.topics.get(OFFSETS_TOPIC) ??
      this.topics.create(OFFSETS_TOPIC, OFFSETS_TOPIC_PARTITIONS, [['cleanup.policy', 'compact']], true);
  }


  private appendOffsetRecord(groupId: string, key: Buffer, value: Buffer | null): void {
    const p = this.offsetsTopic().partitions[offsetsPartitionFor(groupId)]!;
    const batch = buildBatch([{ key, value }]);
    p.log.append(parseBatches(batch), p.leaderEpoch, Date.now());
    this.notify(p);
  }

  private appendOffsetCommit(c: { groupId: string; topic: string; partition: number; offset: bigint; leaderEpoch: number; metadata: string | null; commitTimestamp: bigint }): void {
    const key = versioned(1, encodeBuffer(OFFSET_COMMIT_KEY, 1, { group: c.groupId, topic: c.topic, partition: c.partition }));
    const value = versioned(3, encodeBuffer(OFFSET_COMMIT_VALUE, 3, {
      offset: c.offset, leaderEpoch: c.leaderEpoch, metadata: c.metadata ?? '', commitTimestamp: c.commitTimestamp,
    }));
    this.appendOffsetRecord(c.groupId, key, value);
  }

  private appendOffsetTombstone(groupId: string, topic: string, partition: number): void {
    const key = versioned(1, encodeBuffer(OFFSET_COMMIT_KEY, 1, { group: groupId, topic, partition }));
    this.appendOffsetRecord(groupId, key, null);
  }
}

const OFFSET_COMMIT_KEY = schema('OffsetCommitKey');
const OFFSET_COMMIT_VALUE = schema('OffsetCommitValue');

/** Internal-topic records start with their schema version as an int16. */
function versioned(version: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + body.length);
  out.writeInt16BE(version, 0);
  body.copy(out, 2);
  return out;
}

/** Partition of the offsets topic that holds a group: Kafka's Utils.abs(groupId.hashCode) % partitions. */
export function offsetsPartitionFor(groupId: string): number {
  const h = javaStringHash(groupId);
  return (h === -2147483648 ? 0 : Math.abs(h)) % OFFSETS_TOPIC_PARTITIONS;
}

/** Java's String.hashCode over UTF-16 code units, as Kafka uses to place groups. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}
