/**
 * Instant selection and the labelset checks operators share: the parts of evaluation that do not
 * evaluate anything further, so that the operators (aggregate, binary, call) and the evaluator
 * that dispatches to them can all use them.
 */
import { METRIC_NAME_LABEL } from '../../store/types.ts';
import type { VectorSelector } from './ast.ts';
import { type EvalContext, lowerBound, seek, type VectorSample } from './context.ts';
import { evalError } from './errors.ts';
import { labelsKey } from './labels.ts';
import { isStaleNaN } from './stale.ts';

/** The instant vector of a selector at `t`, with each sample's own timestamp when `times` is given. */
export function selectInstant(ctx: EvalContext, sel: VectorSelector, t: number, times?: number[]): VectorSample[] {
  const ref = ctx.atTime(sel.at, t) - sel.offsetMs;
  const latest = ctx.latest.get(sel.key);
  if (latest !== undefined) {
    // Fetched whole only for selectors read at this one time (Engine.prepare).
    if (latest.at !== ref) throw evalError(`selector ${sel.key} fetched for time ${latest.at}, read at ${ref}`);
    ctx.count(latest.samples.length);
    if (times !== undefined) for (const time of latest.times) times.push(time);
    return latest.samples.slice();
  }
  const out: VectorSample[] = [];
  const series = ctx.data.get(sel.key) ?? [];
  const next = ctx.cursor(sel, series.length, ref, ref)?.hi;
  for (let k = 0; k < series.length; k++) {
    const s = series[k]!;
    const j = next === undefined ? -1 : next[k]!;
    const after = j < 0 ? lowerBound(s.ts, s.lo, s.hi, ref, true) : seek(s.ts, j, s.hi, ref, true);
    if (next !== undefined) next[k] = after;
    const i = after - 1;
    if (i < s.lo || s.ts[i]! < ref - ctx.lookbackMs) continue;
    const value = s.values[i]!;
    if (value !== value && isStaleNaN(value)) continue;
    out.push({ metric: s.metric, value });
    times?.push(s.ts[i]!);
  }
  ctx.count(out.length);
  return out;
}

/**
 * Throws as Prometheus does when dropping the metric name leaves two samples with the same
 * labels; `input` is what the names were dropped from. That can only happen when the input
 * holds more than one name, which is rare, so the common case costs one pass of string compares.
 */
export function uniqueAfterDrop(input: readonly VectorSample[], samples: VectorSample[]): VectorSample[] {
  if (input.length < 2) return samples;
  const first = input[0]!.metric[METRIC_NAME_LABEL];
  for (let i = 1; i < input.length; i++) {
    if (input[i]!.metric[METRIC_NAME_LABEL] !== first) return uniqueLabelsets(samples);
  }
  return samples;
}

/** Throws as Prometheus does when an operation leaves two samples with the same labels. */
export function uniqueLabelsets(samples: VectorSample[]): VectorSample[] {
  if (samples.length < 2) return samples;
  const seen = new Set<string>();
  for (const s of samples) {
    const key = labelsKey(s.metric);
    if (seen.has(key)) throw evalError('vector cannot contain metrics with the same labelset');
    seen.add(key);
  }
  return samples;
}
