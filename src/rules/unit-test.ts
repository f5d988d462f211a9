/**
 * Rule unit tests in promtool's format, run as `promtool test rules` runs them
 * (cmd/promtool/unittest.go): the input series are loaded at time 0, every group is evaluated at
 * each `evaluation_interval` step from 0 up to the largest `eval_time` (in `group_eval_order`,
 * then file order), rule outputs are added to the same series so later rules and queries see
 * them, alert tests compare the firing alerts of the step at or just before their `eval_time`
 * (labels and expanded annotations, order-insensitive), and expression tests query the result
 * afterwards. Sample values compare exactly (NaN equal to NaN), or, with `fuzzy_compare: true`,
 * ignoring a difference in the last bit of the mantissa, as promtool does. The series of a test
 * group are `interval` apart, by default `evaluation_interval` (the current documentation; older
 * promtool releases put every sample at 0 when `interval` is left out). Output and exit code
 * follow promtool.
 */
import { VirtualClock } from '../clock.ts';
import { loadRuleFiles } from './file.ts';
import { RuleGroup } from './group.ts';
import { Engine, SeriesSet, STALE_NAN, type Value } from './promql/index.ts';
import { formatDuration } from '../duration.ts';
import { loadUnitTestFile, type TestGroup, type UnitTestFile } from './test-format/test-file.ts';
import { formatFileProblem } from './yaml-source.ts';

/** The outcome of one test file: no errors is success. Each error is promtool's text for it. */
export interface UnitTestResult {
  readonly file: string;
  readonly errors: readonly string[];
}


/** `{a="b", c="d"}`, as Prometheus prints a label set (sorted, Go-quoted values). */
export function formatLabels(labels: Readonly<Record<string, string>>): string {
  return `{${Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(', ')}}`;
}

/** A float as Go's strconv.FormatFloat(v, 'E', -1, 64): `1E+00`, `1.5E-03`. */
function formatE(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const [mantissa, exp] = v.toExponential().toUpperCase().split('E') as [string, string];
  const n = Number(exp);
  return `${mantissa}E${n < 0 ? '-' : '+'}${Math.abs(n) < 10 ? '0' : ''}${Math.abs(n)}`;
}

function indent(text: string, prefix: string): string {
  return text.replaceAll('\n', `\n${prefix}`);
}

type LabelsAndAnnotations = { labels: Readonly<Record<string, string>>; annotations: Readonly<Record<string, string>> }[];

function formatAlerts(list: LabelsAndAnnotations): string {
  if (list.length === 0) return '[]';
  const item = (a: LabelsAndAnnotations[number]): string => `Labels:${formatLabels(a.labels)}\nAnnotations:${formatLabels(a.annotations)}`;
  return `[\n${list.map((a, i) => `${i}:${indent(`\n${item(a)}`, '  ')}`).join(',\n')}\n]`;
}

function sortByLabels<T extends { labels: Readonly<Record<string, string>> }>(list: T[], extra: (t: T) => string = () => ''): T[] {
  const key = (t: T): string => formatLabels(t.labels) + extra(t);
  return list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function sameValue(a: number, b: number, fuzzy: boolean): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return a === b || (fuzzy && Math.abs(a - b) <= Number.EPSILON * Math.max(Math.abs(a), Math.abs(b)));
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  return formatLabels(a) === formatLabels(b);
}

/** Runs one test group against the rule groups of `files` (already loaded and checked). */
async function runTestGroup(test: TestGroup, unit: UnitTestFile, specs: Awaited<ReturnType<typeof loadRuleFiles>>): Promise<string[]> {
  const series = new SeriesSet();
  for (const s of test.inputSeries) {
    s.values.forEach((v, i) => {
      if (v !== undefined) series.add(s.labels, i * test.intervalMs, v === 'stale' ? STALE_NAN : v);
    });
  }
  const order = new Map(unit.groupEvalOrder.map((name, i) => [name, i]));
  const groups = specs
    .flatMap((f) => f.groups)
    .map((spec, i) => ({ group: new RuleGroup(spec, spec.intervalMs ?? test.intervalMs, { externalLabels: test.externalLabels, externalURL: test.externalURL }), i }))
    .sort((a, b) => (order.get(a.group.spec.name) ?? 0) - (order.get(b.group.spec.name) ?? 0) || a.i - b.i)
    .map((g) => g.group);
  const engine = new Engine();
  const target = {
    engine,
    querier: series,
    write: async (outputs: readonly { labels: Readonly<Record<string, string>>; value: number }[], ts: number) => {
      for (const o of outputs) series.add(o.labels, ts, o.value);
    },
  };
  const step = unit.evaluationIntervalMs;
  const maxEval = Math.max(0, ...test.alertTests.map((a) => a.evalTimeMs), ...test.promqlTests.map((p) => p.evalTimeMs));
  const alertTimes = [...new Set(test.alertTests.map((a) => a.evalTimeMs))].sort((a, b) => a - b);
  const prefix = test.name === '' ? '' : `    name: ${test.name},\n`;
  const errors: string[] = [];
  const clock = new VirtualClock(0);
  let next = 0;
  for (let ts = 0; ts <= maxEval; ts += step) {
    clock.advanceTo(ts);
    const evalErrors: string[] = [];
    for (const group of groups) {
      await group.evaluate(clock.now(), target);
      group.spec.rules.forEach((rule, i) => {
        const status = group.status[i]!;
        if (status.health === 'err') evalErrors.push(`    rule: ${rule.name}, time: ${formatDuration(ts)}, err: ${status.lastError}`);
      });
    }
    errors.push(...evalErrors);
    if (evalErrors.length > 0) return errors;
    while (next < alertTimes.length && ts <= alertTimes[next]! && alertTimes[next]! < ts + step) {
      const t = alertTimes[next]!;
      for (const tc of test.alertTests.filter((a) => a.evalTimeMs === t)) {
        const got: LabelsAndAnnotations = [];
        for (const group of groups) {
          group.spec.rules.forEach((rule, i) => {
            if (rule.kind !== 'alerting' || rule.name !== tc.alertname) return;
            for (const a of group.alerts[i]!.values()) if (a.state === 'firing') got.push({ labels: a.labels, annotations: a.annotations });
          });
        }
        const exp = sortByLabels([...tc.expAlerts], (a) => formatLabels(a.annotations));
        sortByLabels(got, (a) => formatLabels(a.annotations));
        const equal = exp.length === got.length && exp.every((e, k) => sameLabels(e.labels, got[k]!.labels) && sameLabels(e.annotations, got[k]!.annotations));
        if (!equal) {
          errors.push(`${prefix}    alertname: ${tc.alertname}, time: ${formatDuration(t)}, \n        exp:${indent(formatAlerts(exp), '            ')}, \n        got:${indent(formatAlerts(got), '            ')}`);
        }
      }
      next++;
    }
  }
  for (const tc of test.promqlTests) {
    let value: Value;
    try {
      value = await engine.instant(tc.expr, tc.evalTimeMs, series);
    } catch (err) {
      errors.push(`    expr: ${JSON.stringify(tc.expr)}, time: ${formatDuration(tc.evalTimeMs)}, err: ${(err as Error).message}`);
      continue;
    }
    if (value.kind !== 'vector' && value.kind !== 'scalar') {
      errors.push(`    expr: ${JSON.stringify(tc.expr)}, time: ${formatDuration(tc.evalTimeMs)}, err: rule result is not a vector or scalar`);
      continue;
    }
    const got = sortByLabels(value.kind === 'scalar' ? [{ labels: {}, value: value.value }] : value.samples.map((s) => ({ labels: s.metric, value: s.value })));
    const exp = sortByLabels(tc.expSamples.map((s) => ({ labels: s.labels, value: s.value })));
    const equal = exp.length === got.length && exp.every((e, k) => sameLabels(e.labels, got[k]!.labels) && sameValue(e.value, got[k]!.value, unit.fuzzyCompare));
    if (!equal) {
      const show = (list: { labels: Readonly<Record<string, string>>; value: number }[]): string => (list.length === 0 ? 'nil' : list.map((s) => `${formatLabels(s.labels)} ${formatE(s.value)}`).join(', '));
      errors.push(`    expr: ${JSON.stringify(tc.expr)}, time: ${formatDuration(tc.evalTimeMs)},\n        exp: ${show(exp)}\n        got: ${show(got)}`);
    }
  }
  return errors;
}

/** Runs the tests of one file. Loading problems (of the test file or its rule files) are its errors. */
export async function runUnitTestFile(path: string): Promise<UnitTestResult> {
  const loaded = await loadUnitTestFile(path);
  if (loaded.test === undefined) return { file: path, errors: loaded.problems.map(formatFileProblem) };
  const unit = loaded.test;
  const seen = new Set<string>();
  for (const name of unit.groupEvalOrder) {
    if (seen.has(name)) return { file: path, errors: [`group name repeated in evaluation order: ${name}`] };
    seen.add(name);
  }
  const rules = await loadRuleFiles(unit.ruleFiles);
  const problems = rules.flatMap((f) => f.problems).map(formatFileProblem);
  if (problems.length > 0) return { file: path, errors: problems };
  const errors: string[] = [];
  for (const test of unit.tests) errors.push(...(await runTestGroup(test, unit, rules)));
  return { file: path, errors };
}

/**
 * Runs every file and writes promtool's report: `Unit Testing:  FILE`, then `  SUCCESS` or
 * `  FAILED:` and each error. Returns the exit code: 0 when every file passed, else 1.
 */
export async function runUnitTests(files: readonly string[], out: { stdout: (text: string) => void; stderr: (text: string) => void }): Promise<number> {
  let failed = false;
  for (const file of files) {
    out.stdout(`Unit Testing:  ${file}\n`);
    const result = await runUnitTestFile(file);
    if (result.errors.length > 0) {
      failed = true;
      out.stderr('  FAILED:\n');
      for (const e of result.errors) out.stderr(`${e}\n\n`);
    } else {
      out.stdout('  SUCCESS\n');
    }
    out.stdout('\n');
  }
  return failed ? 1 : 0;
}
