/**
 * PromQL conformance: every case of Prometheus's own PromQL test files (promql/testdata/*.test,
 * kept outside the repository in ../shared/reference/prometheus-promql/) run against Sluice's
 * engine. A case that fails must be listed in conformance/expected-failures.json with its reason;
 * a listed case that passes fails the test too, so that the list only shrinks.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { almostEqual } from './conformance/compare.ts';
import { runScript, runTestFile } from './conformance/run.ts';
import { parseScript } from './conformance/script.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const REFERENCE = resolve(ROOT, '../shared/reference/prometheus-promql');

interface ExpectedFailure {
  /** `<file>:<line of the eval>`. */
  readonly case: string;
  readonly reason: string;
}

const expected: ExpectedFailure[] = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'conformance/expected-failures.json'), 'utf8'));
const expectedByCase = new Map(expected.map((e) => [e.case, e.reason]));

describe('PromQL conformance with Prometheus v2.42 promql/testdata', () => {
  test('the reference test files are there', () => {
    assert.ok(existsSync(REFERENCE), `missing ${REFERENCE} (Prometheus's promql/testdata, beside the checkout in ../shared/reference)`);
  });
  if (!existsSync(REFERENCE)) return;

  const files = readdirSync(REFERENCE).filter((f) => f.endsWith('.test')).sort();
  const totals = { cases: 0, passed: 0, failed: 0 };
  const ran = new Set<string>();

  for (const file of files) {
    test(file, async (t) => {
      const results = await runTestFile(join(REFERENCE, file));
      const unexpected: string[] = [];
      let failed = 0;
      for (const r of results) {
        const id = `${file}:${r.line}`;
        ran.add(id);
        if (r.failure !== undefined) failed++;
        if (r.failure !== undefined && !expectedByCase.has(id)) unexpected.push(`${id} ${r.expr}: ${r.failure}`);
        if (r.failure === undefined && expectedByCase.has(id)) unexpected.push(`${id} ${r.expr}: passes now, remove it from expected-failures.json`);
      }
      totals.cases += results.length;
      totals.passed += results.length - failed;
      totals.failed += failed;
      t.diagnostic(`${file}: ${results.length} cases, ${results.length - failed} passed, ${failed} failed (expected)`);
      assert.deepEqual(unexpected, []);
    });
  }

  test('every expected failure names a case that ran', (t) => {
    const unknown = expected.filter((e) => !ran.has(e.case)).map((e) => e.case);
    t.diagnostic(`total: ${totals.cases} cases, ${totals.passed} passed, ${totals.failed} expected failures`);
    assert.deepEqual(unknown, []);
    assert.equal(expectedByCase.size, expected.length, 'a case is listed twice');
  });
});

describe('the conformance runner', () => {
  const script = `
# comment
load 5m
  m{l="a"} 0+10x10
  m{l="b"} 1 1 stale NaN

eval instant at 5m m
  m{l="a"} 10.000001
  m{l="b"} 1

eval instant at 10m m{l="a"}
  m{l="a"} 21

eval_ordered instant at 50m sort(m)
  m{l="a"} 100

eval_ordered instant at 5m sort_desc(m)
  m{l="b"} 1
  m{l="a"} 10

eval instant at 15m m{l="b"} + 1
  {l="b"} NaN

eval instant at 0m 2 * 3
  6

eval_fail instant at 5m m + on() m

eval_fail instant at 10m m

clear

eval instant at 10m m
`;

  test('reads the language and judges each case as Prometheus does', async () => {
    const results = await runScript(parseScript(script));
    // A value within 1e-6 passes, a stale series is gone, NaN equals NaN, a bare number is a scalar.
    assert.deepEqual(results.map((r) => [r.line, r.failure === undefined ? 'pass' : r.failure]), [
      [7, 'pass'],
      [11, 'expected 21 for m{l="a"} but got 20'],
      [14, 'pass'],
      [17, 'expected metric m{l="a"} at position 2 but it was at 1'],
      [21, 'pass'],
      [24, 'pass'],
      [27, 'pass'],
      [29, 'expected an error, got none'],
      [33, 'pass'],
    ]);
  });

  test('compares values with a relative tolerance of 1e-6, NaN equal to NaN', () => {
    assert.deepEqual([almostEqual(1, 1 + 1e-7), almostEqual(1, 1.00001), almostEqual(NaN, NaN), almostEqual(0, 1e-300), almostEqual(Infinity, Infinity)], [true, false, true, false, true]);
  });
});
