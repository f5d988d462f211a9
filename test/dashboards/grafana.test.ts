/**
 * The Grafana expansion the dashboard tests rely on (./grafana.ts), against the outputs Grafana's
 * documentation and its PostgreSQL macro engine give.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandMacros, goFloat, grafanaSql, interpolateVariables, panelInterval, rfc3339Nano, secondsToHms, type VariableValue } from './grafana.ts';

const range = { from: Date.UTC(2017, 3, 21, 5, 1, 17), to: Date.UTC(2017, 3, 21, 5, 6, 17, 250) };

test('time macros: BETWEEN on UTC RFC 3339 times, quoted bounds, floor of epoch', () => {
  assert.equal(expandMacros('WHERE $__timeFilter(ts)', range), `WHERE ts BETWEEN '2017-04-21T05:01:17Z' AND '2017-04-21T05:06:17.25Z'`);
  assert.equal(expandMacros('$__timeFrom() AND $__timeTo()', range), `'2017-04-21T05:01:17Z' AND '2017-04-21T05:06:17.25Z'`);
  assert.equal(expandMacros('SELECT $__timeGroupAlias(ts, 5m), avg(v)', range), 'SELECT floor(extract(epoch from ts)/300)*300 AS "time", avg(v)');
  assert.equal(expandMacros(`$__timeGroup(t, '1h')`, range), 'floor(extract(epoch from t)/3600)*3600');
  assert.equal(expandMacros('$__timeGroup(t, 30d)', range), 'floor(extract(epoch from t)/2.592e+06)*2.592e+06');
  assert.equal(expandMacros('SELECT $__timeGroup(ts, 1m), v', range), 'SELECT floor(extract(epoch from ts)/60)*60 AS "time", v');
  assert.equal(expandMacros('ORDER BY $__timeGroup(ts, 1m, NULL)', range), 'ORDER BY floor(extract(epoch from ts)/60)*60');
  assert.equal(expandMacros('$__unixEpochFilter(t)', range), 't >= 1492750877 AND t <= 1492751177');
  assert.equal(expandMacros('$__time(c)', range), 'c AS "time"');
  // Arguments end at the first ")": a call inside a macro is cut, as in Grafana.
  assert.equal(expandMacros('$__timeFilter(coalesce(a, b))', range), `coalesce(a BETWEEN '2017-04-21T05:01:17Z' AND '2017-04-21T05:06:17.25Z')`);
  assert.throws(() => expandMacros('$__nope(ts)', range), /unknown macro "__nope"/);
  assert.throws(() => expandMacros('$__timeFilter()', range), /missing time column/);
});

test('$__interval: range over max data points, rounded to Grafana\'s steps, at least the min interval', () => {
  assert.deepEqual(panelInterval({ from: 0, to: 6 * 3_600_000 }, 1000, '15s'), { text: '20s', ms: 20_000 });
  assert.deepEqual(panelInterval({ from: 0, to: 5 * 60_000 }, 1000, '15s'), { text: '15s', ms: 15_000 });
  assert.deepEqual(panelInterval({ from: 0, to: 86_400_000 }, 800), { text: '2m', ms: 120_000 });
  assert.deepEqual(panelInterval({ from: 0, to: 30 * 86_400_000 }, 800), { text: '1h', ms: 3_600_000 });
  assert.deepEqual(panelInterval({ from: 0, to: 365 * 86_400_000 }, 20), { text: '7d', ms: 604_800_000 });
  assert.deepEqual([secondsToHms(0.2), secondsToHms(90), secondsToHms(31536000)], ['200ms', '1m', '1y']);
  assert.deepEqual([goFloat(60), goFloat(604800), goFloat(1e6), goFloat(0.5), goFloat(0.00001)], ['60', '604800', '1e+06', '0.5', '1e-05']);
  assert.deepEqual([rfc3339Nano(0), rfc3339Nano(1500)], ['1970-01-01T00:00:00Z', '1970-01-01T00:00:01.5Z']);
});

test('variables: multi-value and All quoted as SQL literals, single values escaped only, unknown names left', () => {
  const vars = new Map<string, VariableValue>([
    ['cluster', { multi: true, includeAll: true, current: ['$__all'], options: ['a', "o'brien"] }],
    ['topic', { multi: true, includeAll: false, current: ['orders'], options: ['orders', 'clicks'] }],
    ['single', { multi: false, includeAll: false, current: ["it's"], options: [] }],
    ['custom', { multi: true, includeAll: true, current: ['$__all'], options: ['x'], allValue: '.*' }],
  ]);
  const interval = { text: '1m', ms: 60_000 };
  assert.equal(interpolateVariables('IN ($cluster) AND t IN (${topic}) AND x = \'$single\' AND [[custom]] $nope', vars, interval),
    `IN ('a','o''brien') AND t IN ('orders') AND x = 'it''s' AND .* $nope`);
  assert.equal(interpolateVariables('$__interval_ms $__interval $__timeFilter(ts)', vars, interval), '60000 1m $__timeFilter(ts)');
  assert.equal(grafanaSql('SELECT $__timeGroupAlias(ts, $__interval) WHERE c IN ($cluster)', range, vars, { maxDataPoints: 1000, minInterval: '15s' }),
    `SELECT floor(extract(epoch from ts)/15)*15 AS "time" WHERE c IN ('a','o''brien')`);
});
