/**
 * Load models, pure: how a broker's utilization responds to its traffic, resource by resource.
 *
 * A broker is as busy as its busiest resource, so utilization is the maximum, never the sum, of:
 * - network in: bytes in ÷ capacity in, and network out: bytes out ÷ capacity out. These are
 *   physical identities (the capacities are what the brokers export, or the configured nominal
 *   ones): nothing is fitted;
 * - request handlers: 1 − handler idle, fitted against bytes in, bytes out and requests per
 *   second over a recent window by least squares (ml-regression) under the constraint that no
 *   coefficient, the intercept included, is below zero: more traffic never frees a handler. When
 *   the unconstrained fit has a negative coefficient, the constrained one is solved by
 *   non-negative least squares (ml-fcnnls); otherwise the two are the same fit.
 * When bytes in and bytes out moved together over the window (a consumer reading everything that
 * is produced) their separate effects cannot be told apart: the fit then has one coefficient for
 * their sum, and says so. When the data cannot support a fit (too few points, no varying traffic)
 * handlers are not modelled, the network alone bounds the traffic, and the model says why.
 */
import { fcnnlsVector } from 'ml-fcnnls';
import { MultivariateLinearRegression } from 'ml-regression';

/** One observation of one broker. */
export interface LoadPoint {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly requests: number;
  /** Handler utilization, 1 − handler idle. */
  readonly handlers: number;
  /** Utilization, 0..1 (or above, when overloaded): the largest of the resources'. */
  readonly utilization: number;
}

/** A broker's network capacity each way, bytes/s. */
export interface NominalCapacity {
  readonly bytesInPerSec: number;
  readonly bytesOutPerSec: number;
}

/** Traffic of one broker: all bytes (client and replication) in and out, requests per second. */
export interface Traffic {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly requests: number;
}

/** What a model says and how far to trust it. */
export interface LoadModel {
  /** `fit`: network identities and a fitted handler model; `fixed`: the network alone (handlers not modelled, see `reason`). */
  readonly kind: 'fit' | 'fixed';
  readonly network: NominalCapacity;
  /** Handler utilization at no traffic (≥ 0; 0 for `fixed`). */
  readonly intercept: number;
  /** Handler utilization per byte/s in, per byte/s out, per request/s (all ≥ 0; 0 for `fixed`). */
  readonly coefficients: { readonly bytesIn: number; readonly bytesOut: number; readonly requests: number };
  /** Share of the handler variance explained (NaN for `fixed`). */
  readonly r2: number;
  /** Standard deviation of the handler residuals, in utilization (NaN for `fixed`). */
  readonly residualStd: number;
  readonly samples: number;
  /** Relative spread (stddev / mean) of each input over the window: near 0 means the window cannot tell its effect. */
  readonly diversity: { readonly bytesIn: number; readonly bytesOut: number; readonly requests: number };
  /** Correlation of bytes in and bytes out over the window (NaN with too few points). */
  readonly inOutCorrelation: number;
  /** True when bytes in and out were fitted as one input (their correlation was over the limit). */
  readonly collinear: boolean;
  /** Why handlers are not modelled, or notes on the fit. */
  readonly reason: string;
}

/** When a fit is refused or simplified. */
export interface FitOptions {
  /** Fewest points to fit (default 12). */
  readonly minSamples?: number;
  /** Least relative spread of bytes in or bytes out needed (default 0.05). */
  readonly minDiversity?: number;
  /** Correlation of bytes in and out above which they are fitted as one input (default 0.95). */
  readonly maxCorrelation?: number;
}

const INPUTS = ['bytesIn', 'bytesOut', 'requests'] as const;
type Input = (typeof INPUTS)[number];

function mean(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

function spread(values: readonly number[]): number {
  const m = mean(values);
  if (m === 0) return 0;
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / values.length) / Math.abs(m);
}

/** Pearson correlation; NaN when either side does not vary. */
export function correlation(a: readonly number[], b: readonly number[]): number {
  if (a.length < 2) return NaN;
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  a.forEach((x, i) => {
    sab += (x - ma) * (b[i]! - mb);
    saa += (x - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  });
  return saa === 0 || sbb === 0 ? NaN : sab / Math.sqrt(saa * sbb);
}

/** The network-only model of a broker of `network` capacity. */
export function fixedModel(network: NominalCapacity, samples: number, diversity: LoadModel['diversity'], reason: string, inOutCorrelation = NaN): LoadModel {
  return {
    kind: 'fixed', network, intercept: 0, coefficients: { bytesIn: 0, bytesOut: 0, requests: 0 },
    r2: NaN, residualStd: NaN, samples, diversity, inOutCorrelation, collinear: false, reason,
  };
}

/**
 * Fits the handler model of one broker (handlers = b0 + b1·in + b2·out + b3·requests, all b ≥ 0).
 * Inputs that do not vary over the window are left out (coefficient 0) rather than given an
 * arbitrary value; collinear bytes in and out share one coefficient.
 */
export function fitLoadModel(points: readonly LoadPoint[], network: NominalCapacity, options: FitOptions = {}): LoadModel {
  const minSamples = options.minSamples ?? 12;
  const minDiversity = options.minDiversity ?? 0.05;
  const maxCorrelation = options.maxCorrelation ?? 0.95;
  const good = points.filter((p) => [p.bytesIn, p.bytesOut, p.requests, p.handlers, p.utilization].every(Number.isFinite));
  const column = (k: Input) => good.map((p) => p[k]);
  const diversity = {
    bytesIn: good.length > 0 ? spread(column('bytesIn')) : 0,
    bytesOut: good.length > 0 ? spread(column('bytesOut')) : 0,
    requests: good.length > 0 ? spread(column('requests')) : 0,
  };
  const rho = correlation(column('bytesIn'), column('bytesOut'));
  if (good.length < minSamples) return fixedModel(network, good.length, diversity, `${good.length} samples, fewer than the ${minSamples} a fit needs: handlers not modelled, the network bounds traffic`, rho);
  const varying = INPUTS.filter((k) => diversity[k] >= minDiversity);
  if (!varying.includes('bytesIn') && !varying.includes('bytesOut')) {
    return fixedModel(network, good.length, diversity, `traffic did not vary over the window (relative spread in ${diversity.bytesIn.toFixed(3)}, out ${diversity.bytesOut.toFixed(3)}): handlers not modelled, the network bounds traffic`, rho);
  }
  const collinear = varying.includes('bytesIn') && varying.includes('bytesOut') && Math.abs(rho) > maxCorrelation;
  // Each fitted column: the inputs it stands for. Collinear bytes in and out are one column.
  const columns: Input[][] = collinear
    ? [['bytesIn', 'bytesOut'], ...varying.filter((k) => k === 'requests').map((k) => [k])]
    : varying.map((k) => [k]);
  const raw = good.map((p) => columns.map((ks) => ks.reduce((s, k) => s + p[k], 0)));
  // Scale columns to comparable magnitudes so that the solve is well conditioned.
  const scale = columns.map((_, j) => Math.max(...raw.map((r) => Math.abs(r[j]!))) || 1);
  const x = raw.map((r) => [1, ...r.map((v, j) => v / scale[j]!)]);
  const y = good.map((p) => p.handlers);
  const k = nonNegativeFit(x, y);
  const coefficients = { bytesIn: 0, bytesOut: 0, requests: 0 };
  columns.forEach((ks, j) => { for (const key of ks) coefficients[key] = k[j + 1]! / scale[j]!; });
  const intercept = k[0]!;
  const predicted = good.map((p) => handlerUtilization({ intercept, coefficients }, p));
  const m = mean(y);
  const ssTot = y.reduce((s, v) => s + (v - m) ** 2, 0);
  const ssRes = y.reduce((s, v, i) => s + (v - predicted[i]!) ** 2, 0);
  // Handlers that did not move (to rounding) leave nothing to explain: the fit is exact or it is not.
  const flat = 1e-12 * good.length;
  const r2 = ssTot <= flat ? (ssRes <= flat ? 1 : 0) : 1 - ssRes / ssTot;
  const dof = Math.max(1, good.length - columns.length - 1);
  const left = INPUTS.filter((key) => !varying.includes(key));
  const notes = [
    'handlers by non-negative least squares',
    ...(collinear ? [`bytes in and out moved together (correlation ${rho.toFixed(2)}): one coefficient for their sum`] : []),
    ...(left.length > 0 ? [`${left.join(', ')} did not vary and were left out`] : []),
  ];
  return {
    kind: 'fit', network, intercept, coefficients, r2, residualStd: Math.sqrt(ssRes / dof), samples: good.length, diversity,
    inOutCorrelation: rho, collinear, reason: notes.join('; '),
  };
}

/**
 * Least squares of y on the columns of x (the first a column of ones), no coefficient below 0:
 * the plain fit when it already keeps every coefficient at or above 0 (it is then the
 * constrained optimum too), else the non-negative least-squares solution.
 */
function nonNegativeFit(x: readonly number[][], y: readonly number[]): number[] {
  const plain = new MultivariateLinearRegression(x.map((r) => r.slice(1)), y.map((v) => [v]), { intercept: true }).weights.map((w) => w[0]!);
  // ml-regression puts the intercept last.
  const k = [plain.at(-1)!, ...plain.slice(0, -1)];
  if (k.every((v) => Number.isFinite(v) && v >= 0)) return k;
  return fcnnlsVector(x.map((r) => [...r]), [...y]).K.to1DArray().map((v) => Math.max(0, v));
}

/** Handler utilization the model gives at a traffic level. */
export function handlerUtilization(model: Pick<LoadModel, 'intercept' | 'coefficients'>, traffic: Traffic): number {
  return model.intercept + model.coefficients.bytesIn * traffic.bytesIn + model.coefficients.bytesOut * traffic.bytesOut + model.coefficients.requests * traffic.requests;
}

/** Predicted utilization per resource at a traffic level (handlers undefined when not modelled). */
export function resourcesAt(model: LoadModel, traffic: Traffic): { networkIn: number; networkOut: number; handlers: number | undefined } {
  return {
    networkIn: traffic.bytesIn / model.network.bytesInPerSec,
    networkOut: traffic.bytesOut / model.network.bytesOutPerSec,
    handlers: model.kind === 'fit' ? handlerUtilization(model, traffic) : undefined,
  };
}

/** Predicted utilization at a traffic level: the busiest resource's. */
export function predictUtilization(model: LoadModel, traffic: Traffic): number {
  const r = resourcesAt(model, traffic);
  return Math.max(r.networkIn, r.networkOut, r.handlers ?? 0);
}
