/**
 * Load models, pure: how a broker's utilization responds to its traffic, fitted by multivariate
 * linear regression (ml-regression) of utilization against bytes in, bytes out and requests per
 * second over a recent window. The fit reports its quality (R², residual spread, how varied the
 * inputs were); when the data cannot support a fit, the model falls back to fixed weights from
 * the broker's nominal capacity and says so, so that a decision never rests on a fit that
 * explains nothing.
 */
import { MultivariateLinearRegression } from 'ml-regression';

/** One observation of one broker. */
export interface LoadPoint {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly requests: number;
  /** Utilization, 0..1 (or above, when overloaded). */
  readonly utilization: number;
}

/** Nominal capacity, for the fixed-weight fallback. */
export interface NominalCapacity {
  readonly bytesInPerSec: number;
  readonly bytesOutPerSec: number;
}

/** What a model says and how far to trust it. */
export interface LoadModel {
  /** `fit`: regression; `fixed`: utilization = in/capIn + out/capOut, because the data could not support a fit. */
  readonly kind: 'fit' | 'fixed';
  readonly intercept: number;
  /** Utilization per byte/s in, per byte/s out, per request/s. */
  readonly coefficients: { readonly bytesIn: number; readonly bytesOut: number; readonly requests: number };
  /** Share of the variance explained (NaN for `fixed`). */
  readonly r2: number;
  /** Standard deviation of the residuals, in utilization (NaN for `fixed`). */
  readonly residualStd: number;
  readonly samples: number;
  /** Relative spread (stddev / mean) of each input over the window: near 0 means the window cannot tell its effect. */
  readonly diversity: { readonly bytesIn: number; readonly bytesOut: number; readonly requests: number };
  /** Why a fallback was used, or notes on the fit. */
  readonly reason: string;
}

/** When a fit is refused. */
export interface FitOptions {
  /** Fewest points to fit (default 12). */
  readonly minSamples?: number;
  /** Least relative spread of bytes in or bytes out needed (default 0.05). */
  readonly minDiversity?: number;
}

function spread(values: readonly number[]): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  if (mean === 0) return 0;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
  return Math.sqrt(variance) / Math.abs(mean);
}

/** The fixed-weight model of a broker of `nominal` capacity. */
export function fixedModel(nominal: NominalCapacity, samples: number, diversity: LoadModel['diversity'], reason: string): LoadModel {
  return {
    kind: 'fixed', intercept: 0,
    coefficients: { bytesIn: 1 / nominal.bytesInPerSec, bytesOut: 1 / nominal.bytesOutPerSec, requests: 0 },
    r2: NaN, residualStd: NaN, samples, diversity, reason,
  };
}

/**
 * Fits utilization = b0 + b1·in + b2·out + b3·requests. Inputs that do not vary over the window
 * are left out of the fit (coefficient 0) rather than given an arbitrary value; with too few
 * points, or no varying traffic input, the fixed-weight model is returned.
 */
export function fitLoadModel(points: readonly LoadPoint[], nominal: NominalCapacity, options: FitOptions = {}): LoadModel {
  const minSamples = options.minSamples ?? 12;
  const minDiversity = options.minDiversity ?? 0.05;
  const good = points.filter((p) => [p.bytesIn, p.bytesOut, p.requests, p.utilization].every(Number.isFinite));
  const diversity = {
    bytesIn: good.length > 0 ? spread(good.map((p) => p.bytesIn)) : 0,
    bytesOut: good.length > 0 ? spread(good.map((p) => p.bytesOut)) : 0,
    requests: good.length > 0 ? spread(good.map((p) => p.requests)) : 0,
  };
  if (good.length < minSamples) return fixedModel(nominal, good.length, diversity, `${good.length} samples, fewer than the ${minSamples} a fit needs: fixed weights from nominal capacity`);
  const inputs = (['bytesIn', 'bytesOut', 'requests'] as const).filter((k) => diversity[k] >= minDiversity);
  if (!inputs.includes('bytesIn') && !inputs.includes('bytesOut')) {
    return fixedModel(nominal, good.length, diversity, `traffic did not vary over the window (relative spread in ${diversity.bytesIn.toFixed(3)}, out ${diversity.bytesOut.toFixed(3)}): fixed weights from nominal capacity`);
  }
  // Scale inputs to comparable magnitudes so that the least-squares solve is well conditioned.
  const scale = Object.fromEntries(inputs.map((k) => [k, Math.max(...good.map((p) => Math.abs(p[k]))) || 1])) as Record<string, number>;
  const x = good.map((p) => inputs.map((k) => p[k] / scale[k]!));
  const y = good.map((p) => [p.utilization]);
  const regression = new MultivariateLinearRegression(x, y, { intercept: true });
  const weights = regression.weights.map((w) => w[0]!);
  const coefficients = { bytesIn: 0, bytesOut: 0, requests: 0 };
  inputs.forEach((k, i) => { coefficients[k] = weights[i]! / scale[k]!; });
  const intercept = weights[inputs.length]!;
  const predicted = good.map((p) => intercept + coefficients.bytesIn * p.bytesIn + coefficients.bytesOut * p.bytesOut + coefficients.requests * p.requests);
  const mean = good.reduce((s, p) => s + p.utilization, 0) / good.length;
  const ssTot = good.reduce((s, p) => s + (p.utilization - mean) ** 2, 0);
  const ssRes = good.reduce((s, p, i) => s + (p.utilization - predicted[i]!) ** 2, 0);
  const r2 = ssTot === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / ssTot;
  const dof = Math.max(1, good.length - inputs.length - 1);
  const left = (['bytesIn', 'bytesOut', 'requests'] as const).filter((k) => !inputs.includes(k));
  return {
    kind: 'fit', intercept, coefficients, r2, residualStd: Math.sqrt(ssRes / dof), samples: good.length, diversity,
    reason: left.length === 0 ? 'regression on bytes in, bytes out and requests' : `regression; ${left.join(', ')} did not vary and were left out`,
  };
}

/** Predicted utilization at a traffic level. */
export function predictUtilization(model: LoadModel, traffic: { bytesIn: number; bytesOut: number; requests: number }): number {
  return model.intercept + model.coefficients.bytesIn * traffic.bytesIn + model.coefficients.bytesOut * traffic.bytesOut + model.coefficients.requests * traffic.requests;
}

/**
 * Bytes per second of `dimension` at which predicted utilization reaches `target`, the other
 * inputs held at `current`, less a safety margin of `marginStd` residual standard deviations
 * (default 2). Infinity when the dimension does not load the broker; 0 when it is already over.
 */
export function capacityOf(model: LoadModel, dimension: 'bytesIn' | 'bytesOut', target: number, current: { bytesIn: number; bytesOut: number; requests: number }, marginStd = 2): number {
  const slope = model.coefficients[dimension];
  if (!(slope > 0)) return Infinity;
  const margin = Number.isFinite(model.residualStd) ? marginStd * model.residualStd : 0;
  const others = predictUtilization(model, { ...current, [dimension]: 0 });
  return Math.max(0, (target - margin - others) / slope);
}
