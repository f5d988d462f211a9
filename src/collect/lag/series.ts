/**
 * Names of the consumer-lag series and the sample shape the lag code returns. Lag series keep
 * kafka-lag-exporter's names (https://github.com/seglo/kafka-lag-exporter#metrics) so that
 * existing dashboards and alerts read them unchanged; what Sluice derives is `sluice_*`.
 */
import type { InternedLabels, LabelInterner } from '../intern.ts';

/** Messages behind, per partition: `{cluster, group, topic, partition}`. */
export const GROUP_LAG = 'kafka_consumergroup_group_lag';
/** Seconds since the first unconsumed message was produced, per partition: `{cluster, group, topic, partition}`. */
export const GROUP_LAG_SECONDS = 'kafka_consumergroup_group_lag_seconds';
/** Sum of the partition lags of a group: `{cluster, group}`. */
export const GROUP_SUM_LAG = 'kafka_consumergroup_group_sum_lag';
/** Sum of the partition lags of a group on one topic: `{cluster, group, topic}`. */
export const GROUP_TOPIC_SUM_LAG = 'kafka_consumergroup_group_topic_sum_lag';
/** Largest partition lag of a group: `{cluster, group}`. */
export const GROUP_MAX_LAG = 'kafka_consumergroup_group_max_lag';
/** Largest partition time lag of a group, in seconds: `{cluster, group}`. */
export const GROUP_MAX_LAG_SECONDS = 'kafka_consumergroup_group_max_lag_seconds';
/** Burrow-style group status code (see LAG_STATUS_CODES): `{cluster, group}`. */
export const GROUP_STATUS = 'sluice_consumergroup_status';
/** Burrow-style partition status code (see LAG_STATUS_CODES): `{cluster, group, topic, partition}`. */
export const PARTITION_STATUS = 'sluice_consumergroup_partition_status';

/** One value of one series, as the lag code hands it to the store. */
export interface LagSample {
  /** Series name, e.g. `kafka_consumergroup_group_lag`. */
  readonly metric: string;
  /** Labels; every series carries `cluster`. Partition numbers are decimal strings. */
  readonly labels: Readonly<Record<string, string>>;
  /** The value; never NaN: a value that cannot be known is left out instead. */
  readonly value: number;
}

/** `{cluster, group}`, from `interner` (names `group`, `topic`) when given. */
export function groupLabels(cluster: string, group: string, interner?: LabelInterner): InternedLabels {
  return interner ? interner.one(group) : { cluster, group };
}

/** `{cluster, group, topic}`, from `interner` (names `group`, `topic`) when given. */
export function groupTopicLabels(cluster: string, group: string, topic: string, interner?: LabelInterner): InternedLabels {
  return interner ? interner.two(group, topic) : { cluster, group, topic };
}

/** `{cluster, group, topic, partition}`, from `interner` (names `group`, `topic`) when given. */
export function groupPartitionLabels(cluster: string, group: string, topic: string, partition: number, interner?: LabelInterner): InternedLabels {
  return interner ? interner.twoPartition(group, topic, partition) : { cluster, group, topic, partition: String(partition) };
}
