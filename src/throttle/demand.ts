/**
 * Client demand, pure: what a client would send (or fetch) if nothing held it back. For a client
 * that is not throttled, that is its recent rate: the 95th percentile over the last third of the
 * window, raised by its trend over that same part when it is growing, projected to the next round
 * and by at most a quarter (a trend over the whole window would project a start-up ramp or a step
 * that is already over as growth still to come; a burst shows in the next round's rates).
 * A throttled client's measured rate is capped by its quota, so its
 * demand is inferred from the throttle time instead: over a window W a client held back for T ms
 * offered about quota × (1 + T / W) (Kafka delays it so that its rate comes down to the quota;
 * https://kafka.apache.org/documentation/#design_quotasenforcement). Either may be only a lower
 * bound: a throttle time shows one request's overshoot, and a rate still rising has not yet
 * shown all of a step (`lowerBound`).
 */
import { KAFKA_QUOTA_WINDOW_NUM, KAFKA_QUOTA_WINDOW_SIZE_SECONDS } from '../kafka/quota.ts';

/** A client's recent history: rates and throttle times at the same timestamps. */
export interface DemandInput {
  /** Sample times, ms, ascending. */
  readonly ts: readonly number[];
  /** Measured rate at each time, bytes/s. */
  readonly rate: readonly number[];
  /** Throttle time at each time, ms per quota window (average over requests), or empty if unknown. */
  readonly throttleMs?: readonly number[];
  /** The quota in force, bytes/s, if any. */
  readonly quota?: number;
}

/** The demand estimate and how it was reached. */
export interface DemandEstimate {
  readonly demand: number;
  /** `measured`: p95 of the rate (+ trend); `inferred`: from throttle time; `none`: no data. */
  readonly basis: 'measured' | 'inferred' | 'none';
  readonly p95: number;
  /** Growth, bytes/s per s (least squares over the recent third of the window). */
  readonly trendPerSec: number;
  /**
   * Whether the client may well ask more than `demand`: it is throttled (its throttle time shows
   * how far one request overshot, not all it wants), or its rate was still rising by more than
   * `risingAbove` of its p95 over one quota window (the rates are means over the brokers' quota
   * window, and lag a step up by as much).
   */
  readonly lowerBound: boolean;
  readonly reason: string;
}

/** The q-quantile (0..1) of `values` with linear interpolation, as Prometheus's quantile_over_time. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = q * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/** Least-squares slope of values over time (per second); 0 for fewer than two points. */
export function slopePerSec(ts: readonly number[], values: readonly number[]): number {
  const n = ts.length;
  if (n < 2) return 0;
  const mt = ts.reduce((s, t) => s + t, 0) / n;
  const mv = values.reduce((s, v) => s + v, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (ts[i]! - mt) * (values[i]! - mv);
    den += (ts[i]! - mt) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 1000;
}

/** Kafka's default byte-rate quota window: quota.window.num (11) × quota.window.size.seconds (1), ms. */
export const KAFKA_QUOTA_WINDOW_MS = KAFKA_QUOTA_WINDOW_NUM * KAFKA_QUOTA_WINDOW_SIZE_SECONDS * 1000;

/** Most a growing trend adds to the p95: a quarter. */
export const MAX_TREND_GROWTH = 0.25;

/**
 * Estimates demand. `windowMs` is the quota window over which throttle time is reported (Kafka's
 * default: 11 one-second samples, so 11 000 ms); `horizonSec` is how far ahead a growing trend is
 * projected: until the next round (default 60 s, the loop's default interval).
 */
export function estimateDemand(input: DemandInput, options: { windowMs?: number; horizonSec?: number; throttledAboveMs?: number; risingAbove?: number } = {}): DemandEstimate {
  // The p95 of the recent part of the window (its last third): a burst that ended a while ago
  // should not keep a client limited, nor a quiet spell hide one that has just begun.
  const recent = Math.max(1, Math.ceil(input.rate.length / 3));
  const rates = input.rate.slice(-recent).filter(Number.isFinite);
  if (rates.length === 0) return { demand: 0, basis: 'none', p95: 0, trendPerSec: 0, lowerBound: false, reason: 'no rate samples' };
  const p95 = quantile(rates, 0.95);
  const trend = slopePerSec(input.ts.slice(-recent), input.rate.slice(-recent));
  const horizon = options.horizonSec ?? 60;
  // Kafka's windowed enforcement lets a throttled client through in bursts, so its throttle time
  // comes and goes: the p95 of the same recent samples tells whether it was held back.
  const throttle = (input.throttleMs ?? []).slice(-recent).filter(Number.isFinite);
  const recentThrottle = throttle.length === 0 ? 0 : quantile(throttle, 0.95);
  const windowMs = options.windowMs ?? KAFKA_QUOTA_WINDOW_MS;
  if (input.quota !== undefined && recentThrottle > (options.throttledAboveMs ?? 0)) {
    const offered = input.quota * (1 + recentThrottle / windowMs);
    return {
      demand: Math.max(offered, p95), basis: 'inferred', p95, trendPerSec: trend, lowerBound: true,
      reason: `throttled ${recentThrottle.toFixed(0)} ms per ${windowMs} ms window at quota ${input.quota.toFixed(0)} B/s: offered ≈ quota × (1 + ${recentThrottle.toFixed(0)}/${windowMs}) = ${offered.toFixed(0)} B/s`,
    };
  }
  const projected = Math.max(0, trend) * horizon;
  const growth = Math.min(projected, p95 * MAX_TREND_GROWTH);
  const capped = growth < projected ? ` (at most +${MAX_TREND_GROWTH * 100}%)` : '';
  const rising = (trend * windowMs) / 1000 > (options.risingAbove ?? 0.1) * p95;
  return {
    demand: p95 + growth, basis: 'measured', p95, trendPerSec: trend, lowerBound: rising,
    reason: `${growth > 0 ? `p95 ${p95.toFixed(0)} B/s + trend ${trend.toFixed(1)} B/s² × ${horizon} s${capped}` : `p95 ${p95.toFixed(0)} B/s`}${rising ? ', still rising' : ''}`,
  };
}
