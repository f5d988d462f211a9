/**
 * Series identity. A series is a metric name plus its labels; its canonical form is the
 * Prometheus text form with label names sorted, `name{a="x",b="y"}` (values escaped as in the
 * exposition format, empty values left out), and `labels_hash` is the SHA-256 of that form.
 * Names are checked against the Prometheus rules so that the form is unambiguous.
 *
 * Label values are stored in PostgreSQL by the one reversible rule of `storedLabelValue`, so
 * that any string Kafka can carry (a client id with a NUL byte, a lone surrogate) is a series
 * like any other; `labels_hash` is taken over the stored form, which is always valid UTF-8.
 */
import { createHash } from 'node:crypto';
import { SluiceError } from '../errors.ts';
import { LABEL_NAME, METRIC_NAME } from '../labels.ts';

/** The label every series must carry. */
export const CLUSTER_LABEL = 'cluster';

const NEEDS_ESCAPE = /[\\"\n]/;

// Names seen before are valid: checking a Set is cheaper than a regex on every sample.
const validMetricNames = new Set<string>();
const validLabelNames = new Set<string>();

function invalid(metric: string, message: string): SluiceError {
  return new SluiceError('SLUICE_ERR_STORE_SAMPLE_INVALID', message, { path: metric });
}

function checkMetricName(metric: string): void {
  if (validMetricNames.has(metric)) return;
  if (typeof metric !== 'string' || !METRIC_NAME.test(metric)) {
    throw invalid(String(metric), `metric name ${JSON.stringify(metric)} is invalid: expected letters, digits, _ and :, not starting with a digit`);
  }
  validMetricNames.add(metric);
}

function checkLabelName(metric: string, name: string): void {
  if (validLabelNames.has(name)) return;
  if (!LABEL_NAME.test(name) || name.startsWith('__')) {
    throw invalid(metric, `metric ${metric}: label name ${JSON.stringify(name)} is invalid: expected letters, digits and _, not starting with a digit or __`);
  }
  validLabelNames.add(name);
}

function escapeValue(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n') : value;
}

/**
 * The canonical form of a series, checking it on the way: throws SLUICE_ERR_STORE_SAMPLE_INVALID
 * (naming the metric) for an invalid name, a non-string value, or a missing `cluster` label.
 */
export function canonicalSeries(metric: string, labels: Readonly<Record<string, string>>): string {
  checkMetricName(metric);
  const names = Object.keys(labels);
  let sorted = true;
  for (let i = 1; i < names.length; i++) {
    if (names[i - 1]! > names[i]!) {
      sorted = false;
      break;
    }
  }
  if (!sorted) names.sort();
  let out = `${metric}{`;
  let first = true;
  let hasCluster = false;
  for (const name of names) {
    const value = labels[name];
    if (typeof value !== 'string') throw invalid(metric, `metric ${metric}: label ${name} must be a string, got ${typeof value}`);
    if (value === '') continue;
    checkLabelName(metric, name);
    if (name === CLUSTER_LABEL) hasCluster = true;
    out += `${first ? '' : ','}${name}="${escapeValue(value)}"`;
    first = false;
  }
  if (!hasCluster) throw invalid(metric, `sample of metric ${metric} has no "${CLUSTER_LABEL}" label: every series must name its cluster`);
  return `${out}}`;
}

/** The labels as stored: keys sorted, empty values left out. */
export function normalizeLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(labels).sort()) {
    const value = labels[name]!;
    if (value !== '') out[name] = value;
  }
  return out;
}

/** `labels_hash`: SHA-256 of the canonical form. */
export function seriesHash(canonical: string): Buffer {
  return createHash('sha256').update(canonical).digest();
}

/** The prefix that marks a label value stored in escaped form (see `storedLabelValue`). */
export const ESCAPED_PREFIX = 'sluice-escaped:';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const HAS_LONE_SURROGATE = new RegExp(LONE_SURROGATE.source);

/**
 * The form in which a label value is stored in PostgreSQL (`series.labels`, `alert_state`), and
 * the one place that decides it. PostgreSQL's text and jsonb cannot hold U+0000, and UTF-8
 * cannot hold a lone UTF-16 surrogate, so a value holding either is stored escaped:
 * `sluice-escaped:` followed by the value with `\` written `\\`, U+0000 written `\0` and each
 * lone surrogate written `\uXXXX` (4 upper-case hex digits); every other character is kept.
 * A value that already starts with `sluice-escaped:` is escaped the same way, so the rule is
 * reversible (`labelValueFromStore`) and no two values share a stored form. Every other value,
 * of any length, is stored as it is.
 */
export function storedLabelValue(value: string): string {
  if (!value.includes('\0') && !HAS_LONE_SURROGATE.test(value) && !value.startsWith(ESCAPED_PREFIX)) return value;
  const escaped = value
    .replaceAll('\\', '\\\\')
    .replaceAll('\0', '\\0')
    .replace(LONE_SURROGATE, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return ESCAPED_PREFIX + escaped;
}

/** The label value a stored one stands for: the inverse of `storedLabelValue`. */
export function labelValueFromStore(stored: string): string {
  if (!stored.startsWith(ESCAPED_PREFIX)) return stored;
  return stored.slice(ESCAPED_PREFIX.length).replace(/\\(\\|0|u[0-9A-F]{4})/g, (_, e: string) =>
    e === '\\' ? '\\' : e === '0' ? '\0' : String.fromCharCode(parseInt(e.slice(1), 16)),
  );
}

/** True when some value of `labels` is stored in a form other than its own. */
function needsEscape(labels: Readonly<Record<string, string>>): boolean {
  for (const name in labels) if (storedLabelValue(labels[name]!) !== labels[name]) return true;
  return false;
}

/** `labels` with each value in its stored form (the same object when none changes). */
export function storedLabels<L extends Readonly<Record<string, string>>>(labels: L): L {
  if (!needsEscape(labels)) return labels;
  const out: Record<string, string> = {};
  for (const name in labels) out[name] = storedLabelValue(labels[name]!);
  return out as L;
}

/** Labels read from the database, each value turned back from its stored form. */
export function labelsFromStore(stored: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in stored) out[name] = labelValueFromStore(stored[name]!);
  return out;
}

/**
 * `labels_hash` of a series: SHA-256 of the canonical form of its stored labels, so that two
 * values never share a hash because UTF-8 could not tell them apart (a lone surrogate and U+FFFD).
 * For every value stored as it is, this is `seriesHash(canonicalSeries(metric, labels))`.
 */
export function storedSeriesHash(metric: string, labels: Readonly<Record<string, string>>, canonical?: string): Buffer {
  const stored = storedLabels(labels);
  return seriesHash(stored === labels && canonical !== undefined ? canonical : canonicalSeries(metric, stored));
}

/** `value` with `f` applied to every string in it, object keys included, as JSON would see it. */
function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === 'string') return f(value);
  if (value === null || typeof value !== 'object') return value;
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return mapStrings(json.call(value), f);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[f(k)] = mapStrings(v, f);
  return out;
}

// In JSON text: U+0000, a lone surrogate (JSON.stringify escapes those), or the escape prefix.
const JSON_NEEDS_ESCAPE = /\\u0000|\\ud[89a-f][0-9a-f]{2}|sluice-escaped:/;

/**
 * JSON text for a jsonb column holding free-form names (a quota entity, a decision's evidence):
 * every string, keys included, in its stored form (`storedLabelValue`).
 */
export function storedJson(value: unknown): string {
  const text = JSON.stringify(value);
  return JSON_NEEDS_ESCAPE.test(text) ? JSON.stringify(mapStrings(value, storedLabelValue)) : text;
}

/** A value read from a jsonb column written by `storedJson`, every string turned back. */
export function jsonFromStore<T>(value: T): T {
  return mapStrings(value, labelValueFromStore) as T;
}
