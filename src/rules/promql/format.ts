/** formatExpr: an Expr back to PromQL text, in Prometheus's canonical spelling. */
import { METRIC_NAME_LABEL } from '../../store/types.ts';
import type { AtModifier, Expr, VectorSelector } from './ast.ts';
import { formatDuration } from '../../duration.ts';
import { quote } from './literals.ts';

/** Formats an Expr back to PromQL text (for messages and the API). */
export function formatExpr(expr: Expr): string {
  switch (expr.type) {
    case 'number':
      return formatNumber(expr.value);
    case 'string':
      return quote(expr.value);
    case 'vector':
      return formatSelector(expr, '');
    case 'matrix':
      return formatSelector(expr.selector, `[${formatDuration(expr.rangeMs)}]`);
    case 'subquery':
      return `${formatExpr(expr.expr)}[${formatDuration(expr.rangeMs)}:${expr.stepMs === 0 ? '' : formatDuration(expr.stepMs)}]${modifiers(expr.offsetMs, expr.at)}`;
    case 'call':
      return `${expr.name}(${expr.args.map(formatExpr).join(', ')})`;
    case 'aggregate': {
      const args = expr.param === undefined ? formatExpr(expr.expr) : `${formatExpr(expr.param)}, ${formatExpr(expr.expr)}`;
      const mod = expr.hasModifier ? ` ${expr.without ? 'without' : 'by'} (${expr.grouping.join(', ')}) ` : '';
      return `${expr.op}${mod}(${args})`;
    }
    case 'binary': {
      let mid = expr.op;
      if (expr.returnBool) mid += ' bool';
      const m = expr.matching;
      if (m !== undefined && m.explicit) {
        mid += ` ${m.on ? 'on' : 'ignoring'} (${m.labels.join(', ')})`;
        if (m.card === 'many-to-one' || m.card === 'one-to-many') {
          mid += ` ${m.card === 'many-to-one' ? 'group_left' : 'group_right'}`;
          if (m.include.length > 0) mid += ` (${m.include.join(', ')})`;
        }
      }
      return `${formatExpr(expr.lhs)} ${mid} ${formatExpr(expr.rhs)}`;
    }
    case 'unary':
      return `${expr.op}${formatExpr(expr.expr)}`;
    case 'paren':
      return `(${formatExpr(expr.expr)})`;
  }
}

function formatSelector(sel: VectorSelector, range: string): string {
  const rest = sel.matchers.filter((m) => !(sel.name !== undefined && m.name === METRIC_NAME_LABEL && m.type === '=' && m.value === sel.name));
  const braces = rest.length === 0 && sel.name !== undefined ? '' : `{${rest.map((m) => `${m.name}${m.type}${quote(m.value)}`).join(', ')}}`;
  return `${sel.name ?? ''}${braces}${range}${modifiers(sel.offsetMs, sel.at)}`;
}

function modifiers(offsetMs: number, at: AtModifier | undefined): string {
  let out = '';
  if (at !== undefined) out += typeof at === 'number' ? ` @ ${(at / 1000).toFixed(3)}` : ` @ ${at}()`;
  if (offsetMs !== 0) out += ` offset ${formatDuration(offsetMs)}`;
  return out;
}

/** A number as PromQL writes it (`Inf`, `-Inf`, `NaN`, otherwise the shortest exact decimal). */
export function formatNumber(v: number): string {
  if (v === Infinity) return 'Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  return String(v);
}
