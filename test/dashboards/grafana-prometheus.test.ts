/**
 * The Grafana behaviour the Prometheus board tests rely on (./grafana-prometheus.ts), against
 * what Grafana's Prometheus data source (frontend interpolation, pkg/promlib's step and built-in
 * variables, its HTTP client) gives.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VariableValue } from './grafana.ts';
import { goDuration, interpolatePromVariables, labelValuesRequest, planQuery, promTime, renderLegend, targetRequest } from './grafana-prometheus.ts';

const vars = new Map<string, VariableValue>([
  ['cluster', { multi: true, includeAll: true, current: ['$__all'], options: ['a', 'b'], allValue: '.*' }],
  ['topic', { multi: true, includeAll: true, current: ['orders', 'a.b'], options: [] }],
  ['one', { multi: true, includeAll: true, current: ['x|y'], options: [] }],
  ['every', { multi: true, includeAll: true, current: ['$__all'], options: ['p', 'q(1)'] }],
  ['single', { multi: false, includeAll: false, current: ["it's"], options: [] }],
]);

test('variables: All as the custom all value, several values as an escaped alternation, one alone, built-ins left for the backend', () => {
  assert.equal(interpolatePromVariables('x{cluster=~"$cluster", topic=~"${topic}"}', vars), 'x{cluster=~".*", topic=~"(orders|a\\\\.b)"}');
  assert.equal(interpolatePromVariables('x{l=~"$one"}', vars), 'x{l=~"x\\\\|y"}');
  // All without a custom all value: every option, escaped.
  assert.equal(interpolatePromVariables('x{l=~"[[every]]"}', vars), 'x{l=~"(p|q\\\\(1\\\\))"}');
  // A plain variable is escaped for the string only.
  assert.equal(interpolatePromVariables(`x{l="$single"}`, vars), `x{l="it\\\\'s"}`);
  assert.equal(interpolatePromVariables('${topic:regex} ${topic:pipe} ${topic:raw}', vars), '(orders|a\\.b) orders|a.b orders,a.b');
  assert.equal(interpolatePromVariables('rate(x[$__rate_interval]) $__interval $nope', vars), 'rate(x[$__rate_interval]) $__interval $nope');
  assert.throws(() => interpolatePromVariables('${topic:csv}', vars), /format csv/);
});

test('durations as Go writes them, times as Unix seconds', () => {
  assert.deepEqual([goDuration(15_000), goDuration(60_000), goDuration(75_000), goDuration(8_100_000), goDuration(500), goDuration(90_500)], ['15s', '1m0s', '1m15s', '2h15m0s', '500ms', '1m30.5s']);
  assert.deepEqual([promTime(1_700_000_000_000), promTime(1_700_000_000_250)], ['1700000000', '1700000000.25']);
});

test('step: the panel interval, at least the data source\'s; $__rate_interval at least four scrape intervals', () => {
  const expr = 'rate(x[$__rate_interval]) $__interval $__range';
  const sixHours = { from: 0, to: 6 * 3_600_000 };
  // 6 h over 800 points is 27 s: the frontend rounds it to 30 s, which the backend keeps as the minimum.
  assert.deepEqual(planQuery(expr, sixHours, 800, '15s'), { stepMs: 30_000, intervalMs: 30_000, expr: 'rate(x[1m0s]) 30s 21600s' });
  // 5 minutes: the data source's 15 s.
  assert.deepEqual(planQuery(expr, { from: 0, to: 300_000 }, 1600, '15s'), { stepMs: 15_000, intervalMs: 15_000, expr: 'rate(x[1m0s]) 15s 300s' });
  // 30 days over 800 points: 1 h; the rate interval adds one scrape interval.
  assert.deepEqual(planQuery(expr, { from: 0, to: 30 * 86_400_000 }, 800, '15s'), { stepMs: 3_600_000, intervalMs: 3_600_000, expr: 'rate(x[1h0m15s]) 1h 2592000s' });
  // A query's own min step replaces the data source's as the scrape interval.
  assert.deepEqual(planQuery(expr, { from: 0, to: 300_000 }, 1600, '15s', '1m'), { stepMs: 60_000, intervalMs: 15_000, expr: 'rate(x[4m0s]) 1m 300s' });
});

test('a range target is a POST to query_range with start and end aligned down to the step; an instant target is a POST to query at the end', () => {
  const range = { from: 1_700_000_007_500, to: 1_700_000_307_500 };
  const r = targetRequest({ refId: 'A', expr: 'sum by (topic) (rate(x{topic=~"$topic"}[$__rate_interval]))' }, range, vars, 1600, '15s');
  assert.deepEqual([r.method, r.path, r.params], ['POST', '/api/v1/query_range', [
    ['query', 'sum by (topic) (rate(x{topic=~"(orders|a\\\\.b)"}[1m0s]))'], ['start', '1699999995'], ['end', '1700000295'], ['step', '15'],
  ]]);
  const i = targetRequest({ refId: 'B', expr: 'count(x)', instant: true, range: false }, range, vars, 1600, '15s');
  assert.deepEqual([i.path, i.params], ['/api/v1/query', [['query', 'count(x)'], ['time', '1700000307.5']]]);
});

test('label_values() is a GET of the label\'s values matching the selector, over the range snapped outwards to the minute', () => {
  const range = { from: 1_700_000_007_500, to: 1_700_000_307_500 };
  assert.deepEqual(labelValuesRequest('label_values(sluice_topic_partitions{cluster=~"$cluster", topic!~"__.*"}, topic)', vars, range), {
    method: 'GET', path: '/api/v1/label/topic/values',
    params: [['match[]', 'sluice_topic_partitions{cluster=~".*", topic!~"__.*"}'], ['start', '1699999980'], ['end', '1700000340']],
  });
  assert.deepEqual(labelValuesRequest('label_values(cluster)', vars, range).params, [['start', '1699999980'], ['end', '1700000340']]);
  assert.throws(() => labelValuesRequest('query_result(up)', vars, range), /not a label_values/);
});

test('legends: {{label}} is the label\'s value, empty when the series lacks it', () => {
  assert.equal(renderLegend('{{cluster}} broker {{ broker }} {{nope}}', { cluster: 'c', broker: '1' }), 'c broker 1 ');
});
