/**
 * The hard goals that say where a replica must not be: on a broker being drained, outside its
 * topic's resource group, or on a rack another replica of its partition already uses while the
 * group has a free one. Each offending replica goes to the eligible broker of its group with the
 * least bytes in. What cannot be fixed is reported, never forced.
 */
import { goalName, type Goal } from './goals.ts';
import { applyReplicaMove, budgetNote, canMoveFrom, canReceive, type PlanContext } from './moves.ts';

const DRAIN: Goal = { kind: 'drain', resource: 'bytesIn' };
const ISOLATION: Goal = { kind: 'isolation', resource: 'bytesIn' };
const RACK: Goal = { kind: 'rack', resource: 'bytesIn' };

/** The eligible broker of `group` with the least bytes in (lowest id on ties), or -1. */
function coldest(ctx: PlanContext, p: number, s: number, group: number, accept: (d: number) => boolean = () => true): number {
  const st = ctx.state;
  let best = -1;
  for (let d = 0; d < st.brokerIds.length; d++) {
    if (!accept(d) || !canReceive(ctx, p, s, d, group)) continue;
    if (best < 0 || st.loads.bytesIn[d]! < st.loads.bytesIn[best]!) best = d;
  }
  return best;
}

/** Mean bytes in of a group's counted brokers. */
function meanBytesIn(ctx: PlanContext, group: number): number {
  const members = ctx.state.members(group);
  return members.reduce((a, b) => a + ctx.state.loads.bytesIn[b]!, 0) / Math.max(1, members.length);
}

/**
 * Where a hard goal stands: its unmet notes, and how many replicas the budget left in place
 * (counted, not listed: on a large cluster they can be thousands).
 */
export interface HardOutcome {
  readonly unmet: string[];
  readonly leftByBudget: Map<string, number>;
}

/** Moves `p`'s replica off `s` for `goal`; a note when it cannot. */
function relocate(ctx: PlanContext, p: number, s: number, group: number, goal: Goal, out: HardOutcome, why: string, accept?: (d: number) => boolean): void {
  const st = ctx.state;
  const name = `${st.topic[p]}-${st.partition[p]} on broker ${st.brokerIds[s]}`;
  const goalText = goalName(goal);
  if (!canMoveFrom(ctx, p, s)) {
    out.unmet.push(`${goalText}: ${name} not moved (its ISR is short of its replicas)`);
    return;
  }
  if (!ctx.budget.allows(st.disk[p]!)) {
    out.leftByBudget.set(goalText, (out.leftByBudget.get(goalText) ?? 0) + 1);
    return;
  }
  const d = coldest(ctx, p, s, group, accept);
  if (d < 0) {
    out.unmet.push(`${goalText}: no broker of group ${st.groups[group]} can take ${name} (${why})`);
    return;
  }
  applyReplicaMove(ctx, p, s, d, goal, meanBytesIn(ctx, group), why);
}

/** The notes of `out`, budget counts last. */
export function hardNotes(ctx: PlanContext, out: HardOutcome): string[] {
  const budget = [...out.leftByBudget].map(([goal, n]) => `${goal}: ${n} replica${n === 1 ? '' : 's'} left in place (${budgetNote(ctx)})`);
  return [...out.unmet, ...budget];
}

/** Empties the excluded brokers, replica by replica, largest bytes in first. */
export function drainBrokers(ctx: PlanContext, out: HardOutcome): void {
  const st = ctx.state;
  for (let s = 0; s < st.brokerIds.length; s++) {
    if (st.excluded[s] !== 1) continue;
    const parts = [...st.hosted[s]!].sort((a, b) => st.bytesIn[b]! - st.bytesIn[a]! || a - b);
    for (const p of parts) {
      const g = st.partitionGroup[p]! >= 0 ? st.partitionGroup[p]! : st.brokerGroup[s]!;
      relocate(ctx, p, s, g, DRAIN, out, `broker ${st.brokerIds[s]} is being drained`);
    }
  }
}

/** Brings every replica found outside its topic's group into the group. */
export function isolateGroups(ctx: PlanContext, out: HardOutcome): void {
  const st = ctx.state;
  for (let p = 0; p < st.topic.length; p++) {
    const g = st.partitionGroup[p]!;
    if (g < 0) continue;
    for (const s of [...st.replicas[p]!]) {
      if (st.brokerGroup[s] === g) continue;
      relocate(ctx, p, s, g, ISOLATION, out, `topic ${st.topic[p]} belongs to group ${st.groups[g]}; broker ${st.brokerIds[s]} is in group ${st.groups[st.brokerGroup[s]!]}`);
    }
  }
}

/** Spreads replicas that share a rack onto racks of the group the partition does not use yet. */
export function spreadRacks(ctx: PlanContext, out: HardOutcome): void {
  const st = ctx.state;
  if (!st.rackAware) return;
  const groupRacks = new Map<number, Set<string | null>>();
  for (let b = 0; b < st.brokerIds.length; b++) {
    if (st.excluded[b] === 1) continue;
    const set = groupRacks.get(st.brokerGroup[b]!) ?? new Set();
    set.add(st.racks[b]!);
    groupRacks.set(st.brokerGroup[b]!, set);
  }
  for (let p = 0; p < st.topic.length; p++) {
    const g = st.partitionGroup[p]!;
    if (g < 0) continue;
    const reps = st.replicas[p]!;
    const used = new Set(reps.map((b) => st.racks[b]));
    if (used.size >= Math.min(reps.length, groupRacks.get(g)?.size ?? 0)) continue;
    // The later replica of a shared rack moves: the first is the preferred leader.
    const seen = new Set<string | null>();
    for (const s of [...reps]) {
      const rack = st.racks[s]!;
      if (!seen.has(rack)) { seen.add(rack); continue; }
      const taken = new Set(st.replicas[p]!.map((b) => st.racks[b]));
      relocate(ctx, p, s, g, RACK, out, `rack ${rack} already holds another replica of ${st.topic[p]}-${st.partition[p]}`, (d) => !taken.has(st.racks[d]!));
    }
  }
}
