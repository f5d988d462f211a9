/**
 * JSON exactly as Prometheus 2.42 writes it (web/api/v1/api.go, util/jsonutil, promql/value.go):
 * the response envelope, sample values as strings (`"1"`, `"0.1"`, `"NaN"`, `"+Inf"`, and
 * exponent form below 1e-6 and from 1e21 on, `"1e+21"`), scalars without exponent form,
 * timestamps as seconds with at most three decimals (`1435781451.781`), label sets with their
 * names sorted, `<`, `>` and `&` escaped as Go's encoding/json escapes them, and times as
 * RFC 3339 with nanoseconds and no trailing zeros.
 *
 * Pure: values in, JSON text out. Results are written by hand, not by JSON.stringify, because a
 * range query may return millions of points and Prometheus's number forms are not JavaScript's.
 */
import type { MatrixSeries, Value, VectorSample } from '../../../rules/promql/index.ts';

/** Prometheus's API error types. */
export type ErrorType = 'bad_data' | 'execution' | 'timeout' | 'canceled' | 'internal' | 'unavailable' | 'not_found';

/** HTTP status of each error type, as Prometheus's respondError sets it. */
export const ERROR_STATUS: Readonly<Record<ErrorType, number>> = {
  bad_data: 400, execution: 422, timeout: 503, canceled: 503, internal: 500, unavailable: 500, not_found: 404,
};

/** An error the API answers with, in Prometheus's envelope. */
export class PromApiError extends Error {
  constructor(readonly type: ErrorType, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PromApiError';
  }
}

/** `{"status":"success","data":…}` around JSON text already written, with warnings when there are any. */
export function successBody(dataJson: string, warnings: readonly string[] = []): string {
  return `{"status":"success","data":${dataJson}${warnings.length === 0 ? '' : `,"warnings":${goJson(warnings)}`}}`;
}

/** `{"status":"error","errorType":…,"error":…}`. */
export function errorBody(type: ErrorType, message: string): string {
  return `{"status":"error","errorType":${goJson(type)},"error":${goJson(message)}}`;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/**
 * JSON.stringify, with the escapes Go's encoding/json adds. The characters escaped can only
 * occur inside strings of JSON text, so the whole text can be rewritten.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => HTML_ESCAPES[c]!);
}

/** A label set as a JSON object, names in Go's byte order. */
export function labelsJson(labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels).sort();
  let out = '{';
  for (let i = 0; i < names.length; i++) {
    if (i > 0) out += ',';
    out += `${goJson(names[i])}:${goJson(labels[names[i]!])}`;
  }
  return `${out}}`;
}

/** A time in ms as Prometheus writes sample times: seconds, and `.` with three digits when not whole (`1.500`). */
export function formatTimestamp(ms: number): string {
  const t = Math.trunc(ms);
  const abs = Math.abs(t);
  const fraction = abs % 1000;
  const seconds = `${t < 0 ? '-' : ''}${(abs - fraction) / 1000}`;
  return fraction === 0 ? seconds : `${seconds}.${String(fraction).padStart(3, '0')}`;
}

/** A sample value as Prometheus writes it in vectors and matrices (util/jsonutil.MarshalValue). */
export function formatSampleValue(v: number): string {
  const abs = Math.abs(v);
  return abs !== 0 && (abs < 1e-6 || abs >= 1e21) && Number.isFinite(v) ? goExponent(v) : goFixed(v);
}

/** A float as Go's strconv.FormatFloat(v, 'f', -1, 64) writes it: shortest digits, never an exponent. */
export function goFixed(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  const abs = Math.abs(v);
  if (abs >= 1e-6 && abs < 1e21) return String(v);
  // JavaScript switches to exponent form here; spell the same shortest digits out.
  const [mantissa, exp] = v.toExponential().split('e') as [string, string];
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const e = Number(exp);
  const body = e >= 0 ? digits + '0'.repeat(e + 1 - digits.length) : `0.${'0'.repeat(-e - 1)}${digits}`;
  return `${negative ? '-' : ''}${body}`;
}

/** A float as Go's strconv.FormatFloat(v, 'e', -1, 64) writes it: `1e+21`, `1.5e-07`. */
export function goExponent(v: number): string {
  if (!Number.isFinite(v)) return goFixed(v);
  if (Object.is(v, -0)) return '-0e+00';
  const [mantissa, exp] = v.toExponential().split('e') as [string, string];
  const sign = exp.startsWith('-') ? '-' : '+';
  const digits = exp.replace(/^[+-]/, '');
  return `${mantissa}e${sign}${digits.length < 2 ? `0${digits}` : digits}`;
}

/** A time in ms as Go's time.Time marshals to JSON in UTC: RFC 3339 with nanoseconds, trailing zeros dropped. */
export function goTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '0001-01-01T00:00:00Z';
  const iso = new Date(Math.floor(ms)).toISOString();
  // Sub-millisecond parts (evaluation stamps are whole ms; durations are not times).
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 19)}${fraction === '' ? '' : `.${fraction}`}Z`;
}

/** Orders label sets as Prometheus's labels.Compare: name by name in sorted order, then by length. */
export function compareLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): number {
  const an = Object.keys(a).sort();
  const bn = Object.keys(b).sort();
  const n = Math.min(an.length, bn.length);
  for (let i = 0; i < n; i++) {
    const x = an[i]!;
    const y = bn[i]!;
    if (x !== y) return x < y ? -1 : 1;
    const xv = a[x]!;
    const yv = b[y]!;
    if (xv !== yv) return xv < yv ? -1 : 1;
  }
  return an.length - bn.length;
}

function vectorJson(samples: readonly VectorSample[], timeMs: number): string {
  const t = formatTimestamp(timeMs);
  const parts: string[] = [];
  for (const s of samples) parts.push(`{"metric":${labelsJson(s.metric)},"value":[${t},"${formatSampleValue(s.value)}"]}`);
  return `[${parts.join(',')}]`;
}

/** One series of a matrix: `{"metric":…,"values":[[t,"v"],…]}`. */
export function seriesJson(s: MatrixSeries): string {
  const points: string[] = new Array<string>(s.ts.length);
  for (let i = 0; i < s.ts.length; i++) points[i] = `[${formatTimestamp(s.ts[i]!)},"${formatSampleValue(s.values[i]!)}"]`;
  return `{"metric":${labelsJson(s.metric)},"values":[${points.join(',')}]}`;
}

/** The `data` of a matrix answer from its series already written (seriesJson). */
export function matrixResultJson(series: readonly string[]): string {
  return `{"resultType":"matrix","result":[${series.join(',')}]}`;
}

/**
 * The `data` of a query answer: `{"resultType":…,"result":…}`. Vector samples carry the query's
 * time; a scalar and a string are `[time, "text"]` (seconds as encoding/json writes a float).
 */
export function resultJson(value: Value, timeMs: number): string {
  switch (value.kind) {
    case 'scalar':
      return `{"resultType":"scalar","result":[${goJson(timeMs / 1000)},"${goFixed(value.value)}"]}`;
    case 'string':
      return `{"resultType":"string","result":[${goJson(timeMs / 1000)},${goJson(value.value)}]}`;
    case 'vector':
      return `{"resultType":"vector","result":${vectorJson(value.samples, timeMs)}}`;
    case 'matrix':
      return matrixResultJson(value.series.map(seriesJson));
  }
}
