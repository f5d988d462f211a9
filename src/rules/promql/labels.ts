/**
 * Label sets as the evaluator handles them: plain frozen records with `__name__` included, and
 * the string keys that identify a set or the part of a set a match or grouping looks at.
 */
import { METRIC_NAME_LABEL } from '../../store/types.ts';

/** A label set, `__name__` included when the series keeps its name. */
export type Labels = Readonly<Record<string, string>>;

const SEP = '\u00ff';
const keyCache = new WeakMap<Labels, string>();

/** A key equal for equal label sets, unequal otherwise; also orders sets as Prometheus does. */
export function labelsKey(labels: Labels): string {
  let key = keyCache.get(labels);
  if (key === undefined) {
    key = '';
    for (const name of Object.keys(labels).sort()) key += `${name}\u0000${labels[name]}${SEP}`;
    keyCache.set(labels, key);
  }
  return key;
}

/** The label set without `__name__` (the same object when there is none). */
export function dropName(labels: Labels): Labels {
  if (!(METRIC_NAME_LABEL in labels)) return labels;
  const out: Record<string, string> = {};
  for (const name in labels) if (name !== METRIC_NAME_LABEL) out[name] = labels[name]!;
  return out;
}

/**
 * A function giving the key of the labels a match or grouping looks at: only `names` when `on`
 * (by), else every label but `names` and `__name__` (ignoring, without).
 */
export function signatureFn(on: boolean, names: readonly string[]): (labels: Labels) => string {
  if (on) {
    const sorted = [...new Set(names)].sort();
    return (labels) => {
      let key = '';
      for (const name of sorted) key += `${labels[name] ?? ''}${SEP}`;
      return key;
    };
  }
  const skip = new Set([...names, METRIC_NAME_LABEL]);
  return (labels) => {
    let key = '';
    for (const name of Object.keys(labels).sort()) if (!skip.has(name)) key += `${name}\u0000${labels[name]}${SEP}`;
    return key;
  };
}

/** Only the labels in `names` (by), or every label but `names` and `__name__` (without). */
export function keepLabels(labels: Labels, on: boolean, names: readonly string[]): Labels {
  const out: Record<string, string> = {};
  if (on) {
    for (const name of names) {
      const v = labels[name];
      if (v !== undefined && v !== '') out[name] = v;
    }
  } else {
    for (const name in labels) if (name !== METRIC_NAME_LABEL && !names.includes(name)) out[name] = labels[name]!;
  }
  return out;
}

/** The label set as Prometheus prints it: `name{a="b", c="d"}`. */
export function formatLabels(labels: Labels): string {
  const name = labels[METRIC_NAME_LABEL] ?? '';
  const rest = Object.keys(labels).filter((n) => n !== METRIC_NAME_LABEL).sort().map((n) => `${n}=${JSON.stringify(labels[n])}`);
  return `${name}{${rest.join(', ')}}`;
}
