import { PartitionLog } from './log.ts';
import { ProducerStateTable } from './producers.ts';

/** One broker's copy of a partition. */
export class Replica {
  log = new PartitionLog();
  producers = new ProducerStateTable();
  /** Last time this replica had fetched everything its leader had (replica.lag.time.max.ms). */
  lastCaughtUpMs: number;
  /** Leader epoch this replica last reconciled its log with (truncation on leader change). */
  followingEpoch = -1;

  constructor(readonly brokerId: number, now: number) {
    this.lastCaughtUpMs = now;
  }

  /** Forgets everything, as a broker whose disk was replaced. */
  wipe(): void {
    this.log = new PartitionLog();
    this.producers = new ProducerStateTable();
    this.followingEpoch = -1;
  }
}

/** A producer waiting for acks=all: resolved once the high watermark passes `offset`. */
interface AckWaiter {
  readonly offset: number;
  resolve(errorCode: number): void;
}

/**
 * A partition as the cluster sees it: its replica assignment, leader, ISR, leader epoch, high
 * watermark, and each replica's log. Only the leader's log takes writes; followers copy it.
 */
export class Partition {
  /** Assigned replicas, preferred leader first. */
  replicas: number[];
  isr: number[];
  /** Current leader, -1 when offline. */
  leader: number;
  leaderEpoch = 0;
  /** Replicas being added/removed by an ongoing reassignment (KIP-455). */
  adding: number[] = [];
  removing: number[] = [];
  /** Offset below which records are on every ISR member: what consumers may read. */
  highWatermark = 0;
  readonly copies = new Map<number, Replica>();
  /** Consumer long polls to wake when the high watermark moves. */
  readonly waiters = new Set<() => void>();
  private ackWaiters: AckWaiter[] = [];

  constructor(readonly topic: string, readonly index: number, replicas: number[], now: number) {
    this.replicas = [...replicas];
    this.isr = [...replicas];
    this.leader = replicas[0] ?? -1;
    for (const b of replicas) this.copies.set(b, new Replica(b, now));
    this.leaderReplica()?.log.beginEpoch(0);
  }

  /** The leader's replica, or undefined when offline. */
  leaderReplica(): Replica | undefined {
    return this.leader < 0 ? undefined : this.copies.get(this.leader);
  }

  /** The leader's log (partition must be online); the log that clients read and write. */
  get log(): PartitionLog {
    return this.leaderReplica()!.log;
  }

  /** Producer state of the leader. */
  get producers(): ProducerStateTable {
    return this.leaderReplica()!.producers;
  }

  /** The preferred leader: first assigned replica. */
  get preferred(): number {
    return this.replicas[0]!;
  }

  /** Whether the ISR is smaller than the replica set. */
  get underReplicated(): boolean {
    return this.leader >= 0 && this.isr.length < this.replicas.length;
  }

  /** Recomputes the high watermark (min LEO over the ISR) and releases waiters it passed. */
  updateHighWatermark(): void {
    const leader = this.leaderReplica();
    if (!leader) return;
    let hw = leader.log.logEndOffset;
    for (const b of this.isr) {
      const r = this.copies.get(b);
      if (r && r.log.logEndOffset < hw) hw = r.log.logEndOffset;
    }
    if (hw === this.highWatermark) return;
    this.highWatermark = hw;
    if (this.ackWaiters.length > 0) {
      const still: AckWaiter[] = [];
      for (const w of this.ackWaiters) {
        if (w.offset < hw) w.resolve(0);
        else still.push(w);
      }
      this.ackWaiters = still;
    }
    for (const w of [...this.waiters]) w();
  }

  /** Waits until `offset` is below the high watermark (acks=all); resolves with an error code. */
  awaitReplication(offset: number, timeoutMs: number, errorOnTimeout: number): Promise<number> {
    if (offset < this.highWatermark) return Promise.resolve(0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.ackWaiters = this.ackWaiters.filter((w) => w !== waiter);
        resolve(errorOnTimeout);
      }, Math.max(timeoutMs, 1));
      const waiter: AckWaiter = {
        offset,
        resolve: (code) => {
          clearTimeout(timer);
          resolve(code);
        },
      };
      this.ackWaiters.push(waiter);
    });
  }

  /** Fails every producer waiting for replication (leadership moved away). */
  failAckWaiters(errorCode: number): void {
    const list = this.ackWaiters;
    this.ackWaiters = [];
    for (const w of list) w.resolve(errorCode);
  }

  /** Wakes consumer long polls (topic deleted, leader moved). */
  wakeAll(): void {
    for (const w of [...this.waiters]) w();
  }
}
