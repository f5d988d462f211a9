import { assignOffsets, type BatchInfo } from '../protocol/records.ts';

/** One stored batch; offsets as numbers (exact up to 2^53, far beyond any in-memory log). */
export interface StoredBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly bytes: Buffer;
  readonly maxTimestamp: number;
  readonly leaderEpoch: number;
  /** Wall-clock time the broker appended it (for time retention of future-dated batches). */
  readonly appendedAt: number;
}

/** Start offsets of each leader epoch, for OffsetForLeaderEpoch (KIP-101). */
export interface EpochStart {
  readonly epoch: number;
  readonly startOffset: number;
}

/**
 * The in-memory log of one partition replica: batches in offset order, a log start offset that
 * moves forward with retention, and the leader-epoch history.
 */
export class PartitionLog {
  private batches: StoredBatch[] = [];
  /** Index of the first live batch in `batches` (retention drops from the front without shifting). */
  private head = 0;
  logStartOffset = 0;
  /** Log end offset: the offset the next record gets. */
  logEndOffset = 0;
  /** Bytes held by live batches. */
  size = 0;
  readonly epochs: EpochStart[] = [];

  /** Number of live batches. */
  get batchCount(): number {
    return this.batches.length - this.head;
  }

  /** When the newest live batch was appended (a segment's last-modified time), or null when empty. */
  get lastAppendedAt(): number | null {
    return this.batchCount > 0 ? this.batches[this.batches.length - 1]!.appendedAt : null;
  }

  /** Records a new leader epoch starting at the current log end. */
  beginEpoch(epoch: number): void {
    const last = this.epochs[this.epochs.length - 1];
    if (last && last.epoch >= epoch) return;
    this.epochs.push({ epoch, startOffset: this.logEndOffset });
  }

  /** The current leader epoch known to this log (-1 before any). */
  get latestEpoch(): number {
    return this.epochs[this.epochs.length - 1]?.epoch ?? -1;
  }

  /**
   * Appends validated batches: assigns consecutive offsets by rewriting each batch's baseOffset.
   * The buffers become owned by the log. Returns the first and last offsets assigned.
   */
  append(batches: readonly BatchInfo[], leaderEpoch: number, now: number): { baseOffset: number; lastOffset: number } {
    const baseOffset = this.logEndOffset;
    for (const b of batches) {
      const start = this.logEndOffset;
      assignOffsets(b.bytes, BigInt(start), leaderEpoch);
      const lastOffset = start + b.lastOffsetDelta;
      this.batches.push({ baseOffset: start, lastOffset, bytes: b.bytes, maxTimestamp: Number(b.maxTimestamp), leaderEpoch, appendedAt: now });
      this.size += b.bytes.length;
      this.logEndOffset = lastOffset + 1;
    }
    return { baseOffset, lastOffset: this.logEndOffset - 1 };
  }

  /** Appends a batch copied from a leader as is (followers keep the leader's offsets and epochs). */
  appendReplica(b: StoredBatch, now: number): void {
    this.beginEpoch(b.leaderEpoch);
    const { bytes, lastOffset } = b;
    this.batches.push({ ...b, appendedAt: now });
    this.size += bytes.length;
    this.logEndOffset = lastOffset + 1;
  }

  /** Index (into `batches`) of the batch containing `offset`, or of the first batch after it. */
  private indexOf(offset: number): number {
    let lo = this.head;
    let hi = this.batches.length - 1;
    let found = this.batches.length;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.batches[mid]!.lastOffset >= offset) {
        found = mid;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    return found;
  }

  /**
   * Batches from the one containing `offset`, up to `maxBytes` (always at least one batch when
   * any exists, as KIP-74 requires) and below `upTo` (exclusive, the high watermark).
   */
  read(offset: number, maxBytes: number, upTo: number = this.logEndOffset): Buffer[] {
    const out: Buffer[] = [];
    let bytes = 0;
    for (let i = this.indexOf(offset); i < this.batches.length; i++) {
      const b = this.batches[i]!;
      if (b.baseOffset >= upTo) break;
      if (out.length > 0 && bytes + b.bytes.length > maxBytes) break;
      out.push(b.bytes);
      bytes += b.bytes.length;
      if (bytes >= maxBytes) break;
    }
    return out;
  }

  /** Bytes available from `offset` up to `upTo` (for Fetch min_bytes), counting whole batches. */
  bytesAvailable(offset: number, upTo: number = this.logEndOffset, limit = Infinity): number {
    let bytes = 0;
    for (let i = this.indexOf(offset); i < this.batches.length && bytes < limit; i++) {
      const b = this.batches[i]!;
      if (b.baseOffset >= upTo) break;
      bytes += b.bytes.length;
    }
    return bytes;
  }

  /** Live batches from the one containing `offset` (replication and timestamp search). */
  *batchesFrom(offset: number): Generator<StoredBatch> {
    for (let i = this.indexOf(offset); i < this.batches.length; i++) yield this.batches[i]!;
  }

  /** The first live batch whose max timestamp is at or after `ts`, or null. */
  firstBatchAtOrAfter(ts: number): StoredBatch | null {
    for (let i = this.head; i < this.batches.length; i++) {
      if (this.batches[i]!.maxTimestamp >= ts) return this.batches[i]!;
    }
    return null;
  }

  /** The live batch with the largest max timestamp (ListOffsets MAX_TIMESTAMP), or null. */
  maxTimestampBatch(): StoredBatch | null {
    let best: StoredBatch | null = null;
    for (let i = this.head; i < this.batches.length; i++) {
      const b = this.batches[i]!;
      if (!best || b.maxTimestamp > best.maxTimestamp) best = b;
    }
    return best;
  }

  /**
   * Applies retention: drops whole batches from the front while the log is larger than
   * `retentionBytes` (-1 = unlimited) or older than `retentionMs` (-1 = forever).
   * Returns the number of batches dropped.
   */
  applyRetention(now: number, retentionMs: number, retentionBytes: number): number {
    let dropped = 0;
    while (this.head < this.batches.length) {
      const b = this.batches[this.head]!;
      const tooBig = retentionBytes >= 0 && this.size > retentionBytes;
      const tooOld = retentionMs >= 0 && Math.max(b.maxTimestamp, 0) < now - retentionMs && b.appendedAt < now - retentionMs;
      if (!tooBig && !tooOld) break;
      this.size -= b.bytes.length;
      this.head++;
      dropped++;
      this.logStartOffset = b.lastOffset + 1;
    }
    if (this.head > 1024 && this.head * 2 > this.batches.length) {
      this.batches = this.batches.slice(this.head);
      this.head = 0;
    }
    return dropped;
  }

  /** Moves the log start offset forward (DeleteRecords), dropping batches wholly below it. */
  deleteBefore(offset: number): void {
    const target = Math.min(offset, this.logEndOffset);
    while (this.head < this.batches.length && this.batches[this.head]!.lastOffset < target) {
      this.size -= this.batches[this.head]!.bytes.length;
      this.head++;
    }
    this.logStartOffset = Math.max(this.logStartOffset, target);
  }

  /** Empties the log and restarts it at `offset` (a follower behind its leader's log start). */
  resetTo(offset: number): void {
    this.batches = [];
    this.head = 0;
    this.size = 0;
    this.logStartOffset = offset;
    this.logEndOffset = offset;
  }

  /** Truncates the log to `offset` (a follower diverging from its leader). */
  truncateTo(offset: number): void {
    while (this.batches.length > this.head && this.batches[this.batches.length - 1]!.baseOffset >= offset) {
      this.size -= this.batches.pop()!.bytes.length;
    }
    this.logEndOffset = Math.max(this.logStartOffset, Math.min(this.logEndOffset, offset));
    while (this.epochs.length > 0 && this.epochs[this.epochs.length - 1]!.startOffset > this.logEndOffset) this.epochs.pop();
  }

  /**
   * End offset of `epoch` for OffsetForLeaderEpoch: the start offset of the next larger epoch,
   * or the log end for the latest one; with the largest epoch not above the one asked.
   */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    let found = -1;
    for (let i = this.epochs.length - 1; i >= 0; i--) {
      if (this.epochs[i]!.epoch <= epoch) {
        found = i;
        break;
      }
    }
    if (found < 0) return { epoch: -1, endOffset: -1 };
    const next = this.epochs[found + 1];
    return { epoch: this.epochs[found]!.epoch, endOffset: next ? next.startOffset : this.logEndOffset };
  }
}
