import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { runUnitTestFile, runUnitTests } from '../../src/rules/unit-test.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const PROMTOOL = '/usr/bin/promtool';
const hasPromtool = existsSync(PROMTOOL);

async function sluice(files: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runUnitTests(files, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

function promtool(files: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(PROMTOOL, ['test', 'rules', ...files], { cwd: FIXTURES }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number((err as { code?: number }).code ?? 1), stdout, stderr });
    });
  });
}

const FAILING = `  FAILED:
    name: wrong expectations,
    alertname: BrokerDown, time: 3m, 
        exp:[
            0:
              Labels:{alertname="BrokerDown", instance="b1:9092", job="kafka", severity="critical"}
              Annotations:{summary="Broker b1:9092 down"}
            ], 
        got:[
            0:
              Labels:{alertname="BrokerDown", instance="b1:9092", job="kafka", severity="page"}
              Annotations:{summary="Broker b1:9092 down"}
            ]

    expr: "up", time: 1m,
        exp: {__name__="up", instance="b1:9092", job="kafka"} 1E+00
        got: {__name__="up", instance="b1:9092", job="kafka"} 0E+00

`;

describe('rule unit tests (promtool format)', () => {
  test('the shipped fixtures pass', async () => {
    const files = ['format.test.yaml', 'kafka.test.yaml', 'template-errors.test.yaml', 'throughput.test.yaml'].map((f) => join(FIXTURES, f));
    const result = await sluice(files);
    assert.deepEqual(result, { code: 0, stdout: files.map((f) => `Unit Testing:  ${f}\n  SUCCESS\n\n`).join(''), stderr: '' });
  });

  test('a failing test file reports expected and got, and exits 1', async () => {
    const file = join(FIXTURES, 'failing.test.yaml');
    assert.deepEqual(await sluice([file]), { code: 1, stdout: `Unit Testing:  ${file}\n\n`, stderr: FAILING });
  });

  test('promtool agrees: the same files pass, and the failing one fails with the same report', { skip: hasPromtool ? false : 'needs /usr/bin/promtool' }, async () => {
    const good = ['format.test.yaml', 'kafka.test.yaml', 'template-errors.test.yaml', 'throughput.test.yaml'];
    const theirs = await promtool(good);
    assert.equal(theirs.code, 0, theirs.stderr);
    assert.equal(theirs.stdout, good.map((f) => `Unit Testing:  ${f}\n  SUCCESS\n\n`).join(''));
    const bad = await promtool(['failing.test.yaml']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.replaceAll('\n', ''), FAILING.replaceAll('\n', ''), 'promtool prints the blank lines on stdout');
  });

  test('loading problems: the test file and its rule files, by file:line:col', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-unit-'));
    try {
      await writeFile(join(dir, 'r.yaml'), 'groups:\n  - name: g\n    rules:\n      - record: x\n        expr: rat(y[1m])\n');
      await writeFile(join(dir, 't.yaml'), 'rule_files: [r.yaml]\ntests:\n  - input_series:\n      - series: up\n        values: 1 2\n');
      assert.deepEqual(await runUnitTestFile(join(dir, 't.yaml')), { file: join(dir, 't.yaml'), errors: [`${join(dir, 'r.yaml')}:5:15: groups[0].rules[0].expr: 1:1: unknown function "rat"`] });
      await writeFile(join(dir, 't2.yaml'), 'rule_files: [r.yaml]\nevaluation_interval: 1x\ntests:\n  - intervall: 1m\n');
      assert.deepEqual((await runUnitTestFile(join(dir, 't2.yaml'))).errors, [`${join(dir, 't2.yaml')}:4:5: tests[0].intervall: unknown key`]);
      await writeFile(join(dir, 't3.yaml'), 'rule_files: [r.yaml]\nevaluation_interval: 1x\n');
      assert.deepEqual((await runUnitTestFile(join(dir, 't3.yaml'))).errors, [`${join(dir, 't3.yaml')}:2:22: evaluation_interval: expected a duration such as 1h30m, 5m or 0s, got "1x"`]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('values compare exactly, or to the last bit of the mantissa with fuzzy_compare', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-unit-'));
    try {
      const body = 'tests:\n  - promql_expr_test:\n      - expr: 0.1 + 0.2\n        eval_time: 0m\n        exp_samples:\n          - value: 0.3\n      - expr: 0 / 0\n        eval_time: 0m\n        exp_samples:\n          - value: .nan\n';
      await writeFile(join(dir, 'exact.yaml'), body);
      await writeFile(join(dir, 'fuzzy.yaml'), `fuzzy_compare: true\n${body}`);
      assert.deepEqual((await runUnitTestFile(join(dir, 'exact.yaml'))).errors, ['    expr: "0.1 + 0.2", time: 0s,\n        exp: {} 3E-01\n        got: {} 3.0000000000000004E-01']);
      assert.deepEqual((await runUnitTestFile(join(dir, 'fuzzy.yaml'))).errors, []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('rule evaluation errors stop the test group and name the rule and time', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-unit-'));
    try {
      await writeFile(join(dir, 'r.yaml'), 'groups:\n  - name: g\n    rules:\n      - record: x\n        expr: label_replace(up, "a", "$1", "job", ".*")\n');
      await writeFile(join(dir, 't.yaml'), 'rule_files: [r*.yaml]\ntests:\n  - input_series:\n      - series: up{job="a", a="b"}\n        values: 1 2\n      - series: up{job="a", a="c"}\n        values: 1 2\n    promql_expr_test:\n      - expr: x\n        eval_time: 1m\n');
      const result = await runUnitTestFile(join(dir, 't.yaml'));
      assert.equal(result.errors.length, 1);
      assert.match(result.errors[0]!, /^ {4}rule: x, time: 0s, err: /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
