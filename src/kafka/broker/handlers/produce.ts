import { ApiKey } from '../../protocol/messages.ts';
import { KafkaError } from '../../protocol/error-codes.ts';
import { InvalidRecordsError, parseBatches, type BatchInfo } from '../../protocol/records.ts';
import { upConvert } from '../../protocol/legacy-records.ts';
import { quotaUser, type Handler, type BrokerNode } from '../node.ts';
import type { Partition, Topic } from '../topics.ts';
import type { Message } from '../../protocol/codec.ts';

/** The outcome of one partition's append. */
export interface PartitionResult {
  errorCode: number;
  baseOffset: bigint;
  logStartOffset: bigint;
  errorMessage: string | null;
  /** Offset that must be replicated before acks=all is answered (-1: nothing to wait for). */
  lastOffset: number;
}

function fail(errorCode: number, errorMessage: string | null = null): PartitionResult {
  return { errorCode, errorMessage, baseOffset: -1n, logStartOffset: -1n, lastOffset: -1 };
}

/**
 * Validates and appends one partition's records on its leader; never throws for bad input.
 * `messageSets`: the records may be a message set (Produce v0–2), converted to a batch first.
 */
export function appendRecords(node: BrokerNode, topic: Topic, p: Partition, records: Buffer | null, acks: number, messageSets = false): PartitionResult {
  if (records === null || records.length === 0) return fail(KafkaError.INVALID_RECORD, 'produce request carries no records');
  let batches: BatchInfo[];
  try {
    // Copy once: the log owns its bytes and must not pin the request frame.
    const own = Buffer.from(records);
    batches = parseBatches(messageSets ? upConvert(own) : own);
  } catch (err) {
    if (err instanceof InvalidRecordsError) {
      node.logger.debug({ topic: p.topic, partition: p.index, reason: err.message }, 'produce refused');
      return fail(err.errorCode, err.message);
    }
    throw err;
  }
  const maxMessageBytes = node.topics.numericConfig(topic, 'max.message.bytes');
  for (const b of batches) {
    if (b.bytes.length > maxMessageBytes) {
      return fail(KafkaError.MESSAGE_TOO_LARGE, `batch of ${b.bytes.length} bytes exceeds max.message.bytes ${maxMessageBytes}`);
    }
  }
  if (node.logDirFull(records.length)) {
    node.stats.storageErrors++;
    return fail(KafkaError.KAFKA_STORAGE_ERROR, `log dir ${node.logDir} is full (${node.capacity.logDirBytes} bytes)`);
  }
  const minIsr = node.topics.numericConfig(topic, 'min.insync.replicas');
  if (acks === -1 && p.isr.length < minIsr) {
    return fail(KafkaError.NOT_ENOUGH_REPLICAS, `The size of the current ISR [${p.isr.join(', ')}] is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${p.topic}-${p.index}`);
  }
  // Idempotent producers: a retried batch is acknowledged with its first offset, never rewritten.
  const first = batches[0]!;
  const check = p.producers.check(first);
  if (check.kind === 'error') return fail(check.errorCode, check.message);
  if (check.kind === 'duplicate') {
    return { errorCode: KafkaError.NONE, errorMessage: null, baseOffset: BigInt(check.baseOffset), logStartOffset: BigInt(p.log.logStartOffset), lastOffset: check.baseOffset };
  }
  const { baseOffset, lastOffset } = p.log.append(batches, p.leaderEpoch, Date.now());
  let at = baseOffset;
  for (const b of batches) {
    p.producers.record(b, at);
    at += b.lastOffsetDelta + 1;
  }
  node.notify(p);
  const counters = node.stats.topic(p.topic);
  let messages = 0;
  for (const b of batches) messages += b.recordsCount;
  counters.bytesIn += records.length;
  counters.messagesIn += messages;
  return { errorCode: KafkaError.NONE, errorMessage: null, baseOffset: BigInt(baseOffset), logStartOffset: BigInt(p.log.logStartOffset), lastOffset };
}

/**
 * Produce: acks 0 (no response), 1 (leader) and -1 (all in-sync replicas, honouring
 * min.insync.replicas). v0–2 carry message sets (magic 0 or 1), stored as batches.
 */
export const produce: Handler = {
  apiKey: ApiKey.Produce,
  versions: [0, 11],
  handle(node, ctx, req) {
    const acks: number = req.acks;
    const validAcks = acks === 0 || acks === 1 || acks === -1;
    const waits: Promise<void>[] = [];
    const responses = (req.topicData as Message[]).map((t) => {
      const topic = node.topics.get(t.name);
      return {
        name: t.name,
        partitionResponses: (t.partitionData as Message[]).map((pd) => {
          const out: Message = { index: pd.index, logAppendTimeMs: -1n };
          if (!validAcks) return Object.assign(out, fail(KafkaError.INVALID_REQUIRED_ACKS));
          const p = topic && !topic.internal ? node.ledPartition(topic, pd.index) : undefined;
          if (!p) return Object.assign(out, fail(topic?.internal ? KafkaError.UNKNOWN_TOPIC_OR_PARTITION : node.notLedError(t.name, pd.index)));
          const r = appendRecords(node, topic!, p, pd.records, acks, ctx.apiVersion < 3);
          const counters = node.stats.topic(p.topic);
          counters.totalProduceRequests++;
          if (r.errorCode !== 0) counters.failedProduceRequests++;
          Object.assign(out, r);
          if (acks === -1 && r.errorCode === 0 && r.lastOffset >= 0) {
            const timeout = KafkaError.REQUEST_TIMED_OUT;
            waits.push(p.awaitReplication(r.lastOffset, req.timeoutMs, timeout).then((code) => {
              if (code !== 0) Object.assign(out, fail(code));
            }));
          }
          return out;
        }),
      };
    });
    // Produce quota: the request's bytes count against the client's producer_byte_rate.
    const throttleTimeMs = node.quotaEnforcer.recordAndThrottle('produce', quotaUser(ctx.conn.principal), ctx.clientId, ctx.frameBytes, Date.now()).throttleMs;
    if (acks === 0) return null;
    const body = { responses, throttleTimeMs };
    return waits.length === 0 ? body : Promise.all(waits).then(() => body);
  },
};
