/**
 * The `@` variants Prometheus's test runner adds to each `eval`: every selector and subquery
 * without an `@` gets `@ <evaluation time>` (selectors inside a subquery are left alone: the
 * subquery's own `@` fixes their times), and the expression, written out and parsed again, is
 * evaluated at other times, where it must give the same result. Expressions that call a function
 * whose result depends on the evaluation time itself (outside subqueries) get no variants.
 */
import type { Expr } from '../../../../src/rules/promql/ast.ts';
import { formatExpr, parseExpr } from '../../../../src/rules/promql/index.ts';

/** Functions Prometheus leaves out of the variants (its AtModifierUnsafeFunctions). */
const AT_UNSAFE = new Set(['days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'hour', 'minute', 'month', 'year', 'predict_linear', 'time', 'timestamp']);

/** One variant: the expression with `@` set, and the time (ms) to evaluate it at. */
export interface AtVariant {
  readonly expr: string;
  readonly atMs: number;
}

/** The variants of `text` evaluated at `atMs`; none when the expression uses an @-unsafe function. */
export function atVariants(text: string, atMs: number): AtVariant[] {
  const expr = parseExpr(text);
  let unsafe = false;
  const fixed = withAt(expr, atMs, (name) => {
    if (AT_UNSAFE.has(name)) unsafe = true;
  });
  if (unsafe) return [];
  const written = formatExpr(fixed);
  const times = atMs === 0 ? [0, 10, 100, 1000, 10000] : [-10 * atMs, 0, Math.trunc(atMs / 5), atMs, 10 * atMs];
  return times.map((t) => ({ expr: written, atMs: t }));
}

function withAt(e: Expr, at: number, call: (name: string) => void): Expr {
  switch (e.type) {
    case 'vector':
      return e.at === undefined ? { ...e, at } : e;
    case 'matrix':
      return e.selector.at === undefined ? { ...e, selector: { ...e.selector, at } } : e;
    case 'subquery':
      // The subquery's own time fixes its inner selectors' times: what is inside is left as it
      // is (and, as in Prometheus, its function calls are not looked at).
      return e.at === undefined ? { ...e, at } : e;
    case 'call':
      call(e.name);
      return { ...e, args: e.args.map((a) => withAt(a, at, call)) };
    case 'aggregate':
      return { ...e, expr: withAt(e.expr, at, call), param: e.param === undefined ? undefined : withAt(e.param, at, call) };
    case 'binary':
      return { ...e, lhs: withAt(e.lhs, at, call), rhs: withAt(e.rhs, at, call) };
    case 'unary':
    case 'paren':
      return { ...e, expr: withAt(e.expr, at, call) };
    default:
      return e;
  }
}
