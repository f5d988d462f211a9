import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { isSluiceError } from '../../../src/errors.ts';
import { Engine, parseExpr, SeriesSet, STALE_NAN, type Value } from '../../../src/rules/promql/index.ts';
import { parseDuration } from '../../../src/duration.ts';
import { parseSeriesSelector } from '../../../src/rules/test-format/notation.ts';
import { Head } from '../../../src/store/head.ts';
import { SeriesCache } from '../../../src/store/series-cache.ts';
import { type Case, CASES, type Expected, NOT_CROSS_CHECKED } from './cases.ts';
import { INPUT_SERIES, inputSeriesSet } from './data.ts';

const PROMTOOL = '/usr/bin/promtool';

// Under --test-force-exit the file could end between two suites while nothing but promises is
// pending; a timer until the last test keeps every suite running.
const keepAlive = setInterval(() => undefined, 1000);
after(() => clearInterval(keepAlive));
const MINUTE = 60_000;

/** Series text as promtool prints it, for comparing label sets. */
function seriesText(labels: Readonly<Record<string, string>>): string {
  const name = labels.__name__ ?? '';
  return `${name}{${Object.keys(labels).filter((k) => k !== '__name__').sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;
}

function normalizeExpected(want: readonly (readonly [string, number])[], ordered: boolean): [string, number][] {
  const rows = want.map(([labels, value]) => [seriesText(labels === '{}' ? {} : parseSeriesSelector(labels)), value] as [string, number]);
  return ordered ? rows : rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function normalizeGot(v: Value, ordered: boolean): [string, number][] | { scalar: number } {
  if (v.kind === 'scalar') return { scalar: v.value };
  assert.equal(v.kind, 'vector');
  const rows = (v.kind === 'vector' ? v.samples : []).map((s) => [seriesText(s.metric), s.value] as [string, number]);
  return ordered ? rows : rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

describe('Engine.instant over the case table', () => {
  test('has at least 150 cases', () => assert.ok(CASES.length >= 150, `${CASES.length} cases`));

  // One test for the whole table (failures listed together): hundreds of subtests would be more
  // output than the runner reliably passes on before a forced exit.
  test('every case gives its expected result', async () => {
    const set = inputSeriesSet();
    const engine = new Engine();
    const failures: string[] = [];
    for (const [expr, at, want] of CASES) {
      try {
        await checkCase(engine, set, expr, parseDuration(at)!, want);
      } catch (err) {
        failures.push(`${expr} @ ${at}: ${(err as Error).message}`);
      }
    }
    assert.deepEqual(failures, []);
  });
});

async function checkCase(engine: Engine, set: SeriesSet, expr: string, t: number, want: Expected): Promise<void> {
  if ('error' in want) {
    await assert.rejects(engine.instant(expr, t, set), (err: unknown) => {
      assert.ok(isSluiceError(err, 'SLUICE_ERR_PROMQL_EVAL'), String(err));
      assert.equal((err as Error).message, want.error);
      return true;
    });
    return;
  }
  const ordered = expr.startsWith('sort');
  const got = normalizeGot(await engine.instant(expr, t, set), ordered);
  if ('scalar' in want) assert.deepEqual(got, { scalar: want.scalar });
  else assert.deepEqual(got, normalizeExpected(want as readonly (readonly [string, number])[], ordered));
}

describe('Engine', () => {
  test('fetches each distinct selector once, over the union of the ranges it is read at', async () => {
    const set = inputSeriesSet();
    const calls: [string, number, number][] = [];
    const source = { select: async (...args: Parameters<SeriesSet['select']>) => (calls.push([JSON.stringify(args[0]), args[1], args[2]]), set.select(...args)) };
    const v = await new Engine().instant('gauge + rate(gauge[10m]) + gauge offset 1m', 10 * MINUTE, source);
    assert.equal(v.kind, 'vector');
    assert.deepEqual(calls, [['[{"name":"__name__","type":"=","value":"gauge"}]', 0, 10 * MINUTE]]);
  });

  test('range gives one value per step, start and end included', async () => {
    const got = await new Engine().range('gauge{instance="a"}', 0, 4 * MINUTE, 2 * MINUTE, inputSeriesSet());
    assert.deepEqual(got.map((s) => [s.metric, [...s.ts], [...s.values]]), [[{ __name__: 'gauge', instance: 'a', job: 'api' }, [0, 2 * MINUTE, 4 * MINUTE], [1, 3, 5]]]);
  });

  test('range of a scalar is one series without labels; @ end() is the range end', async () => {
    const got = await new Engine().range('time() + scalar(gauge{instance="a"} @ end())', 0, 2 * MINUTE, MINUTE, inputSeriesSet());
    assert.deepEqual(got.map((s) => [s.metric, [...s.values]]), [[{}, [3, 63, 123]]]);
  });

  test('range refuses a range vector expression', async () => {
    await assert.rejects(new Engine().range('gauge[5m]', 0, MINUTE, MINUTE, inputSeriesSet()), /invalid expression type "range vector"/);
  });

  test('an instant query of a range selector gives the matrix, both ends included', async () => {
    const v = await new Engine().instant('gauge{instance="a"}[2m]', 4 * MINUTE, inputSeriesSet());
    assert.equal(v.kind, 'matrix');
    assert.deepEqual(v.kind === 'matrix' ? v.series.map((s) => [[...s.ts], [...s.values]]) : [], [[[2 * MINUTE, 3 * MINUTE, 4 * MINUTE], [3, 4, 5]]]);
  });

  test('a string expression evaluates to a string', async () => {
    assert.deepEqual(await new Engine().instant('"hello"', 0, new SeriesSet()), { kind: 'string', value: 'hello' });
  });

  test('lookbackDeltaMs bounds how old a sample an instant selector takes', async () => {
    const set = new SeriesSet([{ metric: 'm', labels: {}, ts: [0], values: [1] }]);
    assert.deepEqual(await new Engine({ lookbackDeltaMs: MINUTE }).instant('m', MINUTE, set), { kind: 'vector', samples: [{ metric: { __name__: 'm' }, value: 1 }] });
    assert.deepEqual(await new Engine({ lookbackDeltaMs: MINUTE }).instant('m', MINUTE + 1, set), { kind: 'vector', samples: [] });
  });

  test('maxSamples stops a query that holds too many samples', async () => {
    await assert.rejects(new Engine({ maxSamples: 5 }).instant('count_over_time(gauge[10m])', 10 * MINUTE, inputSeriesSet()), (err: unknown) => isSluiceError(err, 'SLUICE_ERR_PROMQL_EVAL'));
  });

  test('maxSamples bounds each step of a range query, not their sum', async () => {
    const got = await new Engine({ maxSamples: 2 }).range('gauge', 0, 10 * MINUTE, MINUTE, inputSeriesSet());
    assert.deepEqual(got.map((s) => s.values.length), [11, 11]);
  });

  test('range evaluates subqueries and staleness at every step', async () => {
    const got = await new Engine().range('max_over_time(stale_metric[2m:1m])', 0, 7 * MINUTE, MINUTE, inputSeriesSet());
    assert.deepEqual(got.map((s) => [s.metric, [...s.ts].map((t) => t / MINUTE), [...s.values]]), [[{ job: 'api' }, [0, 1, 2, 3, 4, 6, 7], [1, 2, 3, 3, 3, 7, 7]]]);
  });

  test('a staleness marker written with add() hides the series at once', async () => {
    const set = new SeriesSet();
    set.add({ __name__: 'm', a: '1' }, 0, 5);
    set.add({ __name__: 'm', a: '1' }, MINUTE, STALE_NAN);
    const engine = new Engine();
    assert.deepEqual(await engine.instant('m', 30_000, set), { kind: 'vector', samples: [{ metric: { __name__: 'm', a: '1' }, value: 5 }] });
    assert.deepEqual(await engine.instant('m', 2 * MINUTE, set), { kind: 'vector', samples: [] });
    assert.deepEqual(await engine.instant('count_over_time(m[5m])', 2 * MINUTE, set), { kind: 'vector', samples: [{ metric: { a: '1' }, value: 1 }] });
  });

  test('reads the store head, the Querier rules run on, across rounds', async () => {
    const cache = new SeriesCache();
    const head = new Head();
    const a = cache.ref('bytes_total', { cluster: 'c1', topic: 'a' });
    const b = cache.ref('bytes_total', { cluster: 'c1', topic: 'b' });
    for (let i = 0; i <= 10; i++) {
      head.append(a, i * MINUTE, i * 60);
      head.append(b, i * MINUTE, i * 120);
    }
    const engine = new Engine();
    const expr = parseExpr('sum by (cluster) (rate(bytes_total[5m])) > 2');
    for (const t of [5 * MINUTE, 10 * MINUTE]) {
      assert.deepEqual(await engine.instant(expr, t, head), { kind: 'vector', samples: [{ metric: { cluster: 'c1' }, value: 3 }] });
    }
  });

  test('topk and bottomk give NaN last, after every number', async () => {
    const order = async (expr: string) => {
      const v = await new Engine().instant(expr, 0, inputSeriesSet());
      return v.kind === 'vector' ? v.samples.map((s) => [s.metric.v, s.value]) : v;
    };
    assert.deepEqual(await order('bottomk(4, nan_metric)'), [['ninf', -Infinity], ['one', 1], ['inf', Infinity], ['nan', NaN]]);
    assert.deepEqual(await order('topk(4, nan_metric)'), [['inf', Infinity], ['one', 1], ['ninf', -Infinity], ['nan', NaN]]);
  });

  test('accepts a parsed expression', async () => {
    assert.deepEqual(await new Engine().instant(parseExpr('1 + 1'), 0, new SeriesSet()), { kind: 'scalar', value: 2 });
  });
});

/** Why a case is left out of the promtool run. */
function skipReason(expr: string, want: Expected): string | undefined {
  if (NOT_CROSS_CHECKED.has(expr)) return NOT_CROSS_CHECKED.get(expr);
  if ('error' in want) return 'errors are checked by the second file, which must fail with them';
  if (hasNaN(want)) return 'promtool cannot expect NaN; checked through nanCases() instead';
  return undefined;
}

function hasNaN(want: Expected): boolean {
  if ('error' in want) return false;
  const values = 'scalar' in want ? [want.scalar] : (want as readonly (readonly [string, number])[]).map(([, v]) => v);
  return values.some((v) => Number.isNaN(v));
}

/** A series as promtool writes expected labels, without the metric name. */
function withoutName(labels: string): string {
  const parsed = labels === '{}' ? {} : parseSeriesSelector(labels);
  delete parsed.__name__;
  return `{${Object.keys(parsed).sort().map((k) => `${k}=${JSON.stringify(parsed[k])}`).join(',')}}`;
}

/**
 * promtool compares expected and actual samples with ==, and NaN never equals NaN, so a case
 * expecting NaN is checked as two cases that expect none: `(e) != bool (e)` is 1 exactly where
 * `e` is NaN, and `(e) >= -Inf` keeps exactly the samples that are not, with their values.
 */
function nanCases(): Case[] {
  const out: Case[] = [];
  for (const [expr, at, want] of CASES) {
    if (!hasNaN(want) || NOT_CROSS_CHECKED.has(expr)) continue;
    if ('scalar' in want) {
      out.push([`(${expr}) != bool (${expr})`, at, { scalar: 1 }]);
      continue;
    }
    const samples = want as readonly (readonly [string, number])[];
    out.push([`(${expr}) != bool (${expr})`, at, samples.map(([labels, v]) => [withoutName(labels), Number.isNaN(v) ? 1 : 0] as const)]);
    out.push([`(${expr}) >= -Inf`, at, samples.filter(([, v]) => !Number.isNaN(v))]);
  }
  return out;
}

describe('the case table agrees with Prometheus', { skip: existsSync(PROMTOOL) ? false : `${PROMTOOL} not installed` }, () => {
  test('promtool test rules passes every case, and fails the error cases with the same messages', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-promql-'));
    try {
      const inputSeries = INPUT_SERIES.map(([series, values]) => ({ series, values }));
      const file = (cases: readonly Case[]) => ({
        evaluation_interval: '1m',
        tests: [{
          interval: '1m',
          input_series: inputSeries,
          promql_expr_test: cases.map(([expr, at, want]) => ({
            expr,
            eval_time: at,
            exp_samples: 'error' in want ? [] : 'scalar' in want ? [{ labels: '{}', value: want.scalar }] : (want as readonly (readonly [string, number])[]).map(([labels, value]) => ({ labels, value })),
          })),
        }],
      });
      const checked = [...CASES.filter(([expr, , want]) => skipReason(expr, want) === undefined), ...nanCases()];
      const errors = CASES.filter(([, , want]) => 'error' in want);
      assert.ok(checked.length >= 150, `${checked.length} cases checked by promtool`);
      writeFileSync(join(dir, 'cases.yml'), stringify(file(checked)));
      writeFileSync(join(dir, 'errors.yml'), stringify(file(errors)));
      // One promtool run for both files; it exits 1 because errors.yml fails, as it must.
      const output = await new Promise<string>((resolve) => {
        execFile(PROMTOOL, ['test', 'rules', 'cases.yml', 'errors.yml'], { cwd: dir, timeout: 60_000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
      });
      const [casesPart, errorsPart = ''] = output.split('errors.yml');
      assert.match(casesPart!, /SUCCESS/, output);
      for (const [expr, , want] of errors) {
        // The series a duplicate-match message lists come in storage order, which promtool does not fix.
        const message = (want as { error: string }).error.replace(/\[.*\]/, '[');
        const [head, tail = ''] = message.split('[');
        const line = errorsPart.split('\n').find((l) => l.includes(`expr: ${JSON.stringify(expr)},`)) ?? '';
        assert.ok(line.includes(`err: ${head}`) && line.endsWith(tail), `promtool's error for ${expr}:\n${errorsPart}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
