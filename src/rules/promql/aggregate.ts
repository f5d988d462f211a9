/**
 * Aggregation operators with by/without, as
 * https://prometheus.io/docs/prometheus/latest/querying/operators/#aggregation-operators
 * specifies; groups come out in the order they are first seen.
 */
import { LABEL_NAME } from '../../labels.ts';
import type { Aggregate } from './ast.ts';
import type { EvalContext, EvalValue, VectorSample } from './context.ts';
import { evalError } from './errors.ts';
import { groupFn, type Labels, withLabel } from './labels.ts';
import { quantile } from './quantile.ts';
import { bottomkHeap, topkHeap } from './topk.ts';

/**
 * One output group. Operators that need every value (topk, bottomk, quantile, count_values)
 * collect the samples; the others fold each value in as it comes (`n`, `a`, `b`), as
 * Prometheus's own aggregation does, so no array is kept per group.
 */
interface Group {
  readonly labels: Labels;
  readonly samples: VectorSample[] | undefined;
  /** Values folded in. */
  n: number;
  /** sum, min, max or mean. */
  a: number;
  /** stddev/stdvar: the sum of squared deviations. */
  b: number;
}

const COLLECTING = new Set<Aggregate['op']>(['topk', 'bottomk', 'quantile', 'count_values']);

/** What an aggregation node remembers from one step to the next (see evalAggregate). */
interface GroupMemo {
  /** Group numbers by group key, and each group's labels by number. */
  readonly idOf: Map<string, number>;
  readonly labels: Labels[];
  /** By input position: the label set last seen there, and its group's number. */
  readonly metrics: Labels[];
  readonly ids: number[];
}

function newMemo(): GroupMemo {
  return { idOf: new Map(), labels: [], metrics: [], ids: [] };
}

/** Evaluates an aggregation at `t`. */
export function evalAggregate(ctx: EvalContext, expr: Aggregate, t: number): EvalValue {
  const input = ctx.operands.vector(ctx, expr.expr, t);
  let param = NaN;
  let valueLabel = '';
  if (expr.param !== undefined) {
    const p = ctx.operands.evaluate(ctx, expr.param, t);
    if (p.kind === 'string') valueLabel = p.value;
    else if (p.kind === 'scalar') param = p.value;
    else throw evalError(`expected scalar or string parameter for ${expr.op}`);
  }
  const op = expr.op;
  const on = !expr.without;
  let grouping = expr.grouping;
  if (op === 'count_values') {
    if (!LABEL_NAME.test(valueLabel)) throw evalError(`invalid label name "${valueLabel}"`);
    grouping = on ? [...grouping, valueLabel] : grouping.filter((g) => g !== valueLabel);
  }
  const groupOf = groupFn(on, grouping);
  const collect = COLLECTING.has(op);
  // A range query hands this node the same series in the same order step after step: each group
  // gets a number for the whole evaluation, and each input position remembers the label set it
  // last held and that label set's group, so that the group is looked up only when the label set
  // there changes (count_values makes new label sets every time: its memo lasts one call).
  const memo = op === 'count_values' ? newMemo() : ctx.state(expr, newMemo);
  const byId = new Array<Group | undefined>(memo.labels.length);
  // Groups in the order they are first seen at this step.
  const groups: Group[] = [];
  for (let i = 0; i < input.length; i++) {
    const s = input[i]!;
    const metric = op === 'count_values' ? withLabel(s.metric, valueLabel, formatValue(s.value)) : s.metric;
    let id: number;
    if (memo.metrics[i] === metric) id = memo.ids[i]!;
    else {
      const { sig, labels } = groupOf(metric);
      let known = memo.idOf.get(sig);
      if (known === undefined) {
        memo.idOf.set(sig, (known = memo.labels.length));
        memo.labels.push(labels);
      }
      id = known;
      memo.metrics[i] = metric;
      memo.ids[i] = id;
    }
    let g = byId[id];
    if (g === undefined) {
      byId[id] = g = { labels: memo.labels[id]!, samples: collect ? [] : undefined, n: 0, a: 0, b: 0 };
      groups.push(g);
    }
    if (collect) g.samples!.push(s);
    else fold(op, g, s.value);
  }
  const out: VectorSample[] = [];
  for (const g of groups) {
    switch (op) {
      case 'topk':
      case 'bottomk': {
        const k = Math.trunc(param);
        if (!(k >= 1)) break;
        out.push(...(op === 'topk' ? topkHeap(g.samples!, k) : bottomkHeap(g.samples!, k)));
        break;
      }
      case 'count_values':
        out.push({ metric: g.labels, value: g.samples!.length });
        break;
      case 'quantile':
        out.push({ metric: g.labels, value: quantile(param, g.samples!.map((s) => s.value)) });
        break;
      default:
        out.push({ metric: g.labels, value: result(op, g) });
    }
  }
  return { kind: 'vector', samples: out };
}

/** Folds one value into a group of a non-collecting operator. */
function fold(op: Aggregate['op'], g: Group, v: number): void {
  const n = ++g.n;
  switch (op) {
    case 'sum':
      g.a += v;
      return;
    case 'count':
    case 'group':
      return;
    case 'min':
      if (n === 1 || g.a > v || Number.isNaN(g.a)) g.a = v;
      return;
    case 'max':
      if (n === 1 || g.a < v || Number.isNaN(g.a)) g.a = v;
      return;
    case 'avg': {
      // Incremental mean, as Prometheus computes it to avoid overflow; infinities stay put.
      if (n === 1) {
        g.a = v;
        return;
      }
      const mean = g.a;
      if (!Number.isFinite(mean) && !Number.isNaN(mean)) {
        if (!Number.isFinite(v) && !Number.isNaN(v) && mean > 0 === v > 0) return;
        if (Number.isFinite(v)) return;
      }
      g.a = mean + (v / n - mean / n);
      return;
    }
    case 'stddev':
    case 'stdvar': {
      // Welford's method.
      const delta = v - g.a;
      g.a += delta / n;
      g.b += delta * (v - g.a);
      return;
    }
    default:
      throw evalError(`unknown aggregation "${op}"`);
  }
}

/** The value of a group of a non-collecting operator. */
function result(op: Aggregate['op'], g: Group): number {
  switch (op) {
    case 'count':
      return g.n;
    case 'group':
      return 1;
    case 'stdvar':
      return g.b / g.n;
    case 'stddev':
      return Math.sqrt(g.b / g.n);
    default:
      return g.a;
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

