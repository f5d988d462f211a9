/**
 * The planner's goals, hard then soft, in the order they are pursued:
 *
 * - hard: `drain` (no replica left on a broker being removed), `isolation` (a topic's replicas
 *   only on its resource group's brokers), `rack` (a partition's replicas on distinct racks when
 *   the group has enough racks), `capacity` (no broker above capacity × utilization on bytes in,
 *   bytes out or disk). Every move, whatever its goal, also keeps to isolation, racks and
 *   capacity at its destination, and never shrinks a partition's ISR (KIP-455 reassignments add
 *   the new replica before removing the old one; partitions with a short ISR are not moved);
 * - soft: `balance` of bytes in, bytes out, disk, leaders, replicas across each group's brokers.
 *   A move for a later goal must keep every earlier balance goal met if it was met, and no worse
 *   (max no higher, min no lower) if it was not (Cruise Control's acceptance rule), so goals are
 *   not traded against each other in circles.
 */
import { RESOURCE_NAMES, type Resource } from './model.ts';

/** What a goal asks. */
export type GoalKind = 'drain' | 'isolation' | 'rack' | 'capacity' | 'balance';

/** One goal: a kind and, for capacity and balance, the resource. */
export interface Goal {
  readonly kind: GoalKind;
  readonly resource: Resource;
}

/** How a goal reads in an explanation. */
export function goalName(g: Goal): string {
  switch (g.kind) {
    case 'drain': return 'drain';
    case 'isolation': return 'resource-group isolation';
    case 'rack': return 'rack awareness';
    case 'capacity': return `capacity of ${RESOURCE_NAMES[g.resource]}`;
    case 'balance': return `balance of ${RESOURCE_NAMES[g.resource]}`;
  }
}

/** The highest and lowest loads of a set of brokers, and their mean. */
export interface Spread {
  readonly max: number;
  readonly min: number;
  readonly mean: number;
  readonly maxBroker: number;
  readonly minBroker: number;
}

/** The spread of `loads` over `members` (indices); ties go to the lower index. */
export function spreadOf(loads: Float64Array, members: readonly number[]): Spread {
  let max = -Infinity;
  let min = Infinity;
  let sum = 0;
  let maxBroker = -1;
  let minBroker = -1;
  for (const b of members) {
    const l = loads[b]!;
    sum += l;
    if (l > max) { max = l; maxBroker = b; }
    if (l < min) { min = l; minBroker = b; }
  }
  return { max, min, mean: members.length > 0 ? sum / members.length : 0, maxBroker, minBroker };
}

/** True for the resources counted in units (leaders, replicas) rather than bytes. */
function isCount(r: Resource): boolean {
  return r === 'leaders' || r === 'replicas';
}

/**
 * Whether loads between `min` and `max` (mean `mean`) are balanced: for bytes, max/min at most
 * `ratio` (all zero counts as balanced); for counts, max − min at most max(1, ⌊mean × (ratio − 1)⌋).
 */
export function isBalanced(r: Resource, max: number, min: number, mean: number, ratio: number): boolean {
  if (isCount(r)) return max - min <= Math.max(1, Math.floor(mean * (ratio - 1)));
  if (max <= 0) return true;
  return min > 0 && max / min <= ratio * (1 + 1e-12);
}

/** max/min of a spread as a number (Infinity when min is 0 and max is not). */
export function ratioOf(s: Pick<Spread, 'max' | 'min'>): number {
  return s.max <= 0 ? 1 : s.min <= 0 ? Infinity : s.max / s.min;
}

/** Change of Σ(load/mean − 1)² when `x` moves from a broker at `ls` to one at `ld`; negative is better. */
export function balanceDelta(ls: number, ld: number, x: number, mean: number): number {
  const m = mean > 0 ? mean : 1;
  return (2 * x * (ld - ls + x)) / (m * m);
}

/** Change of the total excess over `limit` when `x` moves from `ls` to `ld`; negative is better. */
export function excessDelta(ls: number, ld: number, x: number, limit: number): number {
  const ex = (l: number): number => Math.max(0, l - limit);
  return ex(ls - x) + ex(ld + x) - ex(ls) - ex(ld);
}

/**
 * The few highest and lowest brokers of a group on one resource, so that "does this move leave
 * the goal no worse" is answered without scanning the group for every candidate.
 */
export class Extremes {
  private readonly top: number[];
  private readonly bottom: number[];

  constructor(private readonly loads: Float64Array, members: readonly number[], private readonly resource: Resource, private readonly mean: number, private readonly ratio: number) {
    const sorted = [...members].sort((a, b) => loads[b]! - loads[a]! || a - b);
    this.top = sorted.slice(0, 3);
    this.bottom = sorted.slice(-3).reverse();
  }

  /**
   * True when the move leaves this goal no worse with broker `s` at `ls` and broker `d` at `ld`:
   * still met if it was met, else with a max no higher and a min no lower than now.
   */
  keeps(s: number, d: number, ls: number, ld: number): boolean {
    let max = Math.max(ls, ld);
    let min = Math.min(ls, ld);
    for (const b of this.top) if (b !== s && b !== d) { max = Math.max(max, this.loads[b]!); break; }
    for (const b of this.bottom) if (b !== s && b !== d) { min = Math.min(min, this.loads[b]!); break; }
    if (isBalanced(this.resource, max, min, this.mean, this.ratio)) return true;
    const eps = 1e-9 * Math.max(1, Math.abs(this.mean));
    return max <= this.loads[this.top[0]!]! + eps && min >= this.loads[this.bottom[0]!]! - eps;
  }
}
