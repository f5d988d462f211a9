/**
 * Function calls: evaluates the arguments and applies the function, dropping the metric name
 * where Prometheus does (every function that computes a new value).
 * https://prometheus.io/docs/prometheus/latest/querying/functions/
 */
import { METRIC_NAME_LABEL } from '../../store/types.ts';
import { type Call, type Expr, unwrapParens } from './ast.ts';
import type { EvalContext, EvalValue, RangeSeries, VectorSample } from './context.ts';
import { evalError } from './errors.ts';
import { selectInstant, uniqueAfterDrop, uniqueLabelsets } from './select.ts';
import { histogramQuantile } from './histogram.ts';
import { labelJoin, labelReplace } from './label-functions.ts';
import { dropName } from './labels.ts';
import { extrapolatedRate, holtWinters, instantRate, linearRegression, overTime, type RangeWindow } from './range-functions.ts';
import { DATE_FUNCTIONS, MATH_FUNCTIONS } from './math-functions.ts';

/** Evaluates a function call at `t`. */
export function evalCall(ctx: EvalContext, call: Call, t: number): EvalValue {
  const { name, args } = call;
  const math = MATH_FUNCTIONS[name];
  if (math !== undefined) return vector(mapValues(ctx.operands.vector(ctx, args[0]!, t), math));
  const date = DATE_FUNCTIONS[name];
  if (date !== undefined) {
    const input = args.length === 0 ? [{ metric: {}, value: t / 1000 }] : ctx.operands.vector(ctx, args[0]!, t);
    return vector(mapValues(input, date));
  }
  switch (name) {
    case 'time':
      return { kind: 'scalar', value: t / 1000 };
    case 'pi':
      return { kind: 'scalar', value: Math.PI };
    case 'vector':
      return vector([{ metric: {}, value: ctx.operands.scalar(ctx, args[0]!, t) }]);
    case 'scalar': {
      const v = ctx.operands.vector(ctx, args[0]!, t);
      return { kind: 'scalar', value: v.length === 1 ? v[0]!.value : NaN };
    }
    case 'timestamp':
      return vector(timestamps(ctx, args[0]!, t));
    case 'absent': {
      const v = ctx.operands.vector(ctx, args[0]!, t);
      return vector(v.length > 0 ? [] : [{ metric: absentLabels(args[0]!), value: 1 }]);
    }
    case 'absent_over_time': {
      const r = ctx.operands.range(ctx, args[0]!, t);
      return vector(r.series.length > 0 ? [] : [{ metric: absentLabels(args[0]!), value: 1 }]);
    }
    case 'sort':
    case 'sort_desc': {
      const v = ctx.operands.vector(ctx, args[0]!, t).slice();
      const dir = name === 'sort' ? 1 : -1;
      // NaN goes last either way.
      v.sort((a, b) => (Number.isNaN(a.value) ? (Number.isNaN(b.value) ? 0 : 1) : Number.isNaN(b.value) ? -1 : dir * (a.value - b.value)));
      return vector(v);
    }
    case 'clamp': {
      const v = ctx.operands.vector(ctx, args[0]!, t);
      const min = ctx.operands.scalar(ctx, args[1]!, t);
      const max = ctx.operands.scalar(ctx, args[2]!, t);
      if (max < min) return vector([]);
      return vector(mapValues(v, (x) => Math.max(min, Math.min(max, x))));
    }
    case 'clamp_min': {
      const min = ctx.operands.scalar(ctx, args[1]!, t);
      return vector(mapValues(ctx.operands.vector(ctx, args[0]!, t), (x) => Math.max(min, x)));
    }
    case 'clamp_max': {
      const max = ctx.operands.scalar(ctx, args[1]!, t);
      return vector(mapValues(ctx.operands.vector(ctx, args[0]!, t), (x) => Math.min(max, x)));
    }
    case 'round': {
      const toNearest = args.length > 1 ? ctx.operands.scalar(ctx, args[1]!, t) : 1;
      const inverse = 1 / toNearest;
      return vector(mapValues(ctx.operands.vector(ctx, args[0]!, t), (x) => Math.floor(x * inverse + 0.5) / inverse));
    }
    case 'histogram_quantile':
      return vector(histogramQuantile(ctx.operands.scalar(ctx, args[0]!, t), ctx.operands.vector(ctx, args[1]!, t)));
    case 'label_replace':
      return vector(uniqueLabelsets(labelReplace(ctx.operands.vector(ctx, args[0]!, t), ...(args.slice(1).map((a) => stringArg(ctx, a, t)) as [string, string, string, string]))));
    case 'label_join': {
      const [dst, sep, ...src] = args.slice(1).map((a) => stringArg(ctx, a, t));
      return vector(uniqueLabelsets(labelJoin(ctx.operands.vector(ctx, args[0]!, t), dst!, sep!, src)));
    }
    default:
      return rangeCall(ctx, call, t);
  }
}

function rangeCall(ctx: EvalContext, call: Call, t: number): EvalValue {
  const { name, args } = call;
  const rangeArg = name === 'quantile_over_time' ? args[1]! : args[0]!;
  const param = name === 'quantile_over_time' ? ctx.operands.scalar(ctx, args[0]!, t) : name === 'predict_linear' || name === 'holt_winters' ? ctx.operands.scalar(ctx, args[1]!, t) : NaN;
  const trend = name === 'holt_winters' ? ctx.operands.scalar(ctx, args[2]!, t) : NaN;
  const r = ctx.operands.range(ctx, rangeArg, t);
  const fn = rangeFunction(name, r, t, param, trend);
  const out: VectorSample[] = [];
  for (const s of r.series) {
    const value = fn(s);
    if (value === undefined) continue;
    out.push({ metric: name === 'last_over_time' ? s.metric : dropName(s.metric), value });
  }
  if (name === 'last_over_time' || out.length < 2) return vector(out);
  const first = r.series[0]!.metric[METRIC_NAME_LABEL];
  return vector(r.series.every((s) => s.metric[METRIC_NAME_LABEL] === first) ? out : uniqueLabelsets(out));
}

/** The function of one series' window that `name` computes (chosen once, not per series). */
function rangeFunction(name: string, w: RangeWindow, t: number, param: number, trend: number): (s: RangeSeries) => number | undefined {
  switch (name) {
    case 'rate': return (s) => extrapolatedRate(s, w, true, true);
    case 'increase': return (s) => extrapolatedRate(s, w, true, false);
    case 'delta': return (s) => extrapolatedRate(s, w, false, false);
    case 'irate': return (s) => instantRate(s, true);
    case 'idelta': return (s) => instantRate(s, false);
    case 'deriv': return (s) => (s.hi - s.lo < 2 ? undefined : linearRegression(s, s.ts[s.lo]!)[0]);
    case 'predict_linear':
      return (s) => {
        if (s.hi - s.lo < 2) return undefined;
        const [slope, intercept] = linearRegression(s, t);
        return intercept + slope * param;
      };
    case 'holt_winters':
      return (s) => {
        // As in Prometheus, the factors are checked for each series, so no series means no error.
        if (!(param > 0 && param < 1)) throw evalError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${goFixed(param)}`);
        if (!(trend > 0 && trend < 1)) throw evalError(`invalid trend factor. Expected: 0 < tf < 1, got: ${goFixed(trend)}`);
        return holtWinters(s, param, trend);
      };
    default:
      return (s) => overTime(name, s, param);
  }
}

/** A number as Go's `%f` writes it: six decimals, `+Inf`, `-Inf`, `NaN`. */
function goFixed(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  return x.toFixed(6);
}

function vector(samples: VectorSample[]): EvalValue {
  return { kind: 'vector', samples };
}

function mapValues(input: VectorSample[], fn: (v: number) => number): VectorSample[] {
  const out = new Array<VectorSample>(input.length);
  for (let i = 0; i < input.length; i++) out[i] = { metric: dropName(input[i]!.metric), value: fn(input[i]!.value) };
  return uniqueAfterDrop(input, out);
}

function stringArg(ctx: EvalContext, expr: Expr, t: number): string {
  const v = ctx.operands.evaluate(ctx, expr, t);
  if (v.kind !== 'string') throw evalError(`expected string argument, got ${v.kind}`);
  return v.value;
}

/** timestamp(): a selector's own sample times, otherwise the evaluation time. */
function timestamps(ctx: EvalContext, arg: Expr, t: number): VectorSample[] {
  const inner = unwrapParens(arg);
  if (inner.type === 'vector') {
    const times: number[] = [];
    const samples = selectInstant(ctx, inner, t, times);
    return uniqueAfterDrop(samples, samples.map((s, i) => ({ metric: dropName(s.metric), value: times[i]! / 1000 })));
  }
  return mapValues(ctx.operands.vector(ctx, arg, t), () => t / 1000);
}

/**
 * The labels absent() reports: those of a selector argument's `=` matchers, except a label that
 * any other matcher also names (a second `=`, or `!=`, `=~`, `!~`), as in Prometheus.
 */
function absentLabels(arg: Expr): Record<string, string> {
  const inner = unwrapParens(arg);
  const sel = inner.type === 'vector' ? inner : inner.type === 'matrix' ? inner.selector : undefined;
  const out: Record<string, string> = {};
  if (sel === undefined) return out;
  const dropped = new Set<string>();
  for (const m of sel.matchers) {
    if (m.name === METRIC_NAME_LABEL) continue;
    if (m.type === '=' && !(m.name in out)) out[m.name] = m.value;
    else dropped.add(m.name);
  }
  for (const name of dropped) delete out[name];
  return out;
}
