/**
 * The PromQL engine: fetches what an expression's selectors need from a Querier (one select per
 * distinct selector, over the union of the ranges it is read at), then evaluates synchronously.
 */
import { isWindowQuerier, type Matcher, METRIC_NAME_LABEL, type Querier, type WindowQuerier } from '../../store/types.ts';
import type { Expr } from './ast.ts';
import { typeOf } from './check.ts';
import { EvalContext, type EvalValue, type FetchedSeries, type LatestSamples, type VectorSample } from './context.ts';
import { formatDuration } from '../../duration.ts';
import { evalError } from './errors.ts';
import { evaluate, OPERANDS } from './evaluate.ts';
import { type Labels, labelsKey, withLabel } from './labels.ts';
import { parseExpr } from './parse.ts';
import { isStaleNaN } from './stale.ts';

/** Result kinds, as Prometheus's API names them. */
export type Value =
  | { readonly kind: 'scalar'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'vector'; readonly samples: readonly VectorSample[] }
  | { readonly kind: 'matrix'; readonly series: readonly MatrixSeries[] };

/** One series of a range result: sample times (ms) and values, oldest first. */
export interface MatrixSeries {
  readonly metric: Readonly<Record<string, string>>;
  readonly ts: Float64Array;
  readonly values: Float64Array;
}

/** Engine settings. */
export interface EngineOptions {
  /** How far back an instant selector looks for a sample; default 5 min. */
  readonly lookbackDeltaMs?: number;
  /** Most samples one query may hold; default 50 million. */
  readonly maxSamples?: number;
  /** Step of subqueries written without one, e.g. `x[5m:]`; default 1 min (the evaluation interval). */
  readonly defaultSubqueryStepMs?: number;
}

/**
 * Bounds of one query, for queries from outside (the HTTP API): rules and replay set none.
 */
export interface QueryBounds {
  /**
   * The time (ms on `now`) from which the query stops with SLUICE_ERR_PROMQL_TIMEOUT: checked
   * after fetching, at every step of a range query, every time evaluation reads samples and at
   * every subquery step.
   */
  readonly deadline?: number;
  /**
   * A range query hands the event loop back (setImmediate) between steps once it has evaluated
   * this long (ms) since it last did, so that a long query does not hold up collection, rule
   * evaluation or health checks.
   */
  readonly yieldAfterMs?: number;
  /**
   * The longest evaluation may run without handing the event loop back (ms): one step of a range
   * query between yields, or a whole instant query. Longer stops with SLUICE_ERR_PROMQL_TIMEOUT,
   * so that no query holds up the rest of the process for longer, whatever its deadline.
   */
  readonly maxBlockMs?: number;
  /** The clock these are read on; default Date.now. */
  readonly now?: () => number;
}

interface Fetch {
  readonly matchers: Matcher[];
  from: number;
  to: number;
}

/** Expressions given as text that an Engine keeps parsed (the oldest one goes first). */
const PARSED_CACHE_SIZE = 256;

/** Evaluates PromQL expressions over series read from a Querier. */
export class Engine {
  private readonly lookbackMs: number;
  private readonly maxSamples: number;
  private readonly defaultStepMs: number;
  private readonly labelsCache = new WeakMap<Readonly<Record<string, string>>, Labels>();
  /**
   * Expressions given as text, parsed (a parsed expression is immutable, and evaluating it never
   * changes it): callers such as the throttle loop's signals and the status page ask the same few
   * queries every round, and parsing costs more than many evaluations. Bounded; text that does
   * not parse is not kept, and throws again each time.
   */
  private readonly parsed = new Map<string, Expr>();

  constructor(options: EngineOptions = {}) {
    this.lookbackMs = options.lookbackDeltaMs ?? 5 * 60_000;
    this.maxSamples = options.maxSamples ?? 50_000_000;
    this.defaultStepMs = options.defaultSubqueryStepMs ?? 60_000;
  }

  /**
   * Evaluates at `timeMs`; fetches every selector's data from `source` first (one select per
   * distinct selector), then evaluates synchronously. Throws SluiceError SLUICE_ERR_PROMQL_PARSE
   * for bad text and SLUICE_ERR_PROMQL_EVAL for what Prometheus refuses at evaluation time, e.g.
   * many-to-many matching.
   */
  async instant(expr: Expr | string, timeMs: number, source: Querier, bounds: QueryBounds = {}): Promise<Value> {
    const e = typeof expr === 'string' ? this.parse(expr) : expr;
    const ctx = await this.prepare(e, timeMs, timeMs, source);
    startClock(ctx, bounds);
    return toValue(evaluate(ctx, e, timeMs));
  }

  /**
   * Range query (used by tests and replay): one value per step from start to end inclusive, each
   * step evaluated as an instant query would be; series that have no value at a step skip it.
   */
  async range(expr: Expr | string, startMs: number, endMs: number, stepMs: number, source: Querier, bounds: QueryBounds = {}): Promise<MatrixSeries[]> {
    const e = typeof expr === 'string' ? this.parse(expr) : expr;
    const type = typeOf(e);
    if (type !== 'vector' && type !== 'scalar') throw evalError(`invalid expression type "${type === 'matrix' ? 'range vector' : type}" for range query, must be scalar or instant vector`);
    if (!(stepMs > 0)) throw evalError('zero or negative query resolution step widths are not accepted');
    if (endMs < startMs) throw evalError('end timestamp must not be before start time');
    const ctx = await this.prepare(e, startMs, endMs, source);
    startClock(ctx, bounds);
    const yieldAfterMs = bounds.yieldAfterMs ?? Infinity;
    const now = bounds.now ?? Date.now;
    let sliceStart = now();
    const byKey = new Map<string, { metric: Readonly<Record<string, string>>; ts: number[]; values: number[] }>();
    for (let t = startMs; t <= endMs; t += stepMs) {
      if (yieldAfterMs !== Infinity && now() - sliceStart >= yieldAfterMs) {
        await yieldToEventLoop();
        sliceStart = now();
        if (bounds.maxBlockMs !== undefined) ctx.blockDeadline = sliceStart + bounds.maxBlockMs;
      }
      ctx.checkDeadline();
      ctx.newStep();
      const v = evaluate(ctx, e, t);
      const samples: readonly VectorSample[] = v.kind === 'scalar' ? [{ metric: {}, value: v.value }] : v.kind === 'vector' ? v.samples : [];
      for (const s of samples) {
        const key = labelsKey(s.metric);
        let acc = byKey.get(key);
        if (acc === undefined) byKey.set(key, (acc = { metric: s.metric, ts: [], values: [] }));
        acc.ts.push(t);
        acc.values.push(s.value);
      }
    }
    return [...byKey.values()].map((a) => ({ metric: a.metric, ts: Float64Array.from(a.ts), values: Float64Array.from(a.values) }));
  }

  /** `text` parsed, from the cache when it was parsed before. */
  private parse(text: string): Expr {
    let e = this.parsed.get(text);
    if (e === undefined) {
      e = parseExpr(text);
      if (this.parsed.size >= PARSED_CACHE_SIZE) this.parsed.delete(this.parsed.keys().next().value!);
      this.parsed.set(text, e);
    }
    return e;
  }

  /**
   * The series' labels with `__name__`, the same object every round for the same series (a
   * Querier such as the head hands out one labels object per series), so that keys derived from
   * it are computed once, not every evaluation.
   */
  private fullLabels(s: { readonly metric: string; readonly labels: Readonly<Record<string, string>> }): Labels {
    const cached = this.labelsCache.get(s.labels);
    if (cached !== undefined && cached[METRIC_NAME_LABEL] === s.metric) return cached;
    const full = withLabel(s.labels, METRIC_NAME_LABEL, s.metric);
    this.labelsCache.set(s.labels, full);
    return full;
  }

  /** Fetches each distinct selector once over every time it is read at, for evaluations in [startMs, endMs]. */
  private async prepare(expr: Expr, startMs: number, endMs: number, source: Querier): Promise<EvalContext> {
    const fetches = new Map<string, Fetch>();
    const need = (key: string, matchers: Fetch['matchers'], from: number, to: number) => {
      const f = fetches.get(key);
      if (f === undefined) fetches.set(key, { matchers, from, to });
      else {
        f.from = Math.min(f.from, from);
        f.to = Math.max(f.to, to);
      }
    };
    const ctx = new EvalContext(new Map(), startMs, endMs, this.lookbackMs, this.defaultStepMs, this.maxSamples, OPERANDS);
    // The one time each selector is read at as an instant vector; null once it is read as a
    // range or at more than one time. Those read once are fetched as their answer.
    const readAt = new Map<string, number | null>();
    const read = (key: string, at: number | null) => {
      const seen = readAt.get(key);
      readAt.set(key, seen === undefined || seen === at ? at : null);
    };
    const visit = (node: Expr, lo: number, hi: number): void => {
      switch (node.type) {
        case 'vector': {
          const a = node.at === undefined ? lo : ctx.atTime(node.at, lo);
          const b = node.at === undefined ? hi : a;
          need(node.key, [...node.matchers], a - node.offsetMs - this.lookbackMs, b - node.offsetMs);
          read(node.key, a === b ? a - node.offsetMs : null);
          return;
        }
        case 'matrix': {
          const sel = node.selector;
          const a = sel.at === undefined ? lo : ctx.atTime(sel.at, lo);
          const b = sel.at === undefined ? hi : a;
          need(sel.key, [...sel.matchers], a - sel.offsetMs - node.rangeMs, b - sel.offsetMs);
          read(sel.key, null);
          return;
        }
        case 'subquery': {
          const a = node.at === undefined ? lo : ctx.atTime(node.at, lo);
          const b = node.at === undefined ? hi : a;
          visit(node.expr, a - node.offsetMs - node.rangeMs, b - node.offsetMs);
          return;
        }
        default:
          forChildren(node, (child) => visit(child, lo, hi));
      }
    };
    visit(expr, startMs, endMs);
    const data = ctx.data as Map<string, FetchedSeries[]>;
    await Promise.all(
      [...fetches].map(async ([key, f]) => {
        // Series come in the Querier's order, as Prometheus takes them in storage order. A
        // WindowQuerier (the head) hands out its own arrays with bounds: no view per series.
        const at = readAt.get(key);
        const windowed = isWindowQuerier(source) && source.holds(f.from);
        if (windowed && typeof at === 'number') {
          ctx.latest.set(key, latestSamples(source, f, at));
        } else if (windowed) {
          data.set(key, source.selectWindows(f.matchers, f.from, f.to) as FetchedSeries[]);
        } else {
          const series = await source.select(f.matchers, f.from, f.to);
          data.set(key, series.map((s): FetchedSeries => ({ metric: this.fullLabels(s), ts: s.ts, values: s.values, lo: 0, hi: s.ts.length })));
        }
      }),
    );
    return ctx;
  }
}

/** Arms the context's deadlines; a query whose data took past one to fetch stops here. */
function startClock(ctx: EvalContext, bounds: QueryBounds): void {
  if (bounds.now !== undefined) ctx.now = bounds.now;
  if (bounds.deadline !== undefined) ctx.deadline = bounds.deadline;
  if (bounds.maxBlockMs !== undefined) {
    ctx.blockDeadline = ctx.now() + bounds.maxBlockMs;
    ctx.blockLimit = formatDuration(bounds.maxBlockMs);
  }
  ctx.checkDeadline();
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** An instant selector's answer from a WindowQuerier: staleness markers mean no sample. */
function latestSamples(source: WindowQuerier, f: Fetch, at: number): LatestSamples {
  let times: number[] = [];
  let samples = source.selectLatest(f.matchers, f.from, f.to, times);
  if (samples.some((s) => isStaleNaN(s.value))) {
    const keep = samples.map((s) => !isStaleNaN(s.value));
    samples = samples.filter((_, i) => keep[i]);
    times = times.filter((_, i) => keep[i]);
  }
  return { at, samples, times };
}

function forChildren(node: Expr, fn: (child: Expr) => void): void {
  switch (node.type) {
    case 'unary':
    case 'paren':
      fn(node.expr);
      break;
    case 'call':
      node.args.forEach(fn);
      break;
    case 'aggregate':
      if (node.param !== undefined) fn(node.param);
      fn(node.expr);
      break;
    case 'binary':
      fn(node.lhs);
      fn(node.rhs);
      break;
    default:
      break;
  }
}

function toValue(v: EvalValue): Value {
  switch (v.kind) {
    case 'range':
      return { kind: 'matrix', series: v.series.map((s) => ({ metric: s.metric, ts: s.ts.slice(s.lo, s.hi), values: s.values.slice(s.lo, s.hi) })) };
    case 'vector':
      return { kind: 'vector', samples: v.samples };
    default:
      return v;
  }
}
