import { encodeBuffer } from '../protocol/codec.ts';
import { schema } from '../protocol/messages.ts';
import { buildBatch, parseBatches } from '../protocol/records.ts';
import type { OffsetCommitEvent } from './groups.ts';
import type { Partition } from './partition.ts';

const OFFSET_COMMIT_KEY = schema('OffsetCommitKey');
const OFFSET_COMMIT_VALUE = schema('OffsetCommitValue');
/** The internal topic holding committed offsets, in Kafka's record format. */
export const OFFSETS_TOPIC = '__consumer_offsets';
/** offsets.topic.num.partitions */
export const OFFSETS_TOPIC_PARTITIONS = 50;

/** Where the offsets log writes: the offsets topic's partitions, and replication after an append. */
export interface OffsetsLogHost {
  /** Partition `index` of the offsets topic (created on first use). */
  offsetsPartition(index: number): Partition;
  /** Queues replication of a partition after an append. */
  scheduleReplication(p: Partition): void;
}

/**
 * Writes committed offsets to __consumer_offsets in Kafka's own record format (key version 1,
 * value version 3), so tools that read that topic (Burrow, kcat) see the commits.
 */
export class OffsetsLog {
  constructor(private readonly host: OffsetsLogHost) {}

  /** Appends one commit record. */
  commit(c: OffsetCommitEvent): void {
    const key = versioned(1, encodeBuffer(OFFSET_COMMIT_KEY, 1, { group: c.groupId, topic: c.topic, partition: c.partition }));
    const value = versioned(3, encodeBuffer(OFFSET_COMMIT_VALUE, 3, {
      offset: c.offset, leaderEpoch: c.leaderEpoch, metadata: c.metadata ?? '', commitTimestamp: c.commitTimestamp,
    }));
    this.append(c.groupId, key, value);
  }

  /** Appends a tombstone for a deleted offset. */
  tombstone(groupId: string, topic: string, partition: number): void {
    const key = versioned(1, encodeBuffer(OFFSET_COMMIT_KEY, 1, { group: groupId, topic, partition }));
    this.append(groupId, key, null);
  }

  private append(groupId: string, key: Buffer, value: Buffer | null): void {
    const p = this.host.offsetsPartition(offsetsPartitionFor(groupId));
    const leader = p.leaderReplica();
    if (!leader) return; // offline: the coordinator keeps the offset in memory, as a cache
    leader.log.append(parseBatches(buildBatch([{ key, value }])), p.leaderEpoch, Date.now());
    this.host.scheduleReplication(p);
  }
}

/** Internal-topic records start with their schema version as an int16. */
function versioned(version: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + body.length);
  out.writeInt16BE(version, 0);
  body.copy(out, 2);
  return out;
}

/** Partition of the offsets topic that holds a group: Kafka's Utils.abs(groupId.hashCode) % partitions. */
export function offsetsPartitionFor(groupId: string): number {
  const h = javaStringHash(groupId);
  return (h === -2147483648 ? 0 : Math.abs(h)) % OFFSETS_TOPIC_PARTITIONS;
}

/** Java's String.hashCode over UTF-16 code units, as Kafka uses to place groups. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}
