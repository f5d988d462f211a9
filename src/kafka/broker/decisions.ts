import { KafkaError } from '../protocol/error-codes.ts';
import type {
  AssignmentChange, ElectionOutcome, IsrShrink, LeaderChange, PartitionState, ReassignOutcome, ReassignmentCompletion, ReplicaLoss,
} from './state.ts';

/**
 * The controller's decisions, as Kafka's controller makes them, over plain cluster state: each
 * takes a partition's state and the brokers and returns what to change (or null: nothing). They
 * read no clock and change nothing; the Controller applies what they return.
 *
 * Elections: a new leader comes from the live ISR in replica order; with no live ISR member the
 * partition goes offline, unless unclean election is allowed and a replica outside the ISR lives.
 */

/** Leader election: first live ISR member in replica order, else (when allowed) first live replica. */
export function electLeader(p: PartitionState, live: ReadonlySet<number>, uncleanAllowed: boolean): LeaderChange | null {
  const clean = p.replicas.find((b) => p.isr.includes(b) && live.has(b));
  if (clean !== undefined) return { leader: clean, unclean: false };
  if (uncleanAllowed) {
    const unclean = p.replicas.find((b) => live.has(b));
    if (unclean !== undefined) return { leader: unclean, isr: [unclean], unclean: true };
  }
  return p.leader >= 0 ? { leader: -1, unclean: false } : null;
}

/** Preferred leader election (ElectLeaders type 0): the first assigned replica, if live and in the ISR. */
export function electPreferred(p: PartitionState, live: ReadonlySet<number>): ElectionOutcome {
  const preferred = p.replicas[0]!;
  if (p.leader === preferred) return { code: KafkaError.ELECTION_NOT_NEEDED, change: null };
  if (!live.has(preferred) || !p.isr.includes(preferred)) return { code: KafkaError.PREFERRED_LEADER_NOT_AVAILABLE, change: null };
  return { code: KafkaError.NONE, change: { leader: preferred, unclean: false } };
}

/** Unclean election on request (ElectLeaders type 1): only for offline partitions; a live ISR member still wins. */
export function electUnclean(p: PartitionState, live: ReadonlySet<number>): ElectionOutcome {
  if (p.leader >= 0) return { code: KafkaError.ELECTION_NOT_NEEDED, change: null };
  const any = p.replicas.find((b) => live.has(b));
  if (any === undefined) return { code: KafkaError.ELIGIBLE_LEADERS_NOT_AVAILABLE, change: null };
  const clean = p.replicas.find((b) => p.isr.includes(b) && live.has(b));
  const change: LeaderChange = clean === undefined ? { leader: any, isr: [any], unclean: true } : { leader: clean, unclean: false };
  return { code: KafkaError.NONE, change };
}

/** Whether a broker that just started should lead a partition that is offline. */
export function electsWhenStarted(p: PartitionState, broker: number, uncleanAllowed: boolean): boolean {
  return p.leader < 0 && p.replicas.includes(broker) && (p.isr.includes(broker) || uncleanAllowed);
}

/** Followers behind for longer than replica.lag.time.max.ms leave the ISR (the leader stays). */
export function shrinkIsr(p: PartitionState, now: number, lagTimeMaxMs: number): IsrShrink | null {
  if (p.leader < 0) return null;
  const removed = p.isr.filter((b) => b !== p.leader && now - (p.copies.get(b)?.lastCaughtUpMs ?? 0) > lagTimeMaxMs);
  if (removed.length === 0) return null;
  return { isr: p.isr.filter((b) => !removed.includes(b)), removed };
}

/** A new partition with replicas on dead brokers: they leave the ISR; with none left it starts offline. */
export function lossAtCreation(p: PartitionState, live: ReadonlySet<number>): ReplicaLoss | null {
  const dead = p.replicas.filter((b) => !live.has(b));
  if (dead.length === 0) return null;
  const isr = p.isr.filter((b) => !dead.includes(b));
  if (isr.length === 0) return { isr: [p.replicas[0]!], offline: true, elect: false };
  return { isr, offline: false, elect: !isr.includes(p.leader) };
}

/** A broker stopped: it leaves the ISR (unless it is the last member) and, if it led, a new leader is elected. */
export function lossOfBroker(p: PartitionState, broker: number): ReplicaLoss | null {
  if (!p.replicas.includes(broker) && !p.adding.includes(broker)) return null;
  const shrink = p.isr.includes(broker) && p.isr.length > 1;
  const elect = p.leader === broker;
  return shrink ? { isr: p.isr.filter((b) => b !== broker), offline: false, elect } : { offline: false, elect };
}

/**
 * auto.leader.rebalance: the partitions to hand back to their preferred leader, on each live
 * broker that leads more than `imbalancePct` percent fewer of its preferred partitions.
 */
export function preferredElections<P extends PartitionState>(partitions: Iterable<P>, live: ReadonlySet<number>, imbalancePct: number): P[] {
  const preferredOf = new Map<number, P[]>();
  for (const p of partitions) {
    const list = preferredOf.get(p.replicas[0]!) ?? [];
    list.push(p);
    preferredOf.set(p.replicas[0]!, list);
  }
  const out: P[] = [];
  for (const [broker, parts] of preferredOf) {
    if (!live.has(broker)) continue;
    const notLed = parts.filter((p) => p.leader !== broker);
    if (notLed.length === 0 || (notLed.length * 100) / parts.length <= imbalancePct) continue;
    out.push(...notLed);
  }
  return out;
}

/**
 * Starts (target) or cancels (null) a reassignment (KIP-455). While it runs, the replicas are the
 * target followed by the replicas being removed; new replicas get empty copies and catch up.
 */
export function reassign(p: PartitionState, target: readonly number[] | null, brokers: ReadonlySet<number>): ReassignOutcome {
  if (target === null) {
    if (p.adding.length === 0 && p.removing.length === 0) return { code: KafkaError.NO_REASSIGNMENT_IN_PROGRESS, change: null, replicate: false };
    const change: AssignmentChange = {
      replicas: p.replicas.filter((b) => !p.adding.includes(b)),
      isr: p.isr.filter((b) => !p.adding.includes(b)),
      adding: [],
      removing: [],
      createCopies: [],
      dropCopies: [...p.adding],
    };
    return { code: KafkaError.NONE, change, replicate: false };
  }
  if (target.length === 0 || new Set(target).size !== target.length || target.some((b) => !brokers.has(b))) {
    return { code: KafkaError.INVALID_REPLICA_ASSIGNMENT, change: null, replicate: false };
  }
  // A new target replaces one in progress: it is measured against the original replicas, and
  // replicas added by the previous target that the new one drops lose their copies.
  const original = p.replicas.filter((b) => !p.adding.includes(b));
  const adding = target.filter((b) => !original.includes(b));
  const removing = original.filter((b) => !target.includes(b));
  const moves = adding.length > 0 || removing.length > 0;
  const replicas = moves ? [...target, ...removing] : [...target];
  const change: AssignmentChange = {
    replicas,
    isr: p.isr.filter((b) => replicas.includes(b)),
    adding,
    removing,
    createCopies: adding.filter((b) => !p.copies.has(b)),
    dropCopies: [...p.copies.keys()].filter((b) => !replicas.includes(b)),
  };
  return { code: KafkaError.NONE, change, replicate: moves };
}

/**
 * Completes a reassignment once every target replica (added or kept) is in the ISR, as Kafka's
 * controller does: the removed replicas leave the replicas and the ISR.
 */
export function completeReassignment(p: PartitionState): ReassignmentCompletion | null {
  if (p.adding.length === 0 && p.removing.length === 0) return null;
  const target = p.replicas.filter((b) => !p.removing.includes(b));
  if (!target.every((b) => p.isr.includes(b))) return null;
  const change: AssignmentChange = {
    replicas: target,
    isr: p.isr.filter((b) => target.includes(b)),
    adding: [],
    removing: [],
    createCopies: [],
    dropCopies: [...p.removing],
  };
  return { change, removed: [...p.removing], elect: !target.includes(p.leader) };
}
