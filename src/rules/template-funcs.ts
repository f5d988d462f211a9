/**
 * The functions alert templates may call, as Prometheus defines them
 * (https://prometheus.io/docs/prometheus/latest/configuration/template_reference/), plus the Go
 * text/template built-ins rule files use (comparisons, and/or/not, printf, len, index), and the
 * functions on `query` results (first, label, value, strvalue, sortByLabel).
 */
import { formatG, formatValue, sprintf } from './go-format.ts';
import { compileRegex } from '../regex.ts';

/** A template function: takes evaluated arguments, returns a value or throws an Error. */
export type TemplateFunc = (...args: unknown[]) => unknown;

/** A value as a number, the way Prometheus's convertToFloat reads it (strconv.ParseFloat for strings). */
function toFloat(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (/^[+-]?(inf|infinity)$/i.test(value)) return value.startsWith('-') ? -Infinity : Infinity;
    if (/^[+-]?nan$/i.test(value)) return NaN;
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value) || /^[+-]?0x[0-9a-fA-F]+$/.test(value)) return Number(value);
    throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(value)}: invalid syntax`);
  }
  throw new Error(`can't convert ${typeof value === 'boolean' ? 'bool' : typeof value === 'object' && value !== null ? 'map[string]string' : '<nil>'} to float`);
}

const SMALL_PREFIXES = ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y'];

/** `humanize`: SI prefixes, 4 significant digits (1234567 → 1.235M). */
export function humanize(value: unknown): string {
  let v = toFloat(value);
  if (v === 0 || !Number.isFinite(v)) return formatG(v, 4);
  let prefix = '';
  if (Math.abs(v) >= 1) {
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return formatG(v, 4) + prefix;
  }
  for (const p of SMALL_PREFIXES) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return formatG(v, 4) + prefix;
}

/** `humanize1024`: binary prefixes (1048576 → 1Mi). */
export function humanize1024(value: unknown): string {
  let v = toFloat(value);
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return formatG(v, 4);
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return formatG(v, 4) + prefix;
}

/** Go's int64(v) for a float: truncated, and MinInt64 out of range (what amd64 gives). */
function goInt64(v: number): bigint {
  return Math.abs(v) < 9.223372036854775807e18 ? BigInt(Math.trunc(v)) : -(2n ** 63n);
}

/** `humanizeDuration`: seconds as `1d 2h 3m 4s`, or `1.5s`, `12ms` below a minute. */
export function humanizeDuration(value: unknown): string {
  let v = toFloat(value);
  if (!Number.isFinite(v)) return formatG(v, 4);
  if (v === 0) return `${formatG(v, 4)}s`;
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? '-' : '';
    v = Math.abs(v);
    // Integer arithmetic as Go's (division truncates toward zero), overflow included.
    const total = goInt64(v);
    const seconds = total % 60n;
    const minutes = (total / 60n) % 60n;
    const hours = (total / 3600n) % 24n;
    const days = total / 86_400n;
    if (days !== 0n) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0n) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0n) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${formatG(v, 4)}s`;
  }
  let prefix = '';
  for (const p of SMALL_PREFIXES) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${formatG(v, 4)}${prefix}s`;
}

/** `humanizePercentage`: a ratio as a percentage (0.1234 → 12.34%). */
export function humanizePercentage(value: unknown): string {
  return `${formatG(toFloat(value) * 100, 4)}%`;
}

/** `humanizeTimestamp`: Unix seconds as Go prints a UTC time (`2024-03-10 12:00:00 +0000 UTC`), to the millisecond. */
export function humanizeTimestamp(value: unknown): string {
  const v = toFloat(value);
  if (!Number.isFinite(v)) return formatG(v, 4);
  const ns = v * 1e9;
  if (ns > 9.223372036854775807e18 || ns < -9.223372036854775808e18) throw new Error(`${formatG(v)} cannot be represented as a nanoseconds timestamp since it overflows int64`);
  // As Prometheus: float seconds × 1e9 to int64 nanoseconds, then truncated to milliseconds.
  const ms = Number(goInt64(ns) / 1_000_000n);
  const iso = new Date(ms).toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction === '' ? '' : `.${fraction}`} +0000 UTC`;
}

/** Go's truth: false, 0, "", nil and empty maps are false. */
export function truthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (typeof value === 'number' && Number.isNaN(value)) return true;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new Error('incompatible types for comparison');
}

function eq(a: unknown, ...rest: unknown[]): boolean {
  if (rest.length === 0) throw new Error('missing argument for comparison');
  for (const b of rest) {
    if ((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string') || (typeof a === 'boolean' && typeof b === 'boolean')) {
      if (a === b) return true;
    } else {
      throw new Error('incompatible types for comparison');
    }
  }
  return false;
}

/** Go's `title` (strings.Title): upper-cases the first letter of each word. */
function title(value: unknown): string {
  return String(value).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, before: string, letter: string) => before + letter.toUpperCase());
}

/** A `query` result element, or what Prometheus's functions on one reject. */
function sampleOf(name: string, value: unknown): { Labels: Record<string, string>; Value: number } {
  if (typeof value === 'object' && value !== null && 'Labels' in value && 'Value' in value) return value as { Labels: Record<string, string>; Value: number };
  throw new Error(`${name}: expected a query result sample`);
}

/** Every function a template may call, by name (`query` itself is run by the expander, which holds the engine). */
export const TEMPLATE_FUNCS: Readonly<Record<string, TemplateFunc>> = {
  humanize,
  humanize1024,
  humanizeDuration,
  humanizePercentage,
  humanizeTimestamp,
  printf: (format, ...args) => sprintf(String(format), args),
  print: (...args) => args.map(formatValue).join(''),
  toUpper: (s) => String(s).toUpperCase(),
  toLower: (s) => String(s).toLowerCase(),
  title,
  stripPort: (s) => String(s).replace(/^\[?([^\]]*?)\]?:\d+$/, '$1'),
  safeHtml: (s) => String(s),
  // Go's regexp.MatchString (unanchored) and Regexp.ReplaceAllString, as Prometheus's templates.
  match: (pattern, s) => compileRegex(String(pattern)).test(String(s)),
  reReplaceAll: (pattern, repl, s) => compileRegex(String(pattern)).replaceAll(String(s), String(repl)),
  eq,
  ne: (a, b) => !eq(a, b),
  lt: (a, b) => compare(a, b) < 0,
  le: (a, b) => compare(a, b) <= 0,
  gt: (a, b) => compare(a, b) > 0,
  ge: (a, b) => compare(a, b) >= 0,
  and: (...args) => args.find((a) => !truthy(a)) ?? args.at(-1),
  or: (...args) => args.find((a) => truthy(a)) ?? args.at(-1),
  not: (a) => !truthy(a),
  len: (a) => (typeof a === 'string' ? Buffer.byteLength(a) : typeof a === 'object' && a !== null ? Object.keys(a).length : 0),
  query: () => {
    throw new Error('no query engine is available here');
  },
  first: (list) => {
    if (!Array.isArray(list) || list.length === 0) throw new Error('first() called on vector with no elements');
    return list[0];
  },
  label: (name, sample) => sampleOf('label', sample).Labels[String(name)] ?? '',
  value: (sample) => sampleOf('value', sample).Value,
  strvalue: (sample) => sampleOf('strvalue', sample).Labels.__value__ ?? '',
  sortByLabel: (name, list) => (Array.isArray(list) ? [...list].sort((a, b) => {
    const x = sampleOf('sortByLabel', a).Labels[String(name)] ?? '';
    const y = sampleOf('sortByLabel', b).Labels[String(name)] ?? '';
    return x < y ? -1 : x > y ? 1 : 0;
  }) : list),
  index: (m, key) => (typeof m === 'object' && m !== null ? ((m as Record<string, unknown>)[String(key)] ?? '') : ''),
};
