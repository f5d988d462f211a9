/**
 * Series identity. A series is a metric name plus its labels; its canonical form is the
 * Prometheus text form with label names sorted, `name{a="x",b="y"}` (values escaped as in the
 * exposition format, empty values left out), and `labels_hash` is the SHA-256 of that form.
 * Names are checked against the Prometheus rules so that the form is unambiguous.
 */
import { createHash } from 'node:crypto';
import { SluiceError } from '../errors.ts';

/** The label every series must carry. */
export const CLUSTER_LABEL = 'cluster';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
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
