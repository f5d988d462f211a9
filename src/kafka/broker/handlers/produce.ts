import { ApiKey } from '../../protocol/messages.ts';
import { KafkaError } from '../../protocol/error-codes.ts';
import { InvalidRecordsError, parseBatches, type BatchInfo } from '../../protocol/records.ts';
import type { Handler, BrokerNode } from '../node.ts';
import type { Partition } from '../topics.ts';
import type { Message } from '../../protocol/codec.ts';

interface PartitionResult {
  errorCode: number;
  baseOffset: bigint;
  logStartOffset: bigint;
  errorMessage: string | null;
}

/** Validates and appends one partition's records; never throws for bad input. */
export function appendRecords(node: BrokerNode, p: Partition, records: Buffer | null, maxMessageBytes: number): PartitionResult {
  const fail = (errorCode: number, errorMessage: string): PartitionResult => ({ errorCode, errorMessage, baseOffset: -1n, logStartOffset: -1n });
  if (records === null || records.length === 0) return fail(KafkaError.INVALID_RECORD, 'produce request carries no records');
  let batches: BatchInfo[];
  try {
    // Copy once: the log owns its bytes and must not pin the request frame.
    batches = parseBatches(Buffer.from(records));
  } catch (err) {
    if (err instanceof InvalidRecordsError) {
      node.logger.debug({ topic: p.topic, partition: p.index, reason: err.message }, 'produce refused');
      return fail(err.errorCode, err.message);
    }
    throw err;
  }
  for (const b of batches) {
    if (b.bytes.length > maxMessageBytes) {
      return fail(KafkaError.MESSAGE_TOO_LARGE, `batch of ${b.bytes.length} bytes exceeds max.message.bytes ${maxMessageBytes}`);
    }
  }
  // Idempotent producers: a retried batch is acknowledged with its first offset, never rewritten.
  const first = batches[0]!;
  const check = p.producers.check(first);
  if (check.kind === 'error') return fail(check.errorCode, check.message);
  if (check.kind === 'duplicate') {
    return { errorCode: KafkaError.NONE, errorMessage: null, baseOffset: BigInt(check.baseOffset), logStartOffset: BigInt(p.log.logStartOffset) };
  }
  const now = Date.now();
  const { baseOffset } = p.log.append(batches, p.leaderEpoch, now);
  let at = baseOffset;
  for (const b of batches) {
    p.producers.record(b, at);
    at += b.lastOffsetDelta + 1;
  }
  node.notify(p);
  return { errorCode: KafkaError.NONE, errorMessage: null, baseOffset: BigInt(baseOffset), logStartOffset: BigInt(p.log.logStartOffset) };
}

/** Produce: acks 0 (no response), 1 and -1 (all: the ISR is this node alone). */
export const produce: Handler = {
  apiKey: ApiKey.Produce,
  versions: [3, 11],
  handle(node, ctx, req) {
    const acks: number = req.acks;
    const validAcks = acks === 0 || acks === 1 || acks === -1;
    const responses = (req.topicData as Message[]).map((t) => {
      const topic = node.topics.get(t.name);
      const maxMessageBytes = topic ? node.topics.numericConfig(topic, 'max.message.bytes') : 0;
      return {
        name: t.name,
        partitionResponses: (t.partitionData as Message[]).map((pd) => {
          const base = { index: pd.index, logAppendTimeMs: -1n };
          if (!validAcks) return { ...base, errorCode: KafkaError.INVALID_REQUIRED_ACKS, baseOffset: -1n, logStartOffset: -1n };
          const p = topic?.partitions[pd.index];
          if (!p || topic!.internal) {
            return { ...base, errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1n, logStartOffset: -1n };
          }
          return { ...base, ...appendRecords(node, p, pd.records, maxMessageBytes) };
        }),
      };
    });
    if (acks === 0) return null;
    return { responses, throttleTimeMs: 0 };
  },
};
