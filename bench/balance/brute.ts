/**
 * The smallest plan, by brute force: over every placement of a group's partitions on the group's
 * brokers (each partition on any `rf` distinct brokers of the group, any of them leading), the one
 * that copies the fewest bytes (a partition's size for each replica it gains) while per-broker
 * loads meet the balance asked: bytes in with max/min at most `ratio` and a standard deviation at
 * most `std`, and bytes out (the leader serves consumers and followers, as model.ts counts it)
 * with max/min at most `outRatio`. On the measured per-partition loads of the planner's model;
 * exact for the bench's small groups (6^9 placements, pruned by cost).
 */
import { leaderBytesOut, type PartitionModel } from '../../src/balance/model.ts';

/** What the brute force found for one group. */
export interface Smallest {
  /** Least bytes copied by a placement meeting the balance; null when none does. */
  readonly bytes: number | null;
  /** Its per-broker max/min of bytes in and bytes out. */
  readonly ratio: number | null;
  readonly outRatio: number | null;
  /** Placements evaluated (the rest were pruned by cost). */
  readonly tried: number;
  /** The best bytes-in max/min of any placement evaluated. */
  readonly bestRatio: number;
}

/** The balance a placement must reach. */
export interface Balance {
  readonly ratio: number;
  readonly std: number;
  readonly outRatio: number;
}

/** Every ordered choice of `k` distinct items (the first leads). */
function arrangements(items: readonly number[], k: number): number[][] {
  if (k === 0) return [[]];
  return items.flatMap((x) => arrangements(items.filter((y) => y !== x), k - 1).map((rest) => [x, ...rest]));
}

function ratioOf(loads: Float64Array): number {
  let max = -Infinity;
  let min = Infinity;
  for (const l of loads) { max = Math.max(max, l); min = Math.min(min, l); }
  return max <= 0 ? 1 : min > 0 ? max / min : Infinity;
}

/** Brute force over the placements of `partitions` (one group's) on `brokers`. */
export function smallestPlan(partitions: readonly PartitionModel[], brokers: readonly number[], balance: Balance): Smallest {
  const index = new Map(brokers.map((b, i) => [b, i]));
  const options = partitions.map((p) => arrangements(brokers, p.replicas.length)
    .map((set) => ({ set: set.map((b) => index.get(b)!), cost: p.diskBytes * set.filter((b) => !p.replicas.includes(b)).length }))
    // Cheapest first: a good bound early prunes the most.
    .sort((a, c) => a.cost - c.cost));
  const total = options.reduce((a, o) => a * o.length, 1);
  if (total > 50_000_000) throw new RangeError(`brute force: ${total} placements is too many; keep the case small`);
  const bytesIn = partitions.map((p) => p.bytesIn);
  const out = partitions.map((p) => leaderBytesOut(p));
  const loadIn = new Float64Array(brokers.length);
  const loadOut = new Float64Array(brokers.length);
  let best: number | null = null;
  let bestIn: number | null = null;
  let bestOut: number | null = null;
  let bestRatio = Infinity;
  let tried = 0;
  const visit = (i: number, cost: number): void => {
    if (best !== null && cost >= best) return;
    if (i === partitions.length) {
      tried++;
      const rIn = ratioOf(loadIn);
      bestRatio = Math.min(bestRatio, rIn);
      if (rIn > balance.ratio) return;
      const rOut = ratioOf(loadOut);
      if (rOut > balance.outRatio) return;
      let sum = 0;
      for (const l of loadIn) sum += l;
      const mean = sum / loadIn.length;
      let sq = 0;
      for (const l of loadIn) sq += (l - mean) ** 2;
      if (Math.sqrt(sq / loadIn.length) > balance.std) return;
      best = cost;
      bestIn = rIn;
      bestOut = rOut;
      return;
    }
    for (const o of options[i]!) {
      for (const b of o.set) loadIn[b]! += bytesIn[i]!;
      loadOut[o.set[0]!]! += out[i]!;
      visit(i + 1, cost + o.cost);
      for (const b of o.set) loadIn[b]! -= bytesIn[i]!;
      loadOut[o.set[0]!]! -= out[i]!;
    }
  };
  visit(0, 0);
  return { bytes: best, ratio: bestIn, outRatio: bestOut, tried, bestRatio };
}
