/**
 * Reads `__consumer_offsets` from its beginning and keeps following it, as Burrow's consumer
 * module does, handing every record (decoded by offsets-topic.ts) with its position to
 * `onRecord`, in log order within each partition. Requests go straight to each partition's
 * leader over @platformatic/kafka's connection pool and versioned API codecs (its clients leave
 * internal topics out of their metadata); no consumer group is joined, so the reader leaves no
 * trace in the cluster.
 *
 * Contract: `start` returns at once and reading goes on in the background; `stop` ends it and
 * closes the connections. Nothing is thrown: a round that fails (topic missing, not authorized,
 * leader moved, broker down) is retried after `retryMs` with fresh metadata, from where reading
 * stopped, and `state` tells whether reading works and why not.
 */
import type * as Kafka from '@platformatic/kafka';
import type { Connection, fetchV17 } from '@platformatic/kafka';
import { CONSUMER_OFFSETS_TOPIC, decodeOffsetsRecord, type OffsetsTopicRecord } from './offsets-topic.ts';

/** How to reach the cluster and how to read. */
export interface OffsetsTopicReaderOptions {
  /** host:port items. */
  readonly bootstrap: readonly string[];
  readonly clientId?: string;
  readonly sasl?: { readonly username: string; readonly password: string };
  readonly connectTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** Longest a fetch waits for new records, ms (default 500). */
  readonly maxWaitMs?: number;
  /** Pause after a failed round, ms (default 1000). */
  readonly retryMs?: number;
  /** Every record, with the partition and offset it was read at. */
  readonly onRecord: (record: OffsetsTopicRecord, position: { readonly partition: number; readonly offset: number }) => void;
}

/** How reading goes. */
export interface OffsetsTopicReaderState {
  /** Rounds that fetched from every leader without an error, since start. */
  readonly rounds: number;
  /** When the last such round ended (ms since the epoch). */
  readonly lastReadMs?: number;
  /** Why the last round failed, while rounds fail. */
  readonly error?: string;
  /** Records handed on, and of those the ones that could not be decoded. */
  readonly records: number;
  readonly invalid: number;
}

/** The offsets topic as the last metadata described it. */
interface Layout {
  /** When it was read (ms): it is read again after LAYOUT_MAX_AGE_MS, for partitions that had no leader. */
  readonly readAtMs: number;
  readonly topicId: string;
  /** Partitions by leader, and where each leader listens. */
  readonly byLeader: ReadonlyMap<number, readonly { partition: number; leaderEpoch: number }[]>;
  readonly brokers: ReadonlyMap<number, Address>;
}

interface Address {
  readonly host: string;
  readonly port: number;
}

type AnyApi = { async: (conn: Connection, ...args: any[]) => Promise<any>; key: number; version: number };
type MetadataResponse = { brokers: { nodeId: number; host: string; port: number }[]; topics: { name: string | null; topicId: string; errorCode: number; partitions: { partitionIndex: number; leaderId: number; leaderEpoch: number }[] }[] };
type ListOffsetsResponse = { topics: { name: string; partitions: { partitionIndex: number; errorCode: number; offset: bigint }[] }[] };

type FetchResponse = fetchV17.FetchResponse;

const OFFSET_OUT_OF_RANGE = 1;
const LAYOUT_MAX_AGE_MS = 30_000;
/** Batches with this attribute bit carry transaction markers, not records. */
const CONTROL_BATCH = 0x20;

type Call = <R>(to: Address, candidates: readonly AnyApi[], ...args: unknown[]) => Promise<R>;

function parseHostPort(item: string): Address {
  const at = item.lastIndexOf(':');
  return { host: item.slice(0, at), port: Number(item.slice(at + 1)) };
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const inner = (err as { errors?: unknown[] }).errors;
  return Array.isArray(inner) && inner[0] instanceof Error ? `${err.message}: ${inner[0].message}` : err.message;
}

/** Follows `__consumer_offsets` of one cluster. */
export class OffsetsTopicReader {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private rounds = 0;
  private lastReadMs: number | undefined;
  private error: string | undefined;
  private records = 0;
  private invalid = 0;
  /** Next offset to read, by partition; absent: from the log start. */
  private readonly positions = new Map<number, bigint>();

  constructor(private readonly options: OffsetsTopicReaderOptions) {}

  /** How reading goes now. */
  get state(): OffsetsTopicReaderState {
    return {
      rounds: this.rounds, records: this.records, invalid: this.invalid,
      ...(this.lastReadMs === undefined ? {} : { lastReadMs: this.lastReadMs }),
      ...(this.error === undefined ? {} : { error: this.error }),
    };
  }

  /** Starts reading in the background; a second call does nothing. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run().catch((err: unknown) => {
      this.error = describe(err);
    });
  }

  /** Stops reading and closes the connections. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.loop = undefined;
  }

  private async run(): Promise<void> {
    const o = this.options;
    const kafka = await import('@platformatic/kafka');
    const pool = new kafka.ConnectionPool(o.clientId ?? 'sluice-offsets-reader', {
      connectTimeout: o.connectTimeoutMs ?? 3000,
      requestTimeout: o.requestTimeoutMs ?? 10_000,
      ...(o.sasl ? { sasl: { mechanism: 'PLAIN' as const, username: o.sasl.username, password: o.sasl.password } } : {}),
    });
    const versions = new Map<string, Map<number, [number, number]>>();
    /** Calls the newest API version in `candidates` (newest first) that the broker supports. */
    const call = async <R>(to: Address, candidates: readonly AnyApi[], ...args: unknown[]): Promise<R> => {
      const conn = await pool.get(to);
      const key = `${to.host}:${to.port}`;
      let ranges = versions.get(key);
      if (ranges === undefined) {
        const res = await kafka.apiVersionsV3.api.async(conn, 'sluice', '1');
        ranges = new Map(res.apiKeys.map((a) => [a.apiKey, [a.minVersion, a.maxVersion] as [number, number]]));
        versions.set(key, ranges);
      }
      const range = ranges.get(candidates[0]!.key);
      const api = candidates.find((c) => range !== undefined && c.version >= range[0] && c.version <= range[1]);
      if (api === undefined) throw new Error(`broker ${key} supports no version of API ${candidates[0]!.key} this reader speaks`);
      try {
        return (await api.async(conn, ...args)) as R;
      } catch (err) {
        // Per-entry error codes: the library rejects, with the whole response attached.
        const response = (err as { response?: R }).response;
        if (response === undefined) throw err;
        return response;
      }
    };
    let layout: Layout | undefined;
    try {
      while (this.running) {
        try {
          if (layout !== undefined && Date.now() - layout.readAtMs > LAYOUT_MAX_AGE_MS) layout = undefined;
          layout ??= await this.readLayout(kafka, call);
          const failed = await this.round(kafka, call, layout);
          if (failed !== undefined) throw new Error(failed);
          this.rounds++;
          this.lastReadMs = Date.now();
          this.error = undefined;
        } catch (err) {
          layout = undefined;
          this.error = describe(err);
          await this.pause(o.retryMs ?? 1000);
        }
      }
    } finally {
      await pool.close().catch(() => undefined);
    }
  }

  /** Sleeps `ms`, or less if stopped meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Leaders and topic id of the offsets topic; log start offsets of partitions not read yet. */
  private async readLayout(kafka: typeof Kafka, call: Call): Promise<Layout> {
    const bootstrap = this.options.bootstrap.map(parseHostPort);
    let meta: MetadataResponse | undefined;
    const failures: string[] = [];
    for (const b of bootstrap) {
      try {
        meta = await call<MetadataResponse>(b, [kafka.metadataV12.api, kafka.metadataV11.api, kafka.metadataV10.api, kafka.metadataV9.api], [CONSUMER_OFFSETS_TOPIC], false, false);
        break;
      } catch (err) {
        failures.push(`${b.host}:${b.port}: ${describe(err)}`);
      }
    }
    if (meta === undefined) throw new Error(`no bootstrap broker answered (${failures.join('; ')})`);
    const brokers = new Map(meta.brokers.map((b) => [b.nodeId, { host: b.host, port: b.port }]));
    const topic = meta.topics.find((t) => t.name === CONSUMER_OFFSETS_TOPIC);
    if (topic === undefined || topic.errorCode !== 0) {
      throw new Error(topic?.errorCode === 3 || topic === undefined ? `the cluster has no ${CONSUMER_OFFSETS_TOPIC} topic yet` : `${CONSUMER_OFFSETS_TOPIC}: Kafka error ${topic.errorCode}`);
    }
    const byLeader = new Map<number, { partition: number; leaderEpoch: number }[]>();
    for (const p of topic.partitions) {
      if (p.leaderId < 0 || !brokers.has(p.leaderId)) continue;
      byLeader.set(p.leaderId, [...(byLeader.get(p.leaderId) ?? []), { partition: p.partitionIndex, leaderEpoch: p.leaderEpoch }]);
    }
    // Partitions not read yet start at their log start, as Burrow's consumer does by default.
    await Promise.all([...byLeader].map(async ([leader, partitions]) => {
      const unread = partitions.filter((p) => !this.positions.has(p.partition));
      if (unread.length === 0) return;
      const res = await call<ListOffsetsResponse>(brokers.get(leader)!, [kafka.listOffsetsV9.api, kafka.listOffsetsV8.api, kafka.listOffsetsV7.api, kafka.listOffsetsV6.api, kafka.listOffsetsV5.api], -1, 0,
        [{ name: CONSUMER_OFFSETS_TOPIC, partitions: unread.map((p) => ({ partitionIndex: p.partition, currentLeaderEpoch: p.leaderEpoch, timestamp: -2n })) }]);
      for (const t of res.topics) for (const p of t.partitions) if (p.errorCode === 0) this.positions.set(p.partitionIndex, p.offset);
    }));
    for (const [leader, partitions] of byLeader) {
      const positioned = partitions.filter((p) => this.positions.has(p.partition));
      if (positioned.length === 0) byLeader.delete(leader);
      else byLeader.set(leader, positioned);
    }
    return { readAtMs: Date.now(), topicId: topic.topicId, byLeader, brokers };
  }

  /**
   * One fetch from every leader, handing on what each partition returned; the error of a
   * partition that answered one (the next round starts from fresh metadata), if any.
   */
  private async round(kafka: typeof Kafka, call: Call, layout: Layout): Promise<string | undefined> {
    if (layout.byLeader.size === 0) throw new Error(`no partition of ${CONSUMER_OFFSETS_TOPIC} has a leader that answers`);
    const byId = [kafka.fetchV17.api, kafka.fetchV16.api, kafka.fetchV15.api, kafka.fetchV14.api, kafka.fetchV13.api];
    const results = await Promise.all([...layout.byLeader].map(async ([node, partitions]) => {
      const broker = layout.brokers.get(node)!;
      const parts = partitions.map((p) => ({ partition: p.partition, currentLeaderEpoch: p.leaderEpoch, fetchOffset: this.positions.get(p.partition)!, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }));
      const args = (topicId: string) => [this.options.maxWaitMs ?? 500, 1, 16 << 20, 0, 0, -1, [{ topicId, topic: CONSUMER_OFFSETS_TOPIC, partitions: parts }], [], ''];
      // Fetch v13 on names topics by id; v12 (Kafka 2.7 to 3.0) by name, in the same field.
      const response = await call<FetchResponse>(broker, byId, ...args(layout.topicId)).catch((err: unknown) => {
        if (!(err instanceof Error) || !err.message.includes('supports no version')) throw err;
        return call<FetchResponse>(broker, [kafka.fetchV12.api], ...args(CONSUMER_OFFSETS_TOPIC));
      });
      return this.take(response);
    }));
    return results.find((r) => r !== undefined);
  }

  /** Hands on the records of one response; the error of a partition that answered one, if any. */
  private take(response: FetchResponse): string | undefined {
    let failed: string | undefined;
    for (const t of response.responses) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) {
          // Out of range: retention or compaction removed what was next; start again at the log start.
          if (p.errorCode === OFFSET_OUT_OF_RANGE) this.positions.delete(p.partitionIndex);
          failed ??= `${CONSUMER_OFFSETS_TOPIC}-${p.partitionIndex}: Kafka error ${p.errorCode}`;
          continue;
        }
        let next = this.positions.get(p.partitionIndex) ?? 0n;
        for (const batch of p.records ?? []) {
          if ((batch.attributes & CONTROL_BATCH) === 0) {
            for (const r of batch.records) {
              const offset = batch.firstOffset + BigInt(r.offsetDelta);
              if (offset < next) continue;
              const record = decodeOffsetsRecord(r.key, r.value);
              this.records++;
              if (record.kind === 'invalid') this.invalid++;
              this.options.onRecord(record, { partition: p.partitionIndex, offset: Number(offset) });
              next = offset + 1n;
            }
          }
          // Compaction leaves gaps: the batch's last offset is read even when its record is gone.
          const end = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
          if (end > next) next = end;
        }
        this.positions.set(p.partitionIndex, next);
      }
    }
    return failed;
  }
}
