import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isSluiceError } from '../../src/errors.ts';
import { loadRuleFiles, parseRuleFile, ruleCount, ruleFilesError } from '../../src/rules/file.ts';
import { formatFileProblem } from '../../src/rules/yaml-source.ts';

function problems(text: string): string[] {
  return parseRuleFile(text, 'r.yaml').problems.map(formatFileProblem);
}

describe('rule files', () => {
  test('a good file gives its groups and rules with durations in ms', () => {
    const file = parseRuleFile(
      [
        'groups:',
        '  - name: kafka',
        '    interval: 1h30m',
        '    limit: 10',
        '    rules:',
        '      - record: job:up:sum',
        '        expr: sum by (job) (up)',
        '        labels: { tier: 1 }',
        '      - alert: Down',
        '        expr: up == 0',
        '        for: 5m',
        '        keep_firing_for: 0s',
        '        annotations:',
        '          summary: "{{ $labels.job }} is down"',
        '  - name: empty',
        '',
      ].join('\n'),
      'r.yaml',
    );
    assert.deepEqual(file.problems, []);
    assert.equal(ruleCount(file), 2);
    const [kafka, empty] = file.groups;
    assert.equal(kafka!.intervalMs, 5_400_000);
    assert.equal(kafka!.limit, 10);
    assert.equal(empty!.intervalMs, undefined);
    assert.deepEqual(empty!.rules, []);
    const [record, alert] = kafka!.rules;
    assert.equal(record!.kind, 'recording');
    assert.deepEqual(record!.labels, { tier: '1' });
    assert.equal(alert!.kind, 'alerting');
    if (alert!.kind !== 'alerting') return;
    assert.equal(alert.forMs, 300_000);
    assert.equal(alert.keepFiringForMs, 0);
    assert.deepEqual(alert.annotations, { summary: '{{ $labels.job }} is down' });
  });

  test('an empty file has no groups and no problems', () => {
    assert.deepEqual(parseRuleFile('', 'r.yaml'), { file: 'r.yaml', groups: [], problems: [] });
  });

  test('YAML syntax errors name the line and column', () => {
    assert.deepEqual(problems('groups:\n  - name: "x\n'), ['r.yaml:3:1: (YAML): Missing closing "quote']);
  });

  test('unknown function: the expression position is moved into the file (plain and quoted strings)', () => {
    const text = [
      'groups:',
      '  - name: g',
      '    rules:',
      '      - alert: A',
      '        expr: rat(x[5m]) > 1',
      '      - record: b',
      '        expr: "sum(x) + foo(y)"',
      '      - record: c',
      '        expr: "up{job=\\"k\\"} + rat(y)"',
      "      - record: d",
      "        expr: 'up{job=''k''} + rat(y)'",
    ].join('\n');
    assert.deepEqual(problems(text), [
      'r.yaml:5:15: groups[0].rules[0].expr: 1:1: unknown function "rat"',
      'r.yaml:7:25: groups[0].rules[1].expr: 1:10: unknown function "foo"',
      'r.yaml:9:32: groups[0].rules[2].expr: 1:15: unknown function "rat"',
      'r.yaml:11:32: groups[0].rules[3].expr: 1:15: unknown function "rat"',
    ]);
  });

  test('bad durations, duplicate groups, unknown keys, names and templates are all reported', () => {
    const text = [
      'groups:',
      '  - name: g',
      '    interval: 30x',
      '    rules:',
      '      - alert: A',
      '        expr: up == 0',
      '        for: 5 minutes',
      '        labels:',
      '          bad-name: x',
      '        annotations:',
      '          summary: "{{ $labels.job "',
      '      - record: "not a name"',
      '        expr: up',
      '        for: 1m',
      '      - alert: B',
      '        expr: up',
      '        severity: page',
      '  - name: g',
    ].join('\n');
    assert.deepEqual(problems(text), [
      'r.yaml:3:15: groups[0].interval: expected a duration such as 1h30m, 5m or 0s, got "30x"',
      'r.yaml:7:14: groups[0].rules[0].for: expected a duration such as 1h30m, 5m or 0s, got "5 minutes"',
      'r.yaml:9:11: groups[0].rules[0].labels.bad-name: invalid label name "bad-name": expected letters, digits and _, not starting with a digit or __',
      'r.yaml:11:20: groups[0].rules[0].annotations.summary: template: __alert_A:1: unclosed action',
      'r.yaml:12:17: groups[0].rules[1].record: invalid recording rule name "not a name": expected a metric name (letters, digits, _ and :, not starting with a digit)',
      "r.yaml:14:9: groups[0].rules[1].for: invalid field 'for' in recording rule",
      'r.yaml:17:9: groups[0].rules[2].severity: unknown key',
      'r.yaml:18:11: groups[1].name: group name "g" is repeated in the same file',
    ]);
  });

  test('a rule needs exactly one of record and alert, and an expr', () => {
    const text = ['groups:', '  - name: g', '    rules:', '      - expr: up', '      - record: a', '        alert: b', '        expr: up', '      - alert: c'].join('\n');
    assert.deepEqual(problems(text), [
      "r.yaml:4:9: groups[0].rules[0]: one of 'record' or 'alert' must be set",
      "r.yaml:5:9: groups[0].rules[1]: only one of 'record' and 'alert' must be set",
      "r.yaml:8:9: groups[0].rules[2].expr: field 'expr' must be set in rule",
    ]);
  });

  test('many files: each file\'s problems are reported, named, and good files still load', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-rules-'));
    try {
      const good = join(dir, 'good.yaml');
      const bad = join(dir, 'bad.yaml');
      await writeFile(good, 'groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up\n');
      await writeFile(bad, 'groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up +\n');
      const missing = join(dir, 'missing.yaml');
      const files = await loadRuleFiles([good, bad, missing]);
      assert.equal(ruleCount(files[0]!), 1);
      const err = ruleFilesError(files);
      assert.ok(isSluiceError(err, 'SLUICE_ERR_RULES_FILE'));
      assert.equal(err.message, [`${bad}:5:19: groups[0].rules[0].expr: 1:5: unexpected end of input`, `${missing}:1:1: (file): file not found`].join('\n'));
      assert.equal(ruleFilesError([files[0]!]), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('rule file shape', () => {
  test('a bad group does not hide the problems of the next', () => {
    const text = ['groups:', '  - name: a', '    intervl: 1m', '  - name: b', '    rules:', '      - record: x', '        expr: foo(', '  - 7'].join('\n');
    assert.deepEqual(problems(text), [
      'r.yaml:3:5: groups[0].intervl: unknown key',
      'r.yaml:7:15: groups[1].rules[0].expr: 1:1: unknown function "foo"',
      'r.yaml:8:5: groups[2]: expected an object, got 7',
    ]);
  });
});
