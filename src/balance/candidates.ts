/**
 * The replicas each broker may still move away in a plan, kept as flat arrays so that the
 * planner's scan of a hot broker (thousands of replicas, once per move) reads memory in order
 * instead of walking a hash set and testing each replica against the plan's bookkeeping.
 *
 * A broker's list holds the partitions it hosted at the start whose ISR is whole, in model order,
 * beside each one's resource group, bytes in and size (which never change while planning), and
 * loses one when its replica is moved away. A replica this plan moves onto a broker is never
 * moved again (moves.ts), so nothing is ever added: the list is the start's order with holes
 * (-1), compacted when half of it is holes.
 */
import { balanceDelta, excessDelta } from './goals.ts';

export class MovableReplicas {
  private readonly lists: Int32Array[];
  private readonly groups: Int32Array[];
  private readonly bytesIn: Float64Array[];
  private readonly disk: Float64Array[];
  private readonly lengths: Int32Array;
  private readonly holes: Int32Array;
  /** Where each partition sits in each broker's list. */
  private readonly slotOf: Map<number, number>[];

  constructor(hosted: readonly Iterable<number>[], movable: Uint8Array, partition: { readonly group: Int32Array; readonly bytesIn: Float64Array; readonly disk: Float64Array }) {
    this.lists = hosted.map((ps) => Int32Array.from([...ps].filter((p) => movable[p] === 1)));
    this.groups = this.lists.map((l) => Int32Array.from(l, (p) => partition.group[p]!));
    this.bytesIn = this.lists.map((l) => Float64Array.from(l, (p) => partition.bytesIn[p]!));
    this.disk = this.lists.map((l) => Float64Array.from(l, (p) => partition.disk[p]!));
    this.lengths = Int32Array.from(this.lists, (l) => l.length);
    this.holes = new Int32Array(this.lists.length);
    this.slotOf = this.lists.map((l) => new Map(Array.from(l, (p, i) => [p, i])));
  }

  /**
   * The partitions whose replica on `broker` may still move, in model order, with -1 for those
   * moved away; read up to `length(broker)`. Valid until the next `remove`.
   */
  of(broker: number): Int32Array {
    return this.lists[broker]!;
  }

  /** The resource group, bytes in and size of each entry of `of(broker)`. */
  groupsOf(broker: number): Int32Array {
    return this.groups[broker]!;
  }

  bytesInOf(broker: number): Float64Array {
    return this.bytesIn[broker]!;
  }

  diskOf(broker: number): Float64Array {
    return this.disk[broker]!;
  }

  /** How many entries of `of(broker)` to read. */
  length(broker: number): number {
    return this.lengths[broker]!;
  }

  /** Takes `p` off `broker`'s list (its replica there was moved away); no-op when it is not on it. */
  remove(broker: number, p: number): void {
    const slots = this.slotOf[broker]!;
    const at = slots.get(p);
    if (at === undefined) return;
    slots.delete(p);
    this.lists[broker]![at] = -1;
    if (++this.holes[broker]! * 2 > this.lengths[broker]!) this.compact(broker);
  }

  private compact(broker: number): void {
    const list = this.lists[broker]!;
    const [groups, bytesIn, disk] = [this.groups[broker]!, this.bytesIn[broker]!, this.disk[broker]!];
    const slots = this.slotOf[broker]!;
    let n = 0;
    for (let i = 0; i < this.lengths[broker]!; i++) {
      const p = list[i]!;
      if (p < 0) continue;
      list[n] = p;
      groups[n] = groups[i]!;
      bytesIn[n] = bytesIn[i]!;
      disk[n] = disk[i]!;
      slots.set(p, n++);
    }
    this.lengths[broker] = n;
    this.holes[broker] = 0;
  }
}

/** One goal's view of one source broker, for `boundMoves`. */
export interface BoundQuery {
  /** The resource group whose replicas count. */
  readonly group: number;
  /** The source's load and the coldest destination's, on the goal's resource. */
  readonly from: number;
  readonly coldest: number;
  /** The group's mean for a balance goal; null for a capacity goal (then `limit` counts). */
  readonly mean: number | null;
  readonly limit: number;
  /** Added to a replica's size as the cost of moving it. */
  readonly cost: number;
  /** How much of the resource each entry takes along, when it does not depend on leadership; else null and `amountOf`. */
  readonly amounts: Float64Array | null;
  readonly amountOf: (p: number) => number;
}

/**
 * For every replica `broker` may move within the query's group whose move to the coldest
 * broker would improve the goal: its partition and an upper bound on the move's score
 * (improvement per byte moved, were the coldest broker to take it), written to `partitions` and
 * `bounds` in the broker's order. Returns how many. A tight loop over flat arrays: this runs over
 * a hot broker's thousands of replicas once per move.
 */
export function boundMoves(replicas: MovableReplicas, broker: number, q: BoundQuery, partitions: Int32Array, bounds: Float64Array): number {
  const list = replicas.of(broker);
  const groups = replicas.groupsOf(broker);
  const disk = replicas.diskOf(broker);
  const n = replicas.length(broker);
  const { group, from, coldest, mean, limit, cost, amounts, amountOf } = q;
  // Bound once here: an imported binding read in the loop costs a lookup per replica.
  const [balance, excess] = [balanceDelta, excessDelta];
  let count = 0;
  for (let i = 0; i < n; i++) {
    const p = list[i]!;
    if (p < 0 || groups[i] !== group) continue;
    const x = amounts !== null ? amounts[i]! : amountOf(p);
    if (!(x > 0)) continue;
    const dl = mean !== null ? balance(from, coldest, x, mean) : excess(from, coldest, x, limit);
    if (dl < -1e-12) {
      partitions[count] = p;
      bounds[count++] = -dl / (disk[i]! + cost);
    }
  }
  return count;
}
