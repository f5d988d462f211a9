/**
 * Consumer groups for the status page, read from the stored series through the store's Querier
 * (selectors with exact label matchers, so that any group name, NUL or quote included, is read as
 * it is): per group its Burrow status, members, total lag and largest lag in seconds as of its
 * newest collection, and its total lag over the window; per partition (a group's page) status,
 * committed and end offsets, lag and lag in seconds. The series are the lag code's
 * (src/collect/lag/series.ts) and the topic collector's (src/collect/topics.ts).
 */
import { LAG_STATUS_CODES } from '../../collect/lag/burrow.ts';
import { GROUP_LAG, GROUP_LAG_SECONDS, GROUP_MAX_LAG_SECONDS, GROUP_STATUS, GROUP_SUM_LAG, PARTITION_STATUS } from '../../collect/lag/series.ts';
import { METRIC_NAME_LABEL, type Matcher, type Querier, type SeriesData } from '../../store/types.ts';
import type { ClusterGroups, ConsumerGroupStatus, PartitionView, Point } from './model.ts';

const MEMBERS = 'sluice_consumergroup_members';
const LATEST_OFFSET = 'kafka_partition_latest_offset';

/** The frame read: [from, to] in ms, and the step sparkline points are thinned to. */
export interface Frame {
  readonly from: number;
  readonly to: number;
  readonly stepMs: number;
}

/** Status names by Burrow's status code. */
const STATUS_NAMES = new Map<number, string>(Object.entries(LAG_STATUS_CODES).map(([name, code]) => [code, name]));

/** A status code as its name; '' for none or a code Burrow does not have. */
export function statusName(code: number | undefined): string {
  return code === undefined ? '' : (STATUS_NAMES.get(code) ?? '');
}

/** How bad a group status is, for ordering: ERR, WARN, OK, NOTFOUND, then unknown. */
function badness(status: string): number {
  return status === '' ? -1 : (LAG_STATUS_CODES[status as keyof typeof LAG_STATUS_CODES] ?? -1);
}

/** The newest finite sample of a series (staleness markers and NaN are no value). */
export function newest(series: SeriesData | undefined): { ts: number; value: number } | undefined {
  if (series === undefined) return undefined;
  for (let i = series.ts.length - 1; i >= 0; i--) {
    const v = series.values[i]!;
    if (Number.isFinite(v)) return { ts: series.ts[i]!, value: v };
  }
  return undefined;
}

/** The value a series has at exactly `ts`, if finite. */
function valueAt(series: SeriesData | undefined, ts: number): number | undefined {
  if (series === undefined) return undefined;
  for (let i = series.ts.length - 1; i >= 0 && series.ts[i]! >= ts; i--) {
    if (series.ts[i] === ts && Number.isFinite(series.values[i]!)) return series.values[i]!;
  }
  return undefined;
}

/**
 * The series' finite samples in the frame, at most one a step: the newest of each step that ends
 * at `to` (so a long window keeps a bounded number of points), at its own time.
 */
export function thin(series: SeriesData | undefined, frame: Frame): Point[] {
  if (series === undefined) return [];
  const out: Point[] = [];
  let lastBucket = Number.NaN;
  for (let i = 0; i < series.ts.length; i++) {
    const t = series.ts[i]!;
    const v = series.values[i]!;
    if (t < frame.from || t > frame.to || !Number.isFinite(v)) continue;
    const bucket = Math.floor((frame.to - t) / frame.stepMs);
    if (bucket === lastBucket) out[out.length - 1] = [t, v];
    else out.push([t, v]);
    lastBucket = bucket;
  }
  return out;
}

function select(querier: Querier, metric: string, labels: Readonly<Record<string, string>>, frame: Frame): Promise<SeriesData[]> {
  const matchers: Matcher[] = [{ name: METRIC_NAME_LABEL, type: '=', value: metric }];
  for (const [name, value] of Object.entries(labels)) matchers.push({ name, type: '=', value });
  return querier.select(matchers, frame.from, frame.to);
}

/** The series of one group, by what they say. */
interface GroupSeries {
  status?: SeriesData;
  lag?: SeriesData;
  lagSeconds?: SeriesData;
  members?: SeriesData;
}

/** A group's state from its series: the values of its newest collection; `current` left to the caller. */
function groupOf(name: string, s: GroupSeries, frame: Frame): Omit<ConsumerGroupStatus, 'current'> & { seenMs: number } | undefined {
  const seenMs = Math.max(...[s.status, s.lag, s.lagSeconds, s.members].map((x) => newest(x)?.ts ?? -Infinity));
  if (seenMs === -Infinity) return undefined;
  const at = (x: SeriesData | undefined) => valueAt(x, seenMs) ?? null;
  const status = at(s.status);
  return {
    name,
    status: statusName(status ?? undefined),
    members: at(s.members),
    lag: at(s.lag),
    lagSeconds: at(s.lagSeconds),
    seenAt: new Date(seenMs).toISOString(),
    seenMs,
    series: thin(s.lag, frame),
  };
}

/** Reads the four group series of `labels` (a cluster, or a cluster and a group) and sorts them by group. */
async function groupSeries(querier: Querier, labels: Readonly<Record<string, string>>, frame: Frame): Promise<Map<string, GroupSeries>> {
  const [status, lag, lagSeconds, members] = await Promise.all([
    select(querier, GROUP_STATUS, labels, frame), select(querier, GROUP_SUM_LAG, labels, frame),
    select(querier, GROUP_MAX_LAG_SECONDS, labels, frame), select(querier, MEMBERS, labels, frame),
  ]);
  const byGroup = new Map<string, GroupSeries>();
  const add = (list: readonly SeriesData[], key: keyof GroupSeries) => {
    for (const s of list) {
      const name = s.labels.group ?? '';
      const g = byGroup.get(name) ?? {};
      g[key] = s;
      byGroup.set(name, g);
    }
  };
  add(status, 'status');
  add(lag, 'lag');
  add(lagSeconds, 'lagSeconds');
  add(members, 'members');
  return byGroup;
}

/** Worst first: current before gone, then by status, then by lag, then by name. */
export function compareGroups(a: ConsumerGroupStatus, b: ConsumerGroupStatus): number {
  return Number(b.current) - Number(a.current) || badness(b.status) - badness(a.status) || (b.lag ?? -1) - (a.lag ?? -1) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** The consumer groups of `cluster` seen in the frame, the `limit` worst of them listed. */
export async function readGroups(querier: Querier, cluster: string, frame: Frame, limit: number): Promise<ClusterGroups> {
  const found = [...(await groupSeries(querier, { cluster }, frame))].flatMap(([name, s]) => groupOf(name, s, frame) ?? []);
  // The newest collection is the newest time any group was seen: a group not in it is gone.
  const newestMs = Math.max(-Infinity, ...found.map((g) => g.seenMs));
  const groups = found.map(({ seenMs, ...g }): ConsumerGroupStatus => ({ ...g, current: seenMs >= newestMs })).sort(compareGroups);
  const byStatus: Record<string, number> = {};
  for (const g of groups) byStatus[g.status] = (byStatus[g.status] ?? 0) + 1;
  return { shown: groups.slice(0, limit), total: groups.length, byStatus };
}

/** One group with its partitions; undefined when it was not seen in the frame. */
export async function readGroupDetail(
  querier: Querier, cluster: string, group: string, frame: Frame,
): Promise<{ group: ConsumerGroupStatus; lagSecondsSeries: Point[]; partitions: PartitionView[] } | undefined> {
  const labels = { cluster, group };
  const [byGroup, lag, lagSeconds, status] = await Promise.all([
    groupSeries(querier, labels, frame),
    select(querier, GROUP_LAG, labels, frame), select(querier, GROUP_LAG_SECONDS, labels, frame), select(querier, PARTITION_STATUS, labels, frame),
  ]);
  const series = byGroup.get(group);
  const found = series === undefined ? undefined : groupOf(group, series, frame);
  if (found === undefined) return undefined;
  const { seenMs, ...summary } = found;

  // Partitions of the group's newest collection, keyed by [topic, partition].
  const parts = new Map<string, { topic: string; partition: number; lag?: SeriesData; lagSeconds?: SeriesData; status?: SeriesData }>();
  const add = (list: readonly SeriesData[], key: 'lag' | 'lagSeconds' | 'status') => {
    for (const s of list) {
      const topic = s.labels.topic ?? '';
      const partition = Number(s.labels.partition);
      const k = JSON.stringify([topic, partition]);
      const p = parts.get(k) ?? { topic, partition };
      p[key] = s;
      parts.set(k, p);
    }
  };
  add(lag, 'lag');
  add(lagSeconds, 'lagSeconds');
  add(status, 'status');
  const topics = [...new Set([...parts.values()].map((p) => p.topic))];
  const ends = await Promise.all(topics.map((topic) => select(querier, LATEST_OFFSET, { cluster, topic }, frame)));
  const endBy = new Map<string, SeriesData>();
  let newestCycle = seenMs;
  for (const list of ends) {
    for (const s of list) {
      endBy.set(JSON.stringify([s.labels.topic ?? '', Number(s.labels.partition)]), s);
      newestCycle = Math.max(newestCycle, newest(s)?.ts ?? -Infinity);
    }
  }

  const partitions: PartitionView[] = [];
  for (const [k, p] of parts) {
    const lagNow = valueAt(p.lag, seenMs);
    const statusNow = valueAt(p.status, seenMs);
    if (lagNow === undefined && statusNow === undefined) continue; // not in the newest collection
    const end = endBy.get(k);
    const endOffset = valueAt(end, seenMs) ?? newest(end)?.value ?? null;
    partitions.push({
      topic: p.topic,
      partition: p.partition,
      status: statusName(statusNow),
      currentOffset: lagNow === undefined || endOffset === null ? null : endOffset - lagNow,
      endOffset,
      lag: lagNow ?? null,
      lagSeconds: valueAt(p.lagSeconds, seenMs) ?? null,
    });
  }
  partitions.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  // The topics' log end offsets are collected in the same cycle as the group: newer ones mean
  // the newest cycle no longer listed it.
  return { group: { ...summary, current: seenMs >= newestCycle }, lagSecondsSeries: thin(series!.lagSeconds, frame), partitions };
}
