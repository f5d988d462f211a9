import { batchInfo } from '../protocol/records.ts';
import type { Partition, Replica } from './partition.ts';

/**
 * Follower replication inside the bundled cluster. Each live follower copies the batches its
 * leader has beyond its own log end, exactly as stored (same offsets, epochs and bytes), after
 * reconciling its log with the leader's epoch history (KIP-101 truncation). The leader tracks
 * when each follower was last caught up; followers that reach the high watermark
 * rejoin the ISR (the controller removes those behind for longer than replica.lag.time.max.ms).
 */

/** What replication needs of the cluster: brokers' state, throttles, and the controller's checks. */
export interface ReplicationHost {
  /** Every partition of every topic (the periodic sweep). */
  partitions(): Iterable<Partition>;
  /** Whether a broker is running. */
  isAlive(broker: number): boolean;
  /** Whether a broker's followers fetch now (running, replication not cut by a fault). */
  fetching(broker: number): boolean;
  /** Bytes a follower may copy now under replication throttles (Infinity when unthrottled). */
  budget(p: Partition, follower: number, leader: number): number;
  /** Charges copied bytes to the throttles and the capacity model of both brokers. */
  charge(p: Partition, follower: number, leader: number, bytes: number): void;
  /** A follower caught up and joined the ISR. */
  onIsrExpand(p: Partition, broker: number): void;
  /** The controller's checks of the periodic sweep (ISR shrink, reassignment progress). */
  sweep(p: Partition, now: number): void;
}

/** Copies what a follower is missing; returns the bytes copied. */
export function replicateTo(host: ReplicationHost, p: Partition, follower: Replica, leader: Replica, now: number): number {
  if (!host.fetching(follower.brokerId)) return 0;
  const leaderLog = leader.log;
  if (follower.followingEpoch !== p.leaderEpoch) {
    reconcile(follower, leader);
    follower.followingEpoch = p.leaderEpoch;
  }
  if (follower.log.logEndOffset < leaderLog.logStartOffset) follower.log.resetTo(leaderLog.logStartOffset);
  let copied = 0;
  if (follower.log.logEndOffset < leaderLog.logEndOffset) {
    // A throttled follower copies whole batches while it has budget (it may overdraw by one batch).
    const budget = host.budget(p, follower.brokerId, leader.brokerId);
    for (const b of leaderLog.batchesFrom(follower.log.logEndOffset)) {
      if (copied >= budget) break;
      follower.log.appendReplica(b, now);
      follower.producers.record(batchInfo(b.bytes), b.baseOffset);
      copied += b.bytes.length;
    }
    if (copied > 0) host.charge(p, follower.brokerId, leader.brokerId, copied);
  }
  if (follower.log.logEndOffset >= leaderLog.logEndOffset) follower.lastCaughtUpMs = now;
  return copied;
}

/** Truncates a follower to where its history agrees with the leader's (leader-epoch based). */
function reconcile(follower: Replica, leader: Replica): void {
  const fLog = follower.log;
  if (fLog.logEndOffset === 0) return;
  const { epoch, endOffset } = leader.log.endOffsetForEpoch(fLog.latestEpoch);
  let target: number;
  if (epoch < 0) target = leader.log.logStartOffset;
  else if (epoch === fLog.latestEpoch) target = endOffset;
  else target = Math.min(endOffset, fLog.endOffsetForEpoch(epoch).endOffset);
  if (target < fLog.logEndOffset) fLog.truncateTo(Math.max(target, fLog.logStartOffset));
}

/**
 * One replication step for a partition: followers copy, the ISR expands with followers that
 * reached the high watermark, and the high watermark advances. Returns true when more is left.
 */
export function replicatePartition(host: ReplicationHost, p: Partition, now: number): boolean {
  const leader = p.leaderReplica();
  if (!leader || !host.isAlive(p.leader)) return false;
  let behind = false;
  // The follower furthest behind copies first: followers sharing a leader's throttle take turns.
  const followers = [...p.copies].filter(([b]) => b !== p.leader);
  if (followers.length > 1) followers.sort(([, a], [, b]) => a.log.logEndOffset - b.log.logEndOffset);
  for (const [brokerId, r] of followers) {
    replicateTo(host, p, r, leader, now);
    if (host.isAlive(brokerId) && !p.isr.includes(brokerId) && r.log.logEndOffset >= p.highWatermark && r.log.logEndOffset >= leader.log.logEndOffset && r.followingEpoch === p.leaderEpoch) {
      p.isr.push(brokerId);
      host.onIsrExpand(p, brokerId);
    }
    if (host.fetching(brokerId) && r.log.logEndOffset < leader.log.logEndOffset) behind = true;
  }
  p.updateHighWatermark();
  return behind;
}

/**
 * Schedules replication: a leader append queues its partition for the next turn of the event
 * loop; a periodic full tick sweeps every partition and runs the controller's checks. Partitions
 * with more to copy (throttled, or large) are retried shortly.
 */
export class ReplicationScheduler {
  /** Partitions with replication work queued for the next tick. */
  private dirty = new Set<Partition>();
  private scheduled = false;

  constructor(private readonly host: ReplicationHost) {}

  /** Queues replication of a partition (after a leader append). */
  schedule(p: Partition): void {
    if (p.replicas.length === 1 && p.adding.length === 0) {
      p.updateHighWatermark();
      return;
    }
    this.dirty.add(p);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.tick(false));
    }
  }

  /** Replicates queued partitions; the periodic (full) tick sweeps all of them. */
  tick(full: boolean): void {
    this.scheduled = false;
    const now = Date.now();
    const work = full ? this.host.partitions() : this.dirty;
    const again = new Set<Partition>();
    for (const p of work) {
      if (p.replicas.length === 1 && p.adding.length === 0) continue;
      if (replicatePartition(this.host, p, now)) again.add(p);
      if (full) this.host.sweep(p, now);
    }
    this.dirty = again;
    if (again.size > 0 && !this.scheduled) {
      this.scheduled = true;
      setTimeout(() => this.tick(false), 5).unref();
    }
  }
}
