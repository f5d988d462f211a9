/**
 * Label sets as the evaluator handles them: plain frozen records with `__name__` included, and
 * the string keys that identify a set or the part of a set a match or grouping looks at.
 */
import type { Labels } from '../../labels.ts';
import { METRIC_NAME_LABEL } from '../../store/types.ts';

/** A label set, `__name__` included when the series keeps its name. */
export type { Labels };

const SEP = '\u00ff';
const ESC = '\u00fe';

/**
 * A label value as a part of a key: the value itself, unless it holds SEP or ESC (label values
 * are free-form, a Kafka client id may hold either), which are then written ESC 1 and ESC 0, so
 * that SEP always ends a value and two label sets never share a key.
 */
function keyPart(value: string): string {
  return value.includes(SEP) || value.includes(ESC) ? value.replaceAll(ESC, `${ESC}0`).replaceAll(SEP, `${ESC}1`) : value;
}

// Derived values are remembered per label-set object: the same object is read at every step
// and by every operator of an evaluation. (A WeakMap lookup costs far less than recomputing,
// and far less than defining a property on the object.)
const keyCache = new WeakMap<Labels, string>();
const namesCache = new WeakMap<Labels, readonly string[]>();
const withoutNameCache = new WeakMap<Labels, Labels>();

/** The label names of a set, sorted. */
export function sortedNames(labels: Labels): readonly string[] {
  let names = namesCache.get(labels);
  if (names === undefined) namesCache.set(labels, (names = Object.keys(labels).sort()));
  return names;
}

/** A key equal for equal label sets, unequal otherwise; also orders sets as Prometheus does. */
export function labelsKey(labels: Labels): string {
  let key = keyCache.get(labels);
  if (key === undefined) {
    key = '';
    for (const name of sortedNames(labels)) key += `${name}\u0000${keyPart(labels[name]!)}${SEP}`;
    keyCache.set(labels, key);
  }
  return key;
}

/** The label set without `__name__` (the same object when there is none, one object per set). */
export function dropName(labels: Labels): Labels {
  if (!(METRIC_NAME_LABEL in labels)) return labels;
  let out = withoutNameCache.get(labels) as Record<string, string> | undefined;
  if (out === undefined) {
    out = {};
    for (const name in labels) if (name !== METRIC_NAME_LABEL) out[name] = labels[name]!;
    withoutNameCache.set(labels, out);
  }
  return out;
}

/** A copy of the label set with `name` set to `value`, or removed when `value` is ''. (A loop: object spread is several times slower.) */
export function withLabel(labels: Labels, name: string, value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n in labels) out[n] = labels[n]!;
  if (value === '') delete out[name];
  else out[name] = value;
  return out;
}

const signatureFns = new Map<string, (labels: Labels) => string>();

/**
 * A function giving the key of the labels a match or grouping looks at: only `names` when `on`
 * (by), else every label but `names` and `__name__` (ignoring, without). One function per
 * clause, remembering its key per label set across steps and evaluations.
 */
export function signatureFn(on: boolean, names: readonly string[]): (labels: Labels) => string {
  const id = `${on}\u0000${names.join('\u0000')}`;
  let fn = signatureFns.get(id);
  if (fn === undefined) {
    const cache = new WeakMap<Labels, string>();
    const compute = on ? onSignature([...new Set(names)].sort()) : ignoringSignature(new Set([...names, METRIC_NAME_LABEL]));
    fn = (labels) => {
      let key = cache.get(labels);
      if (key === undefined) cache.set(labels, (key = compute(labels)));
      return key;
    };
    signatureFns.set(id, fn);
  }
  return fn;
}

function onSignature(sorted: readonly string[]): (labels: Labels) => string {
  return (labels) => {
    let key = '';
    for (const name of sorted) key += `${keyPart(labels[name] ?? '')}${SEP}`;
    return key;
  };
}

function ignoringSignature(skip: ReadonlySet<string>): (labels: Labels) => string {
  if (skip.size === 1) return (labels) => labelsKey(dropName(labels));
  return (labels) => {
    let key = '';
    for (const name of sortedNames(labels)) if (!skip.has(name)) key += `${name}\u0000${keyPart(labels[name]!)}${SEP}`;
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

/** The group an input series falls into: the key of its grouping labels, and those labels. */
export interface GroupOf {
  readonly sig: string;
  readonly labels: Labels;
}

const groupFns = new Map<string, (labels: Labels) => GroupOf>();

/**
 * For one grouping (by or without `names`), the group of a label set, remembered per label-set
 * object: a querier such as the head hands out one labels object per series, so an
 * aggregation's group label sets are the same objects from one evaluation to the next (and what
 * keys them downstream is computed once). One lookup gives both the key and the labels.
 */
export function groupFn(on: boolean, names: readonly string[]): (labels: Labels) => GroupOf {
  const id = `${on}\u0000${names.join('\u0000')}`;
  let fn = groupFns.get(id);
  if (fn === undefined) {
    const cache = new WeakMap<Labels, GroupOf>();
    const compute = on ? onSignature([...new Set(names)].sort()) : ignoringSignature(new Set([...names, METRIC_NAME_LABEL]));
    fn = (labels) => {
      let group = cache.get(labels);
      if (group === undefined) cache.set(labels, (group = { sig: compute(labels), labels: keepLabels(labels, on, names) }));
      return group;
    };
    groupFns.set(id, fn);
  }
  return fn;
}

/** The label set as Prometheus prints it: `name{a="b", c="d"}`. */
export function formatLabels(labels: Labels): string {
  const name = labels[METRIC_NAME_LABEL] ?? '';
  const rest = Object.keys(labels).filter((n) => n !== METRIC_NAME_LABEL).sort().map((n) => `${n}=${JSON.stringify(labels[n])}`);
  return `${name}{${rest.join(', ')}}`;
}
