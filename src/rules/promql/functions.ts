/**
 * The signatures of the functions the engine knows: argument types, how many arguments may be
 * left off or repeated, and the result type, as Prometheus documents them
 * (https://prometheus.io/docs/prometheus/latest/querying/functions/).
 */
import type { ValueType } from './ast.ts';

/** One function's signature. */
export interface FunctionSignature {
  readonly args: readonly ValueType[];
  /** 0: exactly `args`; n > 0: the last argument is optional and may repeat up to n times; -1: repeats without limit. */
  readonly variadic: number;
  readonly returns: ValueType;
}

const v: ValueType = 'vector';
const m: ValueType = 'matrix';
const s: ValueType = 'scalar';
const str: ValueType = 'string';

const sig = (args: ValueType[], returns: ValueType = v, variadic = 0): FunctionSignature => ({ args, returns, variadic });

const SIGNATURES: Record<string, FunctionSignature> = {
  time: sig([], s),
  pi: sig([], s),
  vector: sig([s]),
  scalar: sig([v], s),
  timestamp: sig([v]),
  absent: sig([v]),
  sort: sig([v]),
  sort_desc: sig([v]),
  clamp: sig([v, s, s]),
  clamp_min: sig([v, s]),
  clamp_max: sig([v, s]),
  round: sig([v, s], v, 1),
  histogram_quantile: sig([s, v]),
  label_replace: sig([v, str, str, str, str]),
  label_join: sig([v, str, str, str], v, -1),
  predict_linear: sig([m, s]),
  holt_winters: sig([m, s, s]),
  quantile_over_time: sig([s, m]),
};
for (const name of ['abs', 'ceil', 'floor', 'exp', 'ln', 'log2', 'log10', 'sqrt', 'sgn', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'cos', 'cosh', 'sin', 'sinh', 'tan', 'tanh', 'deg', 'rad']) {
  SIGNATURES[name] = sig([v]);
}
for (const name of ['day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'hour', 'minute', 'month', 'year']) {
  SIGNATURES[name] = sig([v], v, 1);
}
for (const name of [
  'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'resets', 'changes', 'absent_over_time', 'present_over_time',
  'avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'last_over_time', 'stddev_over_time', 'stdvar_over_time',
]) {
  SIGNATURES[name] = sig([m]);
}

/** Every function name the engine knows (for `rules check`). */
export const FUNCTION_NAMES: ReadonlySet<string> = new Set(Object.keys(SIGNATURES).sort());

/** The signature of `name`, undefined for an unknown function. */
export function signatureOf(name: string): FunctionSignature | undefined {
  return Object.hasOwn(SIGNATURES, name) ? SIGNATURES[name] : undefined;
}

/** How Prometheus's messages name a value type. */
export function describeType(type: ValueType): string {
  switch (type) {
    case 'vector':
      return 'instant vector';
    case 'matrix':
      return 'range vector';
    default:
      return type;
  }
}
