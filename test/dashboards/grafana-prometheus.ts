/**
 * What Grafana does with a Prometheus panel's query before it reaches the data source, so that
 * the Prometheus board tests send Sluice the very requests Grafana would:
 *
 * 1. the frontend interpolates template variables (`$var`, `${var}`, `[[var]]`, `${var:format}`)
 *    and leaves the built-ins (`$__interval`, `$__rate_interval`, `$__range`…) to the backend. A
 *    variable that is multi-value or has All becomes its values regex-escaped (a backslash before
 *    each metacharacter, itself escaped for the PromQL string), one value as it is, several as
 *    `(a|b)`; All with a custom all value becomes that value, unescaped; a plain variable is only
 *    escaped for the string (the data source's `interpolateQueryExpr`);
 * 2. the backend (pkg/promlib/models/query.go) computes the step: the panel's interval (range over
 *    max data points, rounded, at least the data source's `timeInterval`), never finer than
 *    range / 11,000; replaces `$__interval` with the step, `$__rate_interval` with
 *    max(interval + scrape interval, 4 × scrape interval) written as Go writes a duration
 *    (`1m0s`), `$__range` with the range in whole seconds; aligns start and end down to a
 *    multiple of the step;
 * 3. the client (pkg/promlib/client/client.go) POSTs a form to /api/v1/query_range with `query`,
 *    `start`, `end` and `step` as Unix seconds (Go's shortest float), or, for an instant query,
 *    to /api/v1/query with `time` the end of the range, unaligned.
 *
 * A `label_values(selector, label)` variable becomes GET /api/v1/label/<label>/values with
 * `match[]` the selector and `start` / `end` in Unix seconds, snapped outwards to the minute (the
 * data source's default cache level, Low).
 */
import type { Panel } from '@grafana/schema';
import { panelInterval, parseInterval, roundInterval, SCREEN_PX, secondsToHms, type TimeRange, type VariableValue } from './grafana.ts';

/** A request to Sluice's Prometheus API. */
export interface PromRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly params: readonly (readonly [string, string])[];
}

/** A Prometheus target as the boards store it. */
export interface PromTarget {
  readonly refId: string;
  readonly expr: string;
  readonly legendFormat?: string;
  readonly instant?: boolean;
  readonly range?: boolean;
  readonly format?: string;
  /** The query's min step (Grafana's "Min step"), e.g. `15s`. */
  readonly interval?: string;
}

/** A single value escaped for a PromQL string (Grafana's prometheusRegularEscape). */
export function promRegularEscape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\\\'");
}

/** A value escaped as a regex inside a PromQL string (Grafana's prometheusSpecialRegexEscape). */
export function promRegexEscape(value: string): string {
  return value.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]+?.()|]/g, '\\\\$&');
}

/** A value escaped as a regex, for the `:regex` format (Grafana's escapeRegex). */
function escapeRegex(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

function formatVariable(v: VariableValue, format: string | undefined): string {
  const all = v.current.length === 1 && v.current[0] === '$__all';
  // A custom all value is inserted as it is, whatever the format.
  if (all && v.allValue !== undefined && v.allValue !== '') return v.allValue;
  const values = all ? v.options : v.current;
  switch (format) {
    case undefined: {
      if (!v.multi && !v.includeAll) return promRegularEscape(values[0] ?? '');
      const escaped = values.map(promRegexEscape);
      return escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`;
    }
    case 'regex': {
      const escaped = values.map(escapeRegex);
      return escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`;
    }
    case 'pipe': return values.join('|');
    case 'raw': return values.join(',');
    default: throw new Error(`variable format ${format} is not modelled here`);
  }
}

/** The frontend's interpolation of template variables; built-ins (`$__…`) and unknown names stay. */
export function interpolatePromVariables(expr: string, variables: ReadonlyMap<string, VariableValue>): string {
  return expr.replace(/\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}/g, (whole: string, a?: string, b?: string, bf?: string, c?: string, cf?: string) => {
    const name = a ?? b ?? c!;
    const v = variables.get(name);
    return v === undefined ? whole : formatVariable(v, bf ?? cf);
  });
}

/** A duration as Go's time.Duration.String writes it (`15s`, `1m0s`, `2h15m0s`, `500ms`), for whole milliseconds. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}s`;
}

/** Unix seconds as Go's FormatFloat(…, 'f', -1, 64) writes them. */
export function promTime(ms: number): string {
  return String(ms / 1000);
}

/** What the backend computes for one query: the step, the interval the frontend sent, and the query with the built-ins replaced. */
export interface PromQueryPlan {
  readonly stepMs: number;
  readonly intervalMs: number;
  readonly expr: string;
}

/**
 * The backend's step and built-in variables for a query over `range` with the panel's
 * `maxDataPoints`, the data source's `timeInterval` (`scrape`) and the query's own min step.
 */
export function planQuery(expr: string, range: TimeRange, maxDataPoints: number, scrape: string, minStep?: string): PromQueryPlan {
  const span = range.to - range.from;
  // The frontend's interval: never below the data source's time interval.
  const intervalMs = panelInterval(range, maxDataPoints, scrape).ms;
  const minMs = minStep === undefined || minStep === '' || minStep.startsWith('$') ? intervalMs : parseInterval(minStep, range.to);
  const raw = span / maxDataPoints;
  const calculated = raw < minMs ? minMs : roundInterval(raw);
  const stepMs = Math.max(calculated, roundInterval(span / 11_000));
  const requestedMin = parseInterval(minStep === undefined || minStep === '' || minStep.startsWith('$') ? scrape : minStep, range.to);
  const rateMs = Math.max(intervalMs + requestedMin, 4 * requestedMin);
  const rangeS = Math.round(span / 1000);
  const replaced = expr
    .replaceAll('$__interval_ms', String(stepMs)).replaceAll('$__interval', secondsToHms(stepMs / 1000))
    .replaceAll('$__range_ms', String(span)).replaceAll('$__range_s', String(rangeS)).replaceAll('$__range', `${rangeS}s`)
    .replaceAll('$__rate_interval_ms', String(rateMs)).replaceAll('$__rate_interval', goDuration(rateMs))
    .replaceAll('${__interval_ms}', String(stepMs)).replaceAll('${__interval}', secondsToHms(stepMs / 1000))
    .replaceAll('${__range}', `${rangeS}s`).replaceAll('${__rate_interval}', goDuration(rateMs));
  return { stepMs, intervalMs, expr: replaced };
}

/** A panel's max data points: set on the panel, or its width in pixels on a SCREEN_PX-wide screen. */
export function maxDataPointsOf(panel: Panel): number {
  return panel.maxDataPoints ?? Math.round((panel.gridPos!.w / 24) * SCREEN_PX);
}

/** The request Grafana sends for a target over `range`; `maxDataPoints` as the panel's. */
export function targetRequest(target: PromTarget, range: TimeRange, variables: ReadonlyMap<string, VariableValue>, maxDataPoints: number, scrape: string): PromRequest & { readonly plan: PromQueryPlan } {
  const plan = planQuery(interpolatePromVariables(target.expr, variables), range, maxDataPoints, scrape, target.interval);
  if (target.instant === true && target.range !== true) {
    return { method: 'POST', path: '/api/v1/query', params: [['query', plan.expr], ['time', promTime(range.to)]], plan };
  }
  const align = (t: number): number => Math.floor(t / plan.stepMs) * plan.stepMs;
  return {
    method: 'POST', path: '/api/v1/query_range',
    params: [['query', plan.expr], ['start', promTime(align(range.from))], ['end', promTime(align(range.to))], ['step', String(plan.stepMs / 1000)]],
    plan,
  };
}

/** The request Grafana sends for a `label_values(selector, label)` variable query, after interpolating the variables before it. */
export function labelValuesRequest(query: string, variables: ReadonlyMap<string, VariableValue>, range: TimeRange): PromRequest {
  const m = /^label_values\((?:(.+),\s*)?([a-zA-Z_$][a-zA-Z0-9_]*)\)\s*$/.exec(interpolatePromVariables(query, variables));
  if (m === null) throw new Error(`not a label_values() query: ${query}`);
  const start = Math.floor(Math.ceil(range.from / 1000) / 60) * 60;
  let end = Math.ceil(Math.ceil(range.to / 1000) / 60) * 60;
  if (end === start) end += 60;
  return {
    method: 'GET', path: `/api/v1/label/${m[2]!}/values`,
    params: [...(m[1] === undefined ? [] : [['match[]', m[1]] as const]), ['start', String(start)], ['end', String(end)]],
  };
}

/** A legend format with `{{label}}` replaced by the series' label values ('' when absent), as Grafana renders it. */
export function renderLegend(format: string, labels: Readonly<Record<string, string>>): string {
  return format.replace(/\{\{\s*(.+?)\s*\}\}/g, (_, name: string) => labels[name] ?? '');
}
