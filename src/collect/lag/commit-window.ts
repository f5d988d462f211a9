/**
 * The windows the Burrow-style evaluator reads (burrow.ts): per group and partition the last
 * `intervals` commits, and per partition the last `intervals` log end offsets. Storage follows
 * Burrow's in-memory storage module (core/internal/storage/inmemory.go at
 * github.com/linkedin/Burrow), rewritten from its description:
 * - every commit is a window entry, even one that repeats the previous offset (that is how a
 *   stalled consumer shows), ordered by `order` (Burrow: the offset of the commit record in
 *   __consumer_offsets); a commit older than the whole of a full window, or a duplicate order,
 *   is dropped; one that arrives out of order is inserted in place, without a lag;
 * - the lag of an appended commit is the newest known log end offset minus the committed
 *   offset, at least 0; a commit on a partition with no known log end offset is dropped;
 * - a commit less than minDistanceMs after the previous one replaces it, keeping the previous
 *   timestamp, so that fast committers still span a useful window;
 * - every log end reading is kept, changed or not (the evaluator's "recently caught up" test).
 *
 * Collectors that poll committed offsets (OffsetFetch) see no commit events: observeCommitted
 * turns a reading into a commit, stamped with the reading's time, when the offset changed, or
 * when it did not but the group has members (`committing`): live consumers commit on a timer
 * (auto-commit) or after each batch, so a group with members whose offset stands still is
 * re-committing it (STALL under the rules), while a group without members commits nothing and
 * its window ages until it is STOP, as Burrow sees both through __consumer_offsets.
 *
 * Burrow lists every partition of a topic once a group commits any of them; groupWindows does
 * the same, with an empty window for a partition the group has not committed.
 */
import type { CommitEntry, GroupPartitionWindow, PartitionWindow } from './burrow.ts';
import type { TopicPartition } from './time-lag.ts';
import { SluiceError } from '../../errors.ts';

/** How much the store keeps. */
export interface CommitWindowOptions {
  /** Commits per partition window, and log end readings per partition (Burrow: 10). */
  readonly intervals?: number;
  /** Commits closer than this to the previous one replace it (Burrow `min-distance`; default 0: off). */
  readonly minDistanceMs?: number;
  /** expireGroups drops groups without a new commit for this long (Burrow `expire-group`: 7 days). */
  readonly expireGroupMs?: number;
}

/** Defaults of CommitWindowOptions. */
export const DEFAULT_COMMIT_WINDOW_OPTIONS = { intervals: 10, minDistanceMs: 0, expireGroupMs: 604_800_000 } as const;

/** A commit as a consumer-offsets reader sees it. */
export interface CommitRecord {
  readonly offset: number;
  /** Commit time (ms since the epoch). */
  readonly timestampMs: number;
  /** Position in the commit log; default timestampMs. */
  readonly order?: number;
}

/**
 * What recordCommit did: `appended` as the newest commit; `inserted` an out-of-order commit in
 * place; `merged` into the previous commit (min distance); dropped it because the partition has
 * no known log end (`dropped-unknown-partition`), it repeats an order already held
 * (`dropped-duplicate`), or it is older than a full window (`dropped-too-old`).
 */
export type RecordCommitResult =
  | 'appended'
  | 'inserted'
  | 'merged'
  | 'dropped-unknown-partition'
  | 'dropped-duplicate'
  | 'dropped-too-old';

/** A window entry with its order. */
export interface StoredCommit extends CommitEntry {
  readonly order: number;
}

/** A window as the store hands it out: the evaluator's PartitionWindow, with commit orders. */
export interface StoredPartitionWindow extends PartitionWindow {
  readonly commits: readonly StoredCommit[];
}

interface GroupWindows {
  /** Timestamp of the newest appended commit, for expiry. */
  lastCommitMs: number;
  readonly topics: Map<string, Map<number, StoredCommit[]>>;
}

/** Commit windows and log end offset rings of one cluster. */
export class CommitWindows {
  readonly intervals: number;
  readonly minDistanceMs: number;
  readonly expireGroupMs: number;
  private readonly logEnds = new Map<string, Map<number, number[]>>();
  private readonly groupsByName = new Map<string, GroupWindows>();

  constructor(options: CommitWindowOptions = {}) {
    this.intervals = options.intervals ?? DEFAULT_COMMIT_WINDOW_OPTIONS.intervals;
    this.minDistanceMs = options.minDistanceMs ?? DEFAULT_COMMIT_WINDOW_OPTIONS.minDistanceMs;
    this.expireGroupMs = options.expireGroupMs ?? DEFAULT_COMMIT_WINDOW_OPTIONS.expireGroupMs;
    if (!Number.isInteger(this.intervals) || this.intervals < 1) {
      throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `intervals must be an integer >= 1, got ${this.intervals}`, {
        path: 'intervals',
      });
    }
    for (const [name, value] of [
      ['minDistanceMs', this.minDistanceMs],
      ['expireGroupMs', this.expireGroupMs],
    ] as const) {
      if (!(Number.isFinite(value) && value >= 0)) {
        throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `${name} must be a number >= 0, got ${value}`, { path: name });
      }
    }
  }

  /** Adds a log end offset reading of a partition (every cycle, changed or not). */
  recordLogEnd(topic: string, partition: number, offset: number): void {
    let partitions = this.logEnds.get(topic);
    if (partitions === undefined) this.logEnds.set(topic, (partitions = new Map()));
    let ring = partitions.get(partition);
    if (ring === undefined) partitions.set(partition, (ring = []));
    ring.push(offset);
    if (ring.length > this.intervals) ring.shift();
  }

  /** Adds a commit of `group` on a partition; record the cycle's log end offsets first. */
  recordCommit(group: string, topic: string, partition: number, commit: CommitRecord): RecordCommitResult {
    const logEnds = this.logEnds.get(topic)?.get(partition);
    if (logEnds === undefined || logEnds.length === 0) return 'dropped-unknown-partition';
    const order = commit.order ?? commit.timestampMs;
    const commits = this.commitsOf(group, topic, partition);
    const full = commits.length >= this.intervals;
    const newest = commits[commits.length - 1];

    let at = commits.length;
    let appended = true;
    if (newest !== undefined && newest.order >= order) {
      if (full && commits[0].order >= order) return 'dropped-too-old';
      appended = false;
      at = commits.length - 1;
      while (at > 0 && commits[at - 1].order >= order) at--;
      if (commits[at].order === order) return 'dropped-duplicate';
    }

    let lag: number | undefined;
    if (appended) {
      lag = Math.max(0, logEnds[logEnds.length - 1] - commit.offset);
      this.groupsByName.get(group)!.lastCommitMs = commit.timestampMs;
    }

    const previous = at > 0 ? commits[at - 1] : undefined;
    // Burrow never merges an out-of-order commit into the oldest entry of a full window: that
    // entry is the one the insert pushes out.
    const mayMerge = appended || !(full && at === 1);
    if (
      mayMerge &&
      previous !== undefined &&
      previous.order < order &&
      commit.timestampMs - previous.timestampMs < this.minDistanceMs
    ) {
      commits[at - 1] = { offset: commit.offset, timestampMs: previous.timestampMs, lag, order };
      return 'merged';
    }

    commits.splice(at, 0, { offset: commit.offset, timestampMs: commit.timestampMs, lag, order });
    if (commits.length > this.intervals) commits.shift();
    return appended ? 'appended' : 'inserted';
  }

  /**
   * Turns a polled committed offset into a commit, stamped `nowMs`, when it differs from the
   * newest one held or the group is `committing` (has members); `unchanged` otherwise. A negative
   * offset (no commit: the broker has none or expired it) removes the partition's window.
   */
  observeCommitted(
    group: string,
    topic: string,
    partition: number,
    offset: number,
    nowMs: number,
    committing = false,
  ): RecordCommitResult | 'unchanged' | 'no-commit' {
    if (offset < 0) {
      this.forgetCommits(group, topic, partition);
      return 'no-commit';
    }
    const commits = this.groupsByName.get(group)?.topics.get(topic)?.get(partition);
    const unchanged = commits !== undefined && commits.length > 0 && commits[commits.length - 1].offset === offset;
    if (unchanged && !committing) return 'unchanged';
    return this.recordCommit(group, topic, partition, { offset, timestampMs: nowMs, order: nowMs });
  }

  /** The window of one partition of a group (copies), or undefined when it has no commits. */
  window(group: string, topic: string, partition: number): StoredPartitionWindow | undefined {
    const commits = this.groupsByName.get(group)?.topics.get(topic)?.get(partition);
    if (commits === undefined || commits.length === 0) return undefined;
    return this.windowOf(topic, partition, commits);
  }

  /**
   * Every partition window of a group: topics in first-seen order, and in each every partition
   * with a known log end, in partition order, those the group has not committed with an empty
   * window (as Burrow lists them).
   */
  groupWindows(group: string): GroupPartitionWindow[] {
    const out: GroupPartitionWindow[] = [];
    const windows = this.groupsByName.get(group);
    if (windows === undefined) return out;
    for (const [topic, partitions] of windows.topics) {
      const known = new Set(this.logEnds.get(topic)?.keys() ?? []);
      for (const [partition, commits] of partitions) if (commits.length > 0) known.add(partition);
      for (const partition of [...known].sort((a, b) => a - b)) {
        const commits = partitions.get(partition) ?? [];
        out.push({ topic, partition, window: this.windowOf(topic, partition, commits) });
      }
    }
    return out;
  }

  /** Topics with log end readings, in first-seen order. */
  topics(): string[] {
    return [...this.logEnds.keys()];
  }

  /**
   * The newest log end offset of every partition of `topic`, by partition index (a partition
   * without a reading reads 0), or undefined for a topic without readings.
   */
  latestLogEnds(topic: string): number[] | undefined {
    const rings = this.logEnds.get(topic);
    if (rings === undefined || rings.size === 0) return undefined;
    const out = new Array<number>(Math.max(...rings.keys()) + 1).fill(0);
    for (const [partition, ring] of rings) out[partition] = ring[ring.length - 1] ?? 0;
    return out;
  }

  /** Groups holding a commit on some partition of `topic`. */
  groupsOfTopic(topic: string): string[] {
    const out: string[] = [];
    for (const [group, windows] of this.groupsByName) {
      const partitions = windows.topics.get(topic);
      if (partitions !== undefined && [...partitions.values()].some((c) => c.length > 0)) out.push(group);
    }
    return out;
  }

  /** Drops every commit window, keeping log end readings (the commit source changed). */
  clearCommits(): void {
    this.groupsByName.clear();
  }

  /** Names of the groups held. */
  groups(): string[] {
    return [...this.groupsByName.keys()];
  }

  /** Drops a group; true if it was held. */
  deleteGroup(group: string): boolean {
    return this.groupsByName.delete(group);
  }

  /** Keeps only `groups` (e.g. those ListGroups still returns); returns the names dropped. */
  retainGroups(groups: Iterable<string>): string[] {
    const keep = new Set(groups);
    const dropped: string[] = [];
    for (const group of this.groupsByName.keys()) {
      if (!keep.has(group)) {
        this.groupsByName.delete(group);
        dropped.push(group);
      }
    }
    return dropped;
  }

  /**
   * Drops the groups whose newest commit is more than expireGroupMs before `nowMs` and returns
   * their names (Burrow purges such groups). With polled offsets a caught-up group on an idle
   * topic makes no new commits, so retainGroups is the better signal there.
   */
  expireGroups(nowMs: number): string[] {
    const dropped: string[] = [];
    for (const [group, windows] of this.groupsByName) {
      if (nowMs - windows.lastCommitMs > this.expireGroupMs) {
        this.groupsByName.delete(group);
        dropped.push(group);
      }
    }
    return dropped;
  }

  /**
   * Keeps only `partitions` (the cluster's partitions per its latest metadata): log end rings
   * and commit windows of the others are dropped, and so are groups left with no window.
   * Returns how many partition log end rings were dropped.
   */
  retainPartitions(partitions: Iterable<TopicPartition>): number {
    const keep = new Map<string, Set<number>>();
    for (const { topic, partition } of partitions) {
      let set = keep.get(topic);
      if (set === undefined) keep.set(topic, (set = new Set()));
      set.add(partition);
    }
    const kept = (topic: string, partition: number): boolean => keep.get(topic)?.has(partition) ?? false;
    let dropped = 0;
    for (const [topic, rings] of this.logEnds) {
      for (const partition of rings.keys()) {
        if (!kept(topic, partition)) {
          rings.delete(partition);
          dropped++;
        }
      }
      if (rings.size === 0) this.logEnds.delete(topic);
    }
    for (const [group, windows] of this.groupsByName) {
      for (const [topic, partitionWindows] of windows.topics) {
        for (const partition of partitionWindows.keys()) {
          if (!kept(topic, partition)) partitionWindows.delete(partition);
        }
        if (partitionWindows.size === 0) windows.topics.delete(topic);
      }
      if (windows.topics.size === 0) this.groupsByName.delete(group);
    }
    return dropped;
  }

  /** Drops a group's window of one partition (its commit was deleted); a group left with none is gone. */
  forgetCommits(group: string, topic: string, partition: number): void {
    const windows = this.groupsByName.get(group);
    const partitions = windows?.topics.get(topic);
    if (windows === undefined || partitions === undefined) return;
    partitions.delete(partition);
    if (partitions.size === 0) windows.topics.delete(topic);
    if (windows.topics.size === 0) this.groupsByName.delete(group);
  }

  private commitsOf(group: string, topic: string, partition: number): StoredCommit[] {
    let windows = this.groupsByName.get(group);
    if (windows === undefined) {
      windows = { lastCommitMs: 0, topics: new Map() };
      this.groupsByName.set(group, windows);
    }
    let partitions = windows.topics.get(topic);
    if (partitions === undefined) windows.topics.set(topic, (partitions = new Map()));
    let commits = partitions.get(partition);
    if (commits === undefined) partitions.set(partition, (commits = []));
    return commits;
  }

  private windowOf(topic: string, partition: number, commits: readonly StoredCommit[]): StoredPartitionWindow {
    return {
      commits: commits.slice(),
      capacity: this.intervals,
      logEndOffsets: this.logEnds.get(topic)?.get(partition)?.slice() ?? [],
    };
  }
}
