import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSluiceError } from '../../../src/errors.ts';
import { type Expr, formatExpr, FUNCTION_NAMES, parseExpr, PromQLError, selectorsOf } from '../../../src/rules/promql/index.ts';
import { CASES } from './cases.ts';

/** The error parseExpr throws for `text`. */
function parseError(text: string): PromQLError {
  try {
    parseExpr(text);
  } catch (err) {
    assert.ok(err instanceof PromQLError, String(err));
    assert.ok(isSluiceError(err, 'SLUICE_ERR_PROMQL_PARSE'));
    return err;
  }
  assert.fail(`${text} parsed`);
}

/** The expression without positions, to compare two parses. */
function shape(expr: Expr): unknown {
  return JSON.parse(JSON.stringify(expr, (key, value) => (key === 'pos' ? undefined : value)));
}

describe('parseExpr', () => {
  const valid = [
    'http_requests_total',
    'http_requests_total{job="api", instance!="b", path=~"/a.*", code!~"5.."}',
    '{__name__=~"job:.*"}',
    "foo{a='single', b=`raw\\n`}",
    'rate(foo[5m])',
    'rate(foo[1h30m] offset 5m)',
    'foo offset -1m',
    'foo @ 1609746000',
    'foo @ start()',
    'foo[5m] @ end() offset 1m',
    'max_over_time(rate(foo[1m])[1h:5m])',
    'max_over_time(rate(foo[1m])[1h:])',
    'foo[10m:1m] offset 1m',
    'sum by (job) (rate(foo[5m]))',
    'sum(rate(foo[5m])) without (instance)',
    'topk(3, foo)',
    'quantile(0.9, foo)',
    'count_values("value", foo)',
    'foo / on(job) group_left(version) bar',
    'foo * ignoring(instance) group_right bar',
    'foo > bool 1',
    'foo and on() bar or baz unless qux',
    '-foo',
    '1 + 2 * 3 ^ 4 % 5',
    '0x1F + 1e3 + Inf - NaN',
    'label_replace(foo, "dst", "$1", "src", "(.*)")',
    'label_join(foo, "dst", ",", "a", "b", "c")',
    'round(foo)',
    'round(foo, 0.5)',
    'day_of_week()',
    'histogram_quantile(0.9, sum by (le) (rate(foo_bucket[5m])))',
    'time() - timestamp(foo)',
    'vector(1)',
    'scalar(foo) * 2',
    '"a string"',
    'absent_over_time(foo{job="x"}[5m])',
    '(foo + bar) / 2',
    'sum by ("quoted.label") (foo)',
    'foo\n  +\nbar',
  ];
  test('parses the whole grammar', () => {
    const failures = valid.flatMap((text) => {
      try {
        parseExpr(text);
        return [];
      } catch (err) {
        return [`${JSON.stringify(text)}: ${(err as Error).message}`];
      }
    });
    assert.deepEqual(failures, []);
  });

  test('names an unknown function with its line and column', () => {
    const err = parseError('sum(foo) + rat(foo[5m])');
    assert.equal(err.message, '1:12: unknown function "rat"');
    assert.deepEqual(err.position, { line: 1, col: 12, offset: 11 });
  });

  test('counts lines and columns from 1 in a multi-line expression', () => {
    const err = parseError('sum(\n  foo) +\n  rat(x)');
    assert.equal(err.message, '3:3: unknown function "rat"');
    assert.deepEqual(err.position, { line: 3, col: 3, offset: 16 });
  });

  const invalid: [string, string][] = [
    ['rate(foo)', '1:6: expected type range vector in call to function "rate", got instant vector'],
    ['abs(foo[5m])', '1:5: expected type instant vector in call to function "abs", got range vector'],
    ['abs(1)', '1:5: expected type instant vector in call to function "abs", got scalar'],
    ['label_replace(foo, "a")', '1:1: expected 5 argument(s) in call to "label_replace", got 2'],
    ['round(foo, 1, 2)', '1:1: expected at most 2 argument(s) in call to "round", got 3'],
    ['label_join(foo, "a")', '1:1: expected at least 3 argument(s) in call to "label_join", got 2'],
    ['time(1)', '1:1: expected 0 argument(s) in call to "time", got 1'],
    ['double_exponential_smoothing(foo[5m], 0.5, 0.5)', '1:1: unknown function "double_exponential_smoothing"'],
    ['holt_winters(foo[5m], 0.5)', '1:1: expected 3 argument(s) in call to "holt_winters", got 2'],
    ['holt_winters(foo, 0.5, 0.5)', '1:14: expected type range vector in call to function "holt_winters", got instant vector'],
    ['1 > 2', '1:3: comparisons between scalars must use BOOL modifier'],
    ['foo + bool bar', '1:5: bool modifier can only be used on comparison operators'],
    ['foo and 1', '1:1: set operator "and" not allowed in binary scalar expression'],
    ['foo + foo[5m]', '1:7: binary expression must contain only scalar and instant vector types'],
    ['1 + on(a) foo', '1:1: vector matching only allowed between instant vectors'],
    ['foo and on(a) group_left bar', '1:1: no grouping allowed for "and" operation'],
    ['foo + on(a) group_left(a) bar', '1:5: label "a" must not occur in ON and GROUP clause at once'],
    ['sum(foo[5m])', '1:5: expected type instant vector in aggregation expression, got range vector'],
    ['topk(foo, bar)', '1:6: expected type scalar in aggregation parameter, got instant vector'],
    ['count_values(1, foo)', '1:14: expected type string in aggregation parameter, got scalar'],
    ['topk(foo)', '1:1: wrong number of arguments for aggregate expression provided, expected 2, got 1'],
    ['rate(foo[5m]) offset 1m', '1:1: offset must be preceded by an instant vector selector or range vector selector or a subquery'],
    ['foo offset 1m offset 2m', '1:1: offset may not be set multiple times'],
    ['foo @ 1 @ 2', '1:1: @ <timestamp> may not be set multiple times'],
    ['{}', '1:1: vector selector must contain at least one non-empty matcher'],
    ['{job=""}', '1:1: vector selector must contain at least one non-empty matcher'],
    ['{job=~".*"}', '1:1: vector selector must contain at least one non-empty matcher'],
    ['foo{__name__="bar"}', '1:1: metric name must not be set twice: "foo" or "bar"'],
    ['foo{a=~"("}', '1:5: error parsing regexp: missing closing ): `(`'],
    ['foo{a=~"x)|(y"}', '1:5: error parsing regexp: unexpected ): `x)|(y`'],
    ['foo{a=~"(a)\\\\1"}', '1:5: error parsing regexp: invalid escape sequence: `\\1` (backreferences are not supported: patterns use RE2 syntax, as in Prometheus)'],
    ['foo{a=~"a(?=b)"}', '1:5: error parsing regexp: invalid or unsupported Perl syntax: `(?=` (lookahead and lookbehind are not supported: patterns use RE2 syntax, as in Prometheus)'],
    ['foo{a=~"(?<!a)b"}', '1:5: error parsing regexp: invalid named capture: `(?<!a)b` (lookahead and lookbehind are not supported: patterns use RE2 syntax, as in Prometheus)'],
    ['foo{a=~"a{1001}"}', '1:5: error parsing regexp: invalid repeat count: `{1001}`'],
    ['foo[5]', '1:5: missing unit character in duration'],
    ['foo[5m:1m][1m:]', '1:1: subquery is only allowed on instant vector, got range vector instead'],
    ['-"a"', '1:1: unary expression only allowed on expressions of type scalar or instant vector, got string'],
    ['foo{a="b"', '1:10: unexpected end of input'],
    ['sum(foo', '1:8: unexpected end of input'],
    ['foo bar', '1:5: unexpected "bar"'],
    ['foo{a="\\q"}', '1:7: unknown escape sequence U+0071 \'q\''],
    ['', '1:1: unexpected end of input'],
  ];
  // Messages and positions are Prometheus's (without its "parse error: " prefix), except where
  // they quote Go's own regexp and lexer errors.
  test('rejects what Prometheus rejects, saying where and why', () => {
    assert.deepEqual(invalid.map(([text]) => [text, parseError(text).message]), invalid);
  });

  test('binds offset, @ and ranges to the nearest operand, not to a whole binary expression', () => {
    const bin = parseExpr('foo - foo offset 1d');
    assert.ok(bin.type === 'binary' && bin.lhs.type === 'vector' && bin.rhs.type === 'vector');
    assert.deepEqual([bin.lhs.offsetMs, bin.rhs.offsetMs], [0, 86_400_000]);
    assert.equal(formatExpr(parseExpr('foo - foo offset 1d')), 'foo - foo offset 1d');
    assert.equal(formatExpr(parseExpr('-foo @ 10')), '-foo @ 10.000');
    assert.equal(parseError('foo + bar[5m]').message, '1:7: binary expression must contain only scalar and instant vector types');
  });

  test('reads keywords in any case: aggregation operators, by/without, offset, bool, on, group_left, and/or/unless', () => {
    const pairs: [string, string][] = [
      ['SUM BY (job) (foo)', 'sum by (job) (foo)'],
      ['Count_Values("v", foo)', 'count_values("v", foo)'],
      ['TOPK(2, foo) WITHOUT (a)', 'topk without (a) (2, foo)'],
      ['foo OFFSET 5m', 'foo offset 5m'],
      ['foo == BOOL 1', 'foo == bool 1'],
      ['foo + ON (a) GROUP_LEFT (b) bar', 'foo + on (a) group_left (b) bar'],
      ['foo AND bar UNLESS baz', 'foo and bar unless baz'],
    ];
    assert.deepEqual(pairs.map(([text]) => [text, formatExpr(parseExpr(text))]), pairs);
  });

  test('reads numbers ending in a dot, as Go does: 2., 5./6., 1.e3', () => {
    assert.deepEqual(shape(parseExpr('2.')), { type: 'number', value: 2 });
    assert.deepEqual(shape(parseExpr('1.e3')), { type: 'number', value: 1000 });
    assert.deepEqual(shape(parseExpr('2.E-1')), { type: 'number', value: 0.2 });
    assert.deepEqual(shape(parseExpr('5./6.')), { type: 'binary', op: '/', lhs: { type: 'number', value: 5 }, rhs: { type: 'number', value: 6 }, returnBool: false });
    assert.deepEqual(shape(parseExpr('foo @ 100.')), shape(parseExpr('foo @ 100')));
    // Not inside strings, and not in a name.
    assert.equal(formatExpr(parseExpr('foo{a="2."}')), 'foo{a="2."}');
    assert.equal(parseError('a2. + 1').message, '1:3: unexpected "."');
  });

  test('reads a chain of unary minus signs before a number', () => {
    assert.deepEqual(shape(parseExpr('- - - 1')), { type: 'unary', op: '-', expr: { type: 'unary', op: '-', expr: { type: 'number', value: -1 } } });
    assert.deepEqual(shape(parseExpr('- 2 ^ 2')), shape(parseExpr('-2 ^ 2')));
  });

  test('reads holt_winters, a function of Prometheus 2 the grammar does not name, and keeps positions after it', () => {
    assert.equal(formatExpr(parseExpr('holt_winters(foo[5m], 0.5, 0.1)')), 'holt_winters(foo[5m], 0.5, 0.1)');
    // Without a call it is a metric name.
    assert.deepEqual(selectorsOf(parseExpr('holt_winters')), [[{ name: '__name__', type: '=', value: 'holt_winters' }]]);
    assert.equal(parseError('holt_winters(foo[5m], 0.5, 0.1) + bar[5m]').message, '1:35: binary expression must contain only scalar and instant vector types');
  });

  test('an operator after an offset or @ binds by precedence: a + b offset 1m * c is a + ((b offset 1m) * c)', () => {
    const ops = (e: Expr): unknown => (e.type === 'binary' ? [ops(e.lhs), e.op, ops(e.rhs)] : e.type === 'unary' ? [e.op, ops(e.expr)] : e.type === 'vector' ? e.name : e.type);
    assert.deepEqual(ops(parseExpr('a + b offset 1m * c')), ['a', '+', ['b', '*', 'c']]);
    assert.deepEqual(ops(parseExpr('a + on(x) group_left(y) b @ 1 * 0')), ['a', '+', ['b', '*', 'number']]);
    assert.deepEqual(ops(parseExpr('a or b offset 1m and c == bool d')), ['a', 'or', ['b', 'and', ['c', '==', 'd']]]);
    assert.deepEqual(ops(parseExpr('a - b offset 1m ^ c offset 1m ^ d')), ['a', '-', ['b', '^', ['c', '^', 'd']]]);
    assert.deepEqual(ops(parseExpr('-a offset 1m ^ 2')), ['-', ['a', '^', 'number']]);
    assert.deepEqual(ops(parseExpr('a * b offset 1m + c')), [['a', '*', 'b'], '+', 'c']);
    assert.deepEqual(ops(parseExpr('(a + b offset 1m) * c')), ['paren', '*', 'c']);
    const bool = parseExpr('a == bool b offset 1m + 1');
    assert.ok(bool.type === 'binary' && bool.op === '==' && bool.returnBool && bool.rhs.type === 'binary' && !bool.rhs.returnBool);
  });

  test('reads -2 ^ 2 as -(2 ^ 2)', () => {
    assert.deepEqual(shape(parseExpr('-2 ^ 2')), {
      type: 'unary', op: '-', expr: { type: 'binary', op: '^', lhs: { type: 'number', value: 2 }, rhs: { type: 'number', value: 2 }, returnBool: false },
    });
  });
});

describe('formatExpr', () => {
  const canonical = [
    'http_requests_total',
    'http_requests_total{job="api", path=~"/a.*"}',
    '{__name__=~"job:.*"}',
    'rate(foo[1h30m] offset 5m)',
    'foo @ 100.000 offset 1m',
    'foo @ start()',
    'max_over_time(rate(foo[1m])[1h:5m])',
    'max_over_time(foo[10m:])',
    'sum by (job) (rate(foo[5m]))',
    'sum without (instance) (foo)',
    'sum(foo)',
    'topk(3, foo)',
    'count_values("v", foo)',
    'foo / on (job) group_left (version) bar',
    'foo * ignoring (instance) group_right bar',
    'foo > bool 1',
    'foo and on () bar',
    '-foo',
    '(foo + bar) / 2',
    'label_replace(foo, "dst", "$1", "src", "(.*)")',
    '"a \\"string\\""',
    'Inf',
    '1.5e-7',
  ];
  test('gives canonical text back unchanged', () => {
    assert.deepEqual(canonical.map((text) => formatExpr(parseExpr(text))), canonical);
  });

  test('gives text that parses back to the same expression, for every expression of the case table', () => {
    const differing = CASES.map(([expr]) => expr).filter((expr) => {
      const parsed = parseExpr(expr);
      return JSON.stringify(shape(parseExpr(formatExpr(parsed)))) !== JSON.stringify(shape(parsed));
    });
    assert.deepEqual(differing, []);
  });

  test('writes aggregation modifiers before the arguments and durations in largest units', () => {
    assert.equal(formatExpr(parseExpr('sum(rate(foo[90s])) by (a,b)')), 'sum by (a, b) (rate(foo[1m30s]))');
  });
});

describe('selectorsOf', () => {
  test('lists each distinct selector once, the metric name as a __name__ matcher', () => {
    assert.deepEqual(selectorsOf(parseExpr('rate(foo{job="a"}[5m]) / foo{job="a"} offset 1m + on() bar{x=~"y"} + 1')), [
      [{ name: '__name__', type: '=', value: 'foo' }, { name: 'job', type: '=', value: 'a' }],
      [{ name: '__name__', type: '=', value: 'bar' }, { name: 'x', type: '=~', value: 'y' }],
    ]);
  });

  test('gives nothing for an expression without selectors', () => assert.deepEqual(selectorsOf(parseExpr('time() + 1')), []));
});

describe('FUNCTION_NAMES', () => {
  test('holds every function the engine evaluates and nothing it does not', () => {
    for (const name of ['rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'predict_linear', 'resets', 'changes', 'absent', 'absent_over_time',
      'present_over_time', 'avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'last_over_time', 'quantile_over_time',
      'stddev_over_time', 'stdvar_over_time', 'clamp', 'clamp_min', 'clamp_max', 'abs', 'ceil', 'floor', 'round', 'exp', 'ln', 'log2', 'log10', 'sqrt',
      'sgn', 'time', 'timestamp', 'vector', 'scalar', 'label_replace', 'label_join', 'histogram_quantile', 'sort', 'sort_desc', 'day_of_week', 'hour',
      'minute', 'month', 'year', 'days_in_month', 'holt_winters']) {
      assert.ok(FUNCTION_NAMES.has(name), name);
    }
    assert.equal(FUNCTION_NAMES.has('holt_winters'), true);
    assert.equal(FUNCTION_NAMES.has('double_exponential_smoothing'), false);
    assert.equal(FUNCTION_NAMES.has('sum'), false);
  });
});
