import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../../../../src/kafka/broker/index.ts';
import { KafkaError } from '../../../../src/kafka/protocol/error-codes.ts';
import { ZERO_UUID } from '../../../../src/kafka/protocol/reader.ts';
import { RawClient } from '../../../helpers/raw-client.ts';

/** DescribeTopicPartitions (KIP-966): topics in name order, paged by partition count with a cursor. */

test('DescribeTopicPartitions pages through topics in name order with a cursor, and names unknown and invalid topics', async () => {
  const c = await startCluster({ host: '127.0.0.1', port: 0, brokers: 2, topics: [{ name: 'b', partitions: 3, replicationFactor: 2 }, { name: 'a', partitions: 2, replicationFactor: 1 }] });
  const raw = await RawClient.connect(c.cluster.nodes[0]!.port);
  try {
    const ask = (topics: string[], limit: number, cursor: { topicName: string; partitionIndex: number } | null) =>
      raw.request(75, 0, { topics: topics.map((name) => ({ name })), responsePartitionLimit: limit, cursor });
    const page = (res: any) => ({
      topics: res.topics.map((t: any) => [t.name, t.errorCode, t.partitions.map((p: any) => p.partitionIndex)]),
      next: res.nextCursor,
    });
    assert.deepEqual(page(await ask([], 3, null)), { topics: [['a', 0, [0, 1]], ['b', 0, [0]]], next: { topicName: 'b', partitionIndex: 1 } });
    assert.deepEqual(page(await ask([], 3, { topicName: 'b', partitionIndex: 1 })), { topics: [['b', 0, [1, 2]]], next: null });
    assert.deepEqual(page(await ask([], 2, null)), { topics: [['a', 0, [0, 1]]], next: { topicName: 'b', partitionIndex: 0 } });
    assert.deepEqual(page(await ask(['zz', 'b', 'bad name!'], 10, null)), { topics: [['b', 0, [0, 1, 2]], ['bad name!', KafkaError.INVALID_TOPIC_EXCEPTION, []], ['zz', KafkaError.UNKNOWN_TOPIC_OR_PARTITION, []]], next: null });
    assert.deepEqual(page(await ask(['a'], 10, { topicName: 'b', partitionIndex: 0 })), { topics: [['a', KafkaError.INVALID_REQUEST, []]], next: null });

    const res = await ask(['b'], 10, null);
    const p0 = c.cluster.topics.partition('b', 0)!;
    assert.equal(res.topics[0].topicId, c.cluster.topics.get('b')!.id);
    assert.notEqual(res.topics[0].topicId, ZERO_UUID);
    assert.deepEqual(res.topics[0].partitions[0], {
      errorCode: 0, partitionIndex: 0, leaderId: p0.leader, leaderEpoch: p0.leaderEpoch, replicaNodes: p0.replicas, isrNodes: p0.isr,
      eligibleLeaderReplicas: [], lastKnownElr: [], offlineReplicas: [],
    });
    await c.cluster.stopBroker(1);
    const after = await ask(['b'], 10, null);
    assert.deepEqual(after.topics[0].partitions.map((p: any) => p.offlineReplicas), [[1], [1], [1]]);
  } finally {
    raw.close();
    await c.stop();
  }
});
