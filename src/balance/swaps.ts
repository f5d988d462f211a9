/**
 * Replica swaps for a balance goal that no single move improves: a replica of a hot broker `s`
 * goes to a colder broker `d` while a smaller replica of `d` comes back to `s`, so that the net
 * amount moved fits in the gap between them (a lone move of either would overshoot or not fit).
 * For each replica on `s`, the replicas of `d` whose amount is nearest the one that halves the
 * gap are tried (sorted, by binary search), so a round costs n log n, not n². The swap with the
 * best improvement per byte copied is returned; the caller applies it as two replica moves.
 * Where leadership carries the goal's resource (bytes out, leaders), swapping the leadership of
 * two partitions that share the two brokers is tried too: it copies nothing.
 */
import { balanceDelta } from './goals.ts';
import type { Resource } from './model.ts';
import { canMoveFrom, canReceive, type PlanContext } from './moves.ts';

/** Replicas of `d` tried around the ideal amount, each side. */
const NEIGHBOURS = 2;

/**
 * One swap: `p` from `s` to `d`, `q` from `d` to `s`; replicas (copying both), or, with `leader`,
 * leadership only (p led by `s` with a replica on `d`, q led by `d` with a replica on `s`).
 */
export interface Swap {
  readonly p: number;
  readonly q: number;
  readonly s: number;
  readonly d: number;
  readonly score: number;
  readonly leader: boolean;
}

/** What the search needs from the planner's step. */
export interface SwapSearch {
  readonly group: number;
  readonly resource: Resource;
  readonly mean: number;
  /** Hottest first. */
  readonly sources: readonly number[];
  /** Coldest first. */
  readonly dests: readonly number[];
  /** Whether replicas may move (false: leadership swaps only). */
  readonly replicas: boolean;
  /** Cost added to each replica's bytes (see plan.ts moveCost). */
  readonly cost: number;
  /** True when moving `net(res)` of every guarded resource from `s` to `d` keeps the earlier goals. */
  readonly keeps: (s: number, d: number, net: (res: Resource) => number) => boolean;
}

/** The best swap between the sources and destinations, or null. */
export function bestSwap(ctx: PlanContext, o: SwapSearch): Swap | null {
  const st = ctx.state;
  const loads = st.loads[o.resource];
  const b = ctx.budget;
  let best: Swap | null = null;
  for (const s of o.sources) {
    for (const d of o.dests) {
      const gap = loads[s]! - loads[d]!;
      if (!(gap > 0)) continue;
      // Replicas of d that may go to s, by their amount.
      const back = [...st.hosted[d]!]
        .filter((q) => st.partitionGroup[q] === o.group && canMoveFrom(ctx, q, d) && canReceive(ctx, q, d, s, o.group))
        .map((q) => ({ q, x: st.replicaAmount(q, d, o.resource) }))
        .sort((a, c) => a.x - c.x || a.q - c.q);
      for (const p of back.length === 0 || !o.replicas ? [] : st.hosted[s]!) {
        if (st.partitionGroup[p] !== o.group || !canMoveFrom(ctx, p, s) || !canReceive(ctx, p, s, d, o.group)) continue;
        const xp = st.replicaAmount(p, s, o.resource);
        const ideal = xp - gap / 2;
        let lo = 0;
        let hi = back.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (back[mid]!.x < ideal) lo = mid + 1;
          else hi = mid;
        }
        for (let k = Math.max(0, lo - NEIGHBOURS); k < Math.min(back.length, lo + NEIGHBOURS); k++) {
          const { q, x: xq } = back[k]!;
          if (st.hosted[s]!.has(q) || st.hosted[d]!.has(p)) continue;
          const dl = balanceDelta(loads[s]!, loads[d]!, xp - xq, o.mean);
          if (!(dl < -1e-12)) continue;
          const bytes = st.disk[p]! + st.disk[q]!;
          const score = -dl / (bytes + 2 * o.cost);
          if (best !== null && score <= best.score) continue;
          if (b.moves + 2 > b.maxMoves || b.bytes + bytes > b.maxBytes) continue;
          if (!o.keeps(s, d, (res) => st.replicaAmount(p, s, res) - st.replicaAmount(q, d, res))) continue;
          best = { p, q, s, d, score, leader: false };
        }
      }
      best = bestLeaderSwap(ctx, o, s, d, best);
    }
  }
  return best;
}

/** The best leadership swap between `s` and `d` if it beats `best` (it copies nothing). */
function bestLeaderSwap(ctx: PlanContext, o: SwapSearch, s: number, d: number, best: Swap | null): Swap | null {
  const st = ctx.state;
  const loads = st.loads[o.resource];
  if (ctx.budget.moves + 2 > ctx.budget.maxMoves) return best;
  const led = (from: number, to: number): number[] => [...st.hosted[from]!].filter((p) => st.leader[p] === from && st.partitionGroup[p] === o.group && st.movable[p] === 1 && st.replicas[p]!.includes(to) && st.leaderAmount(p, o.resource) > 0);
  const back = led(d, s).map((q) => ({ q, x: st.leaderAmount(q, o.resource) })).sort((a, c) => a.x - c.x || a.q - c.q);
  if (back.length === 0) return best;
  const gap = loads[s]! - loads[d]!;
  for (const p of led(s, d)) {
    const xp = st.leaderAmount(p, o.resource);
    for (const { q, x: xq } of back) {
      const dl = balanceDelta(loads[s]!, loads[d]!, xp - xq, o.mean);
      if (!(dl < -1e-12) || !(xp - xq < gap)) continue;
      const score = -dl / (2 * o.cost);
      if (best !== null && score <= best.score) continue;
      if (!st.fits(d, (res) => st.leaderAmount(p, res)) || !o.keeps(s, d, (res) => st.leaderAmount(p, res) - st.leaderAmount(q, res))) continue;
      best = { p, q, s, d, score, leader: true };
    }
  }
  return best;
}
