/**
 * Quota allocation, pure: how much of a cluster's capacity each client gets, by business group.
 *
 * Order, as operators of shared clusters expect it:
 * 1. floors: every client is guaranteed its group's floor (or its demand, if smaller) first;
 * 2. demand, by priority: higher priorities are served before lower ones, and within one
 *    priority clients share by weighted max-min fairness (water-filling): nobody gets more than
 *    it asks, and what a small client does not need goes to the others in proportion to weight;
 * 3. spare: capacity left once every demand is met is shared by weight as burst headroom.
 * A client's quota is its allocation plus headroom, never below its group's floor nor above its
 * ceiling, and never zero.
 */

/** A business group: who is served first, how shares are weighted, and per-client bounds (bytes/s). */
export interface GroupPolicy {
  readonly name: string;
  /** Higher is served first. */
  readonly priority: number;
  /** Share weight of each client of the group within its priority. */
  readonly weight: number;
  /** Quota no client of the group goes below. */
  readonly floor: number;
  /** Quota no client of the group goes above (Infinity: none). */
  readonly ceiling: number;
}

/** One client's demand (bytes/s) and group. */
export interface ClientDemand {
  /** The quota entity, e.g. `user=alice,client-id=etl`. */
  readonly entity: string;
  readonly group: string;
  readonly demand: number;
}

/** What one client gets. */
export interface ClientAllocation {
  readonly entity: string;
  readonly group: string;
  readonly demand: number;
  /** Capacity granted against its demand (≤ demand, unless the floor alone exceeds it). */
  readonly allocation: number;
  /** The quota to set: allocation plus burst headroom, within [floor, ceiling]. */
  readonly quota: number;
  /** True when the allocation is below the demand: the client will be throttled. */
  readonly limited: boolean;
}

/** The whole allocation and how it came about. */
export interface AllocationResult {
  readonly clients: readonly ClientAllocation[];
  /** Capacity handed out against demand (floors included). */
  readonly allocated: number;
  /** Capacity left after every demand: shared as headroom. */
  readonly spare: number;
  /** True when the floors alone exceed the capacity (they are granted anyway). */
  readonly floorsOversubscribed: boolean;
}

/**
 * Weighted max-min fair shares of `capacity` among claims, none above its own `want`
 * (progressive filling: the smallest want per weight is satisfied first, then the rest share).
 */
export function waterFill(capacity: number, claims: readonly { want: number; weight: number }[]): number[] {
  const out = claims.map(() => 0);
  let left = Math.max(0, capacity);
  const open = claims.map((c, i) => i).filter((i) => claims[i]!.want > 0 && claims[i]!.weight > 0);
  open.sort((a, b) => claims[a]!.want / claims[a]!.weight - claims[b]!.want / claims[b]!.weight);
  let weights = open.reduce((s, i) => s + claims[i]!.weight, 0);
  for (let k = 0; k < open.length; k++) {
    const i = open[k]!;
    const level = left / weights;
    const c = claims[i]!;
    if (c.want / c.weight <= level) {
      out[i] = c.want;
      left -= c.want;
      weights -= c.weight;
    } else {
      // Everyone still open wants more than the level: they all get weight × level.
      for (let j = k; j < open.length; j++) out[open[j]!] = claims[open[j]!]!.weight * level;
      return out;
    }
  }
  return out;
}

/** Allocates `capacity` (bytes/s) among `clients` under `groups`; a client of an unknown group throws. */
export function allocate(capacity: number, groups: readonly GroupPolicy[], clients: readonly ClientDemand[]): AllocationResult {
  const policy = new Map(groups.map((g) => [g.name, g]));
  const of = (c: ClientDemand): GroupPolicy => {
    const p = policy.get(c.group);
    if (p === undefined) throw new Error(`client ${c.entity}: unknown group "${c.group}"`);
    return p;
  };
  const want = clients.map((c) => Math.max(0, Math.min(c.demand, of(c).ceiling)));
  // 1. Floors.
  const granted = clients.map((c, i) => Math.min(want[i]!, of(c).floor));
  let left = capacity - granted.reduce((s, x) => s + x, 0);
  const floorsOversubscribed = left < 0;
  left = Math.max(0, left);
  // 2. Demand by priority, water-filling within each.
  const priorities = [...new Set(clients.map((c) => of(c).priority))].sort((a, b) => b - a);
  for (const priority of priorities) {
    const members = clients.map((c, i) => i).filter((i) => of(clients[i]!).priority === priority);
    const shares = waterFill(left, members.map((i) => ({ want: want[i]! - granted[i]!, weight: of(clients[i]!).weight })));
    members.forEach((i, k) => {
      granted[i]! += shares[k]!;
      left -= shares[k]!;
    });
    left = Math.max(0, left);
  }
  const allocated = granted.reduce((s, x) => s + x, 0);
  // 3. Spare as headroom, by weight, up to each ceiling.
  const headroom = waterFill(left, clients.map((c, i) => ({ want: of(c).ceiling - granted[i]!, weight: of(c).weight })));
  const spare = left;
  const result = clients.map((c, i) => {
    const g = of(c);
    const quota = Math.max(g.floor, Math.min(g.ceiling, granted[i]! + headroom[i]!), 1);
    return { entity: c.entity, group: c.group, demand: c.demand, allocation: granted[i]!, quota, limited: granted[i]! < c.demand - 1e-9 };
  });
  return { clients: result, allocated, spare, floorsOversubscribed };
}
