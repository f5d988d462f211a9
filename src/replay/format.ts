/**
 * The incident fixture format, version 1 (docs/fixtures.md): a directory holding
 *   fixture.json       metadata: cluster, time range, scrape interval, what happened, where it came from
 *   series.jsonl.gz    one series a line: metric, labels, sample times (first, then deltas) and values
 *   events.jsonl       one discrete event a line (leader moved, broker down, quota changed), oldest first
 *   expected.yaml      what replay must show: alerts that fire (and when), alerts that must not, quota decisions
 * Everything is text a person can read (`zcat series.jsonl.gz | head -1`); only the series file is
 * compressed, since it holds nearly all the bytes.
 */

/** The `format` field every fixture.json carries. */
export const FIXTURE_FORMAT = 'sluice-incident-fixture';

/** The version this code reads and writes. A fixture of another version is refused. */
export const FIXTURE_VERSION = 1;

/** File names inside a fixture directory. */
export const FIXTURE_FILES = {
  meta: 'fixture.json',
  series: 'series.jsonl.gz',
  events: 'events.jsonl',
  expected: 'expected.yaml',
} as const;

/** Where a fixture's data came from. */
export interface FixtureSource {
  /** `recorded` (sluice record from a store) or `synthetic` (written by a program). */
  readonly kind: 'recorded' | 'synthetic';
  /** The workload scenario that ran, when known (e.g. fixtures/workloads/noisy-producer.yaml). */
  readonly scenario?: string;
  /** When the fixture was written, ISO 8601. */
  readonly recordedAt?: string;
  /** The command or program that wrote it. */
  readonly command?: string;
}

/** fixture.json. Times are ms since the epoch in memory, ISO 8601 strings on disk. */
export interface FixtureMeta {
  readonly version: number;
  /** Short name, usually the directory name (`noisy-producer`). */
  readonly name: string;
  /** The `cluster` label every series carries. */
  readonly cluster: string;
  /** Window start and end, ms (both inclusive). */
  readonly from: number;
  readonly to: number;
  /** When the incident began, ms: expected.yaml's times count from here. Defaults to `from`. */
  readonly incidentStart: number;
  /**
   * When the live rules engine first evaluated during the recording, ms: replay evaluates on the
   * same grid (this time plus whole intervals). Absent: the grid starts at the replayed window.
   */
  readonly rulesStart?: number;
  /** How often the collectors sampled, seconds. */
  readonly scrapeIntervalSeconds: number;
  /** What happened, for people. */
  readonly description: string;
  readonly source: FixtureSource;
  /** Series and samples in series.jsonl.gz (checked on load). */
  readonly seriesCount: number;
  readonly sampleCount: number;
}

/** One series: labels (with `cluster`, without `__name__`) and samples in time order. */
export interface FixtureSeries {
  readonly metric: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ts: Float64Array;
  readonly values: Float64Array;
}

/** One discrete event of the window. */
export interface FixtureEvent {
  readonly ts: number;
  readonly kind: string;
  readonly subject: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** A whole fixture in memory (expected.yaml is read separately, see expected.ts). */
export interface Fixture {
  /** The directory it was read from, when it was. */
  readonly dir?: string;
  readonly meta: FixtureMeta;
  /** Sorted by metric, then labels. */
  readonly series: readonly FixtureSeries[];
  readonly events: readonly FixtureEvent[];
}

/** The staleness marker Prometheus writes when a series ends (a NaN with this bit pattern). */
const STALE_BITS = 0x7ff0000000000002n;

/** True for Prometheus's staleness NaN. */
export function isStaleMarker(v: number): boolean {
  if (!Number.isNaN(v)) return false;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  return view.getBigUint64(0) === STALE_BITS;
}

/** The staleness NaN. */
export function staleMarker(): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, STALE_BITS);
  return view.getFloat64(0);
}

/** A value as JSON: numbers as they are, the others as strings a person can read. */
export function encodeValue(v: number): number | string {
  if (Number.isFinite(v)) return v;
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return isStaleMarker(v) ? 'stale' : 'NaN';
}

/** The value of a JSON item, or undefined when it is not one. */
export function decodeValue(x: unknown): number | undefined {
  if (typeof x === 'number') return x;
  switch (x) {
    case '+Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
    case 'stale':
      return staleMarker();
    default:
      return undefined;
  }
}

/** A series' identity: metric and sorted labels, as one string (sorting and duplicate checks). */
export function seriesKey(metric: string, labels: Readonly<Record<string, string>>): string {
  let key = metric;
  for (const name of Object.keys(labels).sort()) key += `\u0000${name}\u0001${labels[name]}`;
  return key;
}

/** Series sorted by metric, then labels: the order files are written in. */
export function sortSeries<T extends { metric: string; labels: Readonly<Record<string, string>> }>(series: readonly T[]): T[] {
  const keyed = series.map((s) => [seriesKey(s.metric, s.labels), s] as const);
  keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return keyed.map(([, s]) => s);
}
