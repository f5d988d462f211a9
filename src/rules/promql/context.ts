/**
 * What one evaluation reads and counts: the series fetched for each selector, the query's
 * start and end (for `@ start()` / `@ end()`), lookback delta, default subquery step, and the
 * sample budget.
 */
import type { AtModifier, Expr } from './ast.ts';
import { evalError, timeoutError } from './errors.ts';
import type { Labels } from './labels.ts';
import { isStaleNaN } from './stale.ts';

/** One fetched series; `rangeTs`/`rangeValues` are the same samples without staleness markers. */
export interface FetchedSeries {
  readonly metric: Labels;
  /** The samples are [lo, hi) of these arrays (which may hold more: a WindowQuerier's own storage). */
  readonly ts: Float64Array;
  readonly values: Float64Array;
  readonly lo: number;
  readonly hi: number;
  rangeTs?: Float64Array;
  rangeValues?: Float64Array;
  rangeLo?: number;
  rangeHi?: number;
}

/** One series' samples inside a range, [lo, hi) of its arrays. */
export interface RangeSeries {
  readonly metric: Labels;
  readonly ts: Float64Array;
  readonly values: Float64Array;
  readonly lo: number;
  readonly hi: number;
}

/** One element of an instant vector; `metric` holds every label including `__name__` when the series keeps its name. */
export interface VectorSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A value while evaluating: a range vector is kept as windows over fetched arrays. */
export type EvalValue =
  | { readonly kind: 'scalar'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'vector'; readonly samples: VectorSample[] }
  | { readonly kind: 'range'; readonly series: RangeSeries[]; readonly startMs: number; readonly endMs: number; readonly rangeMs: number };

/** An instant selector's answer fetched whole (see WindowQuerier.selectLatest), for the one time `at` it is read at. */
export interface LatestSamples {
  readonly at: number;
  readonly samples: readonly VectorSample[];
  readonly times: readonly number[];
}

/** The state of one instant or range evaluation. */
/**
 * The evaluator's entry points. Operators (aggregate.ts, binary.ts, call.ts) evaluate their
 * operands through these, handed over in the context, rather than importing the evaluator that
 * dispatches to them.
 */
export interface Operands {
  evaluate(ctx: EvalContext, expr: Expr, t: number): EvalValue;
  vector(ctx: EvalContext, expr: Expr, t: number): VectorSample[];
  scalar(ctx: EvalContext, expr: Expr, t: number): number;
  range(ctx: EvalContext, expr: Expr, t: number): Extract<EvalValue, { kind: 'range' }>;
}

export class EvalContext {
  private samples = 0;
  /**
   * The time (ms on `now`) from which evaluation stops with a timeout error, checked each time
   * samples are counted (every selector read, every subquery step); Infinity: none.
   */
  deadline = Infinity;
  /** The time (ms on `now`) from which evaluation stops for holding the event loop too long at a stretch; Infinity: none. */
  blockDeadline = Infinity;
  /** What blocking past `blockDeadline` is called in the error, e.g. `5s`. */
  blockLimit = '';
  /** The clock the deadlines are read on. */
  now: () => number = Date.now;
  /** Selectors (by key) read only as instant vectors at one time, answered whole by the querier. */
  readonly latest = new Map<string, LatestSamples>();
  /** What expression nodes carry from one step of a range query to the next (see `state`). */
  private readonly states = new Map<object, unknown>();

  constructor(
    readonly data: ReadonlyMap<string, FetchedSeries[]>,
    readonly startMs: number,
    readonly endMs: number,
    readonly lookbackMs: number,
    readonly defaultStepMs: number,
    readonly maxSamples: number,
    /** How operators evaluate their operands: the evaluator's entry points (evaluate.ts `OPERANDS`). */
    readonly operands: Operands,
  ) {}

  /** The time an `@` modifier stands for, or `t` when there is none. */
  atTime(at: AtModifier | undefined, t: number): number {
    if (at === undefined) return t;
    if (at === 'start') return this.startMs;
    if (at === 'end') return this.endMs;
    return at;
  }

  /** Starts counting a new top-level step: the budget bounds what one step holds, as in Prometheus. */
  newStep(): void {
    this.samples = 0;
  }

  /** Counts samples held by one step; throws once the budget is spent, or the deadline has passed. */
  count(n: number): void {
    this.samples += n;
    if (this.samples > this.maxSamples) throw evalError('query processing would load too many samples into memory in query execution');
    this.checkDeadline();
  }

  /**
   * The state `node` keeps for this evaluation, made by `make` the first time: what a range
   * query's steps hand on to the next one (each node keeps one kind of state).
   */
  state<T>(node: object, make: () => T): T {
    if (this.states.has(node)) return this.states.get(node) as T;
    const made = make();
    this.states.set(node, made);
    return made;
  }

  /**
   * The cursor of `node` (a selector) over its `n` series for a read of [from, to], or undefined
   * at its first read (most selectors of an instant query are read once: no cursor is made for
   * them). A range query reads each selector at rising times, so each read goes on from where the
   * last one ended (a step or two on) instead of searching each series' samples again, which
   * touches memory all over the series' arrays; a read earlier than the last one (a subquery's
   * next step) starts over.
   */
  cursor(node: object, n: number, from: number, to: number): SeriesCursor | undefined {
    const seen = this.states.get(node) as SeriesCursor | null | undefined;
    if (seen === undefined) {
      this.states.set(node, null);
      return undefined;
    }
    const c = seen ?? { from, to, lo: new Int32Array(n).fill(-1), hi: new Int32Array(n).fill(-1) };
    if (seen === null) this.states.set(node, c);
    else if (from < c.from || to < c.to) {
      c.lo.fill(-1);
      c.hi.fill(-1);
    }
    c.from = from;
    c.to = to;
    return c;
  }

  /** Throws SLUICE_ERR_PROMQL_TIMEOUT once a deadline has passed. */
  checkDeadline(): void {
    if (this.deadline === Infinity && this.blockDeadline === Infinity) return;
    const now = this.now();
    if (now >= this.deadline) throw timeoutError();
    if (now >= this.blockDeadline) throw timeoutError(`evaluation ran ${this.blockLimit} without a break, the most one step of a query may; shorten its subquery ranges or lengthen their steps`);
  }
}

/** The series' samples without staleness markers (range selectors ignore them) as arrays and [lo, hi) bounds, computed once. */
export function rangeArrays(s: FetchedSeries): [Float64Array, Float64Array, number, number] {
  if (s.rangeTs === undefined || s.rangeValues === undefined) {
    let stale = 0;
    const values = s.values;
    for (let i = s.lo; i < s.hi; i++) {
      const v = values[i]!;
      if (v !== v && isStaleNaN(v)) stale++;
    }
    if (stale === 0) {
      s.rangeTs = s.ts;
      s.rangeValues = s.values;
      s.rangeLo = s.lo;
      s.rangeHi = s.hi;
    } else {
      const ts = new Float64Array(s.hi - s.lo - stale);
      const kept = new Float64Array(ts.length);
      let j = 0;
      for (let i = s.lo; i < s.hi; i++) {
        if (isStaleNaN(values[i]!)) continue;
        ts[j] = s.ts[i]!;
        kept[j++] = values[i]!;
      }
      s.rangeTs = ts;
      s.rangeValues = kept;
      s.rangeLo = 0;
      s.rangeHi = ts.length;
    }
  }
  return [s.rangeTs, s.rangeValues, s.rangeLo!, s.rangeHi!];
}

/**
 * Where a selector's series were last read: per series (in fetched order), the first index at or
 * after the last read's `from` and the first after its `to`; -1 where none was sought yet.
 */
export interface SeriesCursor {
  from: number;
  to: number;
  readonly lo: Int32Array;
  readonly hi: Int32Array;
}

/**
 * `lowerBound` from `from`, a position known to be at or before the answer: a few steps forward
 * first (a range query's next step is usually one or two samples on), then a binary search.
 */
export function seek(ts: Float64Array, from: number, hi: number, t: number, after: boolean): number {
  let i = from;
  for (let n = 0; n < 4; n++, i++) {
    if (i >= hi || (after ? ts[i]! > t : ts[i]! >= t)) return i;
  }
  return lowerBound(ts, i, hi, t, after);
}

/** The first index in [lo, hi) whose time is >= t (> t when `after`); `hi` when none is. */
export function lowerBound(ts: Float64Array, lo: number, hi: number, t: number, after = false): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (after ? ts[mid]! <= t : ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
