/**
 * promtool's rule unit test files
 * (https://prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules/): `rule_files`
 * (relative to the test file, globs allowed), `evaluation_interval`, `group_eval_order` and
 * `tests[]` with input series, alert tests and PromQL expression tests. Loading checks the shape
 * and the series notation and reports problems as `file:line:col: path: message`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import * as z from 'zod';
import { parseDuration } from '../../duration.ts';
import { checkShape, parseYamlSource, problemAt, type FileProblem, type YamlSource } from '../yaml-source.ts';
import { expandSeriesValues, parseSeriesSelector, type SeriesValue } from './notation.ts';

/** One input series: its labels (`__name__` included) and one value per interval. */
export interface InputSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly values: readonly SeriesValue[];
}

/** An `alert_rule_test` case. */
export interface AlertTestCase {
  readonly evalTimeMs: number;
  readonly alertname: string;
  readonly expAlerts: readonly { readonly labels: Readonly<Record<string, string>>; readonly annotations: Readonly<Record<string, string>> }[];
}

/** A `promql_expr_test` case; expected labels include `__name__`. */
export interface PromqlTestCase {
  readonly expr: string;
  readonly evalTimeMs: number;
  readonly expSamples: readonly { readonly labels: Readonly<Record<string, string>>; readonly labelsText: string; readonly value: number }[];
}

/** One `tests[]` entry. */
export interface TestGroup {
  readonly name: string;
  readonly intervalMs: number;
  readonly inputSeries: readonly InputSeries[];
  readonly externalLabels: Readonly<Record<string, string>>;
  readonly externalURL: string;
  readonly alertTests: readonly AlertTestCase[];
  readonly promqlTests: readonly PromqlTestCase[];
}

/** A loaded test file; `ruleFiles` resolved against its directory and globs expanded. */
export interface UnitTestFile {
  readonly file: string;
  readonly ruleFiles: readonly string[];
  readonly evaluationIntervalMs: number;
  /** Whether sample values may differ in the last bit of the mantissa (`fuzzy_compare`). */
  readonly fuzzyCompare: boolean;
  readonly groupEvalOrder: readonly string[];
  readonly tests: readonly TestGroup[];
}

const text = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));
const labels = z.record(z.string(), text).nullish();
/** Any float, YAML's `.nan` and `.inf` included (which z.number() refuses). */
const anyNumber = z.custom<number>((v) => typeof v === 'number', { message: 'expected a number' });
const duration = z.union([z.string(), z.number()]).transform((v) => String(v));

const schema = z.strictObject({
  rule_files: z.array(z.string()).nullish(),
  evaluation_interval: duration.optional(),
  fuzzy_compare: z.boolean().optional(),
  group_eval_order: z.array(z.string()).nullish(),
  tests: z.array(z.strictObject({
    name: z.string().optional(),
    interval: duration.optional(),
    input_series: z.array(z.strictObject({ series: z.string(), values: text.optional() })).nullish(),
    external_labels: labels,
    external_url: z.string().optional(),
    alert_rule_test: z.array(z.strictObject({
      eval_time: duration,
      alertname: z.string(),
      exp_alerts: z.array(z.strictObject({ exp_labels: labels, exp_annotations: labels })).nullish(),
    })).nullish(),
    promql_expr_test: z.array(z.strictObject({
      expr: text,
      eval_time: duration,
      exp_samples: z.array(z.strictObject({ labels: z.string().nullish(), value: z.union([anyNumber, z.string()]) })).nullish(),
    })).nullish(),
  })).nullish(),
});

function durationMs(source: YamlSource, path: (string | number)[], value: string | undefined, fallback: number, problems: FileProblem[]): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(value);
  if (ms !== undefined) return ms;
  problems.push(problemAt(source, path, `expected a duration such as 1h30m, 5m or 0s, got ${JSON.stringify(value)}`));
  return fallback;
}

/** Runs `fn`; a thrown error becomes a problem at `path`. */
function guarded<T>(source: YamlSource, path: (string | number)[], problems: FileProblem[], fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    problems.push(problemAt(source, path, (err as Error).message));
    return undefined;
  }
}

/** Parses and checks a test file's content; rule file globs are expanded by `loadUnitTestFile`. */
export function parseUnitTestFile(content: string, file: string): { test?: UnitTestFile; problems: FileProblem[] } {
  const parsed = parseYamlSource(content, file);
  if (parsed.problems.length > 0) return { problems: parsed.problems };
  const { source } = parsed;
  const shape = checkShape(source, schema, parsed.value ?? {});
  if (shape.data === undefined) return { problems: shape.problems };
  const data = shape.data;
  const problems: FileProblem[] = [];
  const evaluationIntervalMs = durationMs(source, ['evaluation_interval'], data.evaluation_interval, 60_000, problems);
  const tests = (data.tests ?? []).map((t, ti): TestGroup => {
    const path = ['tests', ti];
    const inputSeries = (t.input_series ?? []).flatMap((s, si) => {
      const at = [...path, 'input_series', si];
      const labels = guarded(source, [...at, 'series'], problems, () => parseSeriesSelector(s.series, 'series'));
      const values = guarded(source, [...at, 'values'], problems, () => expandSeriesValues(s.values ?? '', 'values'));
      return labels === undefined || values === undefined ? [] : [{ labels, values }];
    });
    return {
      name: t.name ?? '',
      intervalMs: durationMs(source, [...path, 'interval'], t.interval, evaluationIntervalMs, problems),
      inputSeries,
      externalLabels: { ...(t.external_labels ?? {}) },
      externalURL: t.external_url ?? '',
      alertTests: (t.alert_rule_test ?? []).map((a, ai) => ({
        evalTimeMs: durationMs(source, [...path, 'alert_rule_test', ai, 'eval_time'], a.eval_time, 0, problems),
        alertname: a.alertname,
        expAlerts: (a.exp_alerts ?? []).map((e) => ({ labels: { ...(e.exp_labels ?? {}), alertname: a.alertname }, annotations: { ...(e.exp_annotations ?? {}) } })),
      })),
      promqlTests: (t.promql_expr_test ?? []).map((p, pi) => ({
        expr: p.expr,
        evalTimeMs: durationMs(source, [...path, 'promql_expr_test', pi, 'eval_time'], p.eval_time, 0, problems),
        expSamples: (p.exp_samples ?? []).flatMap((s, si) => {
          const at = [...path, 'promql_expr_test', pi, 'exp_samples', si];
          const labelsText = s.labels ?? '';
          const parsedLabels = labelsText.trim() === '' || labelsText.trim() === '{}' ? {} : guarded(source, [...at, 'labels'], problems, () => parseSeriesSelector(labelsText, 'labels'));
          const value = typeof s.value === 'number' ? s.value : Number(s.value);
          if (Number.isNaN(value) && !/^\s*nan\s*$/i.test(String(s.value))) problems.push(problemAt(source, [...at, 'value'], `expected a number, got ${JSON.stringify(s.value)}`));
          return parsedLabels === undefined ? [] : [{ labels: parsedLabels, labelsText, value }];
        }),
      })),
    };
  });
  const test: UnitTestFile = { file, ruleFiles: data.rule_files ?? [], evaluationIntervalMs, fuzzyCompare: data.fuzzy_compare ?? false, groupEvalOrder: data.group_eval_order ?? [], tests };
  return problems.length > 0 ? { problems } : { test, problems };
}

/** Reads a test file and resolves its rule files (relative to its directory, globs expanded, in order). */
export async function loadUnitTestFile(path: string): Promise<{ test?: UnitTestFile; problems: FileProblem[] }> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    return { problems: [{ file: path, line: 1, col: 1, path: '(file)', message: reason }] };
  }
  const result = parseUnitTestFile(content, path);
  if (result.test === undefined) return result;
  const ruleFiles: string[] = [];
  for (const pattern of result.test.ruleFiles) {
    const full = isAbsolute(pattern) ? pattern : join(dirname(path), pattern);
    if (!/[*?[]/.test(full)) {
      ruleFiles.push(full);
      continue;
    }
    ruleFiles.push(...(await globFiles(full)));
  }
  return { test: { ...result.test, ruleFiles }, problems: [] };
}

/** Files matching `pattern`, whose wildcards (`*`, `?`) may only be in the last path segment. */
async function globFiles(pattern: string): Promise<string[]> {
  const dir = dirname(pattern);
  const re = new RegExp(`^${basename(pattern).replace(/[.+^${}()|\\]/g, '\\$&').replaceAll('*', '[^/]*').replaceAll('?', '[^/]')}$`);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names.filter((n) => re.test(n)).sort().map((n) => join(dir, n));
}
