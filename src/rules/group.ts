/**
 * One rule group and its evaluation at a given time, as Prometheus's rules.Group.Eval: rules run
 * in order, and each rule's output is written before the next rule runs, so that a recording
 * rule is visible to the rules after it at the same time. A series a rule wrote last time and not
 * this time gets a staleness marker. Alert state lives here, per alerting rule; the lifecycle
 * itself is the pure `stepAlerts`.
 */
import type { Engine, Value } from './promql/index.ts';
import { STALE_NAN } from './promql/index.ts';
import type { Querier } from '../store/types.ts';
import { alertSeries, countActive, stepAlerts, type Alert, type AlertCandidate, type RuleOutput } from './alert-state.ts';
import { expandTemplate, parseTemplate, type QuerySample, type Template, type TemplateData } from './template.ts';
import type { AlertingRuleSpec, RuleGroupSpec, RuleSpec } from './types.ts';

/** How a rule fared at its last evaluation. */
export interface RuleStatus {
  health: 'ok' | 'err' | 'unknown';
  lastError: string | undefined;
  lastEvaluation: number | undefined;
  evaluationMs: number | undefined;
}

/** What a group evaluation reads from and writes to. */
export interface EvalTarget {
  readonly engine: Engine;
  readonly querier: Querier;
  /** Writes one rule's output at `ts`; resolves once later queries see it. */
  write(outputs: readonly RuleOutput[], ts: number): Promise<void>;
}

/** Labels and URL every alert template sees. */
export interface GroupContext {
  readonly externalLabels: Readonly<Record<string, string>>;
  readonly externalURL: string;
}

/** The key Prometheus gives a group: its file and name. */
export function groupKey(file: string, name: string): string {
  return `${file};${name}`;
}

function labelsKey(labels: Readonly<Record<string, string>>): string {
  // Plain concatenation with separators that cannot occur in label names: several times cheaper
  // than JSON, and this runs for every output series of every rule, every round.
  const names = Object.keys(labels).sort();
  let key = '';
  // A value holding the separator (label values are free-form) is escaped, so keys never collide.
  for (const name of names) {
    const value = labels[name]!;
    key += `${name}\u0000${value.includes('\u0001') || value.includes('\u0002') ? value.replaceAll('\u0002', '\u00020').replaceAll('\u0001', '\u00021') : value}\u0001`;
  }
  return key;
}

/** A recording rule's output labels: the series' labels, the rule's over them, its name; empty values left out. */
function recordedLabels(metric: Readonly<Record<string, string>>, ruleLabels: Readonly<Record<string, string>>, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in metric) if (!(k in ruleLabels) && k !== '__name__' && metric[k] !== '') out[k] = metric[k]!;
  for (const k in ruleLabels) if (ruleLabels[k] !== '') out[k] = ruleLabels[k]!;
  out.__name__ = name;
  return out;
}

/** A loaded group: its spec, interval, per-rule alerts and status. */
export class RuleGroup {
  readonly key: string;
  /** Alerts of each rule, by rule index (empty maps for recording rules). */
  readonly alerts: Map<string, Alert>[];
  readonly status: RuleStatus[];
  lastEvaluation: number | undefined;
  evaluationMs: number | undefined;
  private readonly previousSeries: Map<string, Readonly<Record<string, string>>>[];
  /** Per recording rule: its output labels and their key, by the engine's label object of the series. */
  private readonly recorded: (WeakMap<Readonly<Record<string, string>>, { labels: Readonly<Record<string, string>>; key: string }> | undefined)[] = [];
  private readonly templates = new Map<string, Template>();

  constructor(readonly spec: RuleGroupSpec, readonly intervalMs: number, private readonly context: GroupContext) {
    this.key = groupKey(spec.file, spec.name);
    this.alerts = spec.rules.map(() => new Map());
    this.status = spec.rules.map(() => ({ health: 'unknown', lastError: undefined, lastEvaluation: undefined, evaluationMs: undefined }));
    this.previousSeries = spec.rules.map(() => new Map());
  }

  /** Takes over alert state from the group this one replaces (the k-th rule named X from the k-th rule named X). */
  copyStateFrom(old: RuleGroup): void {
    const seen = new Map<string, number>();
    const oldIndex = new Map<string, number[]>();
    old.spec.rules.forEach((r, i) => {
      const k = `${r.kind}:${r.name}`;
      oldIndex.set(k, [...(oldIndex.get(k) ?? []), i]);
    });
    this.spec.rules.forEach((r, i) => {
      const k = `${r.kind}:${r.name}`;
      const n = seen.get(k) ?? 0;
      seen.set(k, n + 1);
      const from = oldIndex.get(k)?.[n];
      if (from === undefined) return;
      this.alerts[i] = new Map(old.alerts[from]);
      this.status[i] = { ...old.status[from]! };
      this.previousSeries[i] = new Map(old.previousSeries[from]);
    });
    this.lastEvaluation = old.lastEvaluation;
    this.evaluationMs = old.evaluationMs;
  }

  /** Evaluates every rule at `ts`, in order. Never throws: a rule's failure is its status. */
  async evaluate(ts: number, target: EvalTarget): Promise<{ failures: number }> {
    const started = performance.now();
    let failures = 0;
    for (let i = 0; i < this.spec.rules.length; i++) {
      const rule = this.spec.rules[i]!;
      const ruleStarted = performance.now();
      const status = this.status[i]!;
      try {
        const { outputs, current: known } = await this.evaluateRule(i, rule, ts, target);
        let current = known;
        if (current === undefined) {
          current = new Map<string, Readonly<Record<string, string>>>();
          for (const o of outputs) current.set(labelsKey(o.labels), o.labels);
        }
        const stale: RuleOutput[] = [];
        for (const [key, labels] of this.previousSeries[i]!) if (!current.has(key)) stale.push({ labels, value: STALE_NAN });
        this.previousSeries[i] = current;
        await target.write(stale.length === 0 ? outputs : outputs.concat(stale), ts);
        status.health = 'ok';
        status.lastError = undefined;
      } catch (err) {
        failures++;
        status.health = 'err';
        status.lastError = (err as Error).message;
      }
      status.lastEvaluation = ts;
      status.evaluationMs = performance.now() - ruleStarted;
    }
    this.lastEvaluation = ts;
    this.evaluationMs = performance.now() - started;
    return { failures };
  }

  private async evaluateRule(index: number, rule: RuleSpec, ts: number, target: EvalTarget): Promise<{ outputs: RuleOutput[]; current?: Map<string, Readonly<Record<string, string>>> }> {
    const samples = toVector(await target.engine.instant(rule.expr, ts, target.querier));
    if (rule.kind === 'recording') {
      // The engine hands back the same label objects for the same series from round to round:
      // the recorded labels and their key are made once per series.
      const cache = (this.recorded[index] ??= new WeakMap());
      const keys: string[] = [];
      const outputs = samples.map((s) => {
        let made = cache.get(s.metric);
        if (made === undefined) {
          const labels = recordedLabels(s.metric, rule.labels, rule.name);
          cache.set(s.metric, (made = { labels, key: labelsKey(labels) }));
        }
        keys.push(made.key);
        return { labels: made.labels, value: s.value };
      });
      // One map serves both the duplicate check and, in `evaluate`, the staleness of vanished series.
      const current = new Map<string, Readonly<Record<string, string>>>();
      outputs.forEach((o, k) => current.set(keys[k]!, o.labels));
      if (current.size !== outputs.length) throw new Error('vector contains metrics with the same labelset after applying rule labels');
      if (this.spec.limit > 0 && outputs.length > this.spec.limit) throw new Error(`exceeded limit of ${this.spec.limit} with ${outputs.length} series`);
      return { outputs, current };
    }
    // Templates' `query` runs at the evaluation's time against the same series the rule read.
    const query = async (expr: string): Promise<QuerySample[]> =>
      toVector(await target.engine.instant(expr, ts, target.querier)).map((s) => ({ Labels: s.metric, Value: s.value }));
    const candidates: AlertCandidate[] = [];
    for (const s of samples) candidates.push(await this.candidate(rule, s.metric, s.value, query));
    const step = stepAlerts(this.alerts[index]!, candidates, ts, rule);
    if (!step.ok) throw new Error(step.error);
    if (this.spec.limit > 0 && countActive(step.alerts) > this.spec.limit) {
      const n = countActive(step.alerts);
      this.alerts[index] = new Map();
      throw new Error(`exceeded limit of ${this.spec.limit} with ${n} alerts`);
    }
    this.alerts[index] = step.alerts;
    return { outputs: alertSeries(step.alerts) };
  }

  /** The alert a returned series stands for: labels and annotations expanded for it. */
  private async candidate(rule: AlertingRuleSpec, metric: Readonly<Record<string, string>>, value: number, query: TemplateData['query']): Promise<AlertCandidate> {
    const data: TemplateData = { labels: metric, externalLabels: this.context.externalLabels, externalURL: this.context.externalURL, value, query };
    const expand = async (text: string): Promise<string> => {
      if (!text.includes('{{')) return text;
      try {
        let template = this.templates.get(text);
        if (template === undefined) this.templates.set(text, (template = parseTemplate(text, `__alert_${rule.name}`)));
        return await expandTemplate(template, data);
      } catch (err) {
        // As Prometheus does: the alert still fires, with the error in place of the text.
        return `<error expanding template: ${(err as Error).message}>`;
      }
    };
    const labels: Record<string, string> = { ...metric };
    delete labels.__name__;
    for (const [name, text] of Object.entries(rule.labels)) labels[name] = await expand(text);
    labels.alertname = rule.name;
    withoutEmpty(labels);
    const annotations: Record<string, string> = {};
    for (const [name, text] of Object.entries(rule.annotations)) annotations[name] = await expand(text);
    return { labels, annotations, value };
  }
}

/** The labels without those whose value is empty: setting a label to "" removes it, as in Prometheus. */
function withoutEmpty(labels: Record<string, string>): Record<string, string> {
  for (const name of Object.keys(labels)) if (labels[name] === '') delete labels[name];
  return labels;
}

/** A rule's query result as samples: a scalar is one sample without labels. */
function toVector(value: Value): readonly { metric: Readonly<Record<string, string>>; value: number }[] {
  if (value.kind === 'vector') return value.samples;
  if (value.kind === 'scalar') return [{ metric: {}, value: value.value }];
  throw new Error('rule result is not a vector or scalar');
}
