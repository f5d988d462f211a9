/**
 * Burrow-style consumer status: each partition a group commits is judged over a sliding window of
 * its last commits, without lag thresholds, and the group takes the worst partition status,
 * capped at ERR. The rules, their order and the status numbers are those of LinkedIn Burrow 1.2
 * (core/internal/evaluator/caching.go and core/protocol/evaluator.go at tag v1.2.1 of
 * github.com/linkedin/Burrow, the version Debian ships; the wiki page "Consumer Lag Evaluation
 * Rules"), rewritten from their description. The windows come from CommitWindows
 * (commit-window.ts).
 *
 * Partition status, first rule that applies wins (allowedLag defaults to 0, as in Burrow 1.2,
 * which has no such setting):
 *   0. current lag <= allowedLag                                   -> OK (never in error)
 *   1. stopped: now - last commit > last commit - first commit (now
 *      in whole seconds, as Burrow reads it), and no recent log end
 *      offset <= the last committed offset                         -> STOP
 *   2. lag at commit > allowedLag for every commit in the window, and
 *      a. some commit is below the one before it                   -> REWIND
 *      b. every commit has the same offset                         -> STALL
 *      c. the lag at commit never decreases along the window       -> WARN
 *   3. otherwise                                                   -> OK
 * A window with no commits (a partition of a consumed topic the group never committed) is OK with
 * `complete` 0. Group status: NOTFOUND when the group is unknown; else the worst partition
 * status, where STOP, STALL and REWIND count as ERR.
 *
 * Later Burrow releases changed rule 2a (a rewind is checked before the zero-lag test and
 * forgiven once the group gets back to where it was); Sluice keeps 1.2's rules, so that its
 * answers equal those of the Burrow users run.
 */
import type { TopicPartition } from './time-lag.ts';
import { GROUP_STATUS, PARTITION_STATUS, groupLabels, groupPartitionLabels, type LagSample } from './series.ts';
import type { LabelInterner } from '../intern.ts';
import { SluiceError } from '../../errors.ts';

/**
 * Status codes, Burrow's own numbering (StatusConstant in core/protocol/evaluator.go), ordered
 * from least to most bad. NOTFOUND and ERR are group statuses only; STOP, STALL and REWIND are
 * partition statuses only; OK and WARN are both.
 */
export const LAG_STATUS_CODES = { NOTFOUND: 0, OK: 1, WARN: 2, ERR: 3, STOP: 4, STALL: 5, REWIND: 6 } as const;

/** Any status name. */
export type LagStatus = keyof typeof LAG_STATUS_CODES;
/** What a partition can be. */
export type PartitionStatus = 'OK' | 'WARN' | 'STOP' | 'STALL' | 'REWIND';
/** What a group can be. */
export type GroupStatus = 'NOTFOUND' | 'OK' | 'WARN' | 'ERR';

/** One commit in a window. */
export interface CommitEntry {
  /** Committed offset (the next offset the group will read). */
  readonly offset: number;
  /** When it was committed (ms since the epoch). */
  readonly timestampMs: number;
  /**
   * Lag when the commit was recorded (log end - offset, at least 0); undefined for a commit that
   * arrived out of order, which Burrow does not give a lag either.
   */
  readonly lag: number | undefined;
}

/** What the rules read for one partition of one group. */
export interface PartitionWindow {
  /** The last commits, oldest first, at most `capacity` of them. */
  readonly commits: readonly CommitEntry[];
  /** Window length (Burrow's storage `intervals`); a window holding this many is complete. */
  readonly capacity: number;
  /** The partition's recent log end offsets, oldest first; the last is the current one. */
  readonly logEndOffsets: readonly number[];
}

/** Evaluator settings, Burrow's evaluator options. */
export interface LagEvaluatorOptions {
  /**
   * Fraction of the window (0..1) that must be filled before a partition is judged at all;
   * below it the partition is OK. Default 0: judge from the first commit, as Burrow does.
   */
  readonly minimumComplete?: number;
  /** Lag (messages) that still counts as caught up. Default 0. */
  readonly allowedLag?: number;
}

/** Result for one partition. */
export interface PartitionEvaluation {
  readonly status: PartitionStatus;
  /** commits / capacity, in 0..1; 1 means the window is full (complete). */
  readonly complete: number;
  /** Current log end - last committed offset, at least 0; 0 without a known log end. */
  readonly currentLag: number;
  /** Oldest commit in the window. */
  readonly start?: CommitEntry;
  /** Newest commit in the window. */
  readonly end?: CommitEntry;
}

/** A partition window of a group, named. */
export interface GroupPartitionWindow extends TopicPartition {
  readonly window: PartitionWindow;
}

/** Result for one partition of a group, named. */
export interface GroupPartitionEvaluation extends TopicPartition, PartitionEvaluation {}

/** Result for one group. */
export interface GroupEvaluation {
  readonly status: GroupStatus;
  /** Fraction (0..1) of the group's partitions whose window is complete; 0 without partitions. */
  readonly complete: number;
  /** Sum of the partitions' current lag. */
  readonly totalLag: number;
  /** The partition with the largest current lag (the first one on a tie). */
  readonly maxLag?: GroupPartitionEvaluation;
  /** Every partition, in input order. */
  readonly partitions: readonly GroupPartitionEvaluation[];
}

function resolveOptions(options: LagEvaluatorOptions): { minimumComplete: number; allowedLag: number } {
  const minimumComplete = options.minimumComplete ?? 0;
  const allowedLag = options.allowedLag ?? 0;
  if (!(minimumComplete >= 0 && minimumComplete <= 1)) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `minimumComplete must be within 0..1, got ${minimumComplete}`, {
      path: 'minimumComplete',
    });
  }
  if (!(Number.isFinite(allowedLag) && allowedLag >= 0)) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `allowedLag must be a number >= 0, got ${allowedLag}`, {
      path: 'allowedLag',
    });
  }
  return { minimumComplete, allowedLag };
}

/**
 * Applies the partition rules (see the file comment) to a non-empty window, oldest first, at
 * `nowMs`. `logEndOffsets` are the recent log end offsets, oldest first.
 */
export function partitionStatus(
  commits: readonly CommitEntry[],
  logEndOffsets: readonly number[],
  currentLag: number,
  nowMs: number,
  allowedLag = 0,
): PartitionStatus {
  // Rule 0: a partition whose group is caught up now is never in error, whatever its history.
  if (commits.length === 0 || currentLag <= allowedLag) return 'OK';
  // Rule 1 comes first: a long-stopped group may well have had zero lag somewhere in its old
  // window. Recent log end offsets at or below the last commit mean the group was caught up a few
  // cycles ago and new messages just arrived, so it gets time to commit before being called stopped.
  if (isStopped(commits, nowMs) && !wasRecentlyCaughtUp(commits, logEndOffsets)) return 'STOP';
  // Rule 2: any commit at zero lag (within allowedLag) in the window makes the window OK.
  if (lagNeverZero(commits, allowedLag)) {
    if (offsetsRewind(commits)) return 'REWIND';
    if (offsetsNeverMove(commits)) return 'STALL';
    if (lagNeverDecreases(commits)) return 'WARN';
  }
  return 'OK';
}

/**
 * Rule 1 (Burrow rule 3): the time since the last commit exceeds the window's own time span.
 * Burrow takes "now" in whole seconds (time.Now().Unix() * 1000), so a commit made within the
 * current second is never late.
 */
function isStopped(commits: readonly CommitEntry[], nowMs: number): boolean {
  const first = commits[0].timestampMs;
  const last = commits[commits.length - 1].timestampMs;
  return Math.floor(nowMs / 1000) * 1000 - last > last - first;
}

/** Some recent log end offset was at or below the last committed offset (zero lag then). */
function wasRecentlyCaughtUp(commits: readonly CommitEntry[], logEndOffsets: readonly number[]): boolean {
  const lastOffset = commits[commits.length - 1].offset;
  return logEndOffsets.some((logEnd) => logEnd <= lastOffset);
}

/** Rule 2a (Burrow rule 2): some commit is below the one before it. */
function offsetsRewind(commits: readonly CommitEntry[]): boolean {
  for (let i = 1; i < commits.length; i++) if (commits[i].offset < commits[i - 1].offset) return true;
  return false;
}

/** Burrow rule 1, negated: no commit in the window had lag <= allowedLag (unknown lags skipped). */
function lagNeverZero(commits: readonly CommitEntry[], allowedLag: number): boolean {
  return commits.every((c) => c.lag === undefined || c.lag > allowedLag);
}

/** Rule 2b (Burrow rule 4): every commit has the same offset. */
function offsetsNeverMove(commits: readonly CommitEntry[]): boolean {
  return commits.every((c) => c.offset === commits[0].offset);
}

/** Rule 2c (Burrow rule 5): no known lag is below the known lag before it. */
function lagNeverDecreases(commits: readonly CommitEntry[]): boolean {
  let previous: number | undefined;
  for (const { lag } of commits) {
    if (lag === undefined) continue;
    if (previous !== undefined && lag < previous) return false;
    previous = lag;
  }
  return true;
}

/**
 * Judges one partition window at `nowMs`: current lag from the newest log end offset and the
 * newest commit; OK without commits, or while the window is less complete than minimumComplete.
 */
export function evaluatePartition(
  window: PartitionWindow,
  nowMs: number,
  options: LagEvaluatorOptions = {},
): PartitionEvaluation {
  const { minimumComplete, allowedLag } = resolveOptions(options);
  return evaluateResolved(window, nowMs, minimumComplete, allowedLag);
}

function evaluateResolved(
  window: PartitionWindow,
  nowMs: number,
  minimumComplete: number,
  allowedLag: number,
): PartitionEvaluation {
  const { commits, logEndOffsets, capacity } = window;
  if (commits.length === 0) return { status: 'OK', complete: 0, currentLag: 0 };
  const start = commits[0];
  const end = commits[commits.length - 1];
  const logEnd = logEndOffsets.length === 0 ? undefined : logEndOffsets[logEndOffsets.length - 1];
  // A log end read before the commit may be below it: that is zero lag, not negative lag.
  const currentLag = logEnd === undefined ? 0 : Math.max(0, logEnd - end.offset);
  const complete = Math.min(1, commits.length / capacity);
  const status =
    complete >= minimumComplete ? partitionStatus(commits, logEndOffsets, currentLag, nowMs, allowedLag) : 'OK';
  return { status, complete, currentLag, start, end };
}

/**
 * Judges every partition window of one group at `nowMs`. Group status: NOTFOUND without
 * partitions, else the worst partition status with STOP, STALL and REWIND counted as ERR
 * (Burrow's caching evaluator).
 */
export function evaluateGroup(
  partitions: readonly GroupPartitionWindow[],
  nowMs: number,
  options: LagEvaluatorOptions = {},
): GroupEvaluation {
  if (partitions.length === 0) return { status: 'NOTFOUND', complete: 0, totalLag: 0, partitions: [] };
  const { minimumComplete, allowedLag } = resolveOptions(options);
  let status: GroupStatus = 'OK';
  let totalLag = 0;
  let completeCount = 0;
  let maxLag: GroupPartitionEvaluation | undefined;
  const results: GroupPartitionEvaluation[] = [];
  for (const { topic, partition, window } of partitions) {
    const result = { topic, partition, ...evaluateResolved(window, nowMs, minimumComplete, allowedLag) };
    results.push(result);
    status = worseGroupStatus(status, result.status);
    totalLag += result.currentLag;
    if (result.complete === 1) completeCount++;
    if (maxLag === undefined || result.currentLag > maxLag.currentLag) maxLag = result;
  }
  return { status, complete: completeCount / partitions.length, totalLag, maxLag, partitions: results };
}

function worseGroupStatus(group: GroupStatus, partition: PartitionStatus): GroupStatus {
  if (LAG_STATUS_CODES[partition] <= LAG_STATUS_CODES[group]) return group;
  return LAG_STATUS_CODES[partition] > LAG_STATUS_CODES.ERR ? 'ERR' : (partition as GroupStatus);
}

/**
 * The status series of one group: `sluice_consumergroup_status{cluster,group}` then
 * `sluice_consumergroup_partition_status{cluster,group,topic,partition}` per partition, valued
 * with LAG_STATUS_CODES.
 */
export function statusSamples(cluster: string, group: string, evaluation: GroupEvaluation, interner?: LabelInterner): LagSample[] {
  const samples: LagSample[] = [
    { metric: GROUP_STATUS, labels: groupLabels(cluster, group, interner), value: LAG_STATUS_CODES[evaluation.status] },
  ];
  for (const p of evaluation.partitions) {
    samples.push({
      metric: PARTITION_STATUS,
      labels: groupPartitionLabels(cluster, group, p.topic, p.partition, interner),
      value: LAG_STATUS_CODES[p.status],
    });
  }
  return samples;
}
