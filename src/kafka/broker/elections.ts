import { KafkaError } from '../protocol/error-codes.ts';
import { Replica, type Partition } from './partition.ts';
import type { Cluster } from './cluster.ts';

/**
 * Leader elections and reassignments, as Kafka's controller does them: a new leader comes from
 * the live ISR in replica order; with no live ISR member the partition goes offline unless
 * unclean election is allowed. Every leadership change bumps the leader epoch.
 */

function setLeader(cluster: Cluster, p: Partition, leader: number, reason: string): void {
  const previous = p.leader;
  p.leader = leader;
  p.leaderEpoch++;
  if (leader >= 0) {
    const r = p.copies.get(leader)!;
    r.followingEpoch = p.leaderEpoch;
    r.log.beginEpoch(p.leaderEpoch);
    // The new leader's high watermark can only be what every ISR member has.
    p.highWatermark = Math.min(p.highWatermark, r.log.logEndOffset);
    p.updateHighWatermark();
    for (const [, c] of p.copies) c.lastCaughtUpMs = Date.now();
  }
  p.failAckWaiters(KafkaError.NOT_LEADER_OR_FOLLOWER);
  p.wakeAll();
  if (previous >= 0 && cluster.nodes[previous]) cluster.nodes[previous]!.stats.leaderChanges++;
  if (leader >= 0 && cluster.nodes[leader]) cluster.nodes[leader]!.stats.leaderChanges++;
  cluster.logger.info({ topic: p.topic, partition: p.index, from: previous, to: leader, epoch: p.leaderEpoch, isr: p.isr, reason }, leader >= 0 ? 'leader elected' : 'partition offline');
}

/** Elects a leader from the live ISR (or, when allowed, any live replica). */
export function electLeader(cluster: Cluster, p: Partition, reason: string): void {
  const live = (b: number): boolean => cluster.nodes[b]?.alive === true;
  const candidate = p.replicas.find((b) => p.isr.includes(b) && live(b));
  if (candidate !== undefined) {
    setLeader(cluster, p, candidate, reason);
    return;
  }
  if (cluster.uncleanAllowed(p)) {
    const unclean = p.replicas.find(live);
    if (unclean !== undefined) {
      p.isr = [unclean];
      cluster.stats.uncleanElections++;
      setLeader(cluster, p, unclean, `${reason} (unclean)`);
      return;
    }
  }
  if (p.leader >= 0) setLeader(cluster, p, -1, reason);
}

/** Moves leadership to the preferred replica; returns a Kafka error code (ElectLeaders semantics). */
export function electPreferred(cluster: Cluster, p: Partition): number {
  const preferred = p.preferred;
  if (p.leader === preferred) return KafkaError.ELECTION_NOT_NEEDED;
  if (!cluster.nodes[preferred]?.alive || !p.isr.includes(preferred)) return KafkaError.PREFERRED_LEADER_NOT_AVAILABLE;
  setLeader(cluster, p, preferred, 'preferred leader election');
  return KafkaError.NONE;
}

/** Unclean election on request: only for offline partitions; returns a Kafka error code. */
export function electUnclean(cluster: Cluster, p: Partition): number {
  if (p.leader >= 0) return KafkaError.ELECTION_NOT_NEEDED;
  const live = p.replicas.find((b) => cluster.nodes[b]?.alive);
  if (live === undefined) return KafkaError.ELIGIBLE_LEADERS_NOT_AVAILABLE;
  const clean = p.replicas.find((b) => p.isr.includes(b) && cluster.nodes[b]?.alive);
  if (clean === undefined) {
    p.isr = [live];
    cluster.stats.uncleanElections++;
  }
  setLeader(cluster, p, clean ?? live, 'unclean leader election');
  return KafkaError.NONE;
}

/** Starts (or, with null, cancels) a reassignment to `target` (KIP-455). Returns a Kafka error code. */
export function reassign(cluster: Cluster, p: Partition, target: number[] | null): number {
  if (target === null) {
    if (p.adding.length === 0 && p.removing.length === 0) return KafkaError.NO_REASSIGNMENT_IN_PROGRESS;
    for (const b of p.adding) {
      p.copies.delete(b);
      p.isr = p.isr.filter((x) => x !== b);
    }
    p.replicas = p.replicas.filter((b) => !p.adding.includes(b));
    p.adding = [];
    p.removing = [];
    return KafkaError.NONE;
  }
  if (target.length === 0 || new Set(target).size !== target.length || target.some((b) => !cluster.nodes[b])) {
    return KafkaError.INVALID_REPLICA_ASSIGNMENT;
  }
  const original = p.replicas.filter((b) => !p.adding.includes(b));
  p.adding = target.filter((b) => !original.includes(b));
  p.removing = original.filter((b) => !target.includes(b));
  p.replicas = [...target, ...p.removing];
  const now = Date.now();
  for (const b of p.adding) if (!p.copies.has(b)) p.copies.set(b, new Replica(b, now));
  if (p.adding.length === 0 && p.removing.length === 0) {
    p.replicas = [...target];
    return KafkaError.NONE;
  }
  cluster.scheduleReplication(p);
  return KafkaError.NONE;
}

/** Completes a reassignment once every target replica is in the ISR. */
export function progressReassignment(cluster: Cluster, p: Partition): void {
  if (!p.adding.every((b) => p.isr.includes(b))) return;
  const target = p.replicas.filter((b) => !p.removing.includes(b));
  for (const b of p.removing) p.copies.delete(b);
  p.isr = p.isr.filter((b) => target.includes(b));
  p.replicas = target;
  const removed = p.removing;
  p.adding = [];
  p.removing = [];
  if (!target.includes(p.leader)) electLeader(cluster, p, 'reassignment');
  cluster.logger.info({ topic: p.topic, partition: p.index, replicas: target, removed }, 'reassignment completed');
}
