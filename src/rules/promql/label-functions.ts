/**
 * label_replace and label_join.
 * https://prometheus.io/docs/prometheus/latest/querying/functions/#label_replace
 */
import type { VectorSample } from './context.ts';
import { evalError } from './errors.ts';
import { withLabel } from './labels.ts';
import { LABEL_NAME } from '../../labels.ts';
import { compileRegex, expandTemplate, type Regex } from '../../regex.ts';


/** For each sample whose `src` matches `regex` (whole value, RE2), sets `dst` to the expanded replacement; an empty result removes `dst`. */
export function labelReplace(input: readonly VectorSample[], dst: string, replacement: string, src: string, regex: string): VectorSample[] {
  let re: Regex;
  try {
    re = compileRegex(regex);
  } catch {
    // Prometheus's words exactly (the case table checks them against promtool).
    throw evalError(`invalid regular expression in label_replace(): ${regex}`);
  }
  if (!LABEL_NAME.test(dst)) throw evalError(`invalid destination label name in label_replace(): ${dst}`);
  return input.map((s) => {
    const match = re.wholeMatch(s.metric[src] ?? '');
    if (match === undefined) return s;
    return { metric: withLabel(s.metric, dst, expandTemplate(replacement, match)), value: s.value };
  });
}

/** Sets `dst` to the values of `src` labels joined by `separator`. */
export function labelJoin(input: readonly VectorSample[], dst: string, separator: string, src: readonly string[]): VectorSample[] {
  if (!LABEL_NAME.test(dst)) throw evalError(`invalid destination label name in label_join(): ${dst}`);
  for (const name of src) if (!LABEL_NAME.test(name)) throw evalError(`invalid source label name in label_join(): ${name}`);
  return input.map((s) => ({ metric: withLabel(s.metric, dst, src.map((n) => s.metric[n] ?? '').join(separator)), value: s.value }));
}
