/**
 * Regexes as Go's regexp (RE2) has them, which Prometheus and Alertmanager use: whole-value
 * matching for matchers, flags, Unicode classes, named groups, Go's `$` expansion and
 * ReplaceAllString, clear errors for what RE2 refuses, and linear time on a pattern that
 * backtracks exponentially in JavaScript's own engine.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { isSluiceError } from '../src/errors.ts';
import { compileRegex, expandTemplate, RegexSyntaxError } from '../src/regex.ts';
import { Engine, SeriesSet } from '../src/rules/promql/index.ts';
import { TEMPLATE_FUNCS } from '../src/rules/template-funcs.ts';
import { compileMatchers } from '../src/store/matchers.ts';
import { parseMatcher, compile as compileLabelMatchers } from '../src/notify/matchers.ts';

/** [pattern, value, whole-value match?] */
const WHOLE: readonly (readonly [string, string, boolean])[] = [
  // Anchored at both ends, alternation included.
  ['a', 'ab', false],
  ['a|ab', 'ab', true],
  ['b|a.*|c', 'ab', true],
  ['ab|a', 'ab', true],
  ['', '', true],
  ['', 'x', false],
  ['.*', '', true],
  // `.` stops at a newline unless (?s) says otherwise.
  ['x.y', 'x\ny', false],
  ['(?s)x.y', 'x\ny', true],
  ['(?s:x.)y', 'x\ny', true],
  ['x\\sy', 'x\ny', true],
  // Case flags, whole and scoped.
  ['(?i)kafka', 'KaFkA', true],
  ['(?i:k)afka', 'Kafka', true],
  ['(?i:k)afka', 'KAFKA', false],
  ['(?i)k', '\u212a', true], // Kelvin sign folds to k, as in Go
  // Unicode classes, POSIX classes, and Go's ASCII-only \w and \d.
  ['\\pL+', 'Ωmega', true],
  ['\\p{Greek}+', 'Ωω', true],
  ['\\PL', '1', true],
  ['[[:alpha:]]+', 'abc', true],
  ['\\w+', 'é', false],
  ['\\d', '٣', false],
  // A character beyond the BMP is one character.
  ['.', '😀', true],
  ['..', '😀', false],
  // Ungreedy flag and \Q…\E quoting, both Go's.
  ['(?U)a+', 'aaa', true],
  ['\\Qa.b\\E', 'a.b', true],
  ['\\Qa.b\\E', 'axb', false],
  // Named groups in both spellings.
  ['(?P<x>a)b', 'ab', true],
  ['(?<x>a)b', 'ab', true],
];

/** [pattern, the reason in the error] */
const REFUSED: readonly (readonly [string, string])[] = [
  ['(', 'missing closing ): `(`'],
  ['x)|(y', 'unexpected ): `x)|(y`'],
  ['(a)\\1', 'invalid escape sequence: `\\1` (backreferences are not supported: patterns use RE2 syntax, as in Prometheus)'],
  ['a(?=b)', 'invalid or unsupported Perl syntax: `(?=` (lookahead and lookbehind are not supported: patterns use RE2 syntax, as in Prometheus)'],
  ['a(?!b)', 'invalid or unsupported Perl syntax: `(?!` (lookahead and lookbehind are not supported: patterns use RE2 syntax, as in Prometheus)'],
  ['(?<=a)b', 'invalid named capture: `(?<=a)b` (lookahead and lookbehind are not supported: patterns use RE2 syntax, as in Prometheus)'],
  ['a++', 'invalid nested repetition operator: `++`'],
  ['a{1001}', 'invalid repeat count: `{1001}`'],
  ['\\Z', 'invalid escape sequence: `\\Z`'],
  ['\\u0041', 'invalid escape sequence: `\\u`'],
  ['(?x)a', 'invalid or unsupported Perl syntax: `(?x`'],
  ['[z-a]', 'invalid character class range: `z-a`'],
];

describe('compileRegex', () => {
  test('matches whole values with Go RE2 semantics', () => {
    const got = WHOLE.map(([pattern, value]) => [pattern, value, compileRegex(pattern).matchesWhole(value)]);
    assert.deepEqual(got, WHOLE);
  });

  test('refuses what RE2 refuses, saying why', () => {
    const got = REFUSED.map(([pattern]) => {
      try {
        compileRegex(pattern);
        return [pattern, 'compiled'];
      } catch (err) {
        assert.ok(err instanceof RegexSyntaxError && isSluiceError(err, 'SLUICE_ERR_REGEX_INVALID'));
        assert.equal(err.message, `invalid regular expression ${JSON.stringify(pattern)}: ${err.reason}`);
        return [pattern, err.reason];
      }
    });
    assert.deepEqual(got, REFUSED);
  });

  test('the shortcuts for literal alternatives and literal-prefix `.*` agree with the automaton', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', '_', '\n', 'é', '😀', ' ', '\uD800'), maxLength: 6 });
    const pattern = fc.oneof(fc.array(text, { minLength: 1, maxLength: 4 }).map((alts) => alts.join('|')), text.map((prefix) => `${prefix}.*`));
    fc.assert(fc.property(pattern, fc.array(text, { minLength: 1, maxLength: 5 }), (source, values) => {
      const re = compileRegex(source);
      const automaton = RE2JS.compile(source);
      for (const value of [...values, ...source.split('|'), source.slice(0, -2)]) assert.equal(re.matchesWhole(value), automaton.testExact(value), `${JSON.stringify(source)} on ${JSON.stringify(value)}`);
    }), { numRuns: 500 });
  });

  test('test() searches anywhere, as Go\'s MatchString', () => {
    assert.equal(compileRegex('b').test('abc'), true);
    assert.equal(compileRegex('^b').test('abc'), false);
    assert.equal(compileRegex('(?m)^b').test('a\nb'), true);
  });

  test('wholeMatch gives the groups, undefined for one that took no part', () => {
    assert.deepEqual(compileRegex('(?P<x>a)(b)?c?').wholeMatch('ac'), { groups: ['ac', 'a', undefined], named: { x: 1 } });
    assert.equal(compileRegex('(a)').wholeMatch('ab'), undefined);
  });

  test('replaceAll is Go\'s ReplaceAllString: no empty match right after a match, Go\'s $ expansion', () => {
    assert.equal(compileRegex('a*').replaceAll('baaac', 'X'), 'XbXcX');
    assert.equal(compileRegex('').replaceAll('😀a', '-'), '-😀-a-');
    assert.equal(compileRegex('(\\w+)@(?P<host>\\w+)').replaceAll('me@here you@there', '${host}:$1 $1x $$'), 'here:me  $ there:you  $');
    assert.equal(compileRegex('^a').replaceAll('aaa', 'b'), 'baa');
  });

  test('expandTemplate follows Go\'s Expand', () => {
    const m = { groups: ['ab', 'a', undefined], named: { x: 1 } };
    assert.equal(expandTemplate('$1-${1}-$x-${x}-$2-$9-$y-$$-$-${}-$1x', m), 'a-a-a-a----$-$-${}-');
  });
});

describe('regexes everywhere use it', () => {
  test('store, notify and template matchers agree on Go semantics', () => {
    const [store] = compileMatchers([{ name: 'v', type: '=~', value: 'x.y' }]);
    assert.equal(store!.test('x\ny'), false);
    assert.equal(store!.test('xzy'), true);
    const parsed = parseMatcher('team=~"(?i)DB|kafka"');
    assert.deepEqual(parsed, { name: 'team', type: '=~', value: '(?i)DB|kafka' });
    const [notify] = compileLabelMatchers([parsed as Exclude<typeof parsed, string>]);
    assert.equal(notify!.matches({ team: 'db' }), true);
    assert.equal(notify!.matches({ team: 'dbx' }), false);
    assert.equal(parseMatcher('team=~"(a)\\\\1"'), 'invalid regular expression "(a)\\\\1": invalid escape sequence: `\\1` (backreferences are not supported: patterns use RE2 syntax, as in Prometheus) in "team=~\\"(a)\\\\\\\\1\\""');
    assert.throws(() => compileMatchers([{ name: 'v', type: '!~', value: 'a(?=b)' }]), (err: unknown) => isSluiceError(err, 'SLUICE_ERR_STORE_MATCHER_INVALID') && err.message.startsWith('matchers[0]: invalid regular expression "a(?=b)": invalid or unsupported Perl syntax'));
    assert.equal(TEMPLATE_FUNCS.match!('a.c', 'xabcx'), true);
    assert.equal(TEMPLATE_FUNCS.match!('a.c', 'a\nc'), false);
    assert.equal(TEMPLATE_FUNCS.reReplaceAll!('(?P<h>[a-z]+):(\\d+)', '${h} port $2', 'broker:9092'), 'broker port 9092');
  });

  test('a pattern that backtracks exponentially in JavaScript evaluates through the PromQL engine over 10,000 series', async () => {
    const set = new SeriesSet();
    // Names of more than 28 letters, half of them ending in X: none matches, and a search for the literal X rules out only half.
    for (let i = 0; i < 10_000; i++) set.add({ __name__: `kafka_server_replica_manager_under_replicated_partitions_${String.fromCharCode(97 + (i % 26))}${i % 2 === 0 ? `_${i}` : 'X'}`, i: String(i) }, 0, 1);
    set.add({ __name__: 'aaaaX' }, 0, 1);
    set.add({ __name__: 'under_replicated_partitionsX' }, 0, 1);
    const got = await new Engine().instant('count({__name__=~"([a-z_]|[a-z_]){0,28}X"}) > 0', 0, set);
    assert.deepEqual(got, { kind: 'vector', samples: [{ metric: {}, value: 2 }] });
  });
});
