/**
 * Comparing an evaluation's result with a test case's expectations the way Prometheus's test
 * runner does: label sets exactly, sample order only for `eval_ordered`, values with a relative
 * tolerance of 1e-6, NaN equal to NaN.
 */
import type { Value, VectorSample } from '../../../../src/rules/promql/index.ts';
import { type Command, labelsKey, type Labels } from './script.ts';

type EvalCommand = Extract<Command, { kind: 'eval' }>;

/** The smallest positive normal float64. */
const MIN_NORMAL = 2.2250738585072014e-308;
const EPSILON = 0.000001;

/** Prometheus's almostEqual: equal within a relative error of 1e-6; NaN equals NaN. */
export function almostEqual(a: number, b: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || diff < MIN_NORMAL) return diff < EPSILON * MIN_NORMAL;
  return diff / (Math.abs(a) + Math.abs(b)) < EPSILON;
}

/** Series text as Prometheus prints it, for messages. */
export function seriesText(labels: Labels): string {
  const name = labels.__name__ ?? '';
  const rest = Object.keys(labels).filter((k) => k !== '__name__').sort();
  return `${name}{${rest.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(', ')}}`;
}

/** Why `got` does not meet the case's expectations, or undefined when it does. */
export function mismatch(cmd: EvalCommand, got: Value, ordered: boolean): string | undefined {
  if (got.kind === 'matrix') return 'received range result on instant evaluation';
  if (got.kind === 'string') return `unexpected string result ${JSON.stringify(got.value)}`;
  if (got.kind === 'scalar') {
    if (cmd.scalar === undefined) return `expected a vector, got scalar ${got.value}`;
    return almostEqual(cmd.scalar, got.value) ? undefined : `expected scalar ${cmd.scalar} but got ${got.value}`;
  }
  return vectorMismatch(cmd, got.samples, ordered);
}

function vectorMismatch(cmd: EvalCommand, samples: readonly VectorSample[], ordered: boolean): string | undefined {
  if (cmd.scalar !== undefined) {
    return samples.length === 0 ? `expected scalar ${cmd.scalar}, got an empty vector` : `unexpected metric ${seriesText(samples[0]!.metric)} in result (expected scalar ${cmd.scalar})`;
  }
  const seen = new Set<string>();
  for (const [i, s] of samples.entries()) {
    const key = labelsKey(s.metric);
    const want = cmd.samples.get(key);
    if (want === undefined) return `unexpected metric ${seriesText(s.metric)} in result (value ${s.value})`;
    if (seen.has(key)) return `metric ${seriesText(s.metric)} twice in result`;
    if (ordered && want.pos !== i + 1) return `expected metric ${seriesText(s.metric)} at position ${want.pos} but it was at ${i + 1}`;
    if (!almostEqual(want.value, s.value)) return `expected ${want.value} for ${seriesText(s.metric)} but got ${s.value}`;
    seen.add(key);
  }
  for (const [key, want] of cmd.samples) {
    if (!seen.has(key)) return `expected metric ${seriesText(want.labels)} with ${want.value} not found (got ${samples.length} samples)`;
  }
  return undefined;
}
