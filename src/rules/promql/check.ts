/**
 * Type checks Prometheus's parser makes beyond the grammar: argument types of functions and
 * aggregations, operand types of binary operators, vector matching clauses.
 * https://prometheus.io/docs/prometheus/latest/querying/operators/
 */
import { type Aggregate, type Binary, type Call, type Expr, isComparison, isSetOp, type ValueType } from './ast.ts';
import { describeType, signatureOf } from './functions.ts';

/** A check failure; `pos` is where Prometheus points, when not at the node being checked. */
export class CheckError extends Error {
  constructor(message: string, readonly pos?: number) {
    super(message);
  }
}

/** The type `expr` evaluates to. */
export function typeOf(expr: Expr): ValueType {
  switch (expr.type) {
    case 'number':
      return 'scalar';
    case 'string':
      return 'string';
    case 'vector':
    case 'aggregate':
      return 'vector';
    case 'matrix':
    case 'subquery':
      return 'matrix';
    case 'call':
      return signatureOf(expr.name)?.returns ?? 'vector';
    case 'unary':
    case 'paren':
      return typeOf(expr.expr);
    case 'binary':
      return typeOf(expr.lhs) === 'scalar' && typeOf(expr.rhs) === 'scalar' ? 'scalar' : 'vector';
  }
}

/** Throws when the call's name or arguments are wrong. */
export function checkCall(call: Call): void {
  const sig = signatureOf(call.name);
  if (sig === undefined) throw new Error(`unknown function "${call.name}"`);
  const n = call.args.length;
  if (sig.variadic === 0) {
    if (n !== sig.args.length) throw new Error(`expected ${sig.args.length} argument(s) in call to "${call.name}", got ${n}`);
  } else {
    const min = sig.args.length - 1;
    if (n < min) throw new Error(`expected at least ${min} argument(s) in call to "${call.name}", got ${n}`);
    const max = sig.variadic < 0 ? Infinity : min + sig.variadic;
    if (n > max) throw new Error(`expected at most ${max} argument(s) in call to "${call.name}", got ${n}`);
  }
  call.args.forEach((arg, i) => {
    const want = sig.args[Math.min(i, sig.args.length - 1)]!;
    expectType(arg, want, `call to function "${call.name}"`);
  });
}

/** Throws when the aggregation's operand or parameter has the wrong type. */
export function checkAggregate(agg: Aggregate): void {
  expectType(agg.expr, 'vector', 'aggregation expression');
  if (agg.param !== undefined) expectType(agg.param, agg.op === 'count_values' ? 'string' : 'scalar', 'aggregation parameter');
}

/** Throws when the operands or the matching clause do not fit the operator. */
export function checkBinary(bin: Binary): void {
  const lt = typeOf(bin.lhs);
  const rt = typeOf(bin.rhs);
  for (const [t, operand] of [[lt, bin.lhs], [rt, bin.rhs]] as const) {
    if (t !== 'scalar' && t !== 'vector') throw new CheckError('binary expression must contain only scalar and instant vector types', operand.pos);
  }
  if (bin.returnBool && !isComparison(bin.op)) throw new Error('bool modifier can only be used on comparison operators');
  if (isComparison(bin.op) && lt === 'scalar' && rt === 'scalar' && !bin.returnBool) throw new Error('comparisons between scalars must use BOOL modifier');
  if (isSetOp(bin.op) && (lt === 'scalar' || rt === 'scalar')) throw new CheckError(`set operator "${bin.op}" not allowed in binary scalar expression`, bin.pos);
  const m = bin.matching;
  if (m === undefined) return;
  if ((lt !== 'vector' || rt !== 'vector') && m.explicit) throw new CheckError('vector matching only allowed between instant vectors', bin.pos);
  for (const name of m.include) {
    if (m.on && m.labels.includes(name)) throw new Error(`label "${name}" must not occur in ON and GROUP clause at once`);
  }
}

function expectType(expr: Expr, want: ValueType, context: string): void {
  const got = typeOf(expr);
  if (got !== want) throw new CheckError(`expected type ${describeType(want)} in ${context}, got ${describeType(got)}`, expr.pos);
}
