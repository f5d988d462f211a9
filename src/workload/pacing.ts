/**
 * Pacing: how many messages a producer should have sent by a given moment, and how fast a slowed
 * consumer may go. Pure: times in, counts out, no clock and no timers.
 *
 * A producer is paced by schedule, not by sleeping a fixed interval: the number it should have
 * sent by wall time t is the integral of its rate from 0 to t, so timer jitter and slow sends
 * never accumulate into drift. Two clocks meet here: wall time (what the producer lives in) and
 * scenario time = wall time × timeScale (what curves, spikes, actions and faults are written
 * in). Rates are always messages per wall-clock second; timeScale only compresses the shape.
 */

/** The shape of a producer's rate over scenario time, as a multiplier of its base rate. */
export type RateCurve =
  | { readonly kind: 'constant' }
  | {
      readonly kind: 'diurnal';
      /** Length of one cycle, in scenario ms. */
      readonly periodMs: number;
      /** Multiplier at the trough (half a period from the peak). */
      readonly min: number;
      /** Multiplier at the peak. */
      readonly max: number;
      /** Scenario time of the first peak, in ms; troughs fall half a period away. */
      readonly peakMs: number;
    };

/** The rate is multiplied by `factor` during [atMs, atMs + forMs) of scenario time. */
export interface Spike {
  readonly atMs: number;
  readonly forMs: number;
  readonly factor: number;
}

/** Everything that decides a producer's target rate at any moment. */
export interface RatePlan {
  /** Base rate in messages per wall-clock second. */
  readonly rate: number;
  readonly curve: RateCurve;
  readonly spikes: readonly Spike[];
  /** Scenario ms per wall ms (1440 plays a day in a minute). */
  readonly timeScale: number;
}

/** Scenario time reached after `wallMs` of wall time. */
export function toScenarioMs(wallMs: number, timeScale: number): number {
  return wallMs * timeScale;
}

/** Wall time at which scenario time `scenarioMs` is reached. */
export function toWallMs(scenarioMs: number, timeScale: number): number {
  return scenarioMs / timeScale;
}

/** The curve's multiplier at scenario time `scenarioMs`. */
export function curveMultiplier(curve: RateCurve, scenarioMs: number): number {
  if (curve.kind === 'constant') return 1;
  const phase = (2 * Math.PI * (scenarioMs - curve.peakMs)) / curve.periodMs;
  return curve.min + ((curve.max - curve.min) * (1 + Math.cos(phase))) / 2;
}

/** ∫ multiplier d(scenario seconds) over [fromMs, toMs] of scenario time. */
export function curveIntegral(curve: RateCurve, fromMs: number, toMs: number): number {
  const seconds = (toMs - fromMs) / 1000;
  if (curve.kind === 'constant') return seconds;
  const omega = (2 * Math.PI) / curve.periodMs;
  const sinDelta = Math.sin(omega * (toMs - curve.peakMs)) - Math.sin(omega * (fromMs - curve.peakMs));
  const cosinePart = (curve.periodMs / 1000 / (2 * Math.PI)) * sinDelta;
  return curve.min * seconds + ((curve.max - curve.min) / 2) * (seconds + cosinePart);
}

/** Product of the factors of every spike covering scenario time `scenarioMs`. */
export function spikeFactor(spikes: readonly Spike[], scenarioMs: number): number {
  let factor = 1;
  for (const spike of spikes) {
    if (scenarioMs >= spike.atMs && scenarioMs < spike.atMs + spike.forMs) factor *= spike.factor;
  }
  return factor;
}

/** Target rate in messages per wall second at wall time `wallMs`. */
export function rateAt(plan: RatePlan, wallMs: number): number {
  const s = toScenarioMs(wallMs, plan.timeScale);
  return plan.rate * curveMultiplier(plan.curve, s) * spikeFactor(plan.spikes, s);
}

/**
 * Messages the plan asks for during wall time [0, wallMs]: the integral of `rateAt`. Spike edges
 * split the range into pieces of constant factor, each integrated exactly.
 */
export function scheduledCount(plan: RatePlan, wallMs: number): number {
  if (wallMs <= 0 || plan.rate === 0) return 0;
  const end = toScenarioMs(wallMs, plan.timeScale);
  const edges = new Set<number>([0, end]);
  for (const spike of plan.spikes) {
    for (const edge of [spike.atMs, spike.atMs + spike.forMs]) if (edge > 0 && edge < end) edges.add(edge);
  }
  const points = [...edges].sort((a, b) => a - b);
  let total = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const from = points[i] as number;
    const to = points[i + 1] as number;
    total += spikeFactor(plan.spikes, from) * curveIntegral(plan.curve, from, to);
  }
  // d(scenario s) = timeScale × d(wall s), so the wall-time integral divides by timeScale.
  return (plan.rate * total) / plan.timeScale;
}

/** Messages asked for during wall time [fromMs, toMs]. */
export function scheduledBetween(plan: RatePlan, fromMs: number, toMs: number): number {
  return scheduledCount(plan, toMs) - scheduledCount(plan, Math.max(0, fromMs));
}

/**
 * Decides how many messages a producer sends now. The target is the schedule's count so far;
 * what is owed but unsent is the backlog. When sends cannot keep up (a slow or throttled
 * broker), the backlog is capped at `maxBacklogMs` worth of schedule, so that a recovering
 * broker sees at most that burst; what is dropped from the backlog is the shortfall, reported
 * rather than hidden.
 */
export class Pacer {
  #issued = 0;
  #skipped = 0;

  constructor(
    readonly plan: RatePlan,
    readonly maxBacklogMs = 1000,
  ) {}

  /** Messages to send at wall time `wallMs` (backlog after the cap); call `issue` for those sent. */
  due(wallMs: number): number {
    const scheduled = scheduledCount(this.plan, wallMs);
    const backlog = Math.floor(scheduled) - this.#skipped - this.#issued;
    if (backlog <= 0) return 0;
    const cap = Math.max(1, Math.ceil(scheduled - scheduledCount(this.plan, wallMs - this.maxBacklogMs)));
    if (backlog > cap) {
      this.#skipped += backlog - cap;
      return cap;
    }
    return backlog;
  }

  /** Records that `count` messages were handed to the client. */
  issue(count: number): void {
    this.#issued += count;
  }

  /** Messages handed to the client so far. */
  get issued(): number {
    return this.#issued;
  }

  /** Messages the schedule asked for that were given up because sends fell behind. */
  get shortfall(): number {
    return this.#skipped;
  }
}

/**
 * Caps a consumer's rate: each message takes the next slot of a schedule spaced 1/rate apart.
 * A consumer that was idle may catch up by at most `burstMs` of slots, not by all the time it
 * was idle. Rate 0 means no cap.
 */
export class RateLimiter {
  #rate: number;
  #next = Number.NEGATIVE_INFINITY;

  constructor(
    rate: number,
    readonly burstMs = 100,
  ) {
    this.#rate = rate;
  }

  /** Messages per second allowed; 0 when uncapped. */
  get rate(): number {
    return this.#rate;
  }

  /** Changes the cap from now on; 0 removes it. */
  setRate(rate: number): void {
    this.#rate = rate;
    this.#next = Number.NEGATIVE_INFINITY;
  }

  /** Takes a slot for `count` messages at `nowMs`; returns how many ms to wait before using them. */
  take(nowMs: number, count = 1): number {
    if (this.#rate <= 0) return 0;
    const slot = Math.max(this.#next, nowMs - this.burstMs);
    this.#next = slot + (count * 1000) / this.#rate;
    return Math.max(0, slot - nowMs);
  }
}
