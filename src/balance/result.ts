/**
 * A finished plan as data: the actions with their reasons, the reassignments they add up to
 * (replica lists before and after, what is added and removed), every broker's load before and
 * predicted after, each group's spread, bytes moved and the expected duration at the configured
 * replication throttle. explain.ts turns it into text; it is also what `--json` prints.
 */
import type { BalanceConfig } from './config.ts';
import { ratioOf, spreadOf } from './goals.ts';
import { RESOURCES, type BrokerLoad, type Resource } from './model.ts';
import type { PlanContext, PlannedMove } from './moves.ts';
import type { PlanState } from './state.ts';

/** One partition's reassignment (KIP-455: `adding` join the ISR before `removing` leave). */
export interface Reassignment {
  readonly topic: string;
  readonly partition: number;
  readonly replicasBefore: readonly number[];
  readonly replicasAfter: readonly number[];
  readonly leaderBefore: number;
  readonly leaderAfter: number;
  readonly adding: readonly number[];
  readonly removing: readonly number[];
  /** Bytes copied: the partition's size for each added replica. */
  readonly bytes: number;
}

/** A group's spread on one resource, before and after. */
export interface GroupSpread {
  readonly resource: Resource;
  readonly before: { readonly max: number; readonly min: number; readonly ratio: number };
  readonly after: { readonly max: number; readonly min: number; readonly ratio: number };
}

/** One resource group's balance. */
export interface GroupBalance {
  readonly group: string;
  readonly brokers: readonly number[];
  readonly spreads: readonly GroupSpread[];
}

/** A plan: what to do, why, and what it is predicted to give. */
export interface Plan {
  readonly mode: string;
  readonly moves: readonly PlannedMove[];
  readonly reassignments: readonly Reassignment[];
  /** Per broker id, load before and predicted after (drained brokers included). */
  readonly brokers: readonly { readonly id: number; readonly group: string; readonly drained: boolean; readonly before: BrokerLoad; readonly after: BrokerLoad }[];
  readonly groups: readonly GroupBalance[];
  readonly bytesMoved: number;
  /** Seconds the copies take at `throttleBytesPerSec` per broker (the broker receiving most bounds it). */
  readonly expectedSeconds: number;
  readonly throttleBytesPerSec: number;
  /** Goals left unmet, and why. */
  readonly unmet: readonly string[];
  /** Partitions not moved because their ISR is short of their replicas. */
  readonly underReplicated: number;
  readonly balancedRatio: number;
}

/** What summarize needs beyond the state. */
export interface SummaryInput {
  readonly mode: string;
  readonly unmet: readonly string[];
  readonly config: BalanceConfig;
}

function loadOf(loads: Record<Resource, Float64Array>, b: number): BrokerLoad {
  return { bytesIn: loads.bytesIn[b]!, bytesOut: loads.bytesOut[b]!, disk: loads.disk[b]!, leaders: loads.leaders[b]!, replicas: loads.replicas[b]! };
}

/** The plan the state and the recorded moves add up to. */
export function summarize(st: PlanState, ctx: PlanContext, before: Record<Resource, Float64Array>, input: SummaryInput): Plan {
  const ids = (list: readonly number[]): number[] => list.map((b) => st.brokerIds[b]!);
  const touched = [...new Set(ctx.moves.map((m) => `${m.topic}\u0000${m.partition}`))];
  const index = new Map<string, number>();
  for (let p = 0; p < st.topic.length; p++) index.set(`${st.topic[p]}\u0000${st.partition[p]}`, p);
  const received = new Map<number, number>();
  const reassignments: Reassignment[] = [];
  for (const key of touched) {
    const p = index.get(key)!;
    const was = st.originalReplicas[p]!;
    const now = st.replicas[p]!;
    const adding = now.filter((b) => !was.includes(b));
    const removing = was.filter((b) => !now.includes(b));
    if (adding.length === 0 && st.leader[p] === st.originalLeader[p] && now.every((b, i) => b === was[i])) continue;
    for (const b of adding) received.set(b, (received.get(b) ?? 0) + st.disk[p]!);
    reassignments.push({
      topic: st.topic[p]!, partition: st.partition[p]!, replicasBefore: ids(was), replicasAfter: ids(now),
      leaderBefore: st.brokerIds[st.originalLeader[p]!]!, leaderAfter: st.brokerIds[st.leader[p]!]!,
      adding: ids(adding), removing: ids(removing), bytes: st.disk[p]! * adding.length,
    });
  }
  const bytesMoved = reassignments.reduce((a, r) => a + r.bytes, 0);
  const rate = input.config.throttleBytesPerSec;
  const expectedSeconds = Math.max(0, ...received.values()) / rate;
  const groups: GroupBalance[] = [];
  for (let g = 0; g < st.groups.length; g++) {
    const members = st.members(g);
    if (members.length === 0) continue;
    const spreads = RESOURCES.map((resource): GroupSpread => {
      const b = spreadOf(before[resource], members);
      const a = spreadOf(st.loads[resource], members);
      return { resource, before: { max: b.max, min: b.min, ratio: ratioOf(b) }, after: { max: a.max, min: a.min, ratio: ratioOf(a) } };
    });
    groups.push({ group: st.groups[g]!, brokers: ids(members), spreads });
  }
  let underReplicated = 0;
  for (const m of st.movable) if (m === 0) underReplicated++;
  return {
    mode: input.mode,
    moves: ctx.moves,
    reassignments,
    brokers: st.brokerIds.map((id, b) => ({ id, group: st.groups[st.brokerGroup[b]!]!, drained: st.excluded[b] === 1, before: loadOf(before, b), after: loadOf(st.loads, b) })),
    groups,
    bytesMoved,
    expectedSeconds,
    throttleBytesPerSec: rate,
    unmet: input.unmet,
    underReplicated,
    balancedRatio: input.config.balancedRatio,
  };
}
