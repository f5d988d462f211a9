/**
 * Aggregation operators with by/without, as
 * https://prometheus.io/docs/prometheus/latest/querying/operators/#aggregation-operators
 * specifies; groups come out in the order they are first seen.
 */
import type { Aggregate } from './ast.ts';
import type { EvalContext, EvalValue, VectorSample } from './context.ts';
import { evalError } from './errors.ts';
import { evaluate, evaluateVector } from './evaluate.ts';
import { keepLabelsFn, type Labels, signatureFn, withLabel } from './labels.ts';
import { quantile } from './quantile.ts';
import { bottomkHeap, topkHeap } from './topk.ts';

interface Group {
  labels: Labels;
  samples: VectorSample[];
}

/** Evaluates an aggregation at `t`. */
export function evalAggregate(ctx: EvalContext, expr: Aggregate, t: number): EvalValue {
  const input = evaluateVector(ctx, expr.expr, t);
  let param = NaN;
  let valueLabel = '';
  if (expr.param !== undefined) {
    const p = evaluate(ctx, expr.param, t);
    if (p.kind === 'string') valueLabel = p.value;
    else if (p.kind === 'scalar') param = p.value;
    else throw evalError(`expected scalar or string parameter for ${expr.op}`);
  }
  const on = !expr.without;
  let grouping = expr.grouping;
  if (expr.op === 'count_values') {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(valueLabel)) throw evalError(`invalid label name "${valueLabel}"`);
    grouping = on ? [...grouping, valueLabel] : grouping.filter((g) => g !== valueLabel);
  }
  const sigf = signatureFn(on, grouping);
  const keep = keepLabelsFn(on, grouping);
  const groups = new Map<string, Group>();
  for (const s of input) {
    let sample = s;
    if (expr.op === 'count_values') sample = { metric: withLabel(s.metric, valueLabel, formatValue(s.value)), value: s.value };
    const sig = sigf(sample.metric);
    let g = groups.get(sig);
    if (g === undefined) groups.set(sig, (g = { labels: keep(sample.metric), samples: [] }));
    g.samples.push(sample);
  }
  const out: VectorSample[] = [];
  for (const g of groups.values()) {
    switch (expr.op) {
      case 'topk':
      case 'bottomk': {
        const k = Math.trunc(param);
        if (!(k >= 1)) break;
        out.push(...(expr.op === 'topk' ? topkHeap(g.samples, k) : bottomkHeap(g.samples, k)));
        break;
      }
      case 'count_values':
        out.push({ metric: g.labels, value: g.samples.length });
        break;
      default:
        out.push({ metric: g.labels, value: aggregateValues(expr.op, g.samples, param) });
    }
  }
  return { kind: 'vector', samples: out };
}

function aggregateValues(op: Aggregate['op'], samples: VectorSample[], param: number): number {
  const first = samples[0]!.value;
  switch (op) {
    case 'sum': {
      let sum = 0;
      for (const s of samples) sum += s.value;
      return sum;
    }
    case 'avg': {
      // Incremental mean, as Prometheus computes it to avoid overflow; infinities stay put.
      let mean = 0;
      let n = 0;
      for (const s of samples) {
        n++;
        const v = s.value;
        if (n === 1) {
          mean = v;
          continue;
        }
        if (!Number.isFinite(mean) && !Number.isNaN(mean)) {
          if (!Number.isFinite(v) && !Number.isNaN(v) && mean > 0 === v > 0) continue;
          if (Number.isFinite(v)) continue;
        }
        mean += v / n - mean / n;
      }
      return mean;
    }
    case 'count':
      return samples.length;
    case 'group':
      return 1;
    case 'min': {
      let min = first;
      for (const s of samples) if (min > s.value || Number.isNaN(min)) min = s.value;
      return min;
    }
    case 'max': {
      let max = first;
      for (const s of samples) if (max < s.value || Number.isNaN(max)) max = s.value;
      return max;
    }
    case 'stddev':
    case 'stdvar': {
      let n = 0;
      let mean = 0;
      let m2 = 0;
      for (const s of samples) {
        n++;
        const delta = s.value - mean;
        mean += delta / n;
        m2 += delta * (s.value - mean);
      }
      return op === 'stdvar' ? m2 / n : Math.sqrt(m2 / n);
    }
    case 'quantile':
      return quantile(param, samples.map((s) => s.value));
    default:
      throw evalError(`unknown aggregation "${op}"`);
  }
}

/** A value as Go's strconv.FormatFloat(v, 'f', -1, 64) writes it, for count_values labels. */
export function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  const text = String(v);
  if (!/e/.test(text)) return text;
  const [mantissa, exp] = text.split('e') as [string, string];
  const e = Number(exp);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const point = (mantissa.replace('-', '').indexOf('.') === -1 ? mantissa.replace('-', '').length : mantissa.replace('-', '').indexOf('.')) + e;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}

