/**
 * `__consumer_offsets` records decoded from bytes built by hand in the layouts Kafka's versions
 * write (offset commit values 0, 1, 3 and 4; group metadata values 1 and 2 with consumer-protocol
 * assignments), plus tombstones and damaged records, which decode to `invalid` without throwing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeOffsetsRecord } from '../../src/kafka/offsets-topic.ts';

const i16 = (n: number) => { const b = Buffer.alloc(2); b.writeInt16BE(n); return b; };
const i32 = (n: number) => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };
const i64 = (n: number) => { const b = Buffer.alloc(8); b.writeBigInt64BE(BigInt(n)); return b; };
const str = (s: string) => Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]);
const bytes = (b: Buffer) => Buffer.concat([i32(b.length), b]);
const cat = (...parts: Buffer[]) => Buffer.concat(parts);

const offsetKey = (version: number) => cat(i16(version), str('billing'), str('orders'), i32(3));

describe('decodeOffsetsRecord: offset commits', () => {
  const expected = { kind: 'offset', group: 'billing', topic: 'orders', partition: 3, offset: 4200, commitTimestampMs: 1_700_000_000_123 };

  test('value version 0 (Kafka 0.8.2 to 0.9)', () => {
    const value = cat(i16(0), i64(4200), str(''), i64(1_700_000_000_123));
    assert.deepEqual(decodeOffsetsRecord(offsetKey(0), value), expected);
  });

  test('value version 1, with its expire timestamp (Kafka 0.10 to 2.0)', () => {
    const value = cat(i16(1), i64(4200), str('meta'), i64(1_700_000_000_123), i64(1_700_086_400_123));
    assert.deepEqual(decodeOffsetsRecord(offsetKey(1), value), expected);
  });

  test('value version 3, with the leader epoch (Kafka 2.1 on, and the bundled broker)', () => {
    const value = cat(i16(3), i64(4200), i32(7), str(''), i64(1_700_000_000_123));
    assert.deepEqual(decodeOffsetsRecord(offsetKey(1), value), expected);
  });

  test('value version 4, flexible (compact metadata, tagged fields)', () => {
    const value = cat(i16(4), i64(4200), i32(7), Buffer.from([3]), Buffer.from('ab'), i64(1_700_000_000_123), Buffer.from([0]));
    assert.deepEqual(decodeOffsetsRecord(offsetKey(1), value), expected);
  });

  test('a null value is the offset deleted', () => {
    assert.deepEqual(decodeOffsetsRecord(offsetKey(1), null), { kind: 'offset-deleted', group: 'billing', topic: 'orders', partition: 3 });
  });
});

describe('decodeOffsetsRecord: group metadata', () => {
  const key = cat(i16(2), str('billing'));
  // Consumer protocol assignment v0: orders [0, 2], user data null.
  const assignment = cat(i16(0), i32(1), str('orders'), i32(2), i32(0), i32(2), i32(-1));

  test('value version 1: members with their host, client id and assigned partitions', () => {
    const member = cat(str('m-1'), str('billing-app'), str('/10.0.0.7'), i32(300_000), i32(10_000), bytes(Buffer.alloc(0)), bytes(assignment));
    const value = cat(i16(1), str('consumer'), i32(4), str('range'), str('m-1'), i32(1), member);
    const record = decodeOffsetsRecord(key, value);
    assert.equal(record.kind, 'group');
    assert.deepEqual(record.kind === 'group' && { ...record, members: record.members.map((m) => ({ ...m, assignment: [...m.assignment] })) }, {
      kind: 'group', group: 'billing', deleted: false, protocolType: 'consumer', generation: 4,
      members: [{ memberId: 'm-1', clientId: 'billing-app', clientHost: '/10.0.0.7', assignment: [['orders', [0, 2]]] }],
    });
  });

  test('value version 2 with no member (the group emptied)', () => {
    const value = cat(i16(2), str('consumer'), i32(5), i16(-1), i16(-1), i64(1_700_000_000_000), i32(0));
    assert.deepEqual(decodeOffsetsRecord(key, value), { kind: 'group', group: 'billing', deleted: false, protocolType: 'consumer', generation: 5, members: [] });
  });

  test('a null value is the group deleted', () => {
    assert.deepEqual(decodeOffsetsRecord(key, null), { kind: 'group', group: 'billing', deleted: true, protocolType: '', generation: -1, members: [] });
  });
});

describe('decodeOffsetsRecord: damaged records', () => {
  test('each names what is wrong and none throws', () => {
    const cases: Array<[Buffer | null, Buffer | null, string]> = [
      [null, null, 'record without a key'],
      [Buffer.from([0]), null, 'key shorter than its version'],
      [i16(9), null, 'unknown key version 9'],
      [offsetKey(1), i16(9), 'offset commit: unknown value version 9'],
      [offsetKey(1), Buffer.from([0]), 'offset commit: value shorter than its version'],
    ];
    for (const [key, value, reason] of cases) assert.deepEqual(decodeOffsetsRecord(key, value), { kind: 'invalid', reason });
    const truncated = decodeOffsetsRecord(offsetKey(1), cat(i16(3), i64(4200)));
    assert.equal(truncated.kind, 'invalid');
    assert.match((truncated as { reason: string }).reason, /^offset commit: /);
    const badKey = decodeOffsetsRecord(cat(i16(1), i16(500), Buffer.from('x')), null);
    assert.equal(badKey.kind, 'invalid');
  });

  test('random bytes never throw', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const key = Buffer.from(Array.from({ length: next() % 40 }, () => next() % 256));
      if (key.length >= 2) key.writeInt16BE(next() % 3, 0);
      const value = Buffer.from(Array.from({ length: next() % 60 }, () => next() % 256));
      if (value.length >= 2) value.writeInt16BE(next() % 5, 0);
      assert.ok(['offset', 'offset-deleted', 'group', 'invalid'].includes(decodeOffsetsRecord(key, value).kind));
    }
  });
});
