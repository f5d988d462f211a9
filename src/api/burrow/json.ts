/**
 * The JSON bodies of Burrow's HTTP API v3, field for field as Burrow 1.2 writes them
 * (core/internal/httpserver/structs.go and core/protocol/{evaluator,storage}.go at tag v1.2.1
 * of github.com/linkedin/Burrow): the envelope `{error, message, ..., request: {url, host}}`,
 * consumer detail, and the group status with its partitions, `maxlag` and `totallag`. Pure:
 * evaluations and windows in, plain objects out.
 *
 * One field is Sluice's own: the status carries `commit_source` (`offsets-topic` or `polled`),
 * saying where the commits it was judged on came from. JSON readers of Burrow's API ignore
 * fields they do not know.
 */
import type { CommitEntry, GroupEvaluation, GroupPartitionEvaluation } from '../../collect/lag/burrow.ts';
import type { GroupPartitionWindow } from '../../collect/lag/burrow.ts';
import type { CommitSourceKind, PartitionOwner } from '../../collect/lag/commit-tracker.ts';

/** Burrow's `request` member: the path asked for and the answering host's name. */
export interface RequestInfo {
  readonly url: string;
  readonly host: string;
}

/** The body of an error answer. */
export function errorBody(message: string, request: RequestInfo): { error: true; message: string; request: RequestInfo } {
  return { error: true, message, request };
}

/**
 * `x` as Go prints a float32 (Burrow's `complete` fields are float32): the shortest decimal that
 * reads back as the same float32, so that 1/3 is 0.33333334 and 0.2 is 0.2.
 */
export function float32(x: number): number {
  const f = Math.fround(x);
  for (let digits = 1; digits < 9; digits++) {
    const shorter = Number(f.toPrecision(digits));
    if (Math.fround(shorter) === f) return shorter;
  }
  return Number(f.toPrecision(9));
}

/** A stored commit as Burrow's ConsumerOffset. */
export interface ConsumerOffsetJson {
  readonly offset: number;
  readonly timestamp: number;
  /** Lag when committed; null for a commit that arrived out of order (no lag was taken). */
  readonly lag: number | null;
}

function offsetJson(c: CommitEntry | undefined): ConsumerOffsetJson | null {
  return c === undefined ? null : { offset: c.offset, timestamp: c.timestampMs, lag: c.lag ?? null };
}

/** One partition of a consumer's detail (Burrow's ConsumerPartition). */
export interface ConsumerPartitionJson {
  /** The window, oldest first, padded at the front with null to the window length; [] without commits. */
  readonly offsets: readonly (ConsumerOffsetJson | null)[];
  readonly owner: string;
  readonly client_id: string;
  readonly 'current-lag': number;
}

/**
 * A consumer's detail: per topic, its partitions by index (Burrow's ConsumerTopics). `windows`
 * are the group's partition windows (commit-window.ts groupWindows).
 */
export function consumerTopicsJson(
  windows: readonly GroupPartitionWindow[],
  owner: (topic: string, partition: number) => PartitionOwner | undefined,
): Record<string, ConsumerPartitionJson[]> {
  const topics: Record<string, ConsumerPartitionJson[]> = {};
  for (const { topic, partition, window } of windows) {
    const list = (topics[topic] ??= []);
    while (list.length <= partition) list.push({ offsets: [], owner: '', client_id: '', 'current-lag': 0 });
    const { commits, capacity, logEndOffsets } = window;
    const who = owner(topic, partition);
    const last = commits[commits.length - 1];
    const logEnd = logEndOffsets[logEndOffsets.length - 1];
    list[partition] = {
      offsets: commits.length === 0 ? [] : [...Array<null>(Math.max(0, capacity - commits.length)).fill(null), ...commits.map((c) => offsetJson(c))],
      owner: who?.owner ?? '',
      client_id: who?.clientId ?? '',
      'current-lag': last === undefined || logEnd === undefined ? 0 : Math.max(0, logEnd - last.offset),
    };
  }
  return topics;
}

/** One partition's status (Burrow's PartitionStatus). */
export interface PartitionStatusJson {
  readonly topic: string;
  readonly partition: number;
  readonly owner: string;
  readonly client_id: string;
  readonly status: string;
  readonly start: ConsumerOffsetJson | null;
  readonly end: ConsumerOffsetJson | null;
  readonly current_lag: number;
  readonly complete: number;
}

/** A group's status (Burrow's ConsumerGroupStatus), plus where its commits came from. */
export interface GroupStatusJson {
  readonly cluster: string;
  readonly group: string;
  readonly status: string;
  readonly complete: number;
  readonly partitions: readonly PartitionStatusJson[];
  readonly partition_count: number;
  readonly maxlag: PartitionStatusJson | null;
  readonly totallag: number;
  readonly commit_source?: CommitSourceKind;
}

function partitionJson(p: GroupPartitionEvaluation, owner: PartitionOwner | undefined): PartitionStatusJson {
  return {
    topic: p.topic,
    partition: p.partition,
    owner: owner?.owner ?? '',
    client_id: owner?.clientId ?? '',
    status: p.status,
    start: offsetJson(p.start),
    end: offsetJson(p.end),
    current_lag: p.currentLag,
    complete: float32(p.complete),
  };
}

/** What Burrow answers for a group it does not know (with HTTP 404). */
export function notFoundStatus(cluster: string, group: string): GroupStatusJson {
  return { cluster, group, status: 'NOTFOUND', complete: 1, partitions: [], partition_count: 0, maxlag: null, totallag: 0 };
}

/**
 * A group's status: every partition with `showAll` (Burrow's `/lag`), else only those not OK
 * (`/status`); `maxlag` and `totallag` cover every partition either way.
 */
export function groupStatusJson(
  cluster: string,
  group: string,
  evaluation: GroupEvaluation,
  options: { readonly showAll: boolean; readonly source: CommitSourceKind; readonly owner: (topic: string, partition: number) => PartitionOwner | undefined },
): GroupStatusJson {
  const json = (p: GroupPartitionEvaluation): PartitionStatusJson => partitionJson(p, options.owner(p.topic, p.partition));
  const shown = options.showAll ? evaluation.partitions : evaluation.partitions.filter((p) => p.status !== 'OK');
  return {
    cluster,
    group,
    status: evaluation.status,
    complete: float32(evaluation.complete),
    partitions: shown.map(json),
    partition_count: evaluation.partitions.length,
    maxlag: evaluation.maxLag === undefined ? null : json(evaluation.maxLag),
    totallag: evaluation.totalLag,
    commit_source: options.source,
  };
}
