/**
 * Time lag: how long ago the first message a group has not consumed was produced, estimated by
 * interpolating a per-partition table of (log end offset, time) points appended each collection
 * cycle, as kafka-lag-exporter does (its LookupTable, https://github.com/seglo/kafka-lag-exporter).
 * The collector reads the message's own timestamp where it can (record-times.ts); this estimate
 * is the fallback for partitions not read in a cycle. Its error is at most the time between the
 * two readings around the message: one cycle when no reading was missed, more across a gap.
 *
 * Convention. A committed offset C is the offset of the next message the group will read, so the
 * first unconsumed message is message C. The estimate is the time at which the log end offset was
 * C, the moment just before message C was appended: linear interpolation between the last point
 * with offset <= C and the point after it. When the log end sat at C for several cycles (a flat
 * run), the last point of the run is the one used: the log end left C after it, so message C was
 * produced after it. Using the first point of the run instead would date message C to when
 * message C-1 was produced and charge the group with the producer's idle time. This is what
 * kafka-lag-exporter computes (its lookup of a flat offset lands on the segment that starts at the
 * run's last point), and it keeps time lag 0 exactly when offset lag is 0: one unconsumed message
 * never reads as 0 s.
 *
 * Nothing is extrapolated: an offset below the oldest point has no estimate (undefined), and an
 * offset at or above the newest point has time lag 0.
 */
import { SluiceError } from '../../errors.ts';

/** A partition of a topic. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** One reading of a partition's log end offset, and when it was read (ms since the epoch). */
export interface OffsetTimePoint {
  readonly offset: number;
  readonly timeMs: number;
}

/** How much history a table keeps; whichever bound is hit first applies. */
export interface OffsetTimeTableOptions {
  /** Most points kept per partition (a flat run costs two). Default 120. */
  readonly maxPoints?: number;
  /**
   * Span of history kept, in ms. The oldest point is dropped only once the next one is itself
   * at least this old, so the table always covers the whole span. Default 1 h.
   */
  readonly maxAgeMs?: number;
}

/** Defaults of OffsetTimeTableOptions. */
export const DEFAULT_TIME_TABLE_OPTIONS = { maxPoints: 120, maxAgeMs: 3_600_000 } as const;

/**
 * What append did with a point: `inserted` it as a new point; `extended` a flat run (the last two
 * points already had this offset, so the last one's time moved forward instead); ignored it as
 * `out-of-order` (not later than the newest point); or `reset` the table because the log end went
 * backwards (topic recreated or log truncated), which leaves the new point alone.
 */
export type AppendResult = 'inserted' | 'extended' | 'out-of-order' | 'reset';

/** Anything that can answer a time-lag question for a partition: the seam lag.ts reads through. */
export interface TimeLagLookup {
  /** Time lag in ms of `committedOffset` at `nowMs`, or undefined when the table cannot tell. */
  timeLagMs(topic: string, partition: number, committedOffset: number, nowMs: number): number | undefined;
}

function resolveOptions(options: OffsetTimeTableOptions): { maxPoints: number; maxAgeMs: number } {
  const maxPoints = options.maxPoints ?? DEFAULT_TIME_TABLE_OPTIONS.maxPoints;
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_TIME_TABLE_OPTIONS.maxAgeMs;
  // Two points are the least that can interpolate anything.
  if (!Number.isInteger(maxPoints) || maxPoints < 2) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `maxPoints must be an integer >= 2, got ${maxPoints}`, {
      path: 'maxPoints',
    });
  }
  if (!Number.isFinite(maxAgeMs) || maxAgeMs <= 0) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `maxAgeMs must be a positive number, got ${maxAgeMs}`, {
      path: 'maxAgeMs',
    });
  }
  return { maxPoints, maxAgeMs };
}

/**
 * The (log end offset, time) history of one partition, oldest first, offsets non-decreasing and
 * times increasing. Stored as a ring of two Float64Arrays that grows on demand up to maxPoints, so
 * that an idle partition costs a few bytes and 20,000 busy ones stay within tens of MB.
 */
export class OffsetTimeTable {
  readonly maxPoints: number;
  readonly maxAgeMs: number;
  private offsets: Float64Array;
  private times: Float64Array;
  /** Ring index of the oldest point. */
  private head = 0;
  private count = 0;

  constructor(options: OffsetTimeTableOptions = {}) {
    const { maxPoints, maxAgeMs } = resolveOptions(options);
    this.maxPoints = maxPoints;
    this.maxAgeMs = maxAgeMs;
    const initial = Math.min(4, maxPoints);
    this.offsets = new Float64Array(initial);
    this.times = new Float64Array(initial);
  }

  /** Number of points held. */
  get size(): number {
    return this.count;
  }

  /** The newest point, if any. */
  get newest(): OffsetTimePoint | undefined {
    return this.count === 0 ? undefined : this.pointAt(this.count - 1);
  }

  /** The points held, oldest first (a copy). */
  points(): OffsetTimePoint[] {
    const out: OffsetTimePoint[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.pointAt(i));
    return out;
  }

  /** Adds this cycle's log end offset, read at `timeMs`. */
  append(offset: number, timeMs: number): AppendResult {
    if (this.count > 0) {
      const last = this.count - 1;
      if (timeMs <= this.timeAt(last)) return 'out-of-order';
      if (offset < this.offsetAt(last)) {
        this.count = 0;
        this.head = 0;
        this.push(offset, timeMs);
        return 'reset';
      }
      // Flat run: keep its first and last points only, moving the last one forward in time.
      if (this.count >= 2 && this.offsetAt(last) === offset && this.offsetAt(last - 1) === offset) {
        this.times[this.ringIndex(last)] = timeMs;
        this.evictOld(timeMs);
        return 'extended';
      }
    }
    this.push(offset, timeMs);
    this.evictOld(timeMs);
    return 'inserted';
  }

  /**
   * Estimated time (ms) at which the log end offset was `offset` (see the file comment), or
   * undefined when `offset` is outside [oldest offset, newest offset).
   */
  timeAtOffset(offset: number): number | undefined {
    if (this.count === 0) return undefined;
    if (offset < this.offsetAt(0) || offset >= this.offsetAt(this.count - 1)) return undefined;
    // Last point with offset <= `offset`; the one after it has a larger offset, since `offset` is
    // below the newest point's.
    let lo = 0;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.offsetAt(mid) <= offset) lo = mid;
      else hi = mid - 1;
    }
    const leftOffset = this.offsetAt(lo);
    const leftTime = this.timeAt(lo);
    const rightOffset = this.offsetAt(lo + 1);
    const rightTime = this.timeAt(lo + 1);
    return leftTime + ((offset - leftOffset) * (rightTime - leftTime)) / (rightOffset - leftOffset);
  }

  /**
   * Time lag in ms at `nowMs` of a group that committed `committedOffset`: 0 when it is at or
   * past the newest point; undefined when the table is empty or the offset is below its oldest
   * point (never extrapolated); otherwise `nowMs` minus timeAtOffset, never below 0.
   */
  timeLagMs(committedOffset: number, nowMs: number): number | undefined {
    if (this.count === 0) return undefined;
    if (committedOffset >= this.offsetAt(this.count - 1)) return 0;
    const at = this.timeAtOffset(committedOffset);
    return at === undefined ? undefined : Math.max(0, nowMs - at);
  }

  private push(offset: number, timeMs: number): void {
    if (this.count === this.offsets.length) {
      if (this.count < this.maxPoints) this.grow();
      else this.dropOldest();
    }
    const i = this.ringIndex(this.count);
    this.offsets[i] = offset;
    this.times[i] = timeMs;
    this.count++;
  }

  /** Drops the oldest point while the next one is old enough to cover maxAgeMs by itself. */
  private evictOld(newestMs: number): void {
    const cutoff = newestMs - this.maxAgeMs;
    while (this.count >= 2 && this.timeAt(1) <= cutoff) this.dropOldest();
  }

  private dropOldest(): void {
    this.head = (this.head + 1) % this.offsets.length;
    this.count--;
  }

  private grow(): void {
    const capacity = Math.min(this.offsets.length * 2, this.maxPoints);
    const offsets = new Float64Array(capacity);
    const times = new Float64Array(capacity);
    for (let i = 0; i < this.count; i++) {
      offsets[i] = this.offsetAt(i);
      times[i] = this.timeAt(i);
    }
    this.offsets = offsets;
    this.times = times;
    this.head = 0;
  }

  private ringIndex(i: number): number {
    return (this.head + i) % this.offsets.length;
  }

  private offsetAt(i: number): number {
    return this.offsets[this.ringIndex(i)];
  }

  private timeAt(i: number): number {
    return this.times[this.ringIndex(i)];
  }

  private pointAt(i: number): OffsetTimePoint {
    return { offset: this.offsetAt(i), timeMs: this.timeAt(i) };
  }
}

/** The tables of every partition of one cluster, keyed by topic then partition. */
export class OffsetTimeTables implements TimeLagLookup {
  private readonly options: { maxPoints: number; maxAgeMs: number };
  private readonly byTopic = new Map<string, Map<number, OffsetTimeTable>>();

  constructor(options: OffsetTimeTableOptions = {}) {
    this.options = resolveOptions(options);
  }

  /** Number of partitions with a table. */
  get size(): number {
    let n = 0;
    for (const partitions of this.byTopic.values()) n += partitions.size;
    return n;
  }

  /** Adds a partition's log end offset read at `timeMs`, creating its table on first sight. */
  append(topic: string, partition: number, offset: number, timeMs: number): AppendResult {
    let partitions = this.byTopic.get(topic);
    if (partitions === undefined) {
      partitions = new Map();
      this.byTopic.set(topic, partitions);
    }
    let table = partitions.get(partition);
    if (table === undefined) {
      table = new OffsetTimeTable(this.options);
      partitions.set(partition, table);
    }
    return table.append(offset, timeMs);
  }

  /** The table of one partition, if it has one. */
  table(topic: string, partition: number): OffsetTimeTable | undefined {
    return this.byTopic.get(topic)?.get(partition);
  }

  /** See OffsetTimeTable.timeLagMs; undefined for a partition without a table. */
  timeLagMs(topic: string, partition: number, committedOffset: number, nowMs: number): number | undefined {
    return this.table(topic, partition)?.timeLagMs(committedOffset, nowMs);
  }

  /**
   * Keeps the tables of `partitions` only (the cluster's partitions per its latest metadata) and
   * returns how many were dropped: deleted topics, and partitions gone from a recreated topic.
   */
  retain(partitions: Iterable<TopicPartition>): number {
    const keep = new Map<string, Set<number>>();
    for (const { topic, partition } of partitions) {
      let set = keep.get(topic);
      if (set === undefined) keep.set(topic, (set = new Set()));
      set.add(partition);
    }
    let dropped = 0;
    for (const [topic, tables] of this.byTopic) {
      const kept = keep.get(topic);
      for (const partition of tables.keys()) {
        if (kept === undefined || !kept.has(partition)) {
          tables.delete(partition);
          dropped++;
        }
      }
      if (tables.size === 0) this.byTopic.delete(topic);
    }
    return dropped;
  }

  /** Drops every table of `topic`; true if it had any. */
  deleteTopic(topic: string): boolean {
    return this.byTopic.delete(topic);
  }

  /**
   * Drops the tables not appended to for maxAgeMs before `nowMs` (partitions no longer seen, e.g.
   * deleted while metadata was unavailable) and returns how many.
   */
  evictUnseen(nowMs: number): number {
    const cutoff = nowMs - this.options.maxAgeMs;
    let dropped = 0;
    for (const [topic, tables] of this.byTopic) {
      for (const [partition, table] of tables) {
        const newest = table.newest;
        if (newest === undefined || newest.timeMs < cutoff) {
          tables.delete(partition);
          dropped++;
        }
      }
      if (tables.size === 0) this.byTopic.delete(topic);
    }
    return dropped;
  }
}
