import { RateSensor } from './quota-enforcer.ts';

/**
 * Replication quotas (KIP-73) of one broker, as Kafka's ReplicationQuotaManager keeps them: one
 * quota for the bytes this broker serves as a leader and one for the bytes it fetches as a
 * follower, each with its rate (`leader.replication.throttled.rate`,
 * `follower.replication.throttled.rate`, dynamic broker configs in bytes/s) and applying only to
 * the replicas its topic lists in `leader.replication.throttled.replicas` /
 * `follower.replication.throttled.replicas` ("partition:broker" items, or "*").
 *
 * As in Kafka, bytes of throttled replicas are recorded (the LeaderReplication / FollowerReplication
 * `byte-rate` metric) whether or not they were held back, and only followers outside the ISR are
 * held back: a replica in sync is never slowed. The limit itself is a token bucket holding at most
 * BURST_SECONDS of the rate, so that the bytes copied over any span are at most the rate times the
 * span, plus that burst and one batch (a copy may overdraw the bucket by the batch in flight).
 */

/** Which side of replication a quota limits. */
export type ReplicationSide = 'leader' | 'follower';

/** Seconds of the rate a bucket holds when idle. */
export const BURST_SECONDS = 0.1;

/** The dynamic broker config holding a side's rate. */
export function rateConfig(side: ReplicationSide): string {
  return `${side}.replication.throttled.rate`;
}

/** The topic config listing a side's throttled replicas. */
export function replicasConfig(side: ReplicationSide): string {
  return `${side}.replication.throttled.replicas`;
}

/**
 * Whether a throttled-replicas list ("0:101,1:102", "*" or "") names partition `partition` on
 * `broker`. Items that are not "partition:broker" pairs of integers match nothing.
 */
export function listsReplica(list: string, partition: number, broker: number): boolean {
  const trimmed = list.trim();
  if (trimmed === '') return false;
  if (trimmed === '*') return true;
  for (const item of trimmed.split(',')) {
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(item);
    if (m && Number(m[1]) === partition && Number(m[2]) === broker) return true;
  }
  return false;
}

/**
 * Checks a throttled-replicas value as Kafka's ThrottledReplicaListValidator does: "*", or
 * comma-separated "partition:broker" items (empty items allowed). Returns an error message or null.
 */
export function validateReplicaList(name: string, value: string): string | null {
  if (value.trim() === '*') return null;
  if (value.split(',').every((item) => /^(\d+:\d+)?$/.test(item.trim()))) return null;
  return `Invalid value ${value} for configuration ${name}: ${name} must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...`;
}

/** A token bucket refilled continuously at `rate` bytes/s, holding at most BURST_SECONDS of it. */
class ByteBucket {
  private tokens: number;
  private last: number;

  constructor(public rate: number, now: number) {
    this.tokens = rate * BURST_SECONDS;
    this.last = now;
  }

  available(now: number): number {
    this.tokens = Math.min(this.rate * BURST_SECONDS, this.tokens + (Math.max(0, now - this.last) / 1000) * this.rate);
    this.last = now;
    return this.tokens;
  }

  take(bytes: number): void {
    this.tokens -= bytes;
  }
}

/** One side's replication quota of one broker. */
export class ReplicationQuota {
  /** Bytes of throttled replicas, with Kafka's windowing (replication.quota.window.num = 11 of 1 s). */
  private readonly sensor = new RateSensor(11, 1000);
  private bucket: ByteBucket | null = null;

  /**
   * Bytes that may be copied now for a throttled replica outside the ISR under `rate` bytes/s
   * (Infinity when no rate is set; a rate of 0 copies nothing). Reading refills the bucket.
   */
  budget(rate: number, now: number): number {
    if (!(rate >= 0)) {
      this.bucket = null;
      return Infinity;
    }
    if (this.bucket === null) this.bucket = new ByteBucket(rate, now);
    this.bucket.rate = rate;
    return this.bucket.available(now);
  }

  /** Records bytes copied for a throttled replica; `limited` when they count against the bucket. */
  record(bytes: number, limited: boolean, now: number): void {
    this.sensor.record(bytes, now);
    if (limited) this.bucket?.take(bytes);
  }

  /** The `byte-rate` metric: bytes/s of throttled replicas over the quota window. */
  byteRate(now: number): number {
    return this.sensor.rate(now);
  }
}
