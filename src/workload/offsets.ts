/**
 * Offsets as the cluster holds them: log start and end per partition, a group's committed
 * offsets, the lag between them, and where a rewind moves a group. All through the admin client,
 * so the figures are the cluster's, not the generator's own counters.
 */
import type { Admin } from '@platformatic/kafka';
import type { RewindTarget } from './scenario.ts';

/** ListOffsets timestamps with a special meaning (KIP-79). */
const LATEST = -1n;
const EARLIEST = -2n;

/** Offsets of one partition. */
export interface PartitionOffsets {
  readonly topic: string;
  readonly partition: number;
  /** Log start offset. */
  readonly earliest: bigint;
  /** Log end offset (high watermark). */
  readonly latest: bigint;
}

/** A consumer group's lag over its topics. */
export interface GroupLag {
  /** Messages between the committed offset (or the log start, when none) and the log end. */
  readonly lag: number;
  /** Partitions of the group's topics. */
  readonly partitions: number;
  /** Partitions with a committed offset. */
  readonly committed: number;
}

/** Partition counts of `topics` (topics the cluster does not know are left out). */
export async function partitionCounts(admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  const metadata = await admin.metadata({ topics: [...topics] });
  const counts = new Map<string, number>();
  for (const topic of topics) {
    const count = metadata.topics.get(topic)?.partitionsCount;
    if (count !== undefined) counts.set(topic, count);
  }
  return counts;
}

/** Offsets found by ListOffsets at `timestamp` for every partition of `topics`, keyed `topic:partition`. */
export async function offsetsAt(admin: Admin, partitions: ReadonlyMap<string, number>, timestamp: bigint): Promise<Map<string, bigint>> {
  const found = new Map<string, bigint>();
  if (partitions.size === 0) return found;
  const listed = await admin.listOffsets({
    topics: [...partitions].map(([name, count]) => ({
      name,
      partitions: Array.from({ length: count }, (_, partitionIndex) => ({ partitionIndex, timestamp })),
    })),
  });
  for (const topic of listed) {
    for (const p of topic.partitions) found.set(`${topic.name}:${p.partitionIndex}`, p.offset);
  }
  return found;
}

/** Log start and end of every partition of `topics`. */
export async function topicOffsets(admin: Admin, topics: readonly string[]): Promise<PartitionOffsets[]> {
  const counts = await partitionCounts(admin, topics);
  const [earliest, latest] = await Promise.all([offsetsAt(admin, counts, EARLIEST), offsetsAt(admin, counts, LATEST)]);
  const result: PartitionOffsets[] = [];
  for (const [topic, count] of counts) {
    for (let partition = 0; partition < count; partition++) {
      const key = `${topic}:${partition}`;
      result.push({ topic, partition, earliest: earliest.get(key) ?? 0n, latest: latest.get(key) ?? 0n });
    }
  }
  return result;
}

/** Committed offsets of `group`, keyed `topic:partition` (partitions without one are absent). */
export async function committedOffsets(admin: Admin, group: string): Promise<Map<string, bigint>> {
  const [listed] = await admin.listConsumerGroupOffsets({ groups: [group] });
  const committed = new Map<string, bigint>();
  for (const topic of listed?.topics ?? []) {
    for (const p of topic.partitions) if (p.committedOffset >= 0n) committed.set(`${topic.name}:${p.partitionIndex}`, p.committedOffset);
  }
  return committed;
}

/** Lag of `group` over `topics`, from committed offsets and log ends. Pure. */
export function lagOf(offsets: readonly PartitionOffsets[], committed: ReadonlyMap<string, bigint>): GroupLag {
  let lag = 0n;
  let withCommit = 0;
  for (const p of offsets) {
    const at = committed.get(`${p.topic}:${p.partition}`);
    if (at !== undefined) withCommit++;
    const position = at === undefined || at < p.earliest ? p.earliest : at;
    if (p.latest > position) lag += p.latest - position;
  }
  return { lag: Number(lag), partitions: offsets.length, committed: withCommit };
}

/** Current lag of `group` over `topics`. */
export async function groupLag(admin: Admin, group: string, topics: readonly string[]): Promise<GroupLag> {
  const [offsets, committed] = await Promise.all([topicOffsets(admin, topics), committedOffsets(admin, group)]);
  return lagOf(offsets, committed);
}

/**
 * Moves `group`'s committed offsets on `topics` to `target`: the log start, the log end, or the
 * first offset at or after a time (the log end where no record is that recent). The group must
 * have no members, as with kafka-consumer-groups --reset-offsets.
 */
export async function resetGroupOffsets(admin: Admin, group: string, topics: readonly string[], target: RewindTarget, nowMs: number): Promise<number> {
  const counts = await partitionCounts(admin, topics);
  const latest = await offsetsAt(admin, counts, LATEST);
  let offsets = latest;
  if (target.kind === 'earliest') offsets = await offsetsAt(admin, counts, EARLIEST);
  if (target.kind === 'timestamp' || target.kind === 'ago') {
    const at = target.kind === 'ago' ? nowMs - target.ms : target.ms;
    offsets = await offsetsAt(admin, counts, BigInt(Math.max(0, Math.floor(at))));
  }
  const topicsToAlter = [...counts].map(([name, count]) => ({
    name,
    partitionOffsets: Array.from({ length: count }, (_, partition) => {
      const found = offsets.get(`${name}:${partition}`);
      const offset = found === undefined || found < 0n ? (latest.get(`${name}:${partition}`) ?? 0n) : found;
      return { partition, offset };
    }),
  }));
  if (topicsToAlter.length > 0) await admin.alterConsumerGroupOffsets({ groupId: group, topics: topicsToAlter });
  return topicsToAlter.reduce((n, t) => n + t.partitionOffsets.length, 0);
}
