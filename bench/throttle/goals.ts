/**
 * The goals a scenario's Sluice auto run is held to, each checked against its figures (and the
 * no-quota and static runs' where a goal compares): PASS, FAIL, or n/a when the goal does not
 * apply or a run it needs was not made. Pure.
 */
import type { GroupFigures, RunFigures } from './figures.ts';

/** One goal's verdict and the value measured. */
export interface Goal {
  readonly name: string;
  readonly verdict: 'PASS' | 'FAIL' | 'n/a';
  readonly measured: string;
}

/** What the goals need beyond the runs. */
export interface GoalContext {
  readonly target: number;
  /** The core group alone offers more than the brokers take at the target (then a core quota is allowed). */
  readonly coreAloneOver: boolean;
}

/** Least core served ratio. */
export const CORE_SERVED = 0.995;
/** Least share of its no-quota throughput a consumer group keeps (the noisy one excepted). */
export const GROUP_KEEPS = 0.8;
/** Most rounds from the burst's start to containment. */
export const CONTAIN_ROUNDS = 2;
/** Most rounds from the burst's end to release. */
export const RELEASE_ROUNDS = 3;
/** Most changes to one client's quotas in one burst. */
export const CHANGES_PER_CLIENT = 3;
/** Largest model prediction error p90, utilization points. */
export const MODEL_ERROR_POINTS = 5;
/** The band around the target the burst's mean utilization must fall in, utilization points below and above. */
export const UTILIZATION_BAND = { below: 0.1, above: 0.05 } as const;

const kib = (x: number) => `${(x / 1024).toFixed(0)} KiB/s`;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const verdict = (ok: boolean): Goal['verdict'] => (ok ? 'PASS' : 'FAIL');

/** A group's burst throughput on its own topics (those no bursting producer writes). */
function own(g: GroupFigures | undefined): number | undefined {
  return g?.burstOwnBytesPerSec;
}

/** Checks the auto run against the goals; empty when there is no auto run. */
export function checkGoals(runs: readonly RunFigures[], context: GoalContext): Goal[] {
  const auto = runs.find((r) => r.mode === 'auto');
  if (auto === undefined) return [];
  const none = runs.find((r) => r.mode === 'none');
  const fixed = runs.find((r) => r.mode === 'static');
  const { target } = context;
  const goals: Goal[] = [];

  goals.push(fixed === undefined
    ? { name: 'goodput ≥ static share', verdict: 'n/a', measured: 'no static run' }
    : { name: 'goodput ≥ static share', verdict: verdict(auto.goodput.runBytesPerSec >= fixed.goodput.runBytesPerSec), measured: `${kib(auto.goodput.runBytesPerSec)} vs ${kib(fixed.goodput.runBytesPerSec)}` });

  const low = target - UTILIZATION_BAND.below;
  const high = target + UTILIZATION_BAND.above;
  const band = `burst utilization in ${pct(low)}–${pct(high)}`;
  if (none === undefined) goals.push({ name: band, verdict: 'n/a', measured: 'no no-quota run' });
  else if (!(none.utilization.burstMean > target)) goals.push({ name: band, verdict: 'n/a', measured: `n/a (never over: ${pct(none.utilization.burstMean)} without quotas)` });
  else goals.push({ name: band, verdict: verdict(auto.utilization.burstMean >= low && auto.utilization.burstMean <= high), measured: `mean ${pct(auto.utilization.burstMean)}` });

  const coreOk = auto.core.served >= CORE_SERVED && (!auto.coreQuota || context.coreAloneOver);
  goals.push({
    name: `core served ≥ ${pct(CORE_SERVED)}, no core quota`, verdict: verdict(coreOk),
    measured: `${pct(auto.core.served)}, ${auto.coreQuota ? `core given a quota${context.coreAloneOver ? ' (core alone is over the target)' : ''}` : 'no core quota'}`,
  });

  if (none === undefined) goals.push({ name: `groups ≥ ${pct(GROUP_KEEPS)} of no-quota`, verdict: 'n/a', measured: 'no no-quota run' });
  else {
    const kept = auto.groups.filter((g) => !g.noisy).map((g) => {
      const base = own(none.groups.find((x) => x.id === g.id));
      return { id: g.id, ratio: base === undefined || base === 0 ? undefined : g.burstOwnBytesPerSec / base };
    });
    const measured = kept.filter((k) => k.ratio !== undefined);
    goals.push(measured.length === 0
      ? { name: `groups ≥ ${pct(GROUP_KEEPS)} of no-quota`, verdict: 'n/a', measured: 'no group besides the noisy one' }
      : { name: `groups ≥ ${pct(GROUP_KEEPS)} of no-quota`, verdict: verdict(measured.every((k) => k.ratio! >= GROUP_KEEPS)), measured: measured.map((k) => `${k.id} ${pct(k.ratio!)}`).join(', ') });
  }

  const contain = auto.contain;
  goals.push({
    name: `contained within ${CONTAIN_ROUNDS} rounds`,
    verdict: verdict(contain.rounds !== null && contain.rounds <= CONTAIN_ROUNDS),
    measured: contain.neverOver ? 'never over the target' : contain.rounds === null ? 'not contained by the burst\'s end' : `${contain.rounds} rounds (${contain.seconds!.toFixed(0)} s)`,
  });

  const released = auto.release!;
  goals.push({
    name: `released within ${RELEASE_ROUNDS} rounds`,
    verdict: verdict(released.rounds !== null && released.rounds <= RELEASE_ROUNDS),
    measured: !released.quotasSet ? 'no quota was set' : released.rounds === null ? 'a quota was still set at the end' : `${released.rounds} rounds (${released.seconds!.toFixed(0)} s after the burst)`,
  });

  const changes = Object.entries(auto.changesPerClient ?? {}).sort((a, b) => b[1] - a[1]);
  goals.push({
    name: `≤ ${CHANGES_PER_CLIENT} changes per client`,
    verdict: verdict((changes[0]?.[1] ?? 0) <= CHANGES_PER_CLIENT),
    measured: changes.length === 0 ? 'none' : changes.map(([k, n]) => `${k.replace(/^client-id=/, '')} ${n}`).join(', '),
  });

  const error = auto.modelError!;
  goals.push(error.p90Points === undefined
    ? { name: `model error p90 ≤ ${MODEL_ERROR_POINTS} points`, verdict: 'n/a', measured: 'n/a (the round plans carry no model check)' }
    : { name: `model error p90 ≤ ${MODEL_ERROR_POINTS} points`, verdict: verdict(error.p90Points <= MODEL_ERROR_POINTS), measured: `${error.p90Points.toFixed(1)} points over ${error.checks} checks` });
  return goals;
}
