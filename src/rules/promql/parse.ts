/**
 * parseExpr: PromQL text → Expr. The grammar is Prometheus's own lezer grammar
 * (@prometheus-io/lezer-promql); this file turns its syntax tree into our AST and checks what the
 * grammar does not: function and argument types, operand types, label matchers, durations
 * (https://prometheus.io/docs/prometheus/latest/querying/basics/).
 */
import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';
import { compileRegex, type RegexSyntaxError } from '../../regex.ts';
import { METRIC_NAME_LABEL, type Matcher, type MatchType } from '../../store/types.ts';
import type { AggregateOp, AtModifier, BinaryOp, Expr, MatrixSelector, Subquery, VectorMatching, VectorSelector } from './ast.ts';
import { PromQLError } from './errors.ts';
import { parseDuration } from '../../duration.ts';
import { parseNumber, unquote } from './literals.ts';
import { CheckError, checkAggregate, checkBinary, checkCall, typeOf } from './check.ts';
import { childNodes, forGrammar, matchesEmpty, reportSyntaxErrors, selectorKey } from './syntax.ts';

const BINARY_OPS: Record<string, BinaryOp> = {
  Add: '+', Sub: '-', Mul: '*', Div: '/', Mod: '%', Pow: '^', Atan2: 'atan2',
  Eql: '==', Neq: '!=', Gtr: '>', Lss: '<', Gte: '>=', Lte: '<=', And: 'and', Or: 'or', Unless: 'unless',
};
const AGGREGATE_OPS = new Set<string>(['sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values']);
const PARAM_OPS = new Set<string>(['topk', 'bottomk', 'quantile', 'count_values']);
const MATCH_OPS: Record<string, MatchType> = { EqlSingle: '=', Neq: '!=', EqlRegex: '=~', NeqRegex: '!~' };

/** Parses and checks a PromQL expression; throws PromQLError (SLUICE_ERR_PROMQL_PARSE) with `line:col:`. */
export function parseExpr(text: string): Expr {
  // The tree is built over a same-length rewrite of the text (see forGrammar); the converter reads the original.
  const tree = parser.parse(forGrammar(text));
  reportSyntaxErrors(text, tree.topNode);
  const top = childNodes(tree.topNode);
  if (top.length !== 1) throw new PromQLError(text, top[1]?.from ?? 0, top.length === 0 ? 'no expression found in input' : 'unexpected expression');
  const expr = new Converter(text).expr(top[0]!);
  typeOf(expr);
  return expr;
}

/** Binary operator precedence, loosest first, as in Prometheus's grammar; ^ is right-associative. */
const PRECEDENCE: Record<BinaryOp, number> = {
  or: 1, and: 2, unless: 2, '==': 3, '!=': 3, '<=': 3, '<': 3, '>=': 3, '>': 3, '+': 4, '-': 4, '*': 5, '/': 5, '%': 5, atan2: 5, '^': 6,
};

/** True when `outer` written after `inner`'s right operand takes that operand: a + b * c, a ^ b ^ c. */
function bindsTighter(outer: BinaryOp, inner: BinaryOp): boolean {
  return PRECEDENCE[outer] > PRECEDENCE[inner] || (outer === '^' && inner === '^');
}

class Converter {
  constructor(private readonly text: string) {}

  private fail(node: SyntaxNode | number, message: string, cause?: unknown): never {
    throw new PromQLError(this.text, typeof node === 'number' ? node : node.from, message, cause);
  }

  private src(node: SyntaxNode): string {
    return this.text.slice(node.from, node.to);
  }

  expr(node: SyntaxNode): Expr {
    const kids = childNodes(node);
    switch (node.name) {
      case 'NumberDurationLiteral': {
        const value = parseNumber(this.number(node));
        if (value === undefined) this.fail(node, `bad number or duration syntax: ${JSON.stringify(this.src(node))}`);
        return { type: 'number', value, pos: node.from };
      }
      case 'StringLiteral':
        return { type: 'string', value: this.string(node), pos: node.from };
      case 'ParenExpr':
        return { type: 'paren', expr: this.expr(kids[0]!), pos: node.from };
      case 'UnaryExpr': {
        const op = this.src(kids[0]!) === '-' ? '-' : '+';
        const expr = this.expr(kids[1]!);
        const type = typeOf(expr);
        if (type !== 'scalar' && type !== 'vector') this.fail(node, `unary expression only allowed on expressions of type scalar or instant vector, got ${type === 'matrix' ? 'range vector' : type}`);
        return { type: 'unary', op, expr, pos: node.from };
      }
      case 'VectorSelector':
        return this.selector(node, kids);
      case 'MatrixSelector':
        return this.matrix(node, kids);
      case 'SubqueryExpr':
        return this.subquery(node, kids);
      case 'OffsetExpr':
        return this.offset(node, kids);
      case 'StepInvariantExpr':
        return this.at(node, kids);
      case 'FunctionCall':
        return this.call(node, kids);
      case 'AggregateExpr':
        return this.aggregate(node, kids);
      case 'BinaryExpr':
        return this.binary(node, kids);
      default:
        return this.fail(node, `unsupported expression ${JSON.stringify(this.src(node))}`);
    }
  }

  /**
   * A number literal's text. The grammar takes a sign and the blanks after it into the literal
   * (`- 1` in `- - - 1`); Prometheus reads a unary minus, which gives the same value.
   */
  private number(node: SyntaxNode): string {
    return this.src(node).replace(/^([+-])(?:\s|#[^\n]*)+/, '$1');
  }

  private string(node: SyntaxNode): string {
    try {
      return unquote(this.src(node));
    } catch (err) {
      return this.fail(node, (err as Error).message, err);
    }
  }

  private selector(node: SyntaxNode, kids: SyntaxNode[]): VectorSelector {
    let name: string | undefined;
    const matchers: Matcher[] = [];
    for (const kid of kids) {
      if (kid.name === 'Identifier' || kid.name === 'MetricName') name = this.src(kid);
      else if (kid.name === 'LabelMatchers') {
        for (const m of childNodes(kid)) {
          if (m.name === 'QuotedLabelName') {
            if (name !== undefined) this.fail(m, 'metric name must not be set twice');
            name = this.string(m.firstChild ?? m);
          } else matchers.push(this.matcher(m));
        }
      }
    }
    if (name !== undefined) {
      const other = matchers.find((m) => m.name === METRIC_NAME_LABEL);
      if (other !== undefined) this.fail(node, `metric name must not be set twice: ${JSON.stringify(name)} or ${JSON.stringify(other.value)}`);
      matchers.unshift({ name: METRIC_NAME_LABEL, type: '=', value: name });
    }
    if (!matchers.some((m) => !matchesEmpty(m))) this.fail(node, 'vector selector must contain at least one non-empty matcher');
    return { type: 'vector', name, matchers, offsetMs: 0, at: undefined, key: selectorKey(matchers), pos: node.from };
  }

  private matcher(node: SyntaxNode): Matcher {
    const kids = childNodes(node);
    const nameNode = kids.find((k) => k.name === 'LabelName' || k.name === 'QuotedLabelName');
    const opNode = kids.find((k) => k.name === 'MatchOp');
    const valueNode = kids.find((k) => k.name === 'StringLiteral');
    if (nameNode === undefined || opNode === undefined || valueNode === undefined) return this.fail(node, `invalid label matcher ${JSON.stringify(this.src(node))}`);
    const name = nameNode.name === 'LabelName' ? this.src(nameNode) : this.string(nameNode.firstChild ?? nameNode);
    const type = MATCH_OPS[opNode.firstChild?.name ?? ''];
    if (type === undefined) return this.fail(opNode, `unexpected label matching operator ${JSON.stringify(this.src(opNode))}`);
    const value = this.string(valueNode);
    if (type === '=~' || type === '!~') {
      try {
        compileRegex(value);
      } catch (err) {
        this.fail(node, `error parsing regexp: ${(err as RegexSyntaxError).reason}`, err);
      }
    }
    return { name, type, value };
  }

  private duration(node: SyntaxNode | undefined, what: string): number {
    if (node === undefined) return this.fail(0, `missing ${what}`);
    const kids = childNodes(node);
    if (kids.length === 2 && kids[0]!.name === 'UnaryOp') {
      const inner = this.duration(kids[1], what);
      return this.src(kids[0]!) === '-' ? -inner : inner;
    }
    if (kids.length !== 1 || !kids[0]!.name.startsWith('NumberDurationLiteral')) return this.fail(node, `unsupported ${what} ${JSON.stringify(this.src(node))}`);
    const text = this.src(kids[0]!);
    const ms = parseDuration(text);
    if (ms === undefined) return this.fail(node, /^\d+$/.test(text) ? 'missing unit character in duration' : `not a valid duration string: ${JSON.stringify(text)}`);
    return ms;
  }

  /**
   * The lezer grammar (written for editors) lets `offset`, `@`, `[range]` and `[range:step]`
   * apply to a whole binary or unary expression on their left; in PromQL they bind to the
   * nearest operand (`a - a offset 1d` is `a - (a offset 1d)`), so they are moved down to it.
   */
  private postfix(target: Expr, apply: (operand: Expr) => Expr): Expr {
    if (target.type === 'binary') {
      const rhs = this.postfix(target.rhs, apply);
      const bothVectors = typeOf(target.lhs) === 'vector' && typeOf(rhs) === 'vector';
      const explicit = target.matching?.explicit === true;
      const setOp = target.op === 'and' || target.op === 'or' || target.op === 'unless';
      const matching = explicit || !bothVectors ? (explicit ? target.matching : undefined) : (target.matching ?? { card: setOp ? 'many-to-many' : 'one-to-one', on: false, labels: [], include: [], explicit: false });
      const expr = { ...target, rhs, matching };
      this.check(() => checkBinary(expr), target.pos);
      return expr;
    }
    if (target.type === 'unary') {
      const inner = this.postfix(target.expr, apply);
      const type = typeOf(inner);
      if (type !== 'scalar' && type !== 'vector') this.fail(target.pos, `unary expression only allowed on expressions of type scalar or instant vector, got ${type === 'matrix' ? 'range vector' : type}`);
      return { ...target, expr: inner };
    }
    return apply(target);
  }

  private matrix(node: SyntaxNode, kids: SyntaxNode[]): Expr {
    const rangeNode = kids.find((k) => k.name === 'DurationExpr');
    const rangeMs = this.duration(rangeNode, 'range');
    if (rangeMs <= 0) this.fail(rangeNode ?? node, 'range duration must be greater than 0');
    return this.postfix(this.expr(kids[0]!), (inner): MatrixSelector => {
      if (inner.type !== 'vector' || inner.offsetMs !== 0 || inner.at !== undefined) this.fail(inner.pos, 'ranges only allowed for vector selectors');
      return { type: 'matrix', selector: inner, rangeMs, pos: inner.pos };
    });
  }

  private subquery(node: SyntaxNode, kids: SyntaxNode[]): Expr {
    const durations = kids.filter((k) => k.name === 'DurationExpr');
    const rangeMs = this.duration(durations[0], 'range');
    const stepMs = durations[1] === undefined ? 0 : this.duration(durations[1], 'step');
    if (rangeMs <= 0) this.fail(durations[0]!, 'range duration must be greater than 0');
    if (stepMs < 0) this.fail(durations[1]!, 'step duration must be greater than 0');
    return this.postfix(this.expr(kids[0]!), (expr): Subquery => {
      const type = typeOf(expr);
      if (type !== 'vector') this.fail(expr.pos, `subquery is only allowed on instant vector, got ${type === 'matrix' ? 'range vector' : type} instead`);
      return { type: 'subquery', expr, rangeMs, stepMs, offsetMs: 0, at: undefined, pos: expr.pos };
    });
  }

  private offset(node: SyntaxNode, kids: SyntaxNode[]): Expr {
    const ms = this.duration(kids.find((k) => k.name === 'OffsetDurationExpr'), 'offset');
    return this.postfix(this.expr(kids[0]!), (target) =>
      this.modify(target, (offsetMs, at) => {
        if (offsetMs !== 0) this.fail(node, 'offset may not be set multiple times');
        return [ms, at];
      }, 'offset'),
    );
  }

  private at(node: SyntaxNode, kids: SyntaxNode[]): Expr {
    const arg = kids[kids.length - 1]!;
    let at: AtModifier;
    if (arg.name === 'AtModifierPreprocessors') at = arg.firstChild?.name === 'AtStart' ? 'start' : 'end';
    else {
      const seconds = parseNumber(this.src(arg));
      if (seconds === undefined || !Number.isFinite(seconds)) return this.fail(arg, `invalid @ modifier timestamp ${JSON.stringify(this.src(arg))}`);
      at = Math.round(seconds * 1000);
    }
    return this.postfix(this.expr(kids[0]!), (target) =>
      this.modify(target, (offsetMs, old) => {
        if (old !== undefined) this.fail(node, '@ <timestamp> may not be set multiple times');
        return [offsetMs, at];
      }, '@ modifier'),
    );
  }

  /** Applies an offset or @ to the selector or subquery it follows. */
  private modify(target: Expr, change: (offsetMs: number, at: AtModifier | undefined) => [number, AtModifier | undefined], what: string): Expr {
    switch (target.type) {
      case 'vector': {
        const [offsetMs, at] = change(target.offsetMs, target.at);
        return { ...target, offsetMs, at };
      }
      case 'matrix': {
        const [offsetMs, at] = change(target.selector.offsetMs, target.selector.at);
        return { ...target, selector: { ...target.selector, offsetMs, at } };
      }
      case 'subquery': {
        const [offsetMs, at] = change(target.offsetMs, target.at);
        return { ...target, offsetMs, at };
      }
      default:
        return this.fail(target.pos, `${what} must be preceded by an instant vector selector or range vector selector or a subquery`);
    }
  }

  private call(node: SyntaxNode, kids: SyntaxNode[]): Expr {
    const idNode = kids.find((k) => k.name === 'FunctionIdentifier')!;
    const name = this.src(idNode);
    const body = kids.find((k) => k.name === 'FunctionCallBody');
    const args = body === undefined ? [] : childNodes(body).map((k) => this.expr(k));
    const expr = { type: 'call' as const, name, args, pos: node.from };
    this.check(() => checkCall(expr), node);
    return expr;
  }

  private aggregate(node: SyntaxNode, kids: SyntaxNode[]): Expr {
    // Keywords are case-insensitive in PromQL: `SUM BY (job) (x)` is `sum by (job) (x)`.
    const op = this.src(kids.find((k) => k.name === 'AggregateOp')!).toLowerCase();
    if (!AGGREGATE_OPS.has(op)) return this.fail(node, `unknown aggregation operator "${op}"`);
    const modifier = kids.find((k) => k.name === 'AggregateModifier');
    const body = kids.find((k) => k.name === 'FunctionCallBody');
    const args = body === undefined ? [] : childNodes(body).map((k) => this.expr(k));
    const want = PARAM_OPS.has(op) ? 2 : 1;
    if (args.length !== want) this.fail(node, `wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`);
    let grouping: string[] = [];
    let without = false;
    if (modifier !== undefined) {
      without = modifier.firstChild?.name === 'Without';
      grouping = this.labels(childNodes(modifier).find((k) => k.name === 'GroupingLabels'));
    }
    const expr = {
      type: 'aggregate' as const, op: op as AggregateOp, expr: args[want - 1]!, param: want === 2 ? args[0] : undefined,
      grouping, without, hasModifier: modifier !== undefined, pos: node.from,
    };
    this.check(() => checkAggregate(expr), node);
    return expr;
  }

  private labels(node: SyntaxNode | undefined): string[] {
    if (node === undefined) return [];
    return childNodes(node).map((k) => (k.name === 'QuotedLabelName' ? this.string(k.firstChild ?? k) : this.src(k)));
  }

  private binary(node: SyntaxNode, kids: SyntaxNode[]): Expr {
    const first = kids[0]!;
    if (kids[1]?.name === 'Pow' && first.name === 'NumberDurationLiteral' && /^[+-]/.test(this.src(first))) {
      // The grammar reads `-2 ^ 2` as (-2) ^ 2; in PromQL the sign is a unary operator that binds
      // looser than ^, so it is -(2 ^ 2).
      const sign = this.src(first)[0] === '-' ? '-' : '+';
      const magnitude = parseNumber(this.number(first).slice(1));
      if (magnitude === undefined) this.fail(first, `bad number syntax: ${JSON.stringify(this.src(first))}`);
      const pow = this.finishBinary(node, kids, { type: 'number', value: magnitude, pos: first.from + 1 });
      return { type: 'unary', op: sign, expr: pow, pos: first.from };
    }
    return this.finishBinary(node, kids, this.expr(first));
  }

  private finishBinary(node: SyntaxNode, kids: SyntaxNode[], lhs: Expr): Expr {
    return this.join(node, kids, lhs, this.expr(kids[kids.length - 1]!));
  }

  /** `lhs <op> rhs` for the operator of `node`, re-associated where the grammar grouped wrongly. */
  private join(node: SyntaxNode, kids: SyntaxNode[], lhs: Expr, rhs: Expr): Expr {
    const opNode = kids[1]!;
    const op = BINARY_OPS[opNode.name];
    if (op === undefined) return this.fail(opNode, `unsupported binary operator ${JSON.stringify(this.src(opNode))}`);
    // The grammar applies a postfix `offset`, `@` or range to the whole binary expression on its
    // left, so `a + b offset 1m * 2` arrives as (a + b offset 1m) * 2 once postfix() has moved the
    // offset down to b. An operator binding tighter than the left operand's own goes down to that
    // operand's right side: a + (b offset 1m * 2). (Without postfixes the grammar's grouping
    // already follows precedence, and a parenthesised operand is a paren node, never moved into.)
    if (lhs.type === 'binary' && bindsTighter(op, lhs.op)) {
      const expr = { ...lhs, rhs: this.join(node, kids, lhs.rhs, rhs) };
      this.check(() => checkBinary(expr), lhs.pos);
      return expr;
    }
    // A unary sign binds looser than ^ only: -a offset 1m ^ 2 is -((a offset 1m) ^ 2).
    if (lhs.type === 'unary' && op === '^') return { ...lhs, expr: this.join(node, kids, lhs.expr, rhs) };
    const returnBool = kids.some((k) => k.name === 'BoolModifier');
    const clause = kids.find((k) => k.name === 'MatchingModifierClause');
    if (kids.some((k) => k.name === 'FillModifier')) this.fail(node, 'fill modifiers are not supported');
    const setOp = op === 'and' || op === 'or' || op === 'unless';
    let matching: VectorMatching | undefined;
    const bothVectors = typeOf(lhs) === 'vector' && typeOf(rhs) === 'vector';
    if (clause !== undefined || bothVectors) {
      const parts = clause === undefined ? [] : childNodes(clause);
      const groups = parts.filter((k) => k.name === 'GroupingLabels');
      const side = parts.find((k) => k.name === 'GroupLeft' || k.name === 'GroupRight');
      if (side !== undefined && setOp) this.fail(node, `no grouping allowed for "${op}" operation`);
      const card = setOp ? 'many-to-many' : side === undefined ? 'one-to-one' : side.name === 'GroupLeft' ? 'many-to-one' : 'one-to-many';
      matching = {
        card, on: parts[0]?.name === 'On', labels: this.labels(groups[0]), include: side === undefined ? [] : this.labels(groups[1]),
        explicit: clause !== undefined,
      };
    }
    const expr = { type: 'binary' as const, op, lhs, rhs, returnBool, matching, pos: node.from };
    this.check(() => checkBinary(expr), opNode);
    return expr;
  }

  private check(fn: () => void, node: SyntaxNode | number): void {
    try {
      fn();
    } catch (err) {
      if (err instanceof PromQLError) throw err;
      this.fail(err instanceof CheckError && err.pos !== undefined ? err.pos : node, (err as Error).message, err);
    }
  }
}
