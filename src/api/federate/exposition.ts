/**
 * Prometheus's text exposition format, version 0.0.4, as Prometheus's own `/federate` writes it:
 * one `# TYPE <name> untyped` line per metric name, then one line per series with its labels,
 * its value as Go writes a float64 and its timestamp in milliseconds. Pure: samples in, text out.
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */
import { formatG } from '../../rules/go-format.ts';
import { METRIC_NAME_LABEL } from '../../store/types.ts';

/** The Content-Type of the text format (what Prometheus's expfmt names FmtText). */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** One series' newest sample; `metric` holds every label, the name as `__name__` included. */
export interface ExposedSample {
  readonly metric: Readonly<Record<string, string>>;
  /** Milliseconds since the epoch. */
  readonly ts: number;
  readonly value: number;
}

/** A value as Prometheus writes it in the text format (expfmt's writeFloat: Go's shortest `%g`). */
export function formatSampleValue(value: number): string {
  if (value === 0) return '0'; // -0 too
  // Where Go writes the shortest digits without an exponent, so does JavaScript, and faster.
  const size = Math.abs(value);
  if (size >= 1e-4 && size < 1e6) return String(value);
  return formatG(value);
}

/** A label value escaped for the text format: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`)) : value;
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** A series' name and its `{…}` part, as written before the value. */
interface SeriesText {
  readonly name: string;
  readonly labels: string;
}

/**
 * Writes `samples` as the text format, metric families in name order and series in label order
 * within each. `extraLabels` are added to a series that lacks them (Prometheus adds its external
 * labels and an empty `instance`, so that a scraper with `honor_labels: true` adds no instance of
 * its own); labels with an empty value are left out, as Prometheus leaves them out.
 */
export function writeExposition(samples: readonly ExposedSample[], extraLabels: Readonly<Record<string, string>> = NO_LABELS): string {
  // Series objects repeat between requests (the head hands out one object per series), so
  // their text is computed once per series, not once per scrape.
  const texts = textCache(extraLabels);
  const rows: { text: SeriesText; sample: ExposedSample }[] = [];
  for (const sample of samples) {
    const text = texts(sample.metric);
    if (text !== undefined) rows.push({ text, sample });
  }
  rows.sort((a, b) => compare(a.text.name, b.text.name) || compare(a.text.labels, b.text.labels));
  const out: string[] = [];
  let family: string | undefined;
  for (const { text, sample } of rows) {
    if (text.name !== family) {
      family = text.name;
      out.push(`# TYPE ${family} untyped\n`);
    }
    out.push(`${text.name}${text.labels} ${formatSampleValue(sample.value)} ${Math.round(sample.ts)}\n`);
  }
  return out.join('');
}

/** Per set of extra labels, a cache of series texts by series object. */
const caches = new WeakMap<Readonly<Record<string, string>>, WeakMap<object, SeriesText | null>>();

function textCache(extraLabels: Readonly<Record<string, string>>): (metric: Readonly<Record<string, string>>) => SeriesText | undefined {
  let cache = caches.get(extraLabels);
  if (cache === undefined) caches.set(extraLabels, (cache = new WeakMap()));
  const extra = Object.entries(extraLabels);
  return (metric) => {
    let text = cache.get(metric);
    if (text === undefined) {
      text = seriesText(metric, extra);
      cache.set(metric, text);
    }
    return text ?? undefined;
  };
}

/** The series' text; null for a series without a name, which the format cannot carry. */
function seriesText(metric: Readonly<Record<string, string>>, extra: readonly (readonly [string, string])[]): SeriesText | null {
  const name = metric[METRIC_NAME_LABEL];
  if (name === undefined || name === '') return null;
  const labels: [string, string][] = [];
  for (const key in metric) {
    const value = metric[key]!;
    if (key !== METRIC_NAME_LABEL && value !== '') labels.push([key, value]);
  }
  for (const [key, value] of extra) if (metric[key] === undefined || metric[key] === '') labels.push([key, value]);
  labels.sort((a, b) => compare(a[0], b[0]));
  return { name, labels: `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}` };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
