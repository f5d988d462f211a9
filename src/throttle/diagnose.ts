/**
 * Diagnosis, pure: one cluster state per round from several signals, with hysteresis, and a
 * written reason naming the signals that decided it.
 *
 * - overloaded: a broker at or over the overload utilization, or request handlers nearly never
 *   idle: tighten now (entered at once, without waiting for confirmation);
 * - pressured: a broker over the target utilization, handlers busy, queueing or latency high, or
 *   a firing spike/lag alert: tighten;
 * - headroom: every broker well under target and nothing queueing: quotas may be relaxed;
 * - steady: anything else: hold.
 * A state other than overloaded must be seen in `confirmRounds` consecutive rounds before the
 * loop acts on it, so one noisy round does not flip quotas back and forth.
 */

/** The four states, in increasing severity. */
export type ClusterState = 'headroom' | 'steady' | 'pressured' | 'overloaded';

/** What a round sees, cluster-wide (worst broker for each). Undefined: not known this round. */
export interface Signals {
  /** Highest broker utilization (capacity model or host CPU/network), 0..1+. */
  readonly maxUtilization?: number;
  /** Lowest request handler idle ratio among brokers, 0..1. */
  readonly minHandlerIdle?: number;
  /** Highest request queue time p99, ms. */
  readonly queueTimeP99Ms?: number;
  /** Highest produce/fetch total time p99, ms. */
  readonly requestLatencyP99Ms?: number;
  /** Clients throttled this round. */
  readonly throttledClients?: number;
  /** Highest quota utilization of any client (rate / quota). */
  readonly maxQuotaUtilization?: number;
  /** Firing alerts the configuration counts as pressure (diagnosis.pressureAlerts). */
  readonly firingTrafficAlerts?: readonly string[];
}

/** Thresholds of the diagnosis. */
export interface DiagnoseOptions {
  /** Utilization the loop steers to (default 0.7). */
  readonly target?: number;
  /** Utilization that is overload (default 0.9). */
  readonly overload?: number;
  /** Below this fraction of the target the cluster has headroom (default 0.7, i.e. 0.49). */
  readonly headroomFraction?: number;
  /** Handler idle under this is pressure (default 0.3), under a third of it overload. */
  readonly minIdle?: number;
  /** Queue time p99 over this is pressure (default 50 ms). */
  readonly maxQueueMs?: number;
  /** Request latency p99 over this is pressure (default 500 ms). */
  readonly maxLatencyMs?: number;
  /** Rounds a new state must persist before it is acted on (default 2). */
  readonly confirmRounds?: number;
}

/** One round's verdict. */
export interface Diagnosis {
  /** The state acted on this round. */
  readonly state: ClusterState;
  /** What this round alone showed. */
  readonly observed: ClusterState;
  /** Consecutive rounds `observed` has been seen. */
  readonly streak: number;
  /** Signals that decided it, in words. */
  readonly reason: string;
}

const SEVERITY: Record<ClusterState, number> = { headroom: 0, steady: 1, pressured: 2, overloaded: 3 };

/** What one round's signals show, with the reasons. */
export function observe(signals: Signals, options: DiagnoseOptions = {}): { state: ClusterState; reasons: string[] } {
  const target = options.target ?? 0.7;
  const overload = options.overload ?? 0.9;
  const minIdle = options.minIdle ?? 0.3;
  const reasons: string[] = [];
  const u = signals.maxUtilization;
  const idle = signals.minHandlerIdle;
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  if (u !== undefined && u >= overload) reasons.push(`broker utilization ${pct(u)} ≥ overload ${pct(overload)}`);
  if (idle !== undefined && idle < minIdle / 3) reasons.push(`request handler idle ${pct(idle)} < ${pct(minIdle / 3)}`);
  if (reasons.length > 0) return { state: 'overloaded', reasons };
  if (u !== undefined && u > target) reasons.push(`broker utilization ${pct(u)} > target ${pct(target)}`);
  if (idle !== undefined && idle < minIdle) reasons.push(`request handler idle ${pct(idle)} < ${pct(minIdle)}`);
  if (signals.queueTimeP99Ms !== undefined && signals.queueTimeP99Ms > (options.maxQueueMs ?? 50)) reasons.push(`request queue time p99 ${signals.queueTimeP99Ms.toFixed(0)} ms > ${options.maxQueueMs ?? 50} ms`);
  if (signals.requestLatencyP99Ms !== undefined && signals.requestLatencyP99Ms > (options.maxLatencyMs ?? 500)) reasons.push(`request latency p99 ${signals.requestLatencyP99Ms.toFixed(0)} ms > ${options.maxLatencyMs ?? 500} ms`);
  if ((signals.firingTrafficAlerts ?? []).length > 0) reasons.push(`firing: ${signals.firingTrafficAlerts!.join(', ')} (counted as pressure by diagnosis.pressureAlerts)`);
  if (reasons.length > 0) return { state: 'pressured', reasons };
  if (u === undefined) return { state: 'steady', reasons: ['broker utilization unknown: holding'] };
  const headroomBelow = target * (options.headroomFraction ?? 0.7);
  if (u < headroomBelow) {
    const throttled = signals.throttledClients ?? 0;
    return { state: 'headroom', reasons: [`broker utilization ${pct(u)} < ${pct(headroomBelow)}${throttled > 0 ? `, ${throttled} client(s) throttled` : ''}`] };
  }
  return { state: 'steady', reasons: [`broker utilization ${pct(u)} within ${pct(headroomBelow)}–${pct(target)}`] };
}

/**
 * This round's diagnosis given the previous one (undefined on the first round). Escalation to
 * overloaded is immediate; any other change waits for `confirmRounds` rounds in a row.
 */
export function diagnose(signals: Signals, previous: Diagnosis | undefined, options: DiagnoseOptions = {}): Diagnosis {
  const { state: observed, reasons } = observe(signals, options);
  const confirm = options.confirmRounds ?? 2;
  const streak = previous !== undefined && previous.observed === observed ? previous.streak + 1 : 1;
  const held = previous?.state ?? 'steady';
  let state: ClusterState;
  let note = '';
  if (observed === held) state = observed;
  else if (observed === 'overloaded' || streak >= confirm) state = observed;
  else {
    state = held;
    note = `; holding ${held} until ${observed} is seen ${confirm} rounds in a row (${streak} so far)`;
  }
  return { state, observed, streak, reason: `${observed}: ${reasons.join('; ')}${note}` };
}

/** True when `a` is more severe than `b`. */
export function moreSevere(a: ClusterState, b: ClusterState): boolean {
  return SEVERITY[a] > SEVERITY[b];
}
