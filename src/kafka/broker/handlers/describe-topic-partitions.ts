import { KafkaError } from '../../protocol/error-codes.ts';
import { ZERO_UUID } from '../../protocol/reader.ts';
import { topicNameError, type Topic } from '../topics.ts';
import type { Handler, BrokerNode } from '../node.ts';
import type { Message } from '../../protocol/codec.ts';
import { partitionState } from './metadata.ts';

/**
 * DescribeTopicPartitions (KIP-966), as Kafka's DescribeTopicPartitionsRequestHandler answers
 * it: the named topics (or all, when none are named) in name order, from the cursor on, at most
 * `responsePartitionLimit` partitions (capped by max.request.partition.size.limit), with a next
 * cursor where it stopped. During a reassignment the replicas are the target then the replicas
 * being removed, as in Metadata.
 */

/** The API key (not in the protocol's name table). */
const DESCRIBE_TOPIC_PARTITIONS = 75;
/** max.request.partition.size.limit */
const MAX_PARTITIONS = 2000;
const AUTH_OPS_OMITTED = -2147483648;

type Cursor = { topicName: string; partitionIndex: number } | null;

/** Partitions of `t` from `start`, at most `limit`; the index to continue from, or -1. */
function describePartitions(node: BrokerNode, t: Topic, start: number, limit: number): { partitions: Message[]; next: number } {
  const end = Math.min(t.partitions.length, start + limit);
  const partitions = t.partitions.slice(start, end).map((p) => ({ ...partitionState(node, p), eligibleLeaderReplicas: [], lastKnownElr: [] }));
  return { partitions, next: end < t.partitions.length ? end : -1 };
}

/** The whole request failed (a bad cursor): every named topic carries the error. */
function failed(req: Message, code: number): Message {
  const topics = (req.topics as Message[]).map((t) => ({ errorCode: code, name: t.name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: AUTH_OPS_OMITTED }));
  return { throttleTimeMs: 0, topics, nextCursor: null };
}

/** DescribeTopicPartitions v0. */
export const describeTopicPartitions: Handler = {
  apiKey: DESCRIBE_TOPIC_PARTITIONS,
  versions: [0, 0],
  handle(node, _ctx, req) {
    const cursor = req.cursor as Cursor;
    const from = cursor?.topicName ?? '';
    const all = (req.topics as Message[]).length === 0;
    const names = new Set<string>(all ? [...node.topics.all()].map((t) => t.name) : (req.topics as Message[]).map((t) => t.name as string));
    for (const n of names) if (n < from) names.delete(n);
    if (cursor !== null && (!all && !names.has(cursor.topicName))) return failed(req, KafkaError.INVALID_REQUEST);
    if (cursor !== null && cursor.partitionIndex < 0) return failed(req, KafkaError.INVALID_REQUEST);
    let remaining = Math.max(Math.min(MAX_PARTITIONS, req.responsePartitionLimit as number), 1);
    const topics: Message[] = [];
    let nextCursor: Cursor = null;
    for (const name of [...names].sort()) {
      if (remaining === 0) {
        nextCursor = { topicName: name, partitionIndex: 0 };
        break;
      }
      const t = node.topics.get(name);
      if (!t) {
        if (!all) {
          const code = topicNameError(name) === null ? KafkaError.UNKNOWN_TOPIC_OR_PARTITION : KafkaError.INVALID_TOPIC_EXCEPTION;
          topics.push({ errorCode: code, name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: AUTH_OPS_OMITTED });
        }
        continue;
      }
      const start = cursor !== null && name === cursor.topicName ? cursor.partitionIndex : 0;
      const { partitions, next } = describePartitions(node, t, start, remaining);
      topics.push({ errorCode: KafkaError.NONE, name, topicId: t.id, isInternal: t.internal, partitions, topicAuthorizedOperations: AUTH_OPS_OMITTED });
      if (next !== -1) {
        nextCursor = { topicName: name, partitionIndex: next };
        break;
      }
      remaining -= partitions.length;
    }
    return { throttleTimeMs: 0, topics, nextCursor };
  },
};
