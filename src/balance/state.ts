/**
 * The planner's working state: the model's placement in flat arrays indexed by broker and
 * partition, per-broker loads kept current as moves are applied, and the replicas each broker
 * hosts. Pure and in memory; plan.ts decides, this applies.
 */
import { DEFAULT_GROUP, groupOfBroker, groupOfTopic, type BalanceConfig } from './config.ts';
import { MovableReplicas } from './candidates.ts';
import { leaderBytesOut, RESOURCES, type ClusterModel, type Resource } from './model.ts';

/** Resources with a capacity limit. */
export const LIMITED = ['bytesIn', 'bytesOut', 'disk'] as const;

/** Placement and loads under planning. Broker and partition numbers here are indices. */
export class PlanState {
  readonly brokerIds: number[];
  readonly brokerIndex = new Map<number, number>();
  readonly racks: (string | null)[];
  /** True when every broker has a rack and there are at least two racks. */
  readonly rackAware: boolean;
  /** Group names; index 0.. as referenced by `brokerGroup` and `partitionGroup`. */
  readonly groups: string[];
  readonly brokerGroup: Int32Array;
  /** The group a partition must live in; -1 when that group has no broker (left where it is). */
  readonly partitionGroup: Int32Array;
  readonly topic: string[];
  readonly partition: number[];
  readonly replicas: number[][];
  readonly originalReplicas: (readonly number[])[];
  readonly leader: Int32Array;
  readonly originalLeader: Int32Array;
  readonly bytesIn: Float64Array;
  /** What the partition's leader sends: consumers plus followers. */
  readonly leaderOut: Float64Array;
  readonly disk: Float64Array;
  /** 0 when the partition's ISR is short: it is never moved. */
  readonly movable: Uint8Array;
  /** 1 once a replica of the partition has been moved. */
  readonly moved: Uint8Array;
  readonly loads: Record<Resource, Float64Array>;
  readonly limits: Record<(typeof LIMITED)[number], number>;
  /** Partitions each broker hosts, in insertion order (deterministic). */
  readonly hosted: Set<number>[];
  /** Brokers no replica may be moved to (drained). */
  readonly excluded: Uint8Array;
  /** The replicas each broker may still move away (hosted at the start, ISR whole, not moved yet). */
  readonly movableFrom: MovableReplicas;

  constructor(model: ClusterModel, config: BalanceConfig, extraBrokers: readonly number[] = []) {
    const ids = new Set<number>();
    const rackOf = new Map<number, string | null>();
    for (const b of model.brokers) {
      ids.add(b.id);
      rackOf.set(b.id, b.rack);
    }
    for (const p of model.partitions) for (const r of p.replicas) ids.add(r);
    for (const b of extraBrokers) ids.add(b);
    this.brokerIds = [...ids].sort((a, b) => a - b);
    this.brokerIds.forEach((id, i) => this.brokerIndex.set(id, i));
    this.racks = this.brokerIds.map((id) => rackOf.get(id) ?? null);
    this.rackAware = this.racks.every((r) => r !== null) && new Set(this.racks).size > 1;
    const nb = this.brokerIds.length;
    const names = [...config.groups.map((g) => g.name), DEFAULT_GROUP];
    this.groups = names;
    this.brokerGroup = Int32Array.from(this.brokerIds, (id) => names.indexOf(groupOfBroker(config, id)));
    const populated = new Set(this.brokerGroup);
    const topicGroup = new Map<string, number>();
    const np = model.partitions.length;
    this.partitionGroup = new Int32Array(np);
    this.topic = new Array<string>(np);
    this.partition = new Array<number>(np);
    this.replicas = new Array<number[]>(np);
    this.originalReplicas = new Array<number[]>(np);
    this.leader = new Int32Array(np);
    this.originalLeader = new Int32Array(np);
    this.bytesIn = new Float64Array(np);
    this.leaderOut = new Float64Array(np);
    this.disk = new Float64Array(np);
    this.movable = new Uint8Array(np);
    this.moved = new Uint8Array(np);
    this.loads = Object.fromEntries(RESOURCES.map((r) => [r, new Float64Array(nb)])) as Record<Resource, Float64Array>;
    this.hosted = Array.from({ length: nb }, () => new Set<number>());
    this.excluded = new Uint8Array(nb);
    const cap = config.capacity;
    this.limits = { bytesIn: cap.bytesInPerSec * cap.utilization, bytesOut: cap.bytesOutPerSec * cap.utilization, disk: cap.diskBytes * cap.utilization };
    model.partitions.forEach((p, i) => {
      let g = topicGroup.get(p.topic);
      if (g === undefined) {
        g = names.indexOf(groupOfTopic(config, p.topic));
        topicGroup.set(p.topic, g);
      }
      this.partitionGroup[i] = populated.has(g) ? g : -1;
      this.topic[i] = p.topic;
      this.partition[i] = p.partition;
      const reps = p.replicas.map((r) => this.brokerIndex.get(r)!);
      this.replicas[i] = reps;
      this.originalReplicas[i] = [...reps];
      const leader = this.brokerIndex.get(p.leader) ?? reps[0] ?? -1;
      this.leader[i] = leader;
      this.originalLeader[i] = leader;
      this.bytesIn[i] = p.bytesIn;
      this.leaderOut[i] = leaderBytesOut(p);
      this.disk[i] = p.diskBytes;
      this.movable[i] = p.isr === undefined || p.isr.length >= p.replicas.length ? 1 : 0;
      for (const b of reps) {
        this.loads.bytesIn[b]! += p.bytesIn;
        this.loads.disk[b]! += p.diskBytes;
        this.loads.replicas[b]! += 1;
        this.hosted[b]!.add(i);
      }
      if (leader >= 0) {
        this.loads.bytesOut[leader]! += this.leaderOut[i]!;
        this.loads.leaders[leader]! += 1;
      }
    });
    this.movableFrom = new MovableReplicas(this.hosted, this.movable, { group: this.partitionGroup, bytesIn: this.bytesIn, disk: this.disk });
  }

  /** How much of `resource` moves with partition `p`'s replica on `from` (a leader takes its leadership along). */
  replicaAmount(p: number, from: number, resource: Resource): number {
    switch (resource) {
      case 'bytesIn': return this.bytesIn[p]!;
      case 'disk': return this.disk[p]!;
      case 'replicas': return 1;
      case 'bytesOut': return this.leader[p] === from ? this.leaderOut[p]! : 0;
      case 'leaders': return this.leader[p] === from ? 1 : 0;
    }
  }

  /** How much of `resource` moves with partition `p`'s leadership. */
  leaderAmount(p: number, resource: Resource): number {
    return resource === 'bytesOut' ? this.leaderOut[p]! : resource === 'leaders' ? 1 : 0;
  }

  /** True when moving `p`'s replica from `from` to `to` keeps at least as many racks as it has. */
  rackAllows(p: number, from: number, to: number): boolean {
    if (!this.rackAware) return true;
    // Replica lists are short: count distinct racks without allocating.
    const reps = this.replicas[p]!;
    let before = 0;
    let after = 0;
    for (let i = 0; i < reps.length; i++) {
      const a = this.racks[reps[i]!];
      const b = this.racks[reps[i] === from ? to : reps[i]!];
      let seenA = false;
      let seenB = false;
      for (let j = 0; j < i; j++) {
        if (this.racks[reps[j]!] === a) seenA = true;
        if (this.racks[reps[j] === from ? to : reps[j]!] === b) seenB = true;
      }
      if (!seenA) before++;
      if (!seenB) after++;
    }
    return after >= before;
  }

  /** True when `to` stays within every capacity limit after taking `amount(resource)`. */
  fits(to: number, amount: (r: Resource) => number): boolean {
    for (const r of LIMITED) {
      const x = amount(r);
      if (x > 0 && this.loads[r][to]! + x > this.limits[r]) return false;
    }
    return true;
  }

  /** Moves `p`'s replica from broker `from` to `to` (indices); leadership goes along. */
  moveReplica(p: number, from: number, to: number): void {
    for (const r of RESOURCES) {
      const x = this.replicaAmount(p, from, r);
      this.loads[r][from]! -= x;
      this.loads[r][to]! += x;
    }
    const reps = this.replicas[p]!;
    reps[reps.indexOf(from)] = to;
    this.moved[p] = 1;
    if (this.leader[p] === from) this.leader[p] = to;
    this.hosted[from]!.delete(p);
    this.hosted[to]!.add(p);
    this.movableFrom.remove(from, p);
  }

  /** Makes `to` (a replica of `p`) its leader and first (preferred) replica. */
  moveLeader(p: number, to: number): void {
    const from = this.leader[p]!;
    for (const r of ['bytesOut', 'leaders'] as const) {
      const x = this.leaderAmount(p, r);
      this.loads[r][from]! -= x;
      this.loads[r][to]! += x;
    }
    this.leader[p] = to;
    const reps = this.replicas[p]!;
    reps.splice(reps.indexOf(to), 1);
    reps.unshift(to);
  }

  /** Indices of the brokers of group `g` that count in its balance (not excluded). */
  members(g: number): number[] {
    const out: number[] = [];
    for (let b = 0; b < this.brokerIds.length; b++) if (this.brokerGroup[b] === g && this.excluded[b] === 0) out.push(b);
    return out;
  }
}
