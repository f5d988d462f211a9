import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSluiceError } from '../../../src/errors.ts';
import { expandSeriesValues, parseSeriesSelector } from '../../../src/rules/test-format/notation.ts';

describe('expandSeriesValues', () => {
  const cases: [string, (number | undefined | 'stale')[]][] = [
    ['1 2 3', [1, 2, 3]],
    ['1+2x3', [1, 3, 5, 7]],
    ['1-1x2', [1, 0, -1]],
    ['-1+1x2', [-1, 0, 1]],
    ['1x3', [1, 1, 1, 1]],
    ['0x0', [0]],
    ['0x3', [0, 0, 0, 0]],
    ['_', [undefined]],
    ['_x3', [undefined, undefined, undefined]],
    ['1 _ 3', [1, undefined, 3]],
    ['stale', ['stale']],
    ['1 stale 2', [1, 'stale', 2]],
    ['Inf -Inf +Inf', [Infinity, -Infinity, Infinity]],
    ['NaN', [NaN]],
    ['1e3 2.5e-1 -1.5E+2', [1000, 0.25, -150]],
    ['1e3+1e3x2', [1000, 2000, 3000]],
    ['0.1+0.1x2', [0.1, 0.2, 0.30000000000000004]],
    ['  1   2\t3 ', [1, 2, 3]],
    ['', []],
    ['5+0x2', [5, 5, 5]],
  ];
  for (const [text, want] of cases) test(JSON.stringify(text), () => assert.deepEqual(expandSeriesValues(text), want));

  for (const bad of ['abc', '1+', '1x', '1+2x', 'x3', '1++2x3', '_x', '1 2 three']) {
    test(`rejects ${JSON.stringify(bad)}, naming where and the token`, () => {
      assert.throws(() => expandSeriesValues(bad, 'tests[0].input_series[2].values'), (err: unknown) => {
        assert.ok(isSluiceError(err, 'SLUICE_ERR_RULES_TEST_FILE'));
        const token = bad.split(' ').find((t) => !/^\d+$/.test(t))!;
        assert.equal((err as Error).message.startsWith(`tests[0].input_series[2].values: invalid value ${JSON.stringify(token)}`), true, (err as Error).message);
        assert.equal((err as { path?: string }).path, 'tests[0].input_series[2].values');
        return true;
      });
    });
  }
});

describe('parseSeriesSelector', () => {
  test('gives the labels of a series, the metric name as __name__', () => {
    assert.deepEqual(parseSeriesSelector('http_requests{job="a", instance="b"}'), { __name__: 'http_requests', job: 'a', instance: 'b' });
  });
  test('takes a name alone, labels alone, and escapes in values', () => {
    assert.deepEqual(parseSeriesSelector('up'), { __name__: 'up' });
    assert.deepEqual(parseSeriesSelector('{job="a\\"b"}'), { job: 'a"b' });
    assert.deepEqual(parseSeriesSelector('{__name__="up",job="x"}'), { __name__: 'up', job: 'x' });
  });
  for (const bad of ['up{job=~"a"}', 'rate(up[5m])', 'up offset 1m', 'up{', '1']) {
    test(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseSeriesSelector(bad, 'series[1]'), (err: unknown) => {
        assert.ok(isSluiceError(err, 'SLUICE_ERR_RULES_TEST_FILE'));
        assert.ok((err as Error).message.startsWith(`series[1]: invalid series ${JSON.stringify(bad)}`), (err as Error).message);
        return true;
      });
    });
  }
});
