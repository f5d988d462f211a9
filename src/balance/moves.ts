/**
 * One planned action and the bookkeeping every goal shares: the budget, the recorded reasons, and
 * the hard checks a destination must pass. Used by hard.ts (drain, isolation, racks) and plan.ts
 * (capacity and balance).
 */
import { formatBytes } from './format.ts';
import type { Goal } from './goals.ts';
import type { Resource } from './model.ts';
import type { PlanState } from './state.ts';

/** One action of a plan, with the numbers behind its reason. */
export interface PlannedMove {
  /** `replica`: the replica on `from` moves to `to`; `leader`: leadership moves from `from` to `to`. */
  readonly kind: 'replica' | 'leader';
  readonly topic: string;
  readonly partition: number;
  readonly from: number;
  readonly to: number;
  /** Bytes copied to `to` (0 for a leadership change). */
  readonly bytes: number;
  readonly goal: Goal;
  readonly group: string;
  /** The resource the numbers below are about. */
  readonly resource: Resource;
  readonly fromBefore: number;
  readonly fromAfter: number;
  readonly toBefore: number;
  readonly toAfter: number;
  /** Mean of the group's brokers on `resource` (the target of balance). */
  readonly groupMean: number;
  /** Why the replica had to move, for hard goals (e.g. which group the broker is in). */
  readonly detail?: string;
}

/** What a plan may still do. */
export class Budget {
  moves = 0;
  bytes = 0;
  /** Set once a move was refused by the budget. */
  hit = false;

  constructor(readonly maxMoves: number, readonly maxBytes: number) {}

  /** True when one more action of `bytes` fits; records the refusal otherwise. */
  allows(bytes: number): boolean {
    if (this.moves + 1 > this.maxMoves || this.bytes + bytes > this.maxBytes) {
      this.hit = true;
      return false;
    }
    return true;
  }

  /** True while any action is possible at all. */
  get open(): boolean {
    return this.moves < this.maxMoves && this.bytes < this.maxBytes;
  }
}

/** The planner's shared state: placement, budget, recorded moves, who may receive replicas. */
export interface PlanContext {
  readonly state: PlanState;
  readonly budget: Budget;
  readonly moves: PlannedMove[];
  /** When set (adding brokers), the only brokers replicas and leaders may move to. */
  readonly onlyTo: ReadonlySet<number> | null;
  /** Broker indices a partition's replica was moved to by this plan: such a replica is not moved again. */
  readonly placed: Map<number, Set<number>>;
}

/** True when `d` may receive partition `p`'s replica from `s`: same group, not excluded, not holding it, racks and capacity kept. */
export function canReceive(ctx: PlanContext, p: number, s: number, d: number, group: number): boolean {
  const st = ctx.state;
  if (d === s || st.brokerGroup[d] !== group || st.excluded[d] === 1 || st.hosted[d]!.has(p)) return false;
  if (ctx.onlyTo !== null && !ctx.onlyTo.has(d)) return false;
  return st.rackAllows(p, s, d) && st.fits(d, (r) => st.replicaAmount(p, s, r));
}

/** True when the replica of `p` on `s` may be moved at all (ISR whole, not placed by this plan). */
export function canMoveFrom(ctx: PlanContext, p: number, s: number): boolean {
  const st = ctx.state;
  return st.movable[p] === 1 && (st.moved[p] === 0 || ctx.placed.get(p)?.has(s) !== true);
}

/** Applies a replica move and records it with the numbers of `resource`. */
export function applyReplicaMove(ctx: PlanContext, p: number, s: number, d: number, goal: Goal, groupMean: number, detail?: string): void {
  const st = ctx.state;
  const r = goal.resource;
  const fromBefore = st.loads[r][s]!;
  const toBefore = st.loads[r][d]!;
  const bytes = st.disk[p]!;
  st.moveReplica(p, s, d);
  ctx.budget.moves += 1;
  ctx.budget.bytes += bytes;
  let placed = ctx.placed.get(p);
  if (placed === undefined) ctx.placed.set(p, (placed = new Set()));
  placed.add(d);
  ctx.moves.push({
    kind: 'replica', topic: st.topic[p]!, partition: st.partition[p]!, from: st.brokerIds[s]!, to: st.brokerIds[d]!, bytes,
    goal, group: st.groups[st.brokerGroup[d]!]!, resource: r, fromBefore, fromAfter: st.loads[r][s]!, toBefore, toAfter: st.loads[r][d]!, groupMean,
    ...(detail === undefined ? {} : { detail }),
  });
}

/** Applies a leadership change and records it. */
export function applyLeaderMove(ctx: PlanContext, p: number, d: number, goal: Goal, groupMean: number): void {
  const st = ctx.state;
  const s = st.leader[p]!;
  const r = goal.resource;
  const fromBefore = st.loads[r][s]!;
  const toBefore = st.loads[r][d]!;
  st.moveLeader(p, d);
  ctx.budget.moves += 1;
  ctx.moves.push({
    kind: 'leader', topic: st.topic[p]!, partition: st.partition[p]!, from: st.brokerIds[s]!, to: st.brokerIds[d]!, bytes: 0,
    goal, group: st.groups[st.brokerGroup[d]!]!, resource: r, fromBefore, fromAfter: st.loads[r][s]!, toBefore, toAfter: st.loads[r][d]!, groupMean,
  });
}

/** How much of the budget a plan used, for notes on what it left undone. */
export function budgetNote(ctx: PlanContext): string {
  const b = ctx.budget;
  const bytes = Number.isFinite(b.maxBytes) ? `, ${formatBytes(b.bytes)} of ${formatBytes(b.maxBytes)}` : '';
  return `the budget is spent: ${b.moves} of ${b.maxMoves} moves${bytes}`;
}
