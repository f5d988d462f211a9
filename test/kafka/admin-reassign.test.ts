import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alterBrokerConfigs, alterTopicConfigs, describeBrokerDynamicConfigs, electPreferredLeaders } from '../../src/kafka/admin-reassign.ts';
import { KafkaError } from '../../src/kafka/protocol/error-codes.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { withReassignCluster } from '../helpers/reassign-cluster.ts';
import { waitFor } from '../helpers/broker.ts';

/**
 * The admin calls a throttled reassignment needs, over real sockets against the bundled cluster:
 * broker throttle rates (IncrementalAlterConfigs on broker resources, DescribeConfigs of each
 * broker's dynamic configs), throttled-replicas lists changed item by item, and preferred leader
 * elections (ElectLeaders v2).
 */

const RATES = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate'];
const LISTS = ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas'];

async function createTopic(raw: RawClient, name: string, assignment: number[][]): Promise<void> {
  const res = await raw.request(19, 5, {
    topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: assignment.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })), configs: [] }],
    timeoutMs: 5000, validateOnly: false,
  });
  assert.equal(res.topics[0].errorCode, 0, `topic ${name} created`);
}

test('broker throttle rates are set on the brokers named, described per broker, refused with the Kafka error, and deleted', async () => {
  await withReassignCluster(async (c, admin) => {
    const set = await alterBrokerConfigs(admin, [
      { broker: 1, changes: [{ name: RATES[0]!, op: 'set', value: '1000' }, { name: RATES[1]!, op: 'set', value: '2000' }] },
      { broker: 2, changes: [{ name: RATES[1]!, op: 'set', value: '3000' }] },
    ]);
    assert.deepEqual(set, { value: 2, errors: [] });
    assert.deepEqual(await describeBrokerDynamicConfigs(admin, [0, 1, 2], RATES), {
      value: new Map([[0, {}], [1, { [RATES[0]!]: '1000', [RATES[1]!]: '2000' }], [2, { [RATES[1]!]: '3000' }]]),
      errors: [],
    });
    assert.equal(c.cluster.nodes[1]!.dynamicConfigs.get(RATES[0]!), '1000');

    const bad = await alterBrokerConfigs(admin, [{ broker: 1, changes: [{ name: RATES[0]!, op: 'set', value: 'fast' }] }]);
    assert.deepEqual(bad, {
      value: 0,
      errors: [{ op: 'incrementalAlterConfigs', broker: 1, subject: '1', code: KafkaError.INVALID_CONFIG, message: 'INVALID_CONFIG (40): Invalid value fast for configuration leader.replication.throttled.rate: Not a number of type LONG' }],
    });
    const absent = await alterBrokerConfigs(admin, [{ broker: 7, changes: [{ name: RATES[0]!, op: 'delete' }] }]);
    assert.equal(absent.value, 0);
    assert.deepEqual(absent.errors.map((e) => [e.op, e.broker, e.message]), [['incrementalAlterConfigs', 7, 'broker 7 is not in the cluster metadata']]);

    assert.deepEqual(await alterBrokerConfigs(admin, [1, 2].map((broker) => ({ broker, changes: RATES.map((name) => ({ name, op: 'delete' as const })) }))), { value: 2, errors: [] });
    assert.deepEqual((await describeBrokerDynamicConfigs(admin, [1, 2], RATES)).value, new Map([[1, {}], [2, {}]]));
  });
});

test('throttled-replicas lists grow by APPEND and shrink by SUBTRACT item by item; DELETE removes them; an unknown topic is an issue', async () => {
  await withReassignCluster(async (_c, admin, raw) => {
    await createTopic(raw, 'listed', [[0, 1], [1, 2]]);
    assert.deepEqual(await alterTopicConfigs(admin, [{ topic: 'listed', changes: [{ name: LISTS[0]!, op: 'append', value: '0:0,0:1' }, { name: LISTS[1]!, op: 'append', value: '0:2' }] }]), { value: 1, errors: [] });
    assert.deepEqual(await alterTopicConfigs(admin, [{ topic: 'listed', changes: [{ name: LISTS[0]!, op: 'append', value: '1:1,0:1' }] }]), { value: 1, errors: [] });
    assert.deepEqual((await admin.describeTopicConfigs(['listed'], LISTS)).value.get('listed'), { [LISTS[0]!]: '0:0,0:1,1:1', [LISTS[1]!]: '0:2' });
    assert.deepEqual(await alterTopicConfigs(admin, [{ topic: 'listed', changes: [{ name: LISTS[0]!, op: 'subtract', value: '0:0,0:1' }] }]), { value: 1, errors: [] });
    assert.deepEqual((await admin.describeTopicConfigs(['listed'], LISTS)).value.get('listed'), { [LISTS[0]!]: '1:1', [LISTS[1]!]: '0:2' });

    const mixed = await alterTopicConfigs(admin, [
      { topic: 'listed', changes: LISTS.map((name) => ({ name, op: 'delete' as const })) },
      { topic: 'absent', changes: [{ name: LISTS[0]!, op: 'append', value: '0:1' }] },
    ]);
    assert.deepEqual(mixed, { value: 1, errors: [{ op: 'incrementalAlterConfigs', subject: 'absent', code: KafkaError.UNKNOWN_TOPIC_OR_PARTITION, message: 'UNKNOWN_TOPIC_OR_PARTITION (3): Topic absent does not exist' }] });
    assert.deepEqual((await admin.describeTopicConfigs(['listed'], LISTS)).value.get('listed'), { [LISTS[0]!]: '', [LISTS[1]!]: '' }, 'back to the defaults');
    assert.deepEqual(await alterTopicConfigs(admin, []), { value: 0, errors: [] });
  });
});

test('a preferred leader election moves leadership to the first replica; a second one is not needed; an unknown partition is an issue', async () => {
  await withReassignCluster(async (c, admin, raw) => {
    await createTopic(raw, 'led', [[0, 1], [2, 0]]);
    // Reordering the replicas keeps the current leader, which is then not the preferred one.
    assert.deepEqual(await admin.alterPartitionReassignments([{ topic: 'led', partition: 0, replicas: [1, 0] }]), { value: 1, errors: [] });
    await waitFor(async () => (await admin.listPartitionReassignments()).value.length === 0, 5000, 'the reordering');
    assert.deepEqual({ replicas: c.cluster.topics.partition('led', 0)!.replicas, leader: c.cluster.topics.partition('led', 0)!.leader }, { replicas: [1, 0], leader: 0 });

    const elected = await electPreferredLeaders(admin, [{ topic: 'led', partition: 0 }, { topic: 'led', partition: 1 }]);
    assert.deepEqual(elected, { value: [{ topic: 'led', partition: 0, code: 0 }, { topic: 'led', partition: 1, code: KafkaError.ELECTION_NOT_NEEDED }], errors: [] });
    assert.equal(c.cluster.topics.partition('led', 0)!.leader, 1);
    assert.deepEqual((await admin.metadata()).topics.get('led')!.partitions.map((p) => p.leader), [1, 2]);

    const again = await electPreferredLeaders(admin, [{ topic: 'led', partition: 0 }, { topic: 'led', partition: 9 }]);
    assert.deepEqual(again.value, [{ topic: 'led', partition: 0, code: KafkaError.ELECTION_NOT_NEEDED }, { topic: 'led', partition: 9, code: KafkaError.UNKNOWN_TOPIC_OR_PARTITION }]);
    assert.deepEqual(again.errors.map((e) => [e.subject, e.code]), [['led-9', KafkaError.UNKNOWN_TOPIC_OR_PARTITION]]);
    assert.deepEqual(await electPreferredLeaders(admin, []), { value: [], errors: [] });
  });
});
