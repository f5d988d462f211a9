import type { Logger } from 'pino';
import { KafkaError } from '../protocol/error-codes.ts';
import { Replica, type Partition } from './partition.ts';
import type { TopicStore } from './topics.ts';
import type { AssignmentChange, Brokers, LeaderChange } from './state.ts';
import * as decide from './decisions.ts';

/**
 * The cluster's controller: applies the decisions of decisions.ts to the partitions (leaders,
 * ISR, reassignments). Every leadership change bumps the leader epoch, fails producers waiting
 * for acks and wakes consumers.
 */

/** What the controller needs of the cluster it runs: its brokers, topics, partitions and reporting hooks. */
export interface ControllerHost {
  readonly logger: Logger;
  /** Topic configs (unclean.leader.election.enable). */
  readonly topics: TopicStore;
  /** Every broker id and the live ones, now. */
  brokers(): Brokers;
  /** Every partition of every topic. */
  partitions(): Iterable<Partition>;
  /** A broker gained or lost a leadership (its metrics count it). */
  onLeaderChange(broker: number): void;
  /** The ISR of `p` shrank or grew by `broker` (logged and counted). */
  onIsrChange(p: Partition, kind: 'shrink' | 'expand', broker: number): void;
  /** New replicas have something to copy. */
  scheduleReplication(p: Partition): void;
}

/** The controller of the bundled cluster, over a narrow view of it. */
export class Controller {
  /** Counters the metrics endpoint reads. */
  readonly stats = { uncleanElections: 0 };

  constructor(private readonly host: ControllerHost) {}

  /** unclean.leader.election.enable for the partition's topic. */
  uncleanAllowed(p: Partition): boolean {
    const t = this.host.topics.get(p.topic);
    return t !== undefined && this.host.topics.config(t, 'unclean.leader.election.enable') === 'true';
  }

  /** Elects a leader from the live ISR (or, when allowed, any live replica). */
  electLeader(p: Partition, reason: string): void {
    const change = decide.electLeader(p, this.host.brokers().live, this.uncleanAllowed(p));
    if (change) this.apply(p, change, change.unclean ? `${reason} (unclean)` : reason);
  }

  /** Moves leadership to the preferred replica; returns a Kafka error code (ElectLeaders semantics). */
  electPreferred(p: Partition): number {
    const { code, change } = decide.electPreferred(p, this.host.brokers().live);
    if (change) this.apply(p, change, 'preferred leader election');
    return code;
  }

  /** Unclean election on request: only for offline partitions; returns a Kafka error code. */
  electUnclean(p: Partition): number {
    const { code, change } = decide.electUnclean(p, this.host.brokers().live);
    if (change) this.apply(p, change, 'unclean leader election');
    return code;
  }

  /** After creation: a partition whose assigned replicas include dead brokers gets a live leader. */
  placeNew(p: Partition): void {
    const loss = decide.lossAtCreation(p, this.host.brokers().live);
    if (!loss) return;
    if (loss.isr) p.isr = [...loss.isr];
    if (loss.offline) p.leader = -1;
    else if (loss.elect) this.electLeader(p, 'creation');
  }

  /** A broker stopped: it leaves the ISRs and its leaderships move. */
  brokerStopped(broker: number): void {
    for (const p of this.host.partitions()) {
      const loss = decide.lossOfBroker(p, broker);
      if (!loss) continue;
      if (loss.isr) {
        p.isr = [...loss.isr];
        this.host.onIsrChange(p, 'shrink', broker);
      }
      if (loss.elect) this.electLeader(p, 'broker stopped');
      else p.updateHighWatermark();
    }
  }

  /** A broker started: offline partitions it can lead get it as leader. */
  brokerStarted(broker: number): void {
    for (const p of this.host.partitions()) {
      if (p.leader >= 0) continue;
      if (decide.electsWhenStarted(p, broker, this.uncleanAllowed(p))) this.electLeader(p, 'broker started');
    }
  }

  /** Removes followers that have not caught up within replica.lag.time.max.ms from the ISR. */
  shrinkIsr(p: Partition, now: number, lagTimeMaxMs: number): void {
    const shrink = decide.shrinkIsr(p, now, lagTimeMaxMs);
    if (!shrink) return;
    p.isr = [...shrink.isr];
    for (const b of shrink.removed) this.host.onIsrChange(p, 'shrink', b);
    p.updateHighWatermark();
  }

  /** auto.leader.rebalance: moves leadership back to preferred replicas on imbalanced brokers. */
  rebalanceLeaders(imbalancePct: number): number {
    let moved = 0;
    for (const p of decide.preferredElections(this.host.partitions(), this.host.brokers().live, imbalancePct)) {
      if (this.electPreferred(p) === KafkaError.NONE) moved++;
    }
    if (moved > 0) this.host.logger.info({ moved }, 'preferred leader election (auto rebalance)');
    return moved;
  }

  /** Every broker of the cluster, live or not (what a replica assignment may name). */
  brokerIds(): ReadonlySet<number> {
    return this.host.brokers().all;
  }

  /** Starts (or, with null, cancels) a reassignment to `target` (KIP-455). Returns a Kafka error code. */
  reassign(p: Partition, target: number[] | null): number {
    const { code, change, replicate } = decide.reassign(p, target, this.host.brokers().all);
    if (change) {
      this.assign(p, change);
      // Cancelling (or retargeting) can leave out a leader elected among the added replicas.
      if (p.leader >= 0 && !p.replicas.includes(p.leader)) this.electLeader(p, 'reassignment cancelled');
      else p.updateHighWatermark();
    }
    if (replicate) this.host.scheduleReplication(p);
    return code;
  }

  /** Completes a reassignment once every target replica is in the ISR. */
  progressReassignment(p: Partition): void {
    const done = decide.completeReassignment(p);
    if (!done) return;
    this.assign(p, done.change);
    if (done.elect) this.electLeader(p, 'reassignment');
    this.host.logger.info({ topic: p.topic, partition: p.index, replicas: p.replicas, removed: done.removed }, 'reassignment completed');
  }

  private assign(p: Partition, change: AssignmentChange): void {
    for (const b of change.dropCopies) p.copies.delete(b);
    p.replicas = [...change.replicas];
    p.isr = [...change.isr];
    p.adding = [...change.adding];
    p.removing = [...change.removing];
    const now = Date.now();
    for (const b of change.createCopies) p.copies.set(b, new Replica(b, now));
  }

  private apply(p: Partition, change: LeaderChange, reason: string): void {
    if (change.isr) {
      p.isr = [...change.isr];
      this.stats.uncleanElections++;
    }
    const previous = p.leader;
    const leader = change.leader;
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
    if (previous >= 0) this.host.onLeaderChange(previous);
    if (leader >= 0) this.host.onLeaderChange(leader);
    this.host.logger.info({ topic: p.topic, partition: p.index, from: previous, to: leader, epoch: p.leaderEpoch, isr: p.isr, reason }, leader >= 0 ? 'leader elected' : 'partition offline');
  }
}
