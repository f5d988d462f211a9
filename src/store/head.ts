/**
 * The head: the recent window (default 2 h) of every series, in memory, so that rule evaluation
 * never scans PostgreSQL. The writer appends to it before anything reaches the database, so the
 * head stays current while PostgreSQL is down. Each series keeps its samples in two typed arrays
 * (times, values) in time order; series are indexed by metric name.
 */
import { compileMatchers, exactMetricName, matchesSeries } from './matchers.ts';
import type { SeriesRef } from './series-cache.ts';
import { METRIC_NAME_LABEL, type Matcher, type SeriesData, type SeriesWindow, type WindowQuerier } from './types.ts';

/** Default window kept in memory: 2 hours. */
export const DEFAULT_HEAD_WINDOW_MS = 2 * 3_600_000;

const INITIAL_CAPACITY = 16;

interface HeadSeries {
  readonly ref: SeriesRef;
  ts: Float64Array;
  values: Float64Array;
  /** Samples live in [start, end). */
  start: number;
  end: number;
  /** Its index in its metric's list. */
  slot: number;
}

/** The in-memory recent window of every series; a `Querier`. */
export class Head implements WindowQuerier {
  /** How far back (ms) from the newest sample the head keeps. */
  readonly windowMs: number;
  private readonly byRef = new Map<SeriesRef, HeadSeries>();
  // Per metric, a plain array: selections walk most of the head every round, and iterating an
  // array is several times cheaper than a Set; `slot` makes removal O(1) (swap with the last).
  private readonly byMetric = new Map<string, HeadSeries[]>();

  constructor(options: { windowMs?: number } = {}) {
    this.windowMs = options.windowMs ?? DEFAULT_HEAD_WINDOW_MS;
  }

  /** Series currently held. */
  get seriesCount(): number {
    return this.byRef.size;
  }

  /** Samples currently held. */
  get sampleCount(): number {
    let n = 0;
    for (const s of this.byRef.values()) n += s.end - s.start;
    return n;
  }

  /**
   * Appends one sample. Samples must come in time order per series (the writer guarantees it);
   * one at or before the series' newest is ignored.
   */
  append(ref: SeriesRef, ts: number, value: number): void {
    let s = this.byRef.get(ref);
    if (s === undefined) {
      let list = this.byMetric.get(ref.metric);
      if (list === undefined) this.byMetric.set(ref.metric, (list = []));
      s = { ref, ts: new Float64Array(INITIAL_CAPACITY), values: new Float64Array(INITIAL_CAPACITY), start: 0, end: 0, slot: list.length };
      this.byRef.set(ref, s);
      list.push(s);
    } else if (s.end > s.start && ts <= s.ts[s.end - 1]!) {
      return;
    }
    if (s.end === s.ts.length) makeRoom(s, ts - this.windowMs);
    s.ts[s.end] = ts;
    s.values[s.end] = value;
    s.end++;
  }

  /** Loads a series' stored samples (ascending times), e.g. when warming from PostgreSQL. */
  load(ref: SeriesRef, ts: ArrayLike<number>, values: ArrayLike<number>): void {
    for (let i = 0; i < ts.length; i++) this.append(ref, ts[i]!, values[i]!);
  }

  /**
   * Forgets samples older than `now - windowMs`, and series left without samples. Returns the
   * number of series forgotten.
   */
  evict(now: number): number {
    const cutoff = now - this.windowMs;
    let removed = 0;
    for (const [ref, s] of this.byRef) {
      s.start = lowerBound(s.ts, s.start, s.end, cutoff);
      if (s.start < s.end) continue;
      this.byRef.delete(ref);
      const list = this.byMetric.get(ref.metric)!;
      const last = list.pop()!;
      if (last !== s) {
        list[s.slot] = last;
        last.slot = s.slot;
      }
      if (list.length === 0) this.byMetric.delete(ref.metric);
      removed++;
    }
    return removed;
  }

  /** The head answers every selection from what it holds. */
  holds(): boolean {
    return true;
  }

  /** `Querier.select`, answered from memory. */
  async select(matchers: readonly Matcher[], from: number, to: number): Promise<SeriesData[]> {
    return this.selectSync(matchers, from, to);
  }

  /** The same as `select`, without a promise, for callers that evaluate many selectors in a loop. */
  selectSync(matchers: readonly Matcher[], from: number, to: number): SeriesData[] {
    const out: SeriesData[] = [];
    // Views, not copies. They stay valid because the head never rewrites samples in place
    // (makeRoom moves them to new arrays).
    this.each(matchers, from, to, (s, metric, lo, hi) => out.push({ metric, labels: s.ref.labels, ts: s.ts.subarray(lo, hi), values: s.values.subarray(lo, hi) }));
    return out;
  }

  /** The matching series as the head's own arrays with bounds (see WindowQuerier): no view per series. */
  selectWindows(matchers: readonly Matcher[], from: number, to: number): SeriesWindow[] {
    const out: SeriesWindow[] = [];
    this.each(matchers, from, to, (s, metric, lo, hi) => out.push({ metric: withName(s.ref, metric), ts: s.ts, values: s.values, lo, hi }));
    return out;
  }

  /** See WindowQuerier: one object per series, the newest of its window. */
  selectLatest(matchers: readonly Matcher[], from: number, to: number, times: number[]): { readonly metric: Readonly<Record<string, string>>; readonly value: number }[] {
    const out: { metric: Readonly<Record<string, string>>; value: number }[] = [];
    this.each(matchers, from, to, (s, metric, _lo, hi) => {
      out.push({ metric: withName(s.ref, metric), value: s.values[hi - 1]! });
      times.push(s.ts[hi - 1]!);
    });
    return out;
  }

  /** The labels (with `__name__`) of every matching series with a sample in [from, to]: no samples are copied. */
  seriesLabels(matchers: readonly Matcher[], from: number, to: number): Readonly<Record<string, string>>[] {
    const out: Readonly<Record<string, string>>[] = [];
    this.each(matchers, from, to, (s, metric) => out.push(withName(s.ref, metric)));
    return out;
  }

  /** Calls `fn` for every matching series with samples in [from, to], with their index bounds. */
  private each(matchers: readonly Matcher[], from: number, to: number, fn: (s: HeadSeries, metric: string, lo: number, hi: number) => void): void {
    const compiled = compileMatchers(matchers);
    const nameMatchers = compiled.filter((m) => m.name === METRIC_NAME_LABEL);
    const labelMatchers = compiled.filter((m) => m.name !== METRIC_NAME_LABEL);
    const exact = exactMetricName(matchers);
    for (const metric of exact === undefined ? this.byMetric.keys() : [exact]) {
      if (!nameMatchers.every((m) => m.test(metric))) continue;
      for (const s of this.byMetric.get(metric) ?? []) {
        if (labelMatchers.length > 0 && !matchesSeries(labelMatchers, metric, s.ref.labels)) continue;
        const { ts, start, end } = s;
        if (end === start) continue;
        // Most selections read up to now and start inside the series: skip the searches then.
        const lo = ts[start]! >= from ? start : lowerBound(ts, start, end, from);
        const hi = ts[end - 1]! <= to ? end : lowerBound(ts, lo, end, to, true);
        if (hi > lo) fn(s, metric, lo, hi);
      }
    }
  }
}

/** The series' labels with `__name__`, one object per series for its life. */
function withName(ref: SeriesRef, metric: string): Readonly<Record<string, string>> {
  return (ref.withName ??= Object.freeze({ ...ref.labels, [METRIC_NAME_LABEL]: metric }));
}

/**
 * Drops samples older than `cutoff` and makes room, always into new arrays (twice the live
 * samples, at least the old size): arrays handed out by `select` are views of the old ones and
 * must keep their contents.
 */
function makeRoom(s: HeadSeries, cutoff: number): void {
  const start = lowerBound(s.ts, s.start, s.end, cutoff);
  const live = s.end - start;
  const capacity = Math.max(s.ts.length, live * 2, 4);
  const ts = new Float64Array(capacity);
  const values = new Float64Array(capacity);
  ts.set(s.ts.subarray(start, s.end));
  values.set(s.values.subarray(start, s.end));
  s.ts = ts;
  s.values = values;
  s.start = 0;
  s.end = live;
}

/**
 * The first index in [lo, hi) whose time is >= `t` (or > `t` when `after`), by binary search;
 * `hi` when there is none.
 */
function lowerBound(ts: Float64Array, lo: number, hi: number, t: number, after = false): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (after ? ts[mid]! <= t : ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
