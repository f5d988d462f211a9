/**
 * Request parameters as Prometheus 2.42 reads them (web/api/v1/api.go): from the query string and,
 * for POST, a form-encoded body (whose values come first, as Go's Request.FormValue has it);
 * times as RFC 3339 or Unix seconds with up to millisecond precision; durations as seconds
 * (`15`, `0.5`) or Prometheus durations (`1m30s`); `match[]` selectors. Errors carry
 * Prometheus's wording, e.g. `invalid parameter "start": cannot parse "x" to a valid timestamp`.
 *
 * Pure: text in, numbers, matchers or a PromApiError out.
 */
import { parseDuration as parsePromDuration } from '../../../duration.ts';
import { LABEL_NAME } from '../../../labels.ts';
import { parseExpr, PromQLError, type Expr } from '../../../rules/promql/index.ts';
import type { Matcher } from '../../../store/types.ts';
import { PromApiError } from './format.ts';

/** The request's parameters: the form body's values first, then the query string's. */
export class Form {
  private readonly params: URLSearchParams[];

  constructor(url: string, body: unknown) {
    const q = url.indexOf('?');
    this.params = [...(body instanceof URLSearchParams ? [body] : []), new URLSearchParams(q < 0 ? '' : url.slice(q + 1))];
  }

  /** The first value of `name`, or '' (Go's FormValue). */
  get(name: string): string {
    for (const p of this.params) {
      const v = p.get(name);
      if (v !== null) return v;
    }
    return '';
  }

  /** Every value of `name`, body first. */
  all(name: string): string[] {
    return this.params.flatMap((p) => p.getAll(name));
  }
}

/** Prometheus's earliest and latest times, as its clients send them for "no bound" (minTime/maxTime). */
const OPEN_START = '-292273086-05-16T16:47:06Z';
const OPEN_END = '292277026596-12-04T15:30:07.999999999Z';

/** The range of times a JavaScript Date (and so PostgreSQL through the store) can hold, in ms. */
const MAX_MS = 8.64e15;

const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/** A PromApiError `invalid parameter "<name>": <message>` (bad_data). */
export function invalidParam(name: string, message: string): PromApiError {
  return new PromApiError('bad_data', `invalid parameter ${goQuote(name)}: ${message}`);
}

/**
 * A time parameter in ms (Go's parseTime): Unix seconds, rounded to the millisecond, or RFC 3339
 * (truncated to the millisecond); Prometheus's own open bounds are ±Infinity. Throws a plain
 * message (the caller says which parameter).
 */
export function parseTime(text: string): number {
  if (FLOAT.test(text)) {
    const t = Number(text);
    const whole = Math.trunc(t);
    const ms = whole * 1000 + roundHalfAway((t - whole) * 1000);
    if (Math.abs(ms) <= MAX_MS) return ms;
  } else if (text === OPEN_START) {
    return -Infinity;
  } else if (text === OPEN_END) {
    return Infinity;
  } else {
    const ms = rfc3339(text);
    if (ms !== undefined && Math.abs(ms) <= MAX_MS) return ms;
  }
  throw new Error(`cannot parse ${goQuote(text)} to a valid timestamp`);
}

function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

function rfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  const fraction = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const offset = m[8] !== undefined ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11])) * 60_000;
  if (m[8] === undefined && (Number(m[10]) > 23 || Number(m[11]) > 59)) return undefined;
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, fraction);
  return utc.getTime() - offset;
}

function daysIn(year: number, month: number): number {
  if (month !== 2) return [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

/** A time parameter that may be left out (`parseTimeParam`): its value, or `fallback`. */
export function timeParam(form: Form, name: string, fallback: number): number {
  const text = form.get(name);
  if (text === '') return fallback;
  try {
    return parseTime(text);
  } catch (err) {
    throw invalidParam(name, `Invalid time value for '${name}': ${(err as Error).message}`);
  }
}

/** A time parameter that must be given (query_range's start and end). */
export function requiredTimeParam(form: Form, name: string): number {
  try {
    return parseTime(form.get(name));
  } catch (err) {
    throw invalidParam(name, (err as Error).message);
  }
}

/** A duration parameter in ms: seconds as a float (`15`, `0.5`) or a Prometheus duration (`1m30s`). */
export function durationParam(form: Form, name: string): number {
  const text = form.get(name);
  if (FLOAT.test(text)) {
    const ms = Number(text) * 1000;
    if (Math.abs(ms) * 1e6 <= 2 ** 63) return ms;
    throw invalidParam(name, `cannot parse ${goQuote(text)} to a valid duration. It overflows int64`);
  }
  const ms = parsePromDuration(text);
  if (ms === undefined) throw invalidParam(name, `cannot parse ${goQuote(text)} to a valid duration`);
  return ms;
}

/** The `limit` parameter as current Prometheus reads it: 0 (or absent) for none; a bad one is bad_data. */
export function limitParam(form: Form): number {
  const text = form.get('limit');
  if (text === '') return 0;
  if (!/^[+-]?\d+$/.test(text)) throw invalidParam('limit', `strconv.Atoi: parsing ${goQuote(text)}: invalid syntax`);
  const limit = Number(text);
  if (limit < 0) throw invalidParam('limit', 'limit must be non-negative');
  return limit;
}

/** Parses a query; a PromQL syntax error is bad_data worded as Prometheus's `line:col: parse error: …`. */
export function parseQuery(text: string): Expr {
  if (text.trim() === '') throw new PromApiError('bad_data', '1:1: parse error: no expression found in input');
  try {
    return parseExpr(text);
  } catch (err) {
    if (err instanceof PromQLError) throw new PromApiError('bad_data', parseErrorText(err), { cause: err });
    throw err;
  }
}

/** A PromQLError in Prometheus's words: `1:5: parse error: …`. */
export function parseErrorText(err: PromQLError): string {
  const { line, col } = err.position;
  return `${line}:${col}: parse error: ${err.message.replace(/^\d+:\d+: /, '')}`;
}

/**
 * Each `match[]` selector's matchers (Go's parseMatchersParam): a plain series selector, not
 * matching the empty label set. `param` names the parameter in errors, as /series does; the
 * label APIs report a bad selector without it.
 */
export function matchersParam(texts: readonly string[], param?: string): Matcher[][] {
  const fail = (message: string) => (param === undefined ? new PromApiError('bad_data', message) : invalidParam(param, message));
  let empty = false;
  const sets = texts.map((text) => {
    let expr: Expr;
    try {
      expr = parseQuery(text);
    } catch (err) {
      const cause = (err as Error).cause;
      // Prometheus's selector parser leaves this check to the API (below), once all have parsed.
      if (cause instanceof PromQLError && cause.message.endsWith('vector selector must contain at least one non-empty matcher')) {
        empty = true;
        return [];
      }
      throw fail((err as Error).message);
    }
    if (expr.type !== 'vector' || expr.offsetMs !== 0 || expr.at !== undefined) throw fail(`1:1: parse error: expected a series selector such as up{job="x"}, got ${goQuote(text)}`);
    return [...expr.matchers];
  });
  if (empty) throw fail('match[] must contain at least one non-empty matcher');
  return sets;
}

/** True when `name` is a valid label name (Prometheus's model.LabelNameRE). */
export function isLabelName(name: string): boolean {
  return LABEL_NAME.test(name);
}

/** A string as Go's %q writes it, near enough: double quotes, backslash escapes, control characters escaped. */
export function goQuote(text: string): string {
  return JSON.stringify(text).replace(/\\u00([0-1][0-9a-f])/g, (_, hex: string) => `\\x${hex}`);
}
