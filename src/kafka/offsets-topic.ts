/**
 * Records of Kafka's `__consumer_offsets` topic, decoded: the committed offsets (key versions 0
 * and 1) and the group metadata (key version 2) a group coordinator writes, in the formats of
 * Kafka's OffsetCommitKey/Value and GroupMetadataKey/Value message definitions. Burrow reads the
 * same records to learn when each offset was committed and which client owns each partition.
 *
 * Pure: bytes in, a record out. Bytes from the cluster are untrusted: whatever they hold,
 * decodeOffsetsRecord returns a value (an `invalid` record names what was wrong), never throws.
 * Fields that newer versions append are ignored, as Kafka's own readers ignore them.
 */
import { decode, type Message } from './protocol/codec.ts';
import { schema } from './protocol/messages.ts';
import { Reader } from './protocol/reader.ts';

/** The internal topic of committed offsets and group metadata. */
export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';

const OFFSET_KEY = schema('OffsetCommitKey');
const OFFSET_VALUE = schema('OffsetCommitValue');
const GROUP_KEY = schema('GroupMetadataKey');
const GROUP_VALUE = schema('GroupMetadataValue');
const ASSIGNMENT = schema('ConsumerProtocolAssignment');

/** A committed offset. */
export interface OffsetCommitRecord {
  readonly kind: 'offset';
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** When the coordinator stored the commit (ms since the epoch). */
  readonly commitTimestampMs: number;
}

/** A committed offset removed (expired, deleted with its group, or by OffsetDelete). */
export interface OffsetTombstoneRecord {
  readonly kind: 'offset-deleted';
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
}

/** A member of a group and the partitions it was assigned. */
export interface GroupMember {
  readonly memberId: string;
  readonly clientId: string;
  readonly clientHost: string;
  /** Topic → partitions; empty when the assignment is not the consumer protocol's. */
  readonly assignment: ReadonlyMap<string, readonly number[]>;
}

/** A group's state after a rebalance (or its deletion: `members` empty and `deleted`). */
export interface GroupMetadataRecord {
  readonly kind: 'group';
  readonly group: string;
  readonly deleted: boolean;
  readonly protocolType: string;
  readonly generation: number;
  readonly members: readonly GroupMember[];
}

/** A record this decoder does not understand, and why. */
export interface InvalidOffsetsRecord {
  readonly kind: 'invalid';
  readonly reason: string;
}

/** Any record of `__consumer_offsets`, decoded. */
export type OffsetsTopicRecord = OffsetCommitRecord | OffsetTombstoneRecord | GroupMetadataRecord | InvalidOffsetsRecord;

/** Splits the int16 version that starts every key and value of the topic from the body. */
function versioned(buf: Buffer): [number, Reader] | undefined {
  if (buf.length < 2) return undefined;
  return [buf.readInt16BE(0), new Reader(buf, 2)];
}

function decodeOr(what: string, fn: () => OffsetsTopicRecord): OffsetsTopicRecord {
  try {
    return fn();
  } catch (err) {
    return { kind: 'invalid', reason: `${what}: ${(err as Error).message}` };
  }
}

/** Decodes one record of `__consumer_offsets` from its key and value (null: a tombstone). */
export function decodeOffsetsRecord(key: Buffer | null, value: Buffer | null): OffsetsTopicRecord {
  if (key === null) return { kind: 'invalid', reason: 'record without a key' };
  const k = versioned(key);
  if (k === undefined) return { kind: 'invalid', reason: 'key shorter than its version' };
  const [keyVersion, keyReader] = k;
  if (keyVersion === 0 || keyVersion === 1) return decodeOr('offset commit', () => offsetRecord(keyVersion, keyReader, value));
  if (keyVersion === 2) return decodeOr('group metadata', () => groupRecord(keyReader, value));
  return { kind: 'invalid', reason: `unknown key version ${keyVersion}` };
}

function offsetRecord(keyVersion: number, keyReader: Reader, value: Buffer | null): OffsetsTopicRecord {
  const key = decode(OFFSET_KEY, keyVersion, keyReader);
  const where = { group: key.group as string, topic: key.topic as string, partition: key.partition as number };
  if (value === null) return { kind: 'offset-deleted', ...where };
  const v = versioned(value);
  if (v === undefined) return { kind: 'invalid', reason: 'offset commit: value shorter than its version' };
  const [version, reader] = v;
  if (version < 0 || version > 4) return { kind: 'invalid', reason: `offset commit: unknown value version ${version}` };
  const body = decode(OFFSET_VALUE, version, reader);
  return { kind: 'offset', ...where, offset: Number(body.offset as bigint), commitTimestampMs: Number(body.commitTimestamp as bigint) };
}

function groupRecord(keyReader: Reader, value: Buffer | null): OffsetsTopicRecord {
  const group = decode(GROUP_KEY, 2, keyReader).group as string;
  if (value === null) return { kind: 'group', group, deleted: true, protocolType: '', generation: -1, members: [] };
  const v = versioned(value);
  if (v === undefined) return { kind: 'invalid', reason: 'group metadata: value shorter than its version' };
  const [version, reader] = v;
  if (version < 0 || version > 4) return { kind: 'invalid', reason: `group metadata: unknown value version ${version}` };
  const body = decode(GROUP_VALUE, version, reader);
  const protocolType = body.protocolType as string;
  const members = (body.members as Message[]).map((m): GroupMember => ({
    memberId: m.memberId as string,
    clientId: m.clientId as string,
    clientHost: m.clientHost as string,
    assignment: protocolType === 'consumer' ? assignmentOf(m.assignment as Buffer | null) : new Map(),
  }));
  return { kind: 'group', group, deleted: false, protocolType, generation: body.generation as number, members };
}

/** A consumer-protocol assignment (version, topics and partitions, user data); empty if unreadable. */
function assignmentOf(bytes: Buffer | null): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (bytes === null || bytes.length < 2) return out;
  const version = bytes.readInt16BE(0);
  if (version < 0) return out;
  try {
    // Versions above the newest known are read as the newest: they only append fields.
    const body = decode(ASSIGNMENT, Math.min(version, ASSIGNMENT.valid?.[1] ?? 0), new Reader(bytes, 2));
    for (const t of body.assignedPartitions as Message[]) out.set(t.topic as string, [...(t.partitions as number[])]);
  } catch {
    out.clear();
  }
  return out;
}
