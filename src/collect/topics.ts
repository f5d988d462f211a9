/**
 * The topic/group collector: log start and end offsets of every partition (ListOffsets), and for
 * every consumer group (ListGroups, DescribeGroups, OffsetFetch) its lag, time lag and
 * Burrow-style status, computed by src/collect/lag from the offsets read this cycle and the
 * history kept in memory (offset/time tables, commit windows). Commit windows are fed from
 * `__consumer_offsets` where the cluster lets it be read, else from the polled offsets (see
 * lag/commit-tracker.ts). Time lag is read from the record at each committed offset that is
 * behind the log end, within a budget of reads per cycle, and interpolated from the offset/time
 * tables beyond it (lag/record-times.ts).
 *
 * Series (all with `cluster`): `kafka_partition_latest_offset` and
 * `kafka_partition_earliest_offset` `{topic, partition}` (kafka-lag-exporter's names); per topic
 * `sluice_topic_messages_total` (sum of log end offsets: messages ever appended) and
 * `sluice_topic_retained_messages` (sum of end - start); per group
 * `sluice_consumergroup_members` and the lag series of src/collect/lag/series.ts; per cycle
 * `sluice_lag_seconds_sources{source}` (group partitions behind the log end whose lag in
 * seconds was read from the record, `record`, interpolated, `interpolated`, or not known,
 * `unknown`), `sluice_lag_seconds_record_reads` (records read) and
 * `sluice_lag_seconds_reads_deferred` (reads left to later cycles by the budget). Per-topic
 * bytes in/out are the exporter's `kafka_server_brokertopicmetrics_bytes{in,out}_total`, stored by
 * the cluster collector. Internal topics are left out.
 */
import type { ClusterMetadata, KafkaAdmin, LogOffsets, RecordTimeTarget } from '../kafka/admin.ts';
import type { Sample } from '../store/types.ts';
import { computeLagSamples, type GroupCommittedOffsets, type LagFlag } from './lag/lag.ts';
import { CycleTimeLag, RecordTimes, type RecordReadPlan } from './lag/record-times.ts';
import { OffsetTimeTables, type OffsetTimeTableOptions } from './lag/time-lag.ts';
import type { CommitWindowOptions } from './lag/commit-window.ts';
import { CommitTracker, type CommitReaderFactory } from './lag/commit-tracker.ts';
import { evaluateGroup, statusSamples, type LagEvaluatorOptions } from './lag/burrow.ts';
import { OffsetsTopicReader } from '../kafka/offsets-topic-reader.ts';
import { adminOptionsOf, type ClusterConfig } from './config.ts';
import { SHARED_READ_MS, type CollectContext, type CollectIssue, type CollectResult, type Collector } from './types.ts';
import { LabelInterner } from './intern.ts';
import type { LagSample } from './lag/series.ts';

/** History and evaluation settings of the lag code. */
export interface TopicCollectorOptions {
  readonly timeTables?: OffsetTimeTableOptions;
  readonly commitWindows?: CommitWindowOptions;
  readonly evaluator?: LagEvaluatorOptions;
  /**
   * Where commit windows come from: `auto` (default) reads `__consumer_offsets` and polls while
   * it cannot; `polled` only polls.
   */
  readonly commits?: 'auto' | 'polled';
  /** Most record reads for time lag a cycle; default the cluster's `timeLag.recordReadsPerCycle`, else 1000. */
  readonly recordReadsPerCycle?: number;
}

/** Cycles the `__consumer_offsets` reader may fail before polling takes over. */
const READER_STALE_CYCLES = 3;

/** The topic/group collector of one cluster. */
export class TopicCollector implements Collector {
  readonly name = 'topics';
  readonly cluster: string;
  readonly intervalMs: number;
  private readonly tables: OffsetTimeTables;
  /** Timestamps of the records groups are behind on, and the planning of their reads. */
  readonly recordTimes: RecordTimes;
  /** Commit windows and where they come from. */
  readonly commits: CommitTracker;
  /** Evaluator settings of the statuses. */
  readonly evaluator: LagEvaluatorOptions;
  /** Label sets of group series, and of partition and topic series, reused across cycles. */
  private readonly groupLabels: LabelInterner;
  private readonly logLabels: LabelInterner;
  /** Why `__consumer_offsets` could not be read, as last reported. */
  private pollReason: string | undefined;

  constructor(readonly config: ClusterConfig, private readonly admin: KafkaAdmin, options: TopicCollectorOptions = {}) {
    this.cluster = config.name;
    this.intervalMs = config.intervals.topics * 1000;
    this.tables = new OffsetTimeTables(options.timeTables);
    const reads = options.recordReadsPerCycle ?? config.timeLag?.recordReadsPerCycle;
    this.recordTimes = new RecordTimes(reads === undefined ? {} : { recordReadsPerCycle: reads });
    this.evaluator = options.evaluator ?? {};
    const reader: CommitReaderFactory | undefined = options.commits === 'polled' ? undefined : (onRecord) => new OffsetsTopicReader({ ...adminOptionsOf(config), onRecord });
    this.commits = new CommitTracker(options.commitWindows ?? {}, reader, READER_STALE_CYCLES * this.intervalMs);
    this.groupLabels = new LabelInterner(this.cluster, 'group', 'topic');
    this.logLabels = new LabelInterner(this.cluster, 'topic');
  }

  async collect({ nowMs }: CollectContext): Promise<CollectResult> {
    const cluster = this.cluster;
    const samples: Sample[] = [];
    const errors: CollectIssue[] = [];
    // Why commits are polled is said once, when the reason is new.
    const reason = this.commits.beginCycle(Date.now()) === 'polled' ? this.commits.readerState?.error : undefined;
    if (reason !== undefined && reason !== this.pollReason) errors.push({ op: 'readOffsetsTopic', message: `${reason}; commits are polled until it can be read` });
    this.pollReason = reason;
    let meta;
    try {
      meta = await this.admin.metadata({ consumer: this, maxAgeMs: SHARED_READ_MS });
    } catch (err) {
      return { samples, errors: [{ op: 'metadata', message: (err as Error).message }] };
    }
    const partitions = [...meta.topics.values()].filter((t) => !t.internal).flatMap((t) => t.partitions);
    this.recordTimes.retainTopics(new Map([...meta.topics].filter(([, t]) => !t.internal).map(([name, t]) => [name, t.id])));

    // Log offsets and the group listing are independent: ask for both at once.
    const [offsets, listed] = await Promise.all([this.admin.listOffsets(partitions), this.admin.listGroups()]);
    errors.push(...offsets.errors, ...listed.errors);
    this.recordLogOffsets(offsets.value, nowMs, samples);
    if (offsets.errors.length === 0) {
      this.tables.retain(partitions);
      this.commits.retainPartitions(partitions);
    }

    const groups = listed.value.filter((g) => g.protocolType === 'consumer' || g.protocolType === '').map((g) => g.group);
    // One FindCoordinator for both: DescribeGroups and OffsetFetch go to the same coordinators.
    const coordinators = this.admin.findCoordinators(groups);
    const [described, committed] = await Promise.all([this.admin.describeGroups(groups, coordinators), this.admin.fetchCommittedOffsets(groups, coordinators)]);
    errors.push(...described.errors, ...committed.errors);
    for (const g of described.value) samples.push({ metric: 'sluice_consumergroup_members', labels: { cluster, group: g.group }, ts: nowMs, value: g.members.length });

    const input: GroupCommittedOffsets[] = committed.value.map((g) => ({ group: g.group, offsets: g.offsets }));
    const plan = this.recordTimes.plan(input, offsets.value);
    const fetches = await this.readRecords(plan, meta, errors);
    const timeLag = new CycleTimeLag(this.recordTimes, this.tables, offsets.value);
    const lag = computeLagSamples({ cluster, nowMs, groups: input, logOffsets: offsets.value, timeLag, labels: this.groupLabels });
    stamp(lag.samples, nowMs, samples);
    errors.push(...lagErrors(lag.flags));
    for (const [source, value] of Object.entries(timeLag.counts)) samples.push({ metric: 'sluice_lag_seconds_sources', labels: { cluster, source }, ts: nowMs, value });
    samples.push({ metric: 'sluice_lag_seconds_record_reads', labels: { cluster }, ts: nowMs, value: fetches });
    samples.push({ metric: 'sluice_lag_seconds_reads_deferred', labels: { cluster }, ts: nowMs, value: plan.deferred });

    this.commits.observePolled(input, new Map(described.value.map((g) => [g.group, g.members.length])), nowMs);
    for (const g of committed.value) {
      const evaluation = evaluateGroup(this.commits.windows.groupWindows(g.group), nowMs, this.evaluator);
      stamp(statusSamples(cluster, g.group, evaluation, this.groupLabels), nowMs, samples);
    }
    if (listed.errors.length === 0) this.commits.retainGroups(groups);
    // Read once log end offsets are known: Burrow too drops commits of partitions it has no log end for.
    if (offsets.value.length > 0) this.commits.startReader();
    this.groupLabels.rotate();
    this.logLabels.rotate();
    return { samples, errors };
  }

  /** Stops reading `__consumer_offsets`. */
  async close(): Promise<void> {
    await this.commits.close();
  }

  /**
   * Reads the records of `plan` and keeps their timestamps; returns the Fetches sent. Failed
   * reads are reported as one issue: their partitions are interpolated this cycle and read again
   * in a later one.
   */
  private async readRecords(plan: RecordReadPlan, meta: ClusterMetadata, errors: CollectIssue[]): Promise<number> {
    const targets: RecordTimeTarget[] = [];
    for (const read of plan.reads) {
      const topic = meta.topics.get(read.topic);
      const info = topic?.partitions[read.partition]?.partition === read.partition ? topic.partitions[read.partition] : topic?.partitions.find((p) => p.partition === read.partition);
      if (topic === undefined || info === undefined || info.leader < 0) continue;
      targets.push({ ...read, topicId: topic.id, leader: info.leader, leaderEpoch: info.leaderEpoch });
    }
    if (targets.length === 0) return 0;
    const got = await this.admin.readRecordTimes(targets);
    for (const r of got.value) this.recordTimes.store(r.topic, r.partition, r.offset, r.timestampMs);
    const first = got.errors[0];
    if (first !== undefined) {
      errors.push({ op: 'readRecordTimes', subject: first.subject, message: `${got.errors.length} of ${targets.length} record reads failed (this one: ${first.message}); their lag in seconds is interpolated this cycle` });
    }
    return got.fetches;
  }

  private recordLogOffsets(offsets: readonly LogOffsets[], nowMs: number, samples: Sample[]): void {
    const cluster = this.cluster;
    const perTopic = new Map<string, { total: number; retained: number }>();
    for (const o of offsets) {
      const labels = this.logLabels.onePartition(o.topic, o.partition);
      samples.push({ metric: 'kafka_partition_latest_offset', labels, ts: nowMs, value: o.end });
      samples.push({ metric: 'kafka_partition_earliest_offset', labels, ts: nowMs, value: o.start });
      // A log end gone backwards: the topic was recreated or its log truncated.
      if (this.tables.append(o.topic, o.partition, o.end, nowMs) === 'reset') this.recordTimes.forgetPartition(o.topic, o.partition);
      this.commits.recordLogEnd(o.topic, o.partition, o.end);
      const t = perTopic.get(o.topic) ?? { total: 0, retained: 0 };
      t.total += o.end;
      t.retained += o.end - o.start;
      perTopic.set(o.topic, t);
    }
    for (const [topic, t] of perTopic) {
      const labels = this.logLabels.one(topic);
      samples.push({ metric: 'sluice_topic_messages_total', labels, ts: nowMs, value: t.total });
      samples.push({ metric: 'sluice_topic_retained_messages', labels, ts: nowMs, value: t.retained });
    }
  }
}

/** Appends the lag code's samples to `out` with the cycle's time. */
function stamp(lagSamples: readonly LagSample[], ts: number, out: Sample[]): void {
  for (const s of lagSamples) out.push({ metric: s.metric, labels: s.labels, ts, value: s.value });
}

/**
 * The lag flags that are collection errors. Not `log-offsets-missing` (listOffsets reported it)
 * nor `committed-beyond-log-end`: the log end offsets are read earlier in the cycle than the
 * commits, so an active group has often committed past them by then (its lag is 0; a truncated
 * log shows as an unclean leader election instead).
 */
export function lagErrors(flags: readonly LagFlag[]): CollectIssue[] {
  return flags
    .filter((f) => f.kind === 'committed-below-log-start')
    .map((f) => ({ op: 'lag', subject: `${f.group} ${f.topic}-${f.partition}`, message: `${f.kind}: committed ${f.committed}, log ${f.logStart}..${f.logEnd}` }));
}
