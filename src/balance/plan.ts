/**
 * The balancing planner, pure: a cluster model and the `balance:` config in, a plan out. Hard
 * goals first (hard.ts), then capacity and balance per resource group by greedy local search:
 * each round takes the group's most loaded brokers on the goal's resource, tries moving each of
 * their replicas to the least loaded eligible broker (and, where leadership matters, handing
 * leadership to another replica), and applies the move with the best improvement per byte moved.
 * A goal is pursued until met, stuck, or the budget is spent, one move at a time in whichever
 * group needs it most; when no single move improves a balance goal, a swap of two replicas is
 * tried (swaps.ts). Deterministic: ties go to the lower
 * broker and partition index.
 */
import type { BalanceConfig } from './config.ts';
import { balanceDelta, excessDelta, Extremes, goalName, isBalanced, ratioOf, spreadOf, type Goal } from './goals.ts';
import { formatAmount } from './format.ts';
import { drainBrokers, hardNotes, isolateGroups, spreadRacks, type HardOutcome } from './hard.ts';
import { RESOURCES, type ClusterModel, type Resource } from './model.ts';
import { applyLeaderMove, applyReplicaMove, Budget, budgetNote, canReceive, type PlanContext } from './moves.ts';
import { summarize, type Plan } from './result.ts';
import { boundMoves } from './candidates.ts';
import { bestSwap } from './swaps.ts';
import { LIMITED, PlanState } from './state.ts';

/** What kind of plan to make. */
export type PlanMode = 'full' | 'incremental' | 'add' | 'drain' | 'leaders';
/** Every mode, for argument checks. */
export const PLAN_MODES: readonly PlanMode[] = ['full', 'incremental', 'add', 'drain', 'leaders'];

/** A plan request. */
export interface PlanRequest {
  readonly mode: PlanMode;
  /** Most actions; default `budget.maxMoves` (incremental: 1). */
  readonly maxMoves?: number;
  /** Brokers added (`add`) or removed (`drain`). */
  readonly brokers?: readonly number[];
}

/** Brokers tried in turn as sources per round (the most loaded on the goal's resource). */
const SOURCES_PER_ROUND = 3;
/**
 * Destinations tried per replica, least loaded first: the first that passes the hard checks is
 * the best for it, and a replica that fits none of the coldest few is left for a later round.
 */
const DESTINATIONS_PER_REPLICA = 4;
/** Replica moves checked exactly per round, best bound first (the bound is rarely off by much). */
const MAX_EXACT_CHECKS = 256;
/** Candidates ranked by a first selection pass; four times as many are ranked whenever these run out. */
const TOP_BOUNDS = 16;

/** Indices of the `k` highest of the first `n` `bounds`, highest first (lower index first on ties). */
function topByBound(bounds: Float64Array, n: number, k: number): number[] {
  if (k >= n) return Array.from({ length: n }, (_, i) => i).sort((a, b) => bounds[b]! - bounds[a]! || a - b);
  const top: number[] = [];
  let floor = -Infinity;
  for (let j = 0; j < n; j++) {
    const b = bounds[j]!;
    if (top.length === k && b <= floor) continue;
    let at = top.length;
    while (at > 0 && bounds[top[at - 1]!]! < b) at--;
    top.splice(at, 0, j);
    if (top.length > k) top.pop();
    if (top.length === k) floor = bounds[top[k - 1]!]!;
  }
  return top;
}

/** Scratch arrays for a source's candidates (reused across steps: a step scans thousands). */
class Scratch {
  partitions = new Int32Array(1024);
  bounds = new Float64Array(1024);
  /** Room for `n` candidates. */
  fit(n: number): void {
    if (n <= this.partitions.length) return;
    const size = Math.max(n, this.partitions.length * 2);
    this.partitions = new Int32Array(size);
    this.bounds = new Float64Array(size);
  }
}

/** The goals a mode pursues after its hard goals, in priority order. */
function softGoals(mode: PlanMode): Goal[] {
  if (mode === 'leaders') return [{ kind: 'capacity', resource: 'bytesOut' }, { kind: 'balance', resource: 'bytesOut' }, { kind: 'balance', resource: 'leaders' }];
  const goals: Goal[] = LIMITED.map((resource) => ({ kind: 'capacity', resource }));
  const balanced: readonly Resource[] = mode === 'incremental' ? ['bytesIn', 'bytesOut'] : RESOURCES;
  return [...goals, ...balanced.map((resource): Goal => ({ kind: 'balance', resource }))];
}

/** Checks the request against the model; throws a RangeError naming the argument. */
function checkRequest(model: ClusterModel, request: PlanRequest): void {
  if (!PLAN_MODES.includes(request.mode)) throw new RangeError(`mode: expected one of ${PLAN_MODES.join(', ')}, got "${request.mode}"`);
  if (request.maxMoves !== undefined && !(Number.isInteger(request.maxMoves) && request.maxMoves >= 1)) throw new RangeError(`maxMoves: expected a positive integer, got ${request.maxMoves}`);
  const brokers = request.brokers ?? [];
  if ((request.mode === 'add' || request.mode === 'drain') && brokers.length === 0) throw new RangeError(`brokers: the ${request.mode} mode needs the brokers to ${request.mode === 'add' ? 'add' : 'drain'}`);
  if (request.mode === 'drain') {
    const known = new Set([...model.brokers.map((b) => b.id), ...model.partitions.flatMap((p) => p.replicas)]);
    const unknown = brokers.filter((b) => !known.has(b));
    if (unknown.length > 0) throw new RangeError(`brokers: broker ${unknown.join(', ')} is not in the cluster`);
  }
}

/** Makes a plan. */
export function planBalance(model: ClusterModel, config: BalanceConfig, request: PlanRequest): Plan {
  checkRequest(model, request);
  const state = new PlanState(model, config, request.mode === 'add' ? request.brokers : []);
  const targets = new Set((request.brokers ?? []).map((b) => state.brokerIndex.get(b)!));
  if (request.mode === 'drain') for (const b of targets) state.excluded[b] = 1;
  const before = Object.fromEntries(RESOURCES.map((r) => [r, Float64Array.from(state.loads[r])])) as Record<Resource, Float64Array>;
  const maxMoves = request.maxMoves ?? (request.mode === 'incremental' ? 1 : config.budget.maxMoves);
  const ctx: PlanContext = {
    state, budget: new Budget(maxMoves, config.budget.maxBytes ?? Infinity), moves: [],
    onlyTo: request.mode === 'add' ? targets : null, placed: new Map(),
  };
  const hard: HardOutcome = { unmet: [], leftByBudget: new Map() };
  if (request.mode !== 'leaders') {
    // Hard goals may use any broker of the group, new or not; only balancing waits for the new ones.
    const hardCtx: PlanContext = { ...ctx, onlyTo: null };
    if (request.mode === 'drain') drainBrokers(hardCtx, hard);
    isolateGroups(hardCtx, hard);
    spreadRacks(hardCtx, hard);
  }
  const unmet = hardNotes(ctx, hard);
  const goals = softGoals(request.mode);
  const cost = moveCost(state);
  const scratch = new Scratch();
  goals.forEach((goal, i) => {
    const guards = goals.slice(0, i).filter((e) => e.kind === 'balance').map((e) => e.resource);
    // Each move goes to the group that needs it most (highest max/mean on the goal's resource),
    // so that a budget is not spent on one group while another is worse off.
    const active = state.groups.map((_, g) => g).filter((g) => state.members(g).length > 0);
    const notes = new Map<number, string>();
    while (active.length > 0) {
      const g = neediest(state, goal.resource, active);
      const outcome = step(ctx, goal, g, guards, request.mode !== 'leaders', cost, config.balancedRatio, scratch);
      if (outcome === 'moved') continue;
      active.splice(active.indexOf(g), 1);
      if (outcome !== 'met') notes.set(g, unmetNote(ctx, goal, g, outcome, config.balancedRatio));
    }
    for (const g of [...notes.keys()].sort((a, b) => a - b)) unmet.push(notes.get(g)!);
  });
  return summarize(state, ctx, before, { mode: request.mode, unmet, config });
}

/** The group among `groups` whose most loaded broker is furthest above the group's mean on `r`. */
function neediest(state: PlanState, r: Resource, groups: readonly number[]): number {
  let best = groups[0]!;
  let worst = -Infinity;
  for (const g of groups) {
    const s = spreadOf(state.loads[r], state.members(g));
    const ratio = s.mean > 0 ? s.max / s.mean : 0;
    if (ratio > worst) { worst = ratio; best = g; }
  }
  return best;
}

/** A replica move costs its bytes plus the mean partition size, so that tiny partitions are not free to shuffle. */
function moveCost(state: PlanState): number {
  let sum = 0;
  for (const d of state.disk) sum += d;
  return state.disk.length > 0 && sum > 0 ? sum / state.disk.length : 1;
}

/** Why a goal was left unmet, with the numbers. */
function unmetNote(ctx: PlanContext, goal: Goal, g: number, outcome: 'stuck' | 'budget', ratio: number): string {
  const st = ctx.state;
  const r = goal.resource;
  const s = spreadOf(st.loads[r], st.members(g));
  const why = outcome === 'budget' ? budgetNote(ctx) : 'no further move within the hard goals improves it';
  if (goal.kind === 'capacity') return `${goalName(goal)} within group ${st.groups[g]}: broker ${st.brokerIds[s.maxBroker]} stays at ${formatAmount(r, s.max)}, above the limit ${formatAmount(r, st.limits[r as (typeof LIMITED)[number]])} (${why})`;
  const q = ratioOf(s);
  const spread = Number.isFinite(q) ? `max/min ${q.toFixed(2)}×` : `max ${formatAmount(r, s.max)}, min ${formatAmount(r, s.min)}`;
  return `${goalName(goal)} within group ${st.groups[g]}: ${spread} after the plan, target ${ratio}× (${why})`;
}

/** One step of one goal in one group: the best move applied, or why there is none. */
function step(ctx: PlanContext, goal: Goal, g: number, guardResources: readonly Resource[], replicaMoves: boolean, cost: number, ratio: number, scratch: Scratch): 'moved' | 'met' | 'stuck' | 'budget' {
  const st = ctx.state;
  const r = goal.resource;
  const loads = st.loads[r];
  const limit = goal.kind === 'capacity' ? st.limits[r as (typeof LIMITED)[number]] : Infinity;
  {
    const members = st.members(g);
    const spread = spreadOf(loads, members);
    if (goal.kind === 'balance' && isBalanced(r, spread.max, spread.min, spread.mean, ratio)) return 'met';
    if (goal.kind === 'capacity' && spread.max <= limit) return 'met';
    if (!ctx.budget.open) return 'budget';
    const guards = guardResources.map((gr) => ({ resource: gr, extremes: new Extremes(st.loads[gr], members, gr, spreadOf(st.loads[gr], members).mean, ratio) }));
    const byLoad = [...members].sort((a, b) => loads[b]! - loads[a]! || a - b);
    const sources = (goal.kind === 'capacity' ? byLoad.filter((b) => loads[b]! > limit) : byLoad).slice(0, SOURCES_PER_ROUND);
    const dests = [...byLoad].reverse().filter((d) => ctx.onlyTo === null || ctx.onlyTo.has(d));
    const delta = (ls: number, ld: number, x: number): number => (goal.kind === 'capacity' ? excessDelta(ls, ld, x, limit) : balanceDelta(ls, ld, x, spread.mean));
    const keepsGuards = (p: number, s: number, d: number, amount: (p: number, s: number, res: Resource) => number): boolean => guards.every(({ resource, extremes }) => {
      const x = amount(p, s, resource);
      return x === 0 || extremes.keeps(s, d, st.loads[resource][s]! - x, st.loads[resource][d]! + x);
    });
    let best: { score: number; p: number; s: number; d: number; leader: boolean } | null = null;
    let refusedByBudget = false;
    const coldestLoad = dests.length > 0 ? loads[dests[0]!]! : Infinity;
    // Whether leadership moves any of `r`.
    const byLeader = r === 'bytesOut' || r === 'leaders';
    // Sources in turn, most loaded first, until one has a move: the hottest broker is relieved
    // whenever it can be, and a round costs one broker's replicas, not the group's.
    for (const s of sources) {
      // Pass 1: leadership changes exactly (few replicas each); replica moves by an upper bound,
      // their score were the coldest destination to take them.
      scratch.fit(st.movableFrom.length(s));
      const { partitions: candP, bounds } = scratch;
      const count = !replicaMoves ? 0 : boundMoves(st.movableFrom, s, {
        group: g, from: loads[s]!, coldest: coldestLoad, mean: goal.kind === 'balance' ? spread.mean : null, limit, cost,
        amounts: r === 'bytesIn' ? st.movableFrom.bytesInOf(s) : r === 'disk' ? st.movableFrom.diskOf(s) : null,
        amountOf: (p) => st.replicaAmount(p, s, r),
      }, candP, bounds);
      // Leadership changes, exactly, for the partitions `s` leads (canMoveFrom).
      const movable = st.movableFrom.of(s);
      for (let i = 0, n = byLeader ? st.movableFrom.length(s) : 0; i < n; i++) {
        const p = movable[i]!;
        if (p < 0 || st.partitionGroup[p] !== g) continue;
        if (st.leader[p] !== s) continue;
        const lx = st.leaderAmount(p, r);
        if (lx > 0) {
          for (const d of st.replicas[p]!) {
            if (d === s || st.brokerGroup[d] !== g || st.excluded[d] === 1 || (ctx.onlyTo !== null && !ctx.onlyTo.has(d))) continue;
            const dl = delta(loads[s]!, loads[d]!, lx);
            if (!(dl < -1e-12)) continue;
            const score = -dl / cost;
            if (best !== null && score <= best.score) continue;
            if (!st.fits(d, (res) => st.leaderAmount(p, res)) || !keepsGuards(p, s, d, (pp, _ss, res) => st.leaderAmount(pp, res))) continue;
            best = { score, p, s, d, leader: true };
          }
        }
      }
      // Pass 2: replica moves in order of their bound, exactly, until no bound can beat the best.
      let order = topByBound(bounds, count, TOP_BOUNDS);
      for (let k = 0; k < MAX_EXACT_CHECKS; k++) {
        if (k === order.length) {
          if (order.length === count) break;
          order = topByBound(bounds, count, order.length * 4);
        }
        const i = order[k]!;
        if (!(bounds[i]! > (best?.score ?? 0))) break;
        const p = candP[i]!;
        const x = st.replicaAmount(p, s, r);
        let tried = 0;
        for (const d of dests) {
          if (++tried > DESTINATIONS_PER_REPLICA) break;
          const dl = delta(loads[s]!, loads[d]!, x);
          if (!(dl < -1e-12)) break; // destinations only get warmer from here
          if (!canReceive(ctx, p, s, d, g) || !keepsGuards(p, s, d, (pp, ss, res) => st.replicaAmount(pp, ss, res))) continue;
          const score = -dl / (st.disk[p]! + cost);
          if (best === null || score > best.score) {
            if (ctx.budget.moves + 1 > ctx.budget.maxMoves || ctx.budget.bytes + st.disk[p]! > ctx.budget.maxBytes) { refusedByBudget = true; break; }
            best = { score, p, s, d, leader: false };
          }
          break;
        }
      }
      if (best !== null) break;
    }
    if (best === null && goal.kind === 'balance' && !refusedByBudget) {
      // No single move improves the goal: a swap of two replicas may (their net amount fits the gap).
      const swap = bestSwap(ctx, {
        group: g, resource: r, mean: spread.mean, sources, dests: dests.slice(0, DESTINATIONS_PER_REPLICA), replicas: replicaMoves, cost,
        keeps: (s, d, net) => guards.every(({ resource, extremes }) => {
          const x = net(resource);
          return x === 0 || extremes.keeps(s, d, st.loads[resource][s]! - x, st.loads[resource][d]! + x);
        }),
      });
      if (swap !== null) {
        const name = (p: number): string => `${st.topic[p]}-${st.partition[p]}`;
        const detail = `swapped: ${name(swap.p)} ${st.brokerIds[swap.s]} → ${st.brokerIds[swap.d]} and ${name(swap.q)} ${st.brokerIds[swap.d]} → ${st.brokerIds[swap.s]}, as no single move improves it`;
        if (swap.leader) {
          applyLeaderMove(ctx, swap.p, swap.d, goal, spread.mean);
          applyLeaderMove(ctx, swap.q, swap.s, goal, spread.mean);
        } else {
          applyReplicaMove(ctx, swap.p, swap.s, swap.d, goal, spread.mean, detail);
          applyReplicaMove(ctx, swap.q, swap.d, swap.s, goal, spread.mean, detail);
        }
        return 'moved';
      }
    }
    if (best === null) return refusedByBudget ? 'budget' : 'stuck';
    if (best.leader) applyLeaderMove(ctx, best.p, best.d, goal, spread.mean);
    else applyReplicaMove(ctx, best.p, best.s, best.d, goal, spread.mean);
    return 'moved';
  }
}

export type { Plan };
