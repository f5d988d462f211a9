import { batchInfo } from '../protocol/records.ts';
import type { Partition, Replica } from './partition.ts';
import type { Cluster } from './cluster.ts';

/**
 * Follower replication inside the bundled cluster. Each live follower copies the batches its
 * leader has beyond its own log end, exactly as stored (same offsets, epochs and bytes), after
 * reconciling its log with the leader's epoch history (KIP-101 truncation). The leader tracks
 * when each follower was last caught up; followers behind for longer than
 * replica.lag.time.max.ms leave the ISR, and rejoin once they reach the high watermark.
 */

/** Copies what a follower is missing; returns the bytes copied. */
export function replicateTo(cluster: Cluster, p: Partition, follower: Replica, leader: Replica, now: number): number {
  const node = cluster.nodes[follower.brokerId];
  if (!node || !node.alive || node.replicationCut) return 0;
  const leaderLog = leader.log;
  if (follower.followingEpoch !== p.leaderEpoch) {
    reconcile(follower, leader);
    follower.followingEpoch = p.leaderEpoch;
  }
  if (follower.log.logEndOffset < leaderLog.logStartOffset) follower.log.resetTo(leaderLog.logStartOffset);
  let copied = 0;
  if (follower.log.logEndOffset < leaderLog.logEndOffset) {
    // A throttled follower copies whole batches while it has budget (it may overdraw by one batch).
    const budget = cluster.replicationBudget(p, follower.brokerId, leader.brokerId);
    for (const b of leaderLog.batchesFrom(follower.log.logEndOffset)) {
      if (copied >= budget) break;
      follower.log.appendReplica(b, now);
      follower.producers.record(batchInfo(b.bytes), b.baseOffset);
      copied += b.bytes.length;
    }
    if (copied > 0) cluster.chargeReplication(p, follower.brokerId, leader.brokerId, copied);
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
export function replicatePartition(cluster: Cluster, p: Partition, now: number): boolean {
  const leader = p.leaderReplica();
  if (!leader || !cluster.nodes[p.leader]?.alive) return false;
  let behind = false;
  for (const [brokerId, r] of p.copies) {
    if (brokerId === p.leader) continue;
    replicateTo(cluster, p, r, leader, now);
    const node = cluster.nodes[brokerId];
    if (node?.alive && !p.isr.includes(brokerId) && r.log.logEndOffset >= p.highWatermark && r.log.logEndOffset >= leader.log.logEndOffset && r.followingEpoch === p.leaderEpoch) {
      p.isr.push(brokerId);
      cluster.onIsrChange(p, 'expand', brokerId);
    }
    if (node?.alive && !node.replicationCut && r.log.logEndOffset < leader.log.logEndOffset) behind = true;
  }
  p.updateHighWatermark();
  return behind;
}

/** Removes followers that have not caught up within replica.lag.time.max.ms from the ISR. */
export function shrinkIsr(cluster: Cluster, p: Partition, now: number, lagTimeMaxMs: number): void {
  if (p.leader < 0) return;
  const out = p.isr.filter((b) => b !== p.leader && now - (p.copies.get(b)?.lastCaughtUpMs ?? 0) > lagTimeMaxMs);
  if (out.length === 0) return;
  p.isr = p.isr.filter((b) => !out.includes(b));
  for (const b of out) cluster.onIsrChange(p, 'shrink', b);
  p.updateHighWatermark();
}
