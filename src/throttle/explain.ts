/**
 * Why a round did what it did, in one sentence a person can check, pure: every round gets one,
 * rounds that change nothing included ("overloaded, but every client is at or under its floor").
 * And the start-up check of the groups' floors against what a broker can take: a floor above a
 * broker's capacity at the target means the loop can never limit that group's clients.
 */
import type { ClientAllocation } from './allocate.ts';
import type { ThrottleConfig } from './config.ts';
import type { Direction, RoundPlan } from './decide.ts';

const bytes = (n: number): string => `${Math.round(n)} B/s`;

/** What a round changed or why it changed nothing. */
export function explainRound(plan: RoundPlan, config: Pick<ThrottleConfig, 'groups' | 'mode'>): string {
  const { diagnosis, proposals } = plan;
  const state = diagnosis.state;
  if (plan.metricsStale) return `${state}: no change: the metrics are stale`;
  const moving = proposals.filter((p) => p.guarded.apply);
  const held = proposals.filter((p) => !p.guarded.apply);
  if (moving.length > 0 || held.length > 0) {
    const parts: string[] = [];
    const lower = moving.filter((p) => p.newValue !== null && (p.oldValue === undefined || (p.newValue as number) < p.oldValue)).length;
    const raise = moving.filter((p) => p.newValue !== null && p.oldValue !== undefined && (p.newValue as number) > p.oldValue).length;
    const restore = moving.filter((p) => p.newValue === null).length;
    // In recommend mode nothing is pushed: the round recommends.
    const verb = (does: string, doing: string): string => (config.mode === 'recommend' ? `recommends ${doing}` : does);
    if (lower > 0) parts.push(`${verb('limits', 'limiting')} ${lower} client(s)`);
    if (raise > 0) parts.push(`${verb('raises', 'raising')} ${raise} quota(s)`);
    if (restore > 0) parts.push(`${verb('restores', 'restoring')} ${restore} quota(s) to the operator's setting`);
    if (held.length > 0) parts.push(`${held.length} change(s) held by the guardrails (${[...new Set(held.flatMap((p) => p.guarded.reasons))].join('; ')})`);
    return `${state}: ${parts.join(', ')}${notesOf(plan)}`;
  }
  if (plan.notes.length > 0) return `${state}, but no change${notesOf(plan)}`;
  if (state !== 'pressured' && state !== 'overloaded') return `${state}: no change: no quota of Sluice's to relax`;
  const why: string[] = [];
  for (const direction of plan.pressured) {
    const clients = plan.allocations[direction].clients;
    if (clients.length === 0) {
      why.push(`no ${direction} client is known`);
      continue;
    }
    const over = clients.filter((c) => c.limited);
    if (over.length > 0) {
      why.push(`${over.length} ${direction} client(s) over their allocation are already at or under it`);
      continue;
    }
    why.push(`${direction}: ${describeUnlimited(clients, config, direction, plan.capacity[direction])}`);
  }
  return `${state}, but no change: ${why.join('; ')}`;
}

/** The clients the round chose not to move, in a clause. */
function notesOf(plan: RoundPlan): string {
  return plan.notes.length === 0 ? '' : `; ${plan.notes.join('; ')}`;
}

/** Why none of `clients` is over its allocation: their floors, or their shares. */
function describeUnlimited(clients: readonly ClientAllocation[], config: Pick<ThrottleConfig, 'groups'>, direction: Direction, capacity: number): string {
  const floorOf = new Map(config.groups.map((g) => [g.name, g.floor]));
  const atFloor = clients.filter((c) => c.demand <= (floorOf.get(c.group) ?? 0));
  if (atFloor.length === clients.length) {
    const groups = [...new Set(atFloor.map((c) => c.group))].map((g) => `${g} ${bytes(floorOf.get(g)!)}`).join(', ');
    return `every client (${clients.length}) is at or under its group's floor (${groups}), which no quota goes below; ${direction} capacity at the target is ${bytes(capacity)} per broker`;
  }
  return `every client (${clients.length}) is within its share of ${bytes(capacity)} per broker`;
}

/**
 * The groups whose floor is above what one broker can take at the target, in either direction:
 * a warning per group, naming the config path. `capacity` is per broker, bytes/s.
 */
export function floorWarnings(config: Pick<ThrottleConfig, 'groups' | 'target'>, capacity: { readonly bytesInPerSec: number; readonly bytesOutPerSec: number }): string[] {
  const least = Math.min(capacity.bytesInPerSec, capacity.bytesOutPerSec) * config.target;
  return config.groups.flatMap((g, i) => g.floor > least
    ? [`throttle.groups[${i}].floor: ${g.floor} B/s is above what one broker can take at the target (${bytes(least)}): clients of ${g.name} will never be limited below it`]
    : []);
}

/** Whole quota windows a rate window should span, at least, when it is not a whole multiple of one. */
const QUOTA_WINDOWS_TO_AVERAGE = 5;

/**
 * A warning when the loop's rate window (`throttle.rateWindow`, s) is neither a whole multiple of
 * the brokers' client quota window (ms) nor long enough to average over several of them: a
 * throttled client's traffic repeats with the quota window's period, so a rate over a part of
 * one period sees the client let through or held, not its quota.
 */
export function quotaWindowWarning(rateWindowSec: number, quotaWindowMs: number): string | undefined {
  const rateMs = rateWindowSec * 1000;
  if (rateMs % quotaWindowMs === 0 || rateMs >= QUOTA_WINDOWS_TO_AVERAGE * quotaWindowMs) return undefined;
  const fitting = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60].filter((s) => s * 1000 <= rateMs && rateMs % (s * 1000) === 0 && s * 1000 < quotaWindowMs).at(-1);
  return `throttle.rateWindow: ${rateWindowSec} s is not a whole multiple of the brokers' client quota window (${quotaWindowMs / 1000} s, quota.window.num × quota.window.size.seconds): `
    + `a throttled client is let through and held in turn with that period, so the rates the loop reads will swing round to round; `
    + `set the rate window to a multiple of ${quotaWindowMs / 1000} s (or at least ${(QUOTA_WINDOWS_TO_AVERAGE * quotaWindowMs) / 1000} s)`
    + (fitting === undefined ? '' : `, or the brokers' quota window to ${fitting} s (a divisor of the rate window)`);
}
