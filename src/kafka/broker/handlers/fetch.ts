import { ApiKey } from '../../protocol/messages.ts';
import { KafkaError } from '../../protocol/error-codes.ts';
import { decodeRecords, batchInfo } from '../../protocol/records.ts';
import { downConvert, fetchMagic } from '../../protocol/legacy-records.ts';
import { quotaUser, type Handler, type BrokerNode } from '../node.ts';
import type { Partition } from '../topics.ts';
import type { Message } from '../../protocol/codec.ts';

interface FetchTarget {
  readonly topicKey: { topic?: string; topicId?: string };
  readonly partitionIndex: number;
  readonly p: Partition | undefined;
  readonly offset: number;
  readonly maxBytes: number;
  readonly unknownId: boolean;
  /** The partition exists but another broker leads it. */
  readonly notLeader: boolean;
  readonly leaderId: number;
  readonly leaderEpoch: number;
}

function targets(node: BrokerNode, req: Message, version: number): FetchTarget[] {
  const out: FetchTarget[] = [];
  for (const t of req.topics as Message[]) {
    const topic = version >= 13 ? node.topics.getById(t.topicId) : node.topics.get(t.topic);
    const topicKey = version >= 13 ? { topicId: t.topicId as string } : { topic: t.topic as string };
    for (const pr of t.partitions as Message[]) {
      const exists = topic?.partitions[pr.partition];
      out.push({
        topicKey,
        partitionIndex: pr.partition,
        p: node.ledPartition(topic, pr.partition),
        offset: Number(pr.fetchOffset),
        maxBytes: pr.partitionMaxBytes,
        unknownId: version >= 13 && !topic,
        notLeader: exists !== undefined && exists.leader !== node.nodeId,
        leaderId: exists?.leader ?? -1,
        leaderEpoch: exists?.leaderEpoch ?? -1,
      });
    }
  }
  return out;
}

/** Bytes a fetch could return now (consumers read below the high watermark only). */
function available(node: BrokerNode, targetsList: FetchTarget[], limit: number): number {
  let bytes = 0;
  for (const t of targetsList) {
    const p = t.p;
    if (!p || p.leader !== node.nodeId || t.offset < p.log.logStartOffset || t.offset > p.log.logEndOffset) return Infinity;
    bytes += p.log.bytesAvailable(t.offset, p.highWatermark, limit - bytes);
    if (bytes >= limit) return bytes;
  }
  return bytes;
}

/**
 * Stored batches as a fetch of `magic` reads them: unchanged for batches (v4+), converted to
 * message sets for v0–3 (as Kafka down-converts), or null when a batch's codec cannot be read.
 */
function asMagic(batches: Buffer[], magic: 0 | 1 | 2, fetchOffset: number): Buffer[] | null {
  if (magic === 2) return batches;
  const out: Buffer[] = [];
  for (const b of batches) {
    const set = downConvert(batchInfo(b), magic, BigInt(fetchOffset));
    if (set === null) return null;
    if (set.length > 0) out.push(set);
  }
  return out;
}

function respond(node: BrokerNode, targetsList: FetchTarget[], maxBytes: number, magic: 0 | 1 | 2): Message[] {
  const byTopic = new Map<string, Message>();
  let budget = maxBytes;
  for (const t of targetsList) {
    const key = t.topicKey.topic ?? t.topicKey.topicId!;
    let topic = byTopic.get(key);
    if (!topic) byTopic.set(key, (topic = { ...t.topicKey, partitions: [] }));
    const p = t.p;
    const base = { partitionIndex: t.partitionIndex, abortedTransactions: null, preferredReadReplica: -1 };
    if (!p || p.leader < 0) {
      const errorCode = t.notLeader ? (t.leaderId < 0 ? KafkaError.LEADER_NOT_AVAILABLE : KafkaError.NOT_LEADER_OR_FOLLOWER)
        : t.unknownId ? KafkaError.UNKNOWN_TOPIC_ID : KafkaError.UNKNOWN_TOPIC_OR_PARTITION;
      topic.partitions.push({ ...base, errorCode, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: null, currentLeader: { leaderId: t.leaderId, leaderEpoch: t.leaderEpoch } });
      continue;
    }
    const log = p.log;
    const hw = BigInt(p.highWatermark);
    const common = { ...base, highWatermark: hw, lastStableOffset: hw, logStartOffset: BigInt(log.logStartOffset) };
    if (t.offset < log.logStartOffset || t.offset > log.logEndOffset) {
      topic.partitions.push({ ...common, errorCode: KafkaError.OFFSET_OUT_OF_RANGE, records: null });
      continue;
    }
    // KIP-74: the first batch is returned even when larger than the limits, so consumers progress.
    const stored = budget > 0 && t.offset < p.highWatermark ? log.read(t.offset, Math.min(t.maxBytes, budget), p.highWatermark) : [];
    const counters = node.stats.topic(p.topic);
    counters.totalFetchRequests++;
    const batches = asMagic(stored, magic, t.offset);
    if (batches === null) {
      node.logger.debug({ topic: p.topic, partition: p.index, magic }, 'fetch refused: a batch is compressed with a codec the broker cannot convert to messages');
      topic.partitions.push({ ...common, errorCode: KafkaError.UNSUPPORTED_COMPRESSION_TYPE, records: null });
      continue;
    }
    for (const b of batches) budget -= b.length;
    // `counters` is not a wire field: the encoder ignores it; bytes out are counted once the
    // quota decision is known.
    topic.partitions.push({ ...common, errorCode: KafkaError.NONE, records: batches, counters });
  }
  return [...byTopic.values()];
}

/**
 * Fetch with long polling: waits up to max_wait_ms for min_bytes (read_uncommitted). v0–3
 * clients read message sets (magic 0 for v0–1, 1 for v2–3), converted from the stored batches.
 */
export const fetch: Handler = {
  apiKey: ApiKey.Fetch,
  versions: [0, 17],
  handle(node, ctx, req) {
    const v = ctx.apiVersion;
    const list = targets(node, req, v);
    const user = quotaUser(ctx.conn.principal);
    // A fetch never returns more than the client's quota allows in one quota window (as Kafka bounds it).
    const maxBytes: number = Math.min(v >= 3 ? req.maxBytes : 0x7fffffff, node.quotaEnforcer.maxFetchBytes(user, ctx.clientId));
    const build = (): Message => {
      const responses = respond(node, list, maxBytes, fetchMagic(v));
      let bytes = 0;
      for (const t of responses) for (const p of t.partitions) if (p.records) for (const b of p.records as Buffer[]) bytes += b.length;
      const { throttleMs: throttleTimeMs, send } = node.quotaEnforcer.recordFetch(user, ctx.clientId, bytes, Date.now());
      if (!send) {
        // A throttled fetch is answered at once with no records; its bytes are not counted.
        for (const t of responses) for (const p of t.partitions) if (p.records) p.records = [];
        bytes = 0;
      } else {
        for (const t of responses) for (const p of t.partitions) if (p.records && p.counters) p.counters.bytesOut += (p.records as Buffer[]).reduce((a, b) => a + b.length, 0);
      }
      ctx.responseBytes = bytes;
      return { throttleTimeMs, errorCode: KafkaError.NONE, sessionId: 0, responses };
    };
    const minBytes = Math.max(req.minBytes as number, 1);
    if (req.maxWaitMs <= 0 || available(node, list, minBytes) >= minBytes) return build();
    return new Promise<Message>((resolve) => {
      const partitions = [...new Set(list.map((t) => t.p).filter((p): p is Partition => p !== undefined))];
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        for (const p of partitions) p.waiters.delete(check);
        resolve(build());
      };
      const check = (): void => {
        if (available(node, list, minBytes) >= minBytes || !node.alive) finish();
      };
      const timer = setTimeout(finish, req.maxWaitMs);
      for (const p of partitions) p.waiters.add(check);
      if (partitions.length === 0) finish();
    });
  },
};

/**
 * ListOffsets: earliest (-2), latest (-1), max timestamp (-3), or first offset at/after a
 * timestamp. v0 answers a list of at most max_num_offsets offsets, highest first.
 */
export const listOffsets: Handler = {
  apiKey: ApiKey.ListOffsets,
  versions: [0, 10],
  handle(node, ctx, req) {
    const topics = (req.topics as Message[]).map((t) => ({
      name: t.name,
      partitions: (t.partitions as Message[]).map((pr) => {
        const p = node.ledPartition(node.topics.get(t.name), pr.partitionIndex);
        if (!p) return { partitionIndex: pr.partitionIndex, errorCode: node.notLedError(t.name, pr.partitionIndex), timestamp: -1n, offset: -1n, leaderEpoch: -1, oldStyleOffsets: [] };
        const found = offsetForTimestamp(p, pr.timestamp as bigint);
        const oldStyleOffsets = ctx.apiVersion === 0 ? oldStyle(p, pr.timestamp as bigint, pr.maxNumOffsets as number) : [];
        return { partitionIndex: pr.partitionIndex, errorCode: KafkaError.NONE, timestamp: found.timestamp, offset: found.offset, leaderEpoch: p.leaderEpoch, oldStyleOffsets };
      }),
    }));
    return { throttleTimeMs: 0, topics };
  },
};

/**
 * ListOffsets v0's answer, Kafka's "offsets before": the start offset of every segment last
 * written at or before the timestamp, and the high watermark when it is "latest" (-1) or not in
 * the past, highest first, at most `max`. The bundled log is one segment starting at the log
 * start offset, last written when its newest batch was appended.
 */
function oldStyle(p: Partition, ts: bigint, max: number): bigint[] {
  const start = BigInt(p.log.logStartOffset);
  const lastWritten = p.log.lastAppendedAt;
  let offsets: bigint[];
  if (ts === -1n || ts >= BigInt(Date.now())) offsets = [BigInt(p.highWatermark), start];
  else if (ts === -2n || lastWritten === null || BigInt(lastWritten) <= ts) offsets = [start];
  else offsets = [];
  return [...new Set(offsets)].slice(0, Math.max(max, 0));
}

/** Resolves a ListOffsets timestamp spec for one partition. */
export function offsetForTimestamp(p: Partition, ts: bigint): { offset: bigint; timestamp: bigint } {
  const log = p.log;
  if (ts === -1n) return { offset: BigInt(p.highWatermark), timestamp: -1n };
  if (ts === -2n || ts === -4n) return { offset: BigInt(log.logStartOffset), timestamp: -1n };
  if (ts === -3n) {
    const b = log.maxTimestampBatch();
    if (!b) return { offset: -1n, timestamp: -1n };
    const recs = decodeRecords(batchInfo(b.bytes));
    const best = recs?.reduce((a, r) => (r.timestamp >= a.timestamp ? r : a));
    return best ? { offset: best.offset, timestamp: best.timestamp } : { offset: BigInt(b.baseOffset), timestamp: BigInt(b.maxTimestamp) };
  }
  const b = log.firstBatchAtOrAfter(Number(ts));
  if (!b) return { offset: -1n, timestamp: -1n };
  const recs = decodeRecords(batchInfo(b.bytes));
  const hit = recs?.find((r) => r.timestamp >= ts && r.offset >= log.logStartOffset);
  if (hit) return { offset: hit.offset, timestamp: hit.timestamp };
  // Compressed with a codec the broker does not read: the batch's first offset is the answer.
  return { offset: BigInt(Math.max(b.baseOffset, log.logStartOffset)), timestamp: BigInt(b.maxTimestamp) };
}

/** OffsetForLeaderEpoch (KIP-101/279): end offset of the asked epoch, so clients detect truncation. */
export const offsetForLeaderEpoch: Handler = {
  apiKey: ApiKey.OffsetForLeaderEpoch,
  versions: [0, 4],
  handle(node, _ctx, req) {
    const topics = (req.topics as Message[]).map((t) => ({
      topic: t.topic,
      partitions: (t.partitions as Message[]).map((pr) => {
        const p = node.ledPartition(node.topics.get(t.topic), pr.partition);
        if (!p) return { partition: pr.partition, errorCode: node.notLedError(t.topic, pr.partition), leaderEpoch: -1, endOffset: -1n };
        if (pr.currentLeaderEpoch !== undefined && pr.currentLeaderEpoch > p.leaderEpoch) {
          return { partition: pr.partition, errorCode: KafkaError.UNKNOWN_LEADER_EPOCH, leaderEpoch: -1, endOffset: -1n };
        }
        if (pr.currentLeaderEpoch !== undefined && pr.currentLeaderEpoch >= 0 && pr.currentLeaderEpoch < p.leaderEpoch) {
          return { partition: pr.partition, errorCode: KafkaError.FENCED_LEADER_EPOCH, leaderEpoch: -1, endOffset: -1n };
        }
        const r = p.log.endOffsetForEpoch(pr.leaderEpoch);
        return { partition: pr.partition, errorCode: KafkaError.NONE, leaderEpoch: r.epoch, endOffset: BigInt(r.endOffset) };
      }),
    }));
    return { throttleTimeMs: 0, topics };
  },
};

/** DeleteRecords: moves the log start offset forward. */
export const deleteRecords: Handler = {
  apiKey: ApiKey.DeleteRecords,
  versions: [0, 2],
  handle(node, _ctx, req) {
    const topics = (req.topics as Message[]).map((t) => ({
      name: t.name,
      partitions: (t.partitions as Message[]).map((pr) => {
        const p = node.ledPartition(node.topics.get(t.name), pr.partitionIndex);
        if (!p) return { partitionIndex: pr.partitionIndex, lowWatermark: -1n, errorCode: node.notLedError(t.name, pr.partitionIndex) };
        const target = pr.offset === -1n ? p.highWatermark : Number(pr.offset);
        if (target > p.highWatermark || target < 0) {
          return { partitionIndex: pr.partitionIndex, lowWatermark: -1n, errorCode: KafkaError.OFFSET_OUT_OF_RANGE };
        }
        for (const r of p.copies.values()) r.log.deleteBefore(target);
        return { partitionIndex: pr.partitionIndex, lowWatermark: BigInt(p.log.logStartOffset), errorCode: KafkaError.NONE };
      }),
    }));
    return { throttleTimeMs: 0, topics };
  },
};
