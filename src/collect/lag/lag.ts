/**
 * Offset lag and time lag of consumer groups for one collection cycle, as kafka-lag-exporter's
 * series (https://github.com/seglo/kafka-lag-exporter#metrics): a pure function from the cycle's
 * offsets to samples.
 *
 * Lag of a partition = log end offset - committed offset, never negative. A partition the group
 * has not committed (OffsetFetch answers -1) has no lag at all: its series are left out, not 0 and
 * not -1, and it counts in neither the sums nor the maxima.
 */
import {
  GROUP_LAG,
  GROUP_LAG_SECONDS,
  GROUP_MAX_LAG,
  GROUP_MAX_LAG_SECONDS,
  GROUP_SUM_LAG,
  GROUP_TOPIC_SUM_LAG,
  groupLabels,
  groupPartitionLabels,
  groupTopicLabels,
  type LagSample,
} from './series.ts';
import type { TimeLagLookup, TopicPartition } from './time-lag.ts';
import type { LabelInterner } from '../intern.ts';

/** A group's committed offset on one partition; a negative offset (Kafka's -1) means no commit. */
export interface CommittedOffset extends TopicPartition {
  readonly offset: number;
}

/** The committed offsets of one group, as read by OffsetFetch. */
export interface GroupCommittedOffsets {
  readonly group: string;
  readonly offsets: readonly CommittedOffset[];
}

/** A partition's log start (earliest) and log end (latest) offsets, as read by ListOffsets. */
export interface PartitionLogOffsets extends TopicPartition {
  readonly start: number;
  readonly end: number;
}

/** Everything one cycle of lag computation reads. */
export interface LagCycleInput {
  /** Written as the `cluster` label. */
  readonly cluster: string;
  /** When the offsets were read (ms since the epoch): the "now" of time lag. */
  readonly nowMs: number;
  readonly groups: readonly GroupCommittedOffsets[];
  readonly logOffsets: readonly PartitionLogOffsets[];
  /**
   * Where time lag comes from: the cycle's record timestamps with the tables as fallback
   * (record-times.ts CycleTimeLag), or the tables alone, already holding this cycle's log end
   * offsets (append them first: then a group at the log end has time lag 0, as it has offset
   * lag 0).
   */
  readonly timeLag: TimeLagLookup;
  /** Where label sets are reused from cycle to cycle (see groupLabels); none: made afresh. */
  readonly labels?: LabelInterner;
}


/**
 * Something odd seen on a committed partition, reported so that the caller can count and log it:
 * - `committed-beyond-log-end`: committed > log end (offsets read at slightly different moments,
 *   or a truncated log); the lag is reported as 0.
 * - `committed-below-log-start`: retention deleted messages the group never read; the lag still
 *   counts them (log end - committed), as Kafka's own tools do.
 * - `log-offsets-missing`: no log offsets this cycle (leader unreachable); the partition's lag is
 *   left out.
 */
export interface LagFlag extends TopicPartition {
  readonly kind: 'committed-beyond-log-end' | 'committed-below-log-start' | 'log-offsets-missing';
  readonly group: string;
  readonly committed: number;
  readonly logStart?: number;
  readonly logEnd?: number;
}

/** The samples of one cycle and what was odd about it. */
export interface LagCycleResult {
  readonly samples: LagSample[];
  readonly flags: LagFlag[];
}

/** Lag of one committed partition: log end - committed, clamped at 0 (`clamped` tells). */
export function offsetLag(committed: number, logEnd: number): { lag: number; clamped: boolean } {
  const lag = logEnd - committed;
  return lag < 0 ? { lag: 0, clamped: true } : { lag, clamped: false };
}

/**
 * Computes the lag series of every group for one cycle. Per group, in this order: per partition
 * `_group_lag` and `_group_lag_seconds` (in input order; lag seconds left out when the time-lag
 * table cannot tell), `_group_topic_sum_lag` per topic, then `_group_sum_lag`, `_group_max_lag`
 * and `_group_max_lag_seconds`. A group (or topic) with no partition lag has no sum or max; the
 * max of lag seconds covers the partitions that have one.
 */
export function computeLagSamples(input: LagCycleInput): LagCycleResult {
  const { cluster, nowMs, timeLag, labels: interner } = input;
  const logByTopic = new Map<string, Map<number, PartitionLogOffsets>>();
  for (const log of input.logOffsets) {
    let partitions = logByTopic.get(log.topic);
    if (partitions === undefined) logByTopic.set(log.topic, (partitions = new Map()));
    partitions.set(log.partition, log);
  }

  const samples: LagSample[] = [];
  const flags: LagFlag[] = [];
  for (const { group, offsets } of input.groups) {
    const topicSums = new Map<string, number>();
    let sum = 0;
    let max: number | undefined;
    let maxSeconds: number | undefined;
    for (const { topic, partition, offset: committed } of offsets) {
      if (committed < 0) continue;
      const log = logByTopic.get(topic)?.get(partition);
      if (log === undefined) {
        flags.push({ kind: 'log-offsets-missing', group, topic, partition, committed });
        continue;
      }
      const { lag, clamped } = offsetLag(committed, log.end);
      if (clamped || committed < log.start) {
        const kind = clamped ? 'committed-beyond-log-end' : 'committed-below-log-start';
        flags.push({ kind, group, topic, partition, committed, logStart: log.start, logEnd: log.end });
      }
      const labels = groupPartitionLabels(cluster, group, topic, partition, interner);
      samples.push({ metric: GROUP_LAG, labels, value: lag });
      const lagMs = timeLag.timeLagMs(topic, partition, committed, nowMs);
      if (lagMs !== undefined) {
        const seconds = lagMs / 1000;
        samples.push({ metric: GROUP_LAG_SECONDS, labels, value: seconds });
        if (maxSeconds === undefined || seconds > maxSeconds) maxSeconds = seconds;
      }
      topicSums.set(topic, (topicSums.get(topic) ?? 0) + lag);
      sum += lag;
      if (max === undefined || lag > max) max = lag;
    }
    for (const [topic, topicSum] of topicSums) {
      samples.push({ metric: GROUP_TOPIC_SUM_LAG, labels: groupTopicLabels(cluster, group, topic, interner), value: topicSum });
    }
    if (max === undefined) continue;
    const labels = groupLabels(cluster, group, interner);
    samples.push({ metric: GROUP_SUM_LAG, labels, value: sum });
    samples.push({ metric: GROUP_MAX_LAG, labels, value: max });
    if (maxSeconds !== undefined) samples.push({ metric: GROUP_MAX_LAG_SECONDS, labels, value: maxSeconds });
  }
  return { samples, flags };
}
