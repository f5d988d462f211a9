import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../../src/kafka/broker/index.ts';
import { javaStringHash, offsetsPartitionFor } from '../../../src/kafka/broker/offsets-log.ts';
import { decodeBuffer } from '../../../src/kafka/protocol/codec.ts';
import { schema } from '../../../src/kafka/protocol/messages.ts';
import { parseBatches, decodeRecords, buildBatch } from '../../../src/kafka/protocol/records.ts';
import { RawClient } from '../../helpers/raw-client.ts';

test('Java String.hashCode matches known values (group placement in __consumer_offsets)', () => {
  assert.equal(javaStringHash(''), 0);
  assert.equal(javaStringHash('hello'), 99162322);
  // Values printed by the JDK's String.hashCode.
  assert.equal(javaStringHash('console-consumer-12345'), 158455506);
  assert.equal(javaStringHash('billing'), -109829509);
  assert.equal(javaStringHash('polygenelubricants'), -2147483648);
});

test('group placement follows Kafka: abs(hashCode) % 50, with MIN_VALUE mapped to 0', () => {
  assert.equal(offsetsPartitionFor('polygenelubricants'), 0);
  assert.equal(offsetsPartitionFor('console-consumer-12345'), 158455506 % 50);
});

test('committed offsets are appended to __consumer_offsets in Kafka\'s key/value format', async () => {
  const broker = await startBroker({ port: 0, topics: [{ name: 'orders', partitions: 2 }] });
  const c = await RawClient.connect(broker.port);
  try {
    await c.request(0, 7, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'orders', partitionData: [{ index: 1, records: buildBatch([{ value: 'a' }, { value: 'b' }]) }] }] });
    const coordinator = await c.request(10, 2, { key: 'billing', keyType: 0 });
    assert.deepEqual([coordinator.errorCode, coordinator.nodeId, coordinator.port], [0, 0, broker.port]);
    const commit = await c.request(8, 7, {
      groupId: 'billing', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 2n, committedLeaderEpoch: 0, committedMetadata: 'm1' }] }],
    });
    assert.equal(commit.topics[0].partitions[0].errorCode, 0);

    const partition = offsetsPartitionFor('billing');
    assert.equal(partition, 109829509 % 50);
    const fetched = await c.request(1, 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: '__consumer_offsets', partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [], rackId: '',
    });
    const records = parseBatches(fetched.responses[0].partitions[0].records).flatMap((b) => decodeRecords(b)!);
    assert.equal(records.length, 1);
    const key = records[0]!.key!;
    const value = records[0]!.value!;
    assert.equal(key.readInt16BE(0), 1);
    assert.deepEqual(decodeBuffer(schema('OffsetCommitKey'), 1, key.subarray(2)), { group: 'billing', topic: 'orders', partition: 1 });
    assert.equal(value.readInt16BE(0), 3);
    const v = decodeBuffer(schema('OffsetCommitValue'), 3, value.subarray(2));
    assert.deepEqual([v.offset, v.leaderEpoch, v.metadata], [2n, 0, 'm1']);
    assert.ok(Math.abs(Number(v.commitTimestamp) - Date.now()) < 10_000);

    const meta = await c.request(3, 1, { topics: null });
    const internal = meta.topics.find((t: any) => t.name === '__consumer_offsets');
    assert.deepEqual([internal.isInternal, internal.partitions.length], [true, 50]);
  } finally {
    c.close();
    await broker.stop();
  }
});
