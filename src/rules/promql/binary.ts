/**
 * Binary operators: arithmetic and comparison between scalars and vectors, vector matching
 * (one-to-one, many-to-one/one-to-many with group_left/group_right) and the set operators, as
 * https://prometheus.io/docs/prometheus/latest/querying/operators/ specifies.
 */
import { METRIC_NAME_LABEL } from '../../store/types.ts';
import { type Binary, type BinaryOp, isComparison, isSetOp, type VectorMatching } from './ast.ts';
import type { EvalContext, EvalValue, VectorSample } from './context.ts';
import { evalError } from './errors.ts';
import { uniqueAfterDrop } from './select.ts';
import { dropName, type Labels, labelsKey, signatureFn } from './labels.ts';

/** Evaluates a binary operation at `t`. */
export function evalBinary(ctx: EvalContext, expr: Binary, t: number): EvalValue {
  const lhs = ctx.operands.evaluate(ctx, expr.lhs, t);
  const rhs = ctx.operands.evaluate(ctx, expr.rhs, t);
  const { op } = expr;
  if (lhs.kind === 'scalar' && rhs.kind === 'scalar') {
    if (isComparison(op)) return { kind: 'scalar', value: compare(op, lhs.value, rhs.value) ? 1 : 0 };
    return { kind: 'scalar', value: arithmetic(op, lhs.value, rhs.value) };
  }
  if (lhs.kind === 'vector' && rhs.kind === 'scalar') return { kind: 'vector', samples: vectorScalar(op, lhs.samples, rhs.value, false, expr.returnBool) };
  if (lhs.kind === 'scalar' && rhs.kind === 'vector') return { kind: 'vector', samples: vectorScalar(op, rhs.samples, lhs.value, true, expr.returnBool) };
  if (lhs.kind !== 'vector' || rhs.kind !== 'vector') throw evalError('binary expression must contain only scalar and instant vector types');
  const matching = expr.matching ?? { card: isSetOp(op) ? 'many-to-many' : 'one-to-one', on: false, labels: [], include: [], explicit: false };
  switch (op) {
    case 'and':
      return { kind: 'vector', samples: setAnd(lhs.samples, rhs.samples, matching, true) };
    case 'unless':
      return { kind: 'vector', samples: setAnd(lhs.samples, rhs.samples, matching, false) };
    case 'or':
      return { kind: 'vector', samples: setOr(lhs.samples, rhs.samples, matching) };
    default:
      return { kind: 'vector', samples: vectorVector(op, lhs.samples, rhs.samples, matching, expr.returnBool) };
  }
}

/** Arithmetic with Go's float64 semantics (math.Mod, math.Pow, math.Atan2). */
export function arithmetic(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case '+': return l + r;
    case '-': return l - r;
    case '*': return l * r;
    case '/': return l / r;
    case '%': return l % r;
    case '^': return pow(l, r);
    case 'atan2': return Math.atan2(l, r);
    default: throw evalError(`operator "${op}" is not an arithmetic operator`);
  }
}

/** Go's math.Pow where it differs from `**`: 1^y = 1 and (-1)^±Inf = 1. */
function pow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return x ** y;
}

/** A comparison; NaN compares false to everything, unequal to everything. */
export function compare(op: BinaryOp, l: number, r: number): boolean {
  switch (op) {
    case '==': return l === r;
    case '!=': return l !== r;
    case '>': return l > r;
    case '<': return l < r;
    case '>=': return l >= r;
    case '<=': return l <= r;
    default: throw evalError(`operator "${op}" is not a comparison operator`);
  }
}

/** Whether the operator drops the metric name; atan2 keeps it, as in Prometheus 2.x. */
function dropsName(op: BinaryOp): boolean {
  return op === '+' || op === '-' || op === '*' || op === '/' || op === '%' || op === '^';
}

function vectorScalar(op: BinaryOp, vec: VectorSample[], scalar: number, scalarLeft: boolean, returnBool: boolean): VectorSample[] {
  const out: VectorSample[] = [];
  const cmp = isComparison(op);
  const drop = dropsName(op) || returnBool;
  for (const s of vec) {
    let value: number;
    if (cmp) {
      const keep = scalarLeft ? compare(op, scalar, s.value) : compare(op, s.value, scalar);
      if (returnBool) value = keep ? 1 : 0;
      else if (!keep) continue;
      else value = s.value;
    } else value = scalarLeft ? arithmetic(op, scalar, s.value) : arithmetic(op, s.value, scalar);
    out.push({ metric: drop ? dropName(s.metric) : s.metric, value });
  }
  return drop ? uniqueAfterDrop(vec, out) : out;
}

/** Prometheus's text for a label set, `{__name__="x", a="b"}`. */
export function labelsText(labels: Labels): string {
  return `{${Object.keys(labels).sort().map((n) => `${n}=${JSON.stringify(labels[n])}`).join(', ')}}`;
}

function matchedLabels(labels: Labels, m: VectorMatching): Labels {
  const out: Record<string, string> = {};
  for (const name in labels) {
    const listed = m.labels.includes(name);
    if (m.on ? listed : !listed && name !== METRIC_NAME_LABEL) out[name] = labels[name]!;
  }
  return out;
}

function vectorVector(op: BinaryOp, lhs: VectorSample[], rhs: VectorSample[], m: VectorMatching, returnBool: boolean): VectorSample[] {
  const swap = m.card === 'one-to-many';
  if (swap) [lhs, rhs] = [rhs, lhs];
  const sigf = signatureFn(m.on, m.labels);
  const right = new Map<string, VectorSample>();
  for (const rs of rhs) {
    const sig = sigf(rs.metric);
    const dup = right.get(sig);
    if (dup !== undefined) {
      throw evalError(
        `found duplicate series for the match group ${labelsText(matchedLabels(rs.metric, m))} on the ${swap ? 'left' : 'right'} hand-side of the operation: ` +
          `[${labelsText(rs.metric)}, ${labelsText(dup.metric)}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
    right.set(sig, rs);
  }
  const cmp = isComparison(op);
  const matched = new Set<string>();
  // Two samples of the "many" side can only end up with the same labels when group_x labels
  // overwrite what told them apart, or when dropping the name does; otherwise skip the check.
  let checkGrouped = m.include.length > 0;
  if (!checkGrouped && dropsName(op) && lhs.length > 1) {
    const first = lhs[0]!.metric[METRIC_NAME_LABEL];
    checkGrouped = lhs.some((s) => s.metric[METRIC_NAME_LABEL] !== first);
  }
  const out: VectorSample[] = [];
  for (const ls of lhs) {
    const sig = sigf(ls.metric);
    const rs = right.get(sig);
    if (rs === undefined) continue;
    const fl = swap ? rs.value : ls.value;
    const fr = swap ? ls.value : rs.value;
    let value: number;
    if (cmp) {
      const keep = compare(op, fl, fr);
      if (returnBool) value = keep ? 1 : 0;
      else if (!keep) continue;
      else value = fl;
    } else value = arithmetic(op, fl, fr);
    let metric = resultMetric(ls.metric, rs.metric, op, m);
    if (returnBool) metric = dropName(metric);
    if (m.card === 'one-to-one') {
      if (matched.has(sig)) throw evalError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
      matched.add(sig);
    } else if (checkGrouped) {
      const insertSig = `${sig}\u0001${labelsKey(metric)}`;
      if (matched.has(insertSig)) throw evalError('multiple matches for labels: grouping labels must ensure unique matches');
      matched.add(insertSig);
    }
    out.push({ metric, value });
  }
  return out;
}

/** The labels of a result sample: the "many" side's, trimmed by on/ignoring, plus group_x labels from the "one" side. */
function resultMetric(lhs: Labels, rhs: Labels, op: BinaryOp, m: VectorMatching): Labels {
  const out: Record<string, string> = {};
  const keepName = !dropsName(op);
  const oneToOne = m.card === 'one-to-one';
  for (const name in lhs) {
    if (name === METRIC_NAME_LABEL && !keepName) continue;
    if (oneToOne && (m.on ? !m.labels.includes(name) : m.labels.includes(name))) continue;
    out[name] = lhs[name]!;
  }
  for (const name of m.include) {
    const v = rhs[name];
    if (v !== undefined && v !== '') out[name] = v;
    else delete out[name];
  }
  return out;
}

function setAnd(lhs: VectorSample[], rhs: VectorSample[], m: VectorMatching, keepMatched: boolean): VectorSample[] {
  const sigf = signatureFn(m.on, m.labels);
  const right = new Set<string>();
  for (const rs of rhs) right.add(sigf(rs.metric));
  return lhs.filter((ls) => right.has(sigf(ls.metric)) === keepMatched);
}

function setOr(lhs: VectorSample[], rhs: VectorSample[], m: VectorMatching): VectorSample[] {
  const sigf = signatureFn(m.on, m.labels);
  const left = new Set<string>();
  for (const ls of lhs) left.add(sigf(ls.metric));
  const out = lhs.slice();
  for (const rs of rhs) if (!left.has(sigf(rs.metric))) out.push(rs);
  return out;
}
