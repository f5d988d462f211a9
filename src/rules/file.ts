/**
 * Prometheus rule files (https://prometheus.io/docs/prometheus/latest/configuration/recording_rules/):
 * `groups[].{name, interval, limit, rules[]}`, each rule recording (`record`, `expr`, `labels`)
 * or alerting (`alert`, `expr`, `for`, `keep_firing_for`, `labels`, `annotations`). Loading checks
 * what `promtool check rules` checks — YAML, unknown keys, durations, duplicate group names,
 * names, expressions and templates — and reports every problem of every file as
 * `file:line:col: groups[0].rules[2].expr: message`.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { SluiceError } from '../errors.ts';
import { LABEL_NAME, METRIC_NAME } from '../labels.ts';
import { parseExpr, PromQLError, type Expr } from './promql/index.ts';
import { parseDuration } from '../duration.ts';
import { parseTemplate } from './template.ts';
import type { RuleGroupSpec, RuleSpec } from './types.ts';
import { checkShape, formatFileProblem, parseYamlSource, problemAt, problemInString, type FileProblem, type YamlSource } from './yaml-source.ts';

/** What loading one file gave: its groups when it has no problems, else its problems. */
export interface LoadedRuleFile {
  readonly file: string;
  readonly groups: readonly RuleGroupSpec[];
  readonly problems: readonly FileProblem[];
}

/** A YAML scalar read as a string, the way Go's YAML decoder fills a string field. */
const text = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));
const labelMap = z.record(z.string(), text);

const ruleSchema = z.strictObject({
  record: z.string().optional(),
  alert: z.string().optional(),
  expr: text.optional(),
  for: text.optional(),
  keep_firing_for: text.optional(),
  labels: labelMap.nullish(),
  annotations: labelMap.nullish(),
});

const groupSchema = z.strictObject({
  name: z.string(),
  interval: text.optional(),
  limit: z.int().min(0).optional(),
  rules: z.array(z.unknown()).nullish(),
});

const fileSchema = z.strictObject({ groups: z.array(z.unknown()).nullish() }).nullish();

type RawRule = z.output<typeof ruleSchema>;

/** A Prometheus duration (`1h30m`, `5m`, `0s`) in ms, with the problem when it is not one. */
function duration(source: YamlSource, path: (string | number)[], value: string | undefined, problems: FileProblem[]): number {
  if (value === undefined) return 0;
  const ms = parseDuration(value);
  if (ms === undefined) {
    problems.push(problemAt(source, path, `expected a duration such as 1h30m, 5m or 0s, got ${JSON.stringify(value)}`));
    return 0;
  }
  return ms;
}

function checkNames(source: YamlSource, path: (string | number)[], map: Readonly<Record<string, string>> | null | undefined, what: string, problems: FileProblem[]): void {
  for (const name of Object.keys(map ?? {})) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) problems.push(problemAt(source, [...path, name], `invalid ${what} name ${JSON.stringify(name)}: expected letters, digits and _, not starting with a digit or __`, true));
  }
}

function checkTemplates(source: YamlSource, path: (string | number)[], map: Readonly<Record<string, string>> | null | undefined, alert: string, problems: FileProblem[]): void {
  for (const [name, value] of Object.entries(map ?? {})) {
    try {
      parseTemplate(value, `__alert_${alert}`);
    } catch (err) {
      problems.push(problemAt(source, [...path, name], (err as Error).message));
    }
  }
}

function checkRule(source: YamlSource, path: (string | number)[], raw: RawRule, problems: FileProblem[]): RuleSpec | undefined {
  const before = problems.length;
  const recording = raw.record !== undefined;
  if (recording && raw.alert !== undefined) problems.push(problemAt(source, path, "only one of 'record' and 'alert' must be set"));
  if (!recording && raw.alert === undefined) problems.push(problemAt(source, path, "one of 'record' or 'alert' must be set"));
  let expr: Expr | undefined;
  if (raw.expr === undefined || raw.expr.trim() === '') {
    problems.push(problemAt(source, [...path, 'expr'], "field 'expr' must be set in rule"));
  } else {
    try {
      expr = parseExpr(raw.expr);
    } catch (err) {
      if (err instanceof PromQLError) problems.push(problemInString(source, [...path, 'expr'], err.position, err.message));
      else problems.push(problemAt(source, [...path, 'expr'], (err as Error).message));
    }
  }
  if (recording) {
    if (!METRIC_NAME.test(raw.record!)) problems.push(problemAt(source, [...path, 'record'], `invalid recording rule name ${JSON.stringify(raw.record)}: expected a metric name (letters, digits, _ and :, not starting with a digit)`));
    for (const key of ['annotations', 'for', 'keep_firing_for'] as const) {
      if (raw[key] !== undefined && raw[key] !== null) problems.push(problemAt(source, [...path, key], `invalid field '${key}' in recording rule`, true));
    }
  } else if (raw.alert !== undefined && raw.alert.trim() === '') {
    problems.push(problemAt(source, [...path, 'alert'], 'expected a non-empty alert name'));
  }
  checkNames(source, [...path, 'labels'], raw.labels, 'label', problems);
  checkNames(source, [...path, 'annotations'], raw.annotations, 'annotation', problems);
  if (!recording) {
    checkTemplates(source, [...path, 'labels'], raw.labels, raw.alert ?? '', problems);
    checkTemplates(source, [...path, 'annotations'], raw.annotations, raw.alert ?? '', problems);
  }
  const forMs = duration(source, [...path, 'for'], raw.for, problems);
  const keepFiringForMs = duration(source, [...path, 'keep_firing_for'], raw.keep_firing_for, problems);
  if (problems.length > before || expr === undefined) return undefined;
  const labels = { ...(raw.labels ?? {}) };
  if (recording) return { kind: 'recording', name: raw.record!, exprText: raw.expr!, expr, labels };
  return { kind: 'alerting', name: raw.alert!, exprText: raw.expr!, expr, forMs, keepFiringForMs, labels, annotations: { ...(raw.annotations ?? {}) } };
}

/** Parses and checks the rule file `file` whose content is `content`. Pure. */
export function parseRuleFile(content: string, file: string): LoadedRuleFile {
  const parsed = parseYamlSource(content, file);
  if (parsed.problems.length > 0) return { file, groups: [], problems: parsed.problems };
  const { source } = parsed;
  const shape = checkShape(source, fileSchema, parsed.value);
  if (shape.data === undefined) return { file, groups: [], problems: shape.problems };
  const problems: FileProblem[] = [];
  const groups: RuleGroupSpec[] = [];
  const names = new Set<string>();
  (shape.data?.groups ?? []).forEach((value, gi) => {
    const path = ['groups', gi];
    // Each group and each rule is checked on its own, so that one unknown key does not hide the other problems.
    const shapedGroup = checkShape(source, groupSchema, value, path);
    problems.push(...shapedGroup.problems);
    const g = shapedGroup.data;
    if (g === undefined) return;
    if (g.name.trim() === '') problems.push(problemAt(source, [...path, 'name'], 'expected a non-empty group name'));
    else if (names.has(g.name)) problems.push(problemAt(source, [...path, 'name'], `group name ${JSON.stringify(g.name)} is repeated in the same file`));
    names.add(g.name);
    let intervalMs: number | undefined;
    if (g.interval !== undefined) {
      intervalMs = duration(source, [...path, 'interval'], g.interval, problems);
      if (intervalMs === 0 && parseDuration(g.interval) === 0) problems.push(problemAt(source, [...path, 'interval'], 'expected an interval greater than 0s'));
    }
    const rules: RuleSpec[] = [];
    (g.rules ?? []).forEach((value, ri) => {
      const shaped = checkShape(source, ruleSchema, value, [...path, 'rules', ri]);
      problems.push(...shaped.problems);
      if (shaped.data === undefined) return;
      const rule = checkRule(source, [...path, 'rules', ri], shaped.data, problems);
      if (rule !== undefined) rules.push(rule);
    });
    groups.push({ name: g.name, file, intervalMs, limit: g.limit ?? 0, rules });
  });
  problems.sort((a, b) => a.line - b.line || a.col - b.col);
  return problems.length > 0 ? { file, groups: [], problems } : { file, groups, problems };
}

/** Reads and checks one rule file; an unreadable file is one problem at 1:1. */
export async function loadRuleFile(path: string): Promise<LoadedRuleFile> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    return { file: path, groups: [], problems: [{ file: path, line: 1, col: 1, path: '(file)', message: reason }] };
  }
  return parseRuleFile(content, path);
}

/** Reads and checks every file, each on its own: one bad file does not hide the others' groups or problems. */
export function loadRuleFiles(paths: readonly string[]): Promise<LoadedRuleFile[]> {
  return Promise.all(paths.map((p) => loadRuleFile(p)));
}

/** One SLUICE_ERR_RULES_FILE error listing every problem of `files`, or undefined when there is none. */
export function ruleFilesError(files: readonly LoadedRuleFile[]): SluiceError | undefined {
  const problems = files.flatMap((f) => f.problems);
  if (problems.length === 0) return undefined;
  return new SluiceError('SLUICE_ERR_RULES_FILE', problems.map(formatFileProblem).join('\n'), { path: problems[0]!.file });
}

/** The rule files named, with each directory replaced by its *.yaml and *.yml files (sorted). */
export async function expandRuleFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    let isDir: boolean;
    try {
      isDir = (await stat(path)).isDirectory();
    } catch (err) {
      throw new SluiceError('SLUICE_ERR_RULES_FILE', `${path}: rule file not found`, { cause: err, path });
    }
    out.push(...(isDir ? await ruleFilesIn(path) : [path]));
  }
  return out;
}

async function ruleFilesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort().map((n) => join(dir, n));
}

/**
 * Reads and checks the configured rule files, before the service opens anything: every entry of
 * `rules.files` (a file, or a directory of *.yaml / *.yml files) must exist and load without
 * problems. Throws one SLUICE_ERR_RULES_FILE listing every problem, each line naming the entry
 * (`rules.files[1]: /etc/sluice/lag.yaml: file not found`,
 * `rules.files[0]: /etc/sluice/rules/a.yaml:4:13: groups[0].rules[0].expr: …`).
 */
export async function loadConfiguredRuleFiles(entries: readonly string[], field = 'rules.files'): Promise<LoadedRuleFile[]> {
  const lines: string[] = [];
  const loaded: LoadedRuleFile[] = [];
  for (const [i, entry] of entries.entries()) {
    const where = `${field}[${i}]`;
    let paths: string[];
    try {
      paths = (await stat(entry)).isDirectory() ? await ruleFilesIn(entry) : [entry];
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      lines.push(`${where}: ${entry}: ${code === 'ENOENT' ? 'rule file not found' : (err as Error).message}`);
      continue;
    }
    for (const file of await loadRuleFiles(paths)) {
      for (const problem of file.problems) lines.push(`${where}: ${formatFileProblem(problem)}`);
      loaded.push(file);
    }
  }
  if (lines.length > 0) throw new SluiceError('SLUICE_ERR_RULES_FILE', lines.join('\n'), { path: lines[0]!.slice(0, lines[0]!.indexOf(':')) });
  return loaded;
}

/** Number of rules in the groups of `file`. */
export function ruleCount(file: LoadedRuleFile): number {
  return file.groups.reduce((n, g) => n + g.rules.length, 0);
}
