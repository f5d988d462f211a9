/**
 * The parsed form of a PromQL expression. Node kinds follow Prometheus's own AST
 * (https://prometheus.io/docs/prometheus/latest/querying/basics/); `pos` is the offset of the
 * node in the expression text, for error messages.
 */
import type { Matcher } from '../../store/types.ts';

/** What an expression evaluates to, as Prometheus's API names the kinds. */
export type ValueType = 'scalar' | 'string' | 'vector' | 'matrix';

/** An `@` modifier: a time in ms, or the start/end of the query. */
export type AtModifier = number | 'start' | 'end';

/** A number literal. */
export interface NumberLiteral {
  readonly type: 'number';
  readonly value: number;
  readonly pos: number;
}

/** A string literal. */
export interface StringLiteral {
  readonly type: 'string';
  readonly value: string;
  readonly pos: number;
}

/** An instant vector selector; `key` identifies the matcher set (one select per distinct key). */
export interface VectorSelector {
  readonly type: 'vector';
  /** The metric name when written before the braces. */
  readonly name: string | undefined;
  /** Every matcher, the metric name included as a `__name__` matcher. */
  readonly matchers: readonly Matcher[];
  readonly offsetMs: number;
  readonly at: AtModifier | undefined;
  readonly key: string;
  readonly pos: number;
}

/** A range vector selector `selector[range]`; offset and `@` live on the inner selector. */
export interface MatrixSelector {
  readonly type: 'matrix';
  readonly selector: VectorSelector;
  readonly rangeMs: number;
  readonly pos: number;
}

/** A subquery `expr[range:step]`; `stepMs` 0 means the engine's default step. */
export interface Subquery {
  readonly type: 'subquery';
  readonly expr: Expr;
  readonly rangeMs: number;
  readonly stepMs: number;
  readonly offsetMs: number;
  readonly at: AtModifier | undefined;
  readonly pos: number;
}

/** A function call. */
export interface Call {
  readonly type: 'call';
  readonly name: string;
  readonly args: readonly Expr[];
  readonly pos: number;
}

/** The aggregation operators. */
export type AggregateOp = 'sum' | 'avg' | 'min' | 'max' | 'count' | 'group' | 'stddev' | 'stdvar' | 'topk' | 'bottomk' | 'quantile' | 'count_values';

/** An aggregation, e.g. `sum by (job) (x)`. */
export interface Aggregate {
  readonly type: 'aggregate';
  readonly op: AggregateOp;
  readonly expr: Expr;
  /** The parameter of topk, bottomk, quantile and count_values. */
  readonly param: Expr | undefined;
  readonly grouping: readonly string[];
  readonly without: boolean;
  /** Whether a by/without clause was written (for formatting). */
  readonly hasModifier: boolean;
  readonly pos: number;
}

/** The binary operators. */
export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2' | '==' | '!=' | '>' | '<' | '>=' | '<=' | 'and' | 'or' | 'unless';

/** How a binary operation between two vectors pairs their samples. */
export interface VectorMatching {
  readonly card: 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';
  /** True for `on(...)`, false for `ignoring(...)` or no clause. */
  readonly on: boolean;
  readonly labels: readonly string[];
  /** The extra labels of group_left/group_right. */
  readonly include: readonly string[];
  /** Whether on/ignoring was written (for formatting). */
  readonly explicit: boolean;
}

/** A binary operation; `matching` is set when both sides are vectors. */
export interface Binary {
  readonly type: 'binary';
  readonly op: BinaryOp;
  readonly lhs: Expr;
  readonly rhs: Expr;
  readonly returnBool: boolean;
  readonly matching: VectorMatching | undefined;
  readonly pos: number;
}

/** A unary `-` or `+`. */
export interface Unary {
  readonly type: 'unary';
  readonly op: '-' | '+';
  readonly expr: Expr;
  readonly pos: number;
}

/** A parenthesized expression, kept so that formatting gives the text back. */
export interface Paren {
  readonly type: 'paren';
  readonly expr: Expr;
  readonly pos: number;
}

/** Parsed expression (opaque to callers except via parseExpr, formatExpr and selectorsOf). */
export type Expr = NumberLiteral | StringLiteral | VectorSelector | MatrixSelector | Subquery | Call | Aggregate | Binary | Unary | Paren;

/** True for the comparison operators, which filter unless `bool` is given. */
export function isComparison(op: BinaryOp): boolean {
  return op === '==' || op === '!=' || op === '>' || op === '<' || op === '>=' || op === '<=';
}

/** True for and/or/unless. */
export function isSetOp(op: BinaryOp): boolean {
  return op === 'and' || op === 'or' || op === 'unless';
}

/** Calls every node of `expr`, parents before children. */
export function walk(expr: Expr, visit: (node: Expr) => void): void {
  visit(expr);
  switch (expr.type) {
    case 'matrix':
      walk(expr.selector, visit);
      break;
    case 'subquery':
    case 'unary':
    case 'paren':
      walk(expr.expr, visit);
      break;
    case 'call':
      for (const arg of expr.args) walk(arg, visit);
      break;
    case 'aggregate':
      if (expr.param !== undefined) walk(expr.param, visit);
      walk(expr.expr, visit);
      break;
    case 'binary':
      walk(expr.lhs, visit);
      walk(expr.rhs, visit);
      break;
    default:
      break;
  }
}

/** The selectors of an expression (metric name + matchers), e.g. to list what a rule reads. */
export function selectorsOf(expr: Expr): readonly (readonly Matcher[])[] {
  const seen = new Map<string, readonly Matcher[]>();
  walk(expr, (node) => {
    if (node.type === 'vector' && !seen.has(node.key)) seen.set(node.key, node.matchers);
  });
  return [...seen.values()];
}

/** The expression with parentheses taken off. */
export function unwrapParens(expr: Expr): Expr {
  while (expr.type === 'paren') expr = expr.expr;
  return expr;
}
