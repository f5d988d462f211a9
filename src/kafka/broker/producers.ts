import { KafkaError } from '../protocol/error-codes.ts';
import type { BatchInfo } from '../protocol/records.ts';

/** Batches remembered per producer and partition for duplicate detection, as Kafka keeps 5. */
const REMEMBERED_BATCHES = 5;

interface BatchMeta {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly baseOffset: number;
}

interface ProducerPartitionState {
  epoch: number;
  batches: BatchMeta[];
}

/** What the idempotence check decided for one incoming batch. */
export type SequenceCheck =
  | { readonly kind: 'append' }
  | { readonly kind: 'duplicate'; readonly baseOffset: number }
  | { readonly kind: 'error'; readonly errorCode: number; readonly message: string };

/**
 * Idempotent-producer state of one partition (KIP-98): per producer id, its epoch and the last
 * few batches' sequence ranges, so a retried batch is acknowledged with its original offset
 * instead of being written twice, and a gap is refused with OUT_OF_ORDER_SEQUENCE_NUMBER.
 */
export class ProducerStateTable {
  private readonly states = new Map<bigint, ProducerPartitionState>();

  /** Checks a batch before it is appended. */
  check(batch: BatchInfo): SequenceCheck {
    if (batch.producerId < 0n) return { kind: 'append' };
    const state = this.states.get(batch.producerId);
    const firstSeq = batch.baseSequence;
    const lastSeq = lastSequence(batch);
    if (!state) return { kind: 'append' };
    if (batch.producerEpoch < state.epoch) {
      return { kind: 'error', errorCode: KafkaError.INVALID_PRODUCER_EPOCH, message: `producer epoch ${batch.producerEpoch} is older than ${state.epoch}` };
    }
    if (batch.producerEpoch > state.epoch) {
      if (firstSeq !== 0) {
        return { kind: 'error', errorCode: KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `new epoch ${batch.producerEpoch} must start at sequence 0, got ${firstSeq}` };
      }
      return { kind: 'append' };
    }
    for (const b of state.batches) {
      if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return { kind: 'duplicate', baseOffset: b.baseOffset };
    }
    const last = state.batches[state.batches.length - 1];
    const expected = last ? nextSequence(last.lastSeq) : 0;
    if (last && firstSeq !== expected) {
      return { kind: 'error', errorCode: KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `expected sequence ${expected}, got ${firstSeq}` };
    }
    return { kind: 'append' };
  }

  /** Records an appended batch. */
  record(batch: BatchInfo, baseOffset: number): void {
    if (batch.producerId < 0n) return;
    let state = this.states.get(batch.producerId);
    if (!state || batch.producerEpoch > state.epoch) {
      state = { epoch: batch.producerEpoch, batches: [] };
      this.states.set(batch.producerId, state);
    }
    state.batches.push({ firstSeq: batch.baseSequence, lastSeq: lastSequence(batch), baseOffset });
    if (state.batches.length > REMEMBERED_BATCHES) state.batches.shift();
  }
}

function lastSequence(batch: BatchInfo): number {
  return (batch.baseSequence + batch.lastOffsetDelta) % 2147483648;
}

function nextSequence(seq: number): number {
  return seq === 2147483647 ? 0 : seq + 1;
}
