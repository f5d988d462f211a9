import { ApiKey } from '../../protocol/messages.ts';
import { KafkaError } from '../../protocol/error-codes.ts';
import { decodeRecords, batchInfo } from '../../protocol/records.ts';
import type { Handler, BrokerNode } from '../node.ts';
import type { Partition } from '../topics.ts';
import type { Message } from '../../protocol/codec.ts';

interface FetchTarget {
  readonly topicKey: { topic?: string; topicId?: string };
  readonly partitionIndex: number;
  readonly p: Partition | undefined;
  readonly offset: number;
  readonly maxBytes: number;
  readonly unknownId: boolean;
}

function targets(node: BrokerNode, req: Message, version: number): FetchTarget[] {
  const out: FetchTarget[] = [];
  for (const t of req.topics as Message[]) {
    const topic = version >= 13 ? node.topics.getById(t.topicId) : node.topics.get(t.topic);
    const topicKey = version >= 13 ? { topicId: t.topicId as string } : { topic: t.topic as string };
    for (const pr of t.partitions as Message[]) {
      out.push({
        topicKey,
        partitionIndex: pr.partition,
        p: topic?.partitions[pr.partition],
        offset: Number(pr.fetchOffset),
        maxBytes: pr.partitionMaxBytes,
        unknownId: version >= 13 && !topic,
      });
    }
  }
  return out;
}

function available(targetsList: FetchTarget[], limit: number): number {
  let bytes = 0;
  for (const t of targetsList) {
    if (!t.p || t.offset < t.p.log.logStartOffset || t.offset > t.p.log.logEndOffset) return Infinity;
    bytes += t.p.log.bytesAvailable(t.offset, t.p.log.logEndOffset, limit - bytes);
    if (bytes >= limit) return bytes;
  }
  return bytes;
}

function respond(targetsList: FetchTarget[], maxBytes: number): Message[] {
  const byTopic = new Map<string, Message>();
  let budget = maxBytes;
  for (const t of targetsList) {
    const key = t.topicKey.topic ?? t.topicKey.topicId!;
    let topic = byTopic.get(key);
    if (!topic) byTopic.set(key, (topic = { ...t.topicKey, partitions: [] }));
    const p = t.p;
    const base = { partitionIndex: t.partitionIndex, abortedTransactions: null, preferredReadReplica: -1 };
    if (!p) {
      topic.partitions.push({ ...base, errorCode: t.unknownId ? KafkaError.UNKNOWN_TOPIC_ID : KafkaError.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: null });
      continue;
    }
    const log = p.log;
    const hw = BigInt(log.logEndOffset);
    const common = { ...base, highWatermark: hw, lastStableOffset: hw, logStartOffset: BigInt(log.logStartOffset) };
    if (t.offset < log.logStartOffset || t.offset > log.logEndOffset) {
      topic.partitions.push({ ...common, errorCode: KafkaError.OFFSET_OUT_OF_RANGE, records: null });
      continue;
    }
    // KIP-74: the first batch is returned even when larger than the limits, so consumers progress.
    const batches = budget > 0 ? log.read(t.offset, Math.min(t.maxBytes, budget)) : [];
    for (const b of batches) budget -= b.length;
    topic.partitions.push({ ...common, errorCode: KafkaError.NONE, records: batches });
  }
  return [...byTopic.values()];
}

/** Fetch with long polling: waits up to max_wait_ms for min_bytes (read_uncommitted). */
export const fetch: Handler = {
  apiKey: ApiKey.Fetch,
  versions: [4, 17],
  handle(node, ctx, req) {
    const v = ctx.apiVersion;
    const list = targets(node, req, v);
    const maxBytes: number = v >= 3 ? req.maxBytes : 0x7fffffff;
    const build = (): Message => ({ throttleTimeMs: 0, errorCode: KafkaError.NONE, sessionId: 0, responses: respond(list, maxBytes) });
    const minBytes = Math.max(req.minBytes as number, 1);
    if (req.maxWaitMs <= 0 || available(list, minBytes) >= minBytes) return build();
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
        if (available(list, minBytes) >= minBytes || node.topics.get(partitions[0]?.topic ?? '') === undefined) finish();
      };
      const timer = setTimeout(finish, req.maxWaitMs);
      for (const p of partitions) p.waiters.add(check);
      if (partitions.length === 0) finish();
    });
  },
};

/** ListOffsets: earliest (-2), latest (-1), max timestamp (-3), or first offset at/after a timestamp. */
export const listOffsets: Handler = {
  apiKey: ApiKey.ListOffsets,
  versions: [1, 10],
  handle(node, ctx, req) {
    const topics = (req.topics as Message[]).map((t) => ({
      name: t.name,
      partitions: (t.partitions as Message[]).map((pr) => {
        const p = node.topics.partition(t.name, pr.partitionIndex);
        if (!p) return { partitionIndex: pr.partitionIndex, errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
        const found = offsetForTimestamp(p, pr.timestamp as bigint);
        return { partitionIndex: pr.partitionIndex, errorCode: KafkaError.NONE, timestamp: found.timestamp, offset: found.offset, leaderEpoch: p.leaderEpoch };
      }),
    }));
    return { throttleTimeMs: 0, topics };
  },
};

/** Resolves a ListOffsets timestamp spec for one partition. */
export function offsetForTimestamp(p: Partition, ts: bigint): { offset: bigint; timestamp: bigint } {
  const log = p.log;
  if (ts === -1n) return { offset: BigInt(log.logEndOffset), timestamp: -1n };
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
        const p = node.topics.partition(t.topic, pr.partition);
        if (!p) return { partition: pr.partition, errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION, leaderEpoch: -1, endOffset: -1n };
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
        const p = node.topics.partition(t.name, pr.partitionIndex);
        if (!p) return { partitionIndex: pr.partitionIndex, lowWatermark: -1n, errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION };
        const target = pr.offset === -1n ? p.log.logEndOffset : Number(pr.offset);
        if (target > p.log.logEndOffset || target < 0) {
          return { partitionIndex: pr.partitionIndex, lowWatermark: -1n, errorCode: KafkaError.OFFSET_OUT_OF_RANGE };
        }
        p.log.deleteBefore(target);
        return { partitionIndex: pr.partitionIndex, lowWatermark: BigInt(p.log.logStartOffset), errorCode: KafkaError.NONE };
      }),
    }));
    return { throttleTimeMs: 0, topics };
  },
};
