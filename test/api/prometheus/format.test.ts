/**
 * Prometheus 2.42's number, time and JSON forms (as Go's strconv and encoding/json write them),
 * and its parameter parsing: times, durations, `match[]` selectors. Pure functions.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compareLabels, formatSampleValue, formatTimestamp, goExponent, goFixed, goJson, goTime, labelsJson, PromApiError } from '../../../src/api/routes/prometheus/format.ts';
import { durationParam, Form, matchersParam, parseTime } from '../../../src/api/routes/prometheus/params.ts';
import { metricFamilies } from '../../../src/api/routes/prometheus/series.ts';

describe('values and times as Prometheus writes them', () => {
  test('FormatFloat(v, \'f\', -1, 64): shortest digits, never an exponent', () => {
    const cases: [number, string][] = [
      [1, '1'], [0.1, '0.1'], [-2.5, '-2.5'], [0, '0'], [-0, '-0'], [NaN, 'NaN'], [Infinity, '+Inf'], [-Infinity, '-Inf'],
      [1e21, '1000000000000000000000'], [1.5e22, '15000000000000000000000'], [1e-7, '0.0000001'], [-1.25e-8, '-0.0000000125'],
      [123456789.125, '123456789.125'], [0.30000000000000004, '0.30000000000000004'],
    ];
    for (const [v, text] of cases) assert.equal(goFixed(v), text, String(v));
    assert.equal(goFixed(1e300).length, 301);
    assert.equal(goFixed(5e-324), `0.${'0'.repeat(323)}5`);
  });

  test('FormatFloat(v, \'e\', -1, 64): at least two exponent digits', () => {
    const cases: [number, string][] = [[1e21, '1e+21'], [1.5e-7, '1.5e-07'], [5, '5e+00'], [20, '2e+01'], [-123.25, '-1.2325e+02'], [1e300, '1e+300'], [0, '0e+00'], [NaN, 'NaN'], [-Infinity, '-Inf']];
    for (const [v, text] of cases) assert.equal(goExponent(v), text, String(v));
  });

  test('sample values: exponent form below 1e-6 and from 1e21, as util/jsonutil writes them', () => {
    const cases: [number, string][] = [[1e21, '1e+21'], [9.99e20, '999000000000000000000'], [1e-6, '0.000001'], [9.9e-7, '9.9e-07'], [0, '0'], [-1e22, '-1e+22'], [42.5, '42.5'], [Infinity, '+Inf'], [NaN, 'NaN']];
    for (const [v, text] of cases) assert.equal(formatSampleValue(v), text, String(v));
  });

  test('sample times: seconds, three decimals when not whole', () => {
    const cases: [number, string][] = [[1435781451781, '1435781451.781'], [1500, '1.500'], [1050, '1.050'], [1001, '1.001'], [1000, '1'], [0, '0'], [-1500, '-1.500'], [-2000, '-2']];
    for (const [ms, text] of cases) assert.equal(formatTimestamp(ms), text, String(ms));
  });

  test('times as Go\'s time.Time marshals them', () => {
    assert.equal(goTime(Date.UTC(2024, 0, 1, 12)), '2024-01-01T12:00:00Z');
    assert.equal(goTime(Date.UTC(2024, 0, 1, 12, 0, 0, 500)), '2024-01-01T12:00:00.5Z');
    assert.equal(goTime(Date.UTC(2024, 0, 1, 12, 0, 0, 7)), '2024-01-01T12:00:00.007Z');
    assert.equal(goTime(undefined), '0001-01-01T00:00:00Z');
  });

  test('JSON with Go\'s escapes, label names in order', () => {
    assert.equal(goJson({ a: '<&>\u2028' }), '{"a":"\\u003c\\u0026\\u003e\\u2028"}');
    assert.equal(labelsJson({ topic: 'a"b', __name__: 'x', cluster: 'c' }), '{"__name__":"x","cluster":"c","topic":"a\\"b"}');
    assert.equal(labelsJson({}), '{}');
  });

  test('label sets ordered as labels.Compare: name by name, then the shorter first', () => {
    const sets: Record<string, string>[] = [{ a: 'xy' }, { a: 'x', b: '' }, { b: 'a' }, { a: 'x' }, {}];
    assert.deepEqual(sets.sort(compareLabels), [{}, { a: 'x' }, { a: 'x', b: '' }, { a: 'xy' }, { b: 'a' }]);
  });

  test('metric families by naming convention', () => {
    const names = new Set(['req_seconds_bucket', 'req_seconds_sum', 'req_seconds_count', 'lat', 'lat_sum', 'lat_count', 'bytes_total', 'lag', 'only_sum']);
    assert.deepEqual(Object.fromEntries(metricFamilies(names)), { req_seconds: 'histogram', lat: 'summary', bytes_total: 'counter', lag: 'gauge', only_sum: 'gauge' });
  });
});

describe('parameters as Prometheus reads them', () => {
  test('times: Unix seconds (rounded to the millisecond) and RFC 3339 (truncated)', () => {
    const cases: [string, number][] = [
      ['1435781451.781', 1435781451781], ['1435781451', 1435781451000], ['-1.5', -1500], ['1e3', 1_000_000], ['.5', 500], ['0.0005', 1], ['-0.0005', -1],
      ['2015-07-01T20:10:51.781Z', 1435781451781], ['2015-07-01T22:10:51.7819+02:00', 1435781451781], ['2015-07-01T20:10:51Z', 1435781451000],
      ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)], ['-292273086-05-16T16:47:06Z', -Infinity], ['292277026596-12-04T15:30:07.999999999Z', Infinity],
    ];
    for (const [text, ms] of cases) assert.equal(parseTime(text), ms, text);
    for (const text of ['', 'now', 'NaN', 'Inf', '2015-07-01 20:10:51Z', '2015-07-01T20:10:51', '2023-02-29T00:00:00Z', '2015-13-01T00:00:00Z', '2015-07-01T24:00:00Z', '1e300']) {
      assert.throws(() => parseTime(text), { message: `cannot parse ${JSON.stringify(text)} to a valid timestamp` }, text);
    }
  });

  test('durations: seconds as a float or a Prometheus duration', () => {
    const duration = (step: string) => durationParam(new Form(`/x?step=${encodeURIComponent(step)}`, undefined), 'step');
    assert.deepEqual(['15', '0.5', '1m30s', '1h', '2d', '-3', '1e3'].map(duration), [15_000, 500, 90_000, 3_600_000, 172_800_000, -3000, 1_000_000]);
    assert.throws(() => duration('1.5m'), new PromApiError('bad_data', 'invalid parameter "step": cannot parse "1.5m" to a valid duration'));
    assert.throws(() => duration('1e10'), new PromApiError('bad_data', 'invalid parameter "step": cannot parse "1e10" to a valid duration. It overflows int64'));
  });

  test('a form body\'s values come before the query string\'s; repeated ones all count', () => {
    const f = new Form('/x?a=1&m=q1&m=q2', new URLSearchParams('a=2&m=b1'));
    assert.deepEqual([f.get('a'), f.all('m'), f.get('none')], ['2', ['b1', 'q1', 'q2'], '']);
  });

  test('match[]: series selectors only, each with a matcher that does not match the empty string', () => {
    assert.deepEqual(matchersParam(['up{job="a"}', '{__name__=~"x.*"}']), [
      [{ name: '__name__', type: '=', value: 'up' }, { name: 'job', type: '=', value: 'a' }],
      [{ name: '__name__', type: '=~', value: 'x.*' }],
    ]);
    assert.throws(() => matchersParam(['rate(up[5m])']), new PromApiError('bad_data', '1:1: parse error: expected a series selector such as up{job="x"}, got "rate(up[5m])"'));
    assert.throws(() => matchersParam(['up offset 5m'], 'match[]'), new PromApiError('bad_data', 'invalid parameter "match[]": 1:1: parse error: expected a series selector such as up{job="x"}, got "up offset 5m"'));
    assert.throws(() => matchersParam(['{a=~".*"}', 'up{']), new PromApiError('bad_data', '1:4: parse error: unexpected end of input'));
    assert.throws(() => matchersParam(['{a=~".*"}', 'up']), new PromApiError('bad_data', 'match[] must contain at least one non-empty matcher'));
  });
});
