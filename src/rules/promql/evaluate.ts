/**
 * The evaluator: one expression at one time over data already fetched. Selectors follow
 * Prometheus 2.x: an instant selector takes the newest sample in [t - lookback, t] unless it is
 * a staleness marker; a range selector takes every sample in [t - range, t]; offset and `@`
 * move t (https://prometheus.io/docs/prometheus/latest/querying/basics/).
 */
import type { Expr, MatrixSelector, Subquery, VectorSelector } from './ast.ts';
import { evalAggregate } from './aggregate.ts';
import { evalBinary } from './binary.ts';
import { evalCall } from './call.ts';
import type { EvalContext, EvalValue, Operands, RangeSeries, VectorSample } from './context.ts';
import { lowerBound, rangeArrays, seek } from './context.ts';
import { evalError } from './errors.ts';
import { dropName, labelsKey } from './labels.ts';
import { selectInstant, uniqueAfterDrop } from './select.ts';
import { isStaleNaN } from './stale.ts';

/** The evaluator's entry points, as the operators reach them through the context. */
export const OPERANDS: Operands = { evaluate, vector: evaluateVector, scalar: evaluateScalar, range: evaluateRange };

/** Evaluates `expr` at time `t` (ms). */
export function evaluate(ctx: EvalContext, expr: Expr, t: number): EvalValue {
  switch (expr.type) {
    case 'number':
      return { kind: 'scalar', value: expr.value };
    case 'string':
      return { kind: 'string', value: expr.value };
    case 'paren':
      return evaluate(ctx, expr.expr, t);
    case 'vector':
      return { kind: 'vector', samples: selectInstant(ctx, expr, t) };
    case 'matrix':
      return selectRange(ctx, expr, t);
    case 'subquery':
      return evalSubquery(ctx, expr, t);
    case 'unary': {
      const v = evaluate(ctx, expr.expr, t);
      if (expr.op === '+') return v;
      if (v.kind === 'scalar') return { kind: 'scalar', value: -v.value };
      if (v.kind !== 'vector') throw evalError('unary minus needs a scalar or instant vector');
      return { kind: 'vector', samples: uniqueAfterDrop(v.samples, v.samples.map((s) => ({ metric: dropName(s.metric), value: -s.value }))) };
    }
    case 'binary':
      return evalBinary(ctx, expr, t);
    case 'aggregate':
      return evalAggregate(ctx, expr, t);
    case 'call':
      return evalCall(ctx, expr, t);
  }
}

/** Evaluates an expression that must give an instant vector. */
export function evaluateVector(ctx: EvalContext, expr: Expr, t: number): VectorSample[] {
  const v = evaluate(ctx, expr, t);
  if (v.kind !== 'vector') throw evalError(`expected instant vector, got ${v.kind}`);
  return v.samples;
}

/** Evaluates an expression that must give a scalar. */
export function evaluateScalar(ctx: EvalContext, expr: Expr, t: number): number {
  const v = evaluate(ctx, expr, t);
  if (v.kind !== 'scalar') throw evalError(`expected scalar, got ${v.kind}`);
  return v.value;
}

/** Evaluates an expression that must give a range vector. */
export function evaluateRange(ctx: EvalContext, expr: Expr, t: number): Extract<EvalValue, { kind: 'range' }> {
  const v = evaluate(ctx, expr, t);
  if (v.kind !== 'range') throw evalError(`expected range vector, got ${v.kind}`);
  return v;
}

function selectRange(ctx: EvalContext, expr: MatrixSelector, t: number): EvalValue {
  const sel = expr.selector;
  const endMs = ctx.atTime(sel.at, t) - sel.offsetMs;
  const startMs = endMs - expr.rangeMs;
  const series: RangeSeries[] = [];
  let n = 0;
  const fetched = ctx.data.get(sel.key) ?? [];
  const cursor = ctx.cursor(expr, fetched.length, startMs, endMs);
  for (let k = 0; k < fetched.length; k++) {
    const s = fetched[k]!;
    const [ts, values, from, to] = rangeArrays(s);
    const lastLo = cursor === undefined ? -1 : cursor.lo[k]!;
    const lo = lastLo < 0 ? lowerBound(ts, from, to, startMs) : seek(ts, lastLo, to, startMs, false);
    const lastHi = cursor === undefined ? -1 : cursor.hi[k]!;
    const hi = lastHi < lo ? lowerBound(ts, lo, to, endMs, true) : seek(ts, lastHi, to, endMs, true);
    if (cursor !== undefined) {
      cursor.lo[k] = lo;
      cursor.hi[k] = hi;
    }
    if (hi === lo) continue;
    series.push({ metric: s.metric, ts, values, lo, hi });
    n += hi - lo;
  }
  ctx.count(n);
  return { kind: 'range', series, startMs, endMs, rangeMs: expr.rangeMs };
}

/**
 * The inner expression at every step aligned to a multiple of the step inside
 * [t - offset - range, t - offset], as Prometheus aligns subqueries.
 */
function evalSubquery(ctx: EvalContext, expr: Subquery, t: number): EvalValue {
  const endMs = ctx.atTime(expr.at, t) - expr.offsetMs;
  const startMs = endMs - expr.rangeMs;
  const step = expr.stepMs === 0 ? ctx.defaultStepMs : expr.stepMs;
  let first = Math.trunc(startMs / step) * step;
  if (first < startMs) first += step;
  type Acc = { metric: VectorSample['metric']; ts: number[]; values: number[] };
  const byKey = new Map<string, Acc>();
  // Most steps hand over the same label-set objects: look those up by identity first.
  const byObject = new Map<VectorSample['metric'], Acc>();
  for (let ts = first; ts <= endMs; ts += step) {
    const samples = evaluateVector(ctx, expr.expr, ts);
    // The points a subquery holds count against the budget, as in Prometheus (and the count
    // checks the deadline: an inner expression without selectors reads no samples).
    ctx.count(samples.length);
    for (const s of samples) {
      let acc = byObject.get(s.metric);
      if (acc === undefined) {
        const key = labelsKey(s.metric);
        acc = byKey.get(key);
        if (acc === undefined) byKey.set(key, (acc = { metric: s.metric, ts: [], values: [] }));
        byObject.set(s.metric, acc);
      }
      acc.ts.push(ts);
      acc.values.push(s.value);
    }
  }
  const series: RangeSeries[] = [];
  for (const acc of byKey.values()) {
    series.push({ metric: acc.metric, ts: Float64Array.from(acc.ts), values: Float64Array.from(acc.values), lo: 0, hi: acc.ts.length });
  }
  return { kind: 'range', series, startMs, endMs, rangeMs: expr.rangeMs };
}
