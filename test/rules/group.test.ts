import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RuleOutput } from '../../src/rules/alert-state.ts';
import { parseRuleFile } from '../../src/rules/file.ts';
import { RuleGroup, type EvalTarget } from '../../src/rules/group.ts';
import { Engine, isStaleNaN, SeriesSet } from '../../src/rules/promql/index.ts';

const M = 60_000;

function group(yaml: string, index = 0): RuleGroup {
  const file = parseRuleFile(yaml, 'g.yaml');
  assert.deepEqual(file.problems, []);
  return new RuleGroup(file.groups[index]!, M, { externalLabels: { region: 'eu' }, externalURL: 'http://s' });
}

/** A target over `series` that records what each rule wrote. */
function target(series: SeriesSet): { target: EvalTarget; written: [number, string, number][] } {
  const written: [number, string, number][] = [];
  return {
    written,
    target: {
      engine: new Engine(),
      querier: series,
      write: async (outputs: readonly RuleOutput[], ts: number) => {
        for (const o of outputs) {
          series.add(o.labels, ts, o.value);
          written.push([ts, JSON.stringify(o.labels), isStaleNaN(o.value) ? -1 : o.value]);
        }
      },
    },
  };
}

describe('rule group evaluation', () => {
  test('rules run in order: a recording rule is seen by the next rule at the same time', async () => {
    const series = new SeriesSet([{ metric: 'x', labels: { cluster: 'c1', a: '1' }, ts: [0], values: [3] }]);
    const g = group('groups:\n  - name: g\n    rules:\n      - record: x:double\n        expr: x * 2\n      - record: x:quad\n        expr: x:double * 2\n        labels: { a: "", kind: q }\n');
    const t = target(series);
    assert.deepEqual(await g.evaluate(0, t.target), { failures: 0 });
    assert.deepEqual(t.written, [
      [0, '{"a":"1","cluster":"c1","__name__":"x:double"}', 6],
      [0, '{"cluster":"c1","kind":"q","__name__":"x:quad"}', 12],
    ]);
  });

  test('two recorded series whose values hold the key separators stay two: the one gone gets its staleness marker', async () => {
    const odd = { a: 'p\u0001b\u0000q' };
    const plain = { a: 'p', b: 'q' };
    const series = new SeriesSet([
      { metric: 'x', labels: odd, ts: [0, M], values: [1, 1] },
      { metric: 'x', labels: plain, ts: [0], values: [2] },
    ]);
    const g = group('groups:\n  - name: g\n    rules:\n      - record: y\n        expr: x\n');
    const t = target(series);
    await g.evaluate(0, t.target);
    const later = new SeriesSet([{ metric: 'x', labels: odd, ts: [0, M], values: [1, 1] }, { metric: 'x', labels: plain, ts: [0, M], values: [2, 'stale'] }]);
    await g.evaluate(M, { ...t.target, querier: later });
    assert.deepEqual(t.written.filter(([ts]) => ts === M).sort(), [
      [M, JSON.stringify({ a: 'p\u0001b\u0000q', __name__: 'y' }), 1],
      [M, '{"a":"p","b":"q","__name__":"y"}', -1],
    ].sort());
  });

  test('a series written last time and not this time gets a staleness marker', async () => {
    const series = new SeriesSet([
      { metric: 'x', labels: { a: '1' }, ts: [0, M], values: [1, 1] },
      { metric: 'x', labels: { a: '2' }, ts: [0], values: [1] },
    ]);
    const g = group('groups:\n  - name: g\n    rules:\n      - record: y\n        expr: x\n');
    const t = target(series);
    await g.evaluate(0, t.target);
    await new Promise((r) => setImmediate(r));
    const marker = new SeriesSet([{ metric: 'x', labels: { a: '1' }, ts: [0, M], values: [1, 1] }, { metric: 'x', labels: { a: '2' }, ts: [0, M], values: [1, 'stale'] }]);
    await g.evaluate(M, { ...t.target, querier: marker });
    assert.deepEqual(t.written.filter(([ts]) => ts === M), [
      [M, '{"a":"1","__name__":"y"}', 1],
      [M, '{"a":"2","__name__":"y"}', -1],
    ]);
  });

  test('a failing rule is marked err with the reason; the rules after it still run', async () => {
    const series = new SeriesSet([
      { metric: 'x', labels: { a: '1', b: '1' }, ts: [0], values: [1] },
      { metric: 'x', labels: { a: '1', b: '2' }, ts: [0], values: [2] },
    ]);
    const g = group('groups:\n  - name: g\n    limit: 1\n    rules:\n      - record: y\n        expr: x\n        labels: {}\n      - record: z\n        expr: sum without (b) (x)\n      - alert: Dup\n        expr: x\n        labels: { b: same }\n      - record: s\n        expr: scalar(sum(x))\n');
    const t = target(series);
    assert.deepEqual(await g.evaluate(0, t.target), { failures: 2 });
    assert.deepEqual(g.status.map((s) => [s.health, s.lastError]), [
      ['err', 'exceeded limit of 1 with 2 series'],
      ['ok', undefined],
      ['err', 'vector contains metrics with the same labelset after applying alert labels'],
      ['ok', undefined],
    ]);
    assert.deepEqual(t.written, [[0, '{"a":"1","__name__":"z"}', 3], [0, '{"__name__":"s"}', 3]]);
  });

  test('alert labels and annotations are expanded per series; a failing template shows the error in place', async () => {
    const series = new SeriesSet([{ metric: 'lag', labels: { group: 'billing' }, ts: [0], values: [1500] }]);
    const g = group([
      'groups:',
      '  - name: g',
      '    rules:',
      '      - alert: Lag',
      '        expr: lag > 100',
      '        labels: { severity: "{{ if gt $value 1000.0 }}page{{ else }}ticket{{ end }}" }',
      '        annotations:',
      '          summary: "{{ $labels.group }} at {{ $value | humanize }} in {{ $externalLabels.region }}"',
      '          broken: "{{ $labels.group | humanize }}"',
    ].join('\n'));
    await g.evaluate(0, target(series).target);
    const [alert] = [...g.alerts[0]!.values()];
    assert.deepEqual(alert!.labels, { group: 'billing', severity: 'page', alertname: 'Lag' });
    assert.deepEqual(alert!.annotations, {
      summary: 'billing at 1.5k in eu',
      broken: '<error expanding template: error executing template __alert_Lag: template: __alert_Lag:1:131: executing "__alert_Lag" at <humanize>: error calling humanize: strconv.ParseFloat: parsing "billing": invalid syntax>',
    });
    assert.equal(alert!.state, 'firing');
  });

  test('state carries over to the group that replaces it, rule by rule name', async () => {
    const series = new SeriesSet([{ metric: 'up', labels: { job: 'a' }, ts: [0], values: [0] }]);
    const yaml = 'groups:\n  - name: g\n    rules:\n      - alert: Down\n        expr: up == 0\n        for: 5m\n';
    const old = group(yaml);
    await old.evaluate(0, target(series).target);
    const next = group(yaml.replace('for: 5m', 'for: 1m').replace('rules:\n', 'rules:\n      - record: r\n        expr: up\n'));
    next.copyStateFrom(old);
    await next.evaluate(M, target(series).target);
    assert.deepEqual([...next.alerts[1]!.values()].map((a) => [a.state, a.activeAt, a.firedAt]), [['firing', 0, M]]);
  });
});
