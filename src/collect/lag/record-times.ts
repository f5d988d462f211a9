/**
 * Time lag measured: the lag in seconds of a group on a partition is now minus the timestamp of
 * message C, C being its committed offset (the first message it has not consumed), read from the
 * record itself. Interpolating a table of (log end offset, time) points (time-lag.ts) cannot be
 * exact when the produce rate changes between two readings of the log end: a 10× spike that
 * starts half-way between them dates the spike's first messages to the interval's first tenth.
 * The record's own timestamp has no such error: it is the producer's CreateTime, or the broker's
 * LogAppendTime on topics set so, the same time a consumer sees on the message.
 *
 * This file plans which records to read and keeps what was read; the collector reads them (one
 * small Fetch each, KafkaAdmin.readRecordTimes) between the two. Cost is bounded for fleets of
 * tens of thousands of partitions and thousands of groups:
 * - only partitions where a group is behind the log end are read; groups at the same offset of
 *   the same partition share one read;
 * - a record once read is kept while some group still sits on it, so a stopped or slow group
 *   costs one read, and only a group that moved costs a new one;
 * - at most `recordReadsPerCycle` reads a cycle; the partitions read longest ago go first, and
 *   the ones left over are interpolated this cycle (CycleTimeLag counts them).
 * Message C itself may be gone: below the log start (retention) the oldest message still held
 * is read instead, the next one the group can consume; a record without a timestamp (message
 * format 0) is interpolated.
 */
import { SluiceError } from '../../errors.ts';
import type { GroupCommittedOffsets, PartitionLogOffsets } from './lag.ts';
import type { TimeLagLookup, TopicPartition } from './time-lag.ts';

/** Default of RecordTimesOptions.recordReadsPerCycle. */
export const DEFAULT_RECORD_READS_PER_CYCLE = 1000;

/** How much reading a cycle may do. */
export interface RecordTimesOptions {
  /** Most record reads a cycle; 0 reads none (every time lag is interpolated). Default 1000. */
  readonly recordReadsPerCycle?: number;
}

/** One record to read: the first message at or after `offset` of a partition. */
export interface RecordRead extends TopicPartition {
  readonly offset: number;
}

/** A cycle's reads and how many were wanted. */
export interface RecordReadPlan {
  /** The reads to make this cycle. */
  readonly reads: RecordRead[];
  /** Distinct (partition, offset) pairs that groups are behind on. */
  readonly wanted: number;
  /** Of those, the ones already read in an earlier cycle. */
  readonly known: number;
  /** Wanted and not known, left for a later cycle by the budget. */
  readonly deferred: number;
}

/** The offset of the next message a group can consume, or undefined when it is at the log end. */
export function nextMessageOffset(committed: number, log: PartitionLogOffsets): number | undefined {
  if (committed < 0 || committed >= log.end) return undefined;
  const next = Math.max(committed, log.start);
  return next < log.end ? next : undefined;
}

interface PartitionTimes {
  /** Cycle of the last read planned here (0: never). */
  lastReadCycle: number;
  /** Timestamp of the record at or after each offset read; null: the record has none. */
  readonly times: Map<number, number | null>;
}

/** Record timestamps of one cluster, and the planning of their reads. */
export class RecordTimes {
  readonly recordReadsPerCycle: number;
  private cycle = 0;
  private readonly topics = new Map<string, { id: string | undefined; partitions: Map<number, PartitionTimes> }>();
  /** Topic ids as the last retainTopics was given them. */
  private ids: ReadonlyMap<string, string> = new Map();

  constructor(options: RecordTimesOptions = {}) {
    const budget = options.recordReadsPerCycle ?? DEFAULT_RECORD_READS_PER_CYCLE;
    if (!Number.isInteger(budget) || budget < 0) {
      throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `recordReadsPerCycle must be an integer >= 0, got ${budget}`, { path: 'recordReadsPerCycle' });
    }
    this.recordReadsPerCycle = budget;
  }

  /** Number of (partition, offset) timestamps held. */
  get size(): number {
    let n = 0;
    for (const t of this.topics.values()) for (const p of t.partitions.values()) n += p.times.size;
    return n;
  }

  /**
   * Forgets the topics gone from `ids` (topic name → id, from this cycle's metadata) and those
   * whose id changed (deleted and created again: the same offsets are other messages now).
   */
  retainTopics(ids: ReadonlyMap<string, string>): void {
    this.ids = ids;
    for (const [topic, entry] of this.topics) {
      const id = ids.get(topic);
      if (id === undefined || (entry.id !== undefined && entry.id !== id)) this.topics.delete(topic);
      else entry.id = id;
    }
  }

  /** Forgets what was read of a partition (its log was truncated or recreated). */
  forgetPartition(topic: string, partition: number): void {
    this.topics.get(topic)?.partitions.delete(partition);
  }

  /**
   * Plans this cycle's reads (see the file comment) from the groups' committed offsets and the
   * partitions' log offsets, and forgets the timestamps no group sits on any more.
   */
  plan(groups: readonly GroupCommittedOffsets[], logOffsets: readonly PartitionLogOffsets[]): RecordReadPlan {
    this.cycle++;
    const logs = new Map<string, Map<number, PartitionLogOffsets>>();
    for (const log of logOffsets) {
      let partitions = logs.get(log.topic);
      if (partitions === undefined) logs.set(log.topic, (partitions = new Map()));
      partitions.set(log.partition, log);
    }
    const wanted = new Map<string, Map<number, Set<number>>>();
    let wantedCount = 0;
    for (const { offsets } of groups) {
      for (const { topic, partition, offset } of offsets) {
        const log = logs.get(topic)?.get(partition);
        const next = log === undefined ? undefined : nextMessageOffset(offset, log);
        if (next === undefined) continue;
        let partitions = wanted.get(topic);
        if (partitions === undefined) wanted.set(topic, (partitions = new Map()));
        let set = partitions.get(partition);
        if (set === undefined) partitions.set(partition, (set = new Set()));
        if (!set.has(next)) {
          set.add(next);
          wantedCount++;
        }
      }
    }
    this.forgetUnwanted(wanted);

    const candidates: { read: RecordRead; entry: PartitionTimes; last: number }[] = [];
    let known = 0;
    for (const [topic, partitions] of wanted) {
      let topicEntry = this.topics.get(topic);
      if (topicEntry === undefined) this.topics.set(topic, (topicEntry = { id: this.ids.get(topic), partitions: new Map() }));
      for (const [partition, offsets] of partitions) {
        let entry = topicEntry.partitions.get(partition);
        if (entry === undefined) topicEntry.partitions.set(partition, (entry = { lastReadCycle: 0, times: new Map() }));
        for (const offset of offsets) {
          if (entry.times.has(offset)) known++;
          else candidates.push({ read: { topic, partition, offset }, entry, last: entry.lastReadCycle });
        }
      }
    }
    // The partitions read longest ago first (a stable sort keeps the input order among equals).
    if (candidates.length > this.recordReadsPerCycle) candidates.sort((a, b) => a.last - b.last);
    const chosen = candidates.slice(0, this.recordReadsPerCycle);
    for (const c of chosen) c.entry.lastReadCycle = this.cycle;
    return { reads: chosen.map((c) => c.read), wanted: wantedCount, known, deferred: candidates.length - chosen.length };
  }

  /** Keeps what a read found: the timestamp of the first record at or after `offset` (null: none). */
  store(topic: string, partition: number, offset: number, timestampMs: number | null): void {
    this.topics.get(topic)?.partitions.get(partition)?.times.set(offset, timestampMs);
  }

  /**
   * The timestamp of the first record at or after `offset`: a number when read, null when the
   * record has no timestamp, undefined when not read.
   */
  timestampAt(topic: string, partition: number, offset: number): number | null | undefined {
    return this.topics.get(topic)?.partitions.get(partition)?.times.get(offset);
  }

  private forgetUnwanted(wanted: ReadonlyMap<string, ReadonlyMap<number, ReadonlySet<number>>>): void {
    for (const [topic, entry] of this.topics) {
      const partitions = wanted.get(topic);
      if (partitions === undefined) {
        this.topics.delete(topic);
        continue;
      }
      for (const [partition, times] of entry.partitions) {
        const offsets = partitions.get(partition);
        if (offsets === undefined) {
          entry.partitions.delete(partition);
          continue;
        }
        for (const offset of times.times.keys()) if (!offsets.has(offset)) times.times.delete(offset);
      }
    }
  }
}

/** Where each lag in seconds of a cycle came from, counted over group partitions behind the log end. */
export interface TimeLagSourceCounts {
  /** Read from the record at the committed offset. */
  record: number;
  /** Interpolated from the log end history (not read this cycle: over the budget, or the read failed). */
  interpolated: number;
  /** Neither: not read, and older than the log end history (no lag in seconds is written). */
  unknown: number;
}

/**
 * The time-lag lookup of one cycle: the record's timestamp where it was read, else the
 * interpolation of `fallback`; 0 for a group at the log end. Counts what each answer came from.
 */
export class CycleTimeLag implements TimeLagLookup {
  readonly counts: TimeLagSourceCounts = { record: 0, interpolated: 0, unknown: 0 };
  private readonly logs = new Map<string, Map<number, PartitionLogOffsets>>();

  constructor(private readonly records: RecordTimes, private readonly fallback: TimeLagLookup, logOffsets: readonly PartitionLogOffsets[]) {
    for (const log of logOffsets) {
      let partitions = this.logs.get(log.topic);
      if (partitions === undefined) this.logs.set(log.topic, (partitions = new Map()));
      partitions.set(log.partition, log);
    }
  }

  timeLagMs(topic: string, partition: number, committedOffset: number, nowMs: number): number | undefined {
    const log = this.logs.get(topic)?.get(partition);
    if (log !== undefined && committedOffset >= log.end) return 0;
    const next = log === undefined ? undefined : nextMessageOffset(committedOffset, log);
    const ts = next === undefined ? undefined : this.records.timestampAt(topic, partition, next);
    if (typeof ts === 'number') {
      this.counts.record++;
      // A producer clock ahead of this one gives a record from the future: not behind at all.
      return Math.max(0, nowMs - ts);
    }
    const estimate = this.fallback.timeLagMs(topic, partition, committedOffset, nowMs);
    if (estimate === undefined) this.counts.unknown++;
    else this.counts.interpolated++;
    return estimate;
  }
}
