/**
 * label_replace and label_join.
 * https://prometheus.io/docs/prometheus/latest/querying/functions/#label_replace
 */
import type { VectorSample } from './context.ts';
import { evalError } from './errors.ts';
import { withLabel } from './labels.ts';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** For each sample whose `src` matches `regex` (anchored), sets `dst` to the expanded replacement; an empty result removes `dst`. */
export function labelReplace(input: readonly VectorSample[], dst: string, replacement: string, src: string, regex: string): VectorSample[] {
  let re: RegExp;
  try {
    re = goRegex(regex);
  } catch {
    throw evalError(`invalid regular expression in label_replace(): ${regex}`);
  }
  if (!LABEL_NAME.test(dst)) throw evalError(`invalid destination label name in label_replace(): ${dst}`);
  return input.map((s) => {
    const match = re.exec(s.metric[src] ?? '');
    if (match === null) return s;
    return { metric: withLabel(s.metric, dst, expand(replacement, match)), value: s.value };
  });
}

/**
 * A Go (RE2) regular expression as an anchored JS one, for the RE2 spellings JS lacks: named
 * groups `(?P<name>…)` and a leading `(?i)` flag group.
 */
function goRegex(source: string): RegExp {
  let flags = 's';
  let body = source.replaceAll('(?P<', '(?<');
  const leading = /^\(\?([imsU]+)\)/.exec(body);
  if (leading !== null && /^[is]+$/.test(leading[1]!)) {
    if (leading[1]!.includes('i')) flags += 'i';
    body = body.slice(leading[0].length);
  }
  return new RegExp(`^(?:${body})$`, flags);
}

/** Sets `dst` to the values of `src` labels joined by `separator`. */
export function labelJoin(input: readonly VectorSample[], dst: string, separator: string, src: readonly string[]): VectorSample[] {
  if (!LABEL_NAME.test(dst)) throw evalError(`invalid destination label name in label_join(): ${dst}`);
  for (const name of src) if (!LABEL_NAME.test(name)) throw evalError(`invalid source label name in label_join(): ${name}`);
  return input.map((s) => ({ metric: withLabel(s.metric, dst, src.map((n) => s.metric[n] ?? '').join(separator)), value: s.value }));
}


/**
 * Go's regexp Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`; a name is the longest run of
 * word characters, and an unknown group expands to ''.
 */
function expand(template: string, match: RegExpExecArray): string {
  return template.replace(/\$(\$|\{([a-zA-Z0-9_]*)\}|([a-zA-Z0-9_]+))/g, (all, _body: string, braced: string | undefined, bare: string | undefined) => {
    if (all === '$$') return '$';
    const ref = braced ?? bare ?? '';
    if (/^\d+$/.test(ref)) return match[Number(ref)] ?? '';
    return match.groups?.[ref] ?? '';
  });
}
