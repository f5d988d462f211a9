import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import type { AdminIssue } from '../../../src/kafka/admin.ts';
import { KafkaError } from '../../../src/kafka/protocol/error-codes.ts';
import { RawClient } from '../../helpers/raw-client.ts';
import { withReassignCluster } from '../../helpers/reassign-cluster.ts';
import { runKcat } from '../../helpers/kcat.ts';
import { waitFor } from '../../helpers/broker.ts';

/**
 * Partition reassignment (KIP-455) on the bundled cluster, driven through the admin client over
 * real sockets: new replicas copy from the leader, the replica set becomes the target once they
 * are in sync, leadership leaves a removed leader, and cancelling reverts.
 */

async function createTopic(raw: RawClient, name: string, assignment: number[][]): Promise<void> {
  const res = await raw.request(19, 5, {
    topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: assignment.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })), configs: [] }],
    timeoutMs: 5000, validateOnly: false,
  });
  assert.equal(res.topics[0].errorCode, 0, `topic ${name} created`);
}

/** Replicas, ISR and leader of each partition of `topic` as Metadata v9 reports them. */
async function placement(raw: RawClient, topic: string): Promise<{ leader: number; replicas: number[]; isr: number[] }[]> {
  const meta = await raw.request(3, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  return meta.topics[0].partitions
    .sort((a: any, b: any) => a.partitionIndex - b.partitionIndex)
    .map((p: any) => ({ leader: p.leaderId, replicas: p.replicaNodes, isr: [...p.isrNodes].sort() }));
}

/** Leader and replicas of each partition of `topic` as DescribeTopicPartitions v0 reports them. */
async function described(raw: RawClient, topic: string): Promise<{ leader: number; replicas: number[] }[]> {
  const res = await raw.request(75, 0, { topics: [{ name: topic }], responsePartitionLimit: 2000, cursor: null });
  assert.equal(res.topics[0].errorCode, 0);
  return res.topics[0].partitions.map((p: any) => ({ leader: p.leaderId, replicas: p.replicaNodes }));
}

/** The issues of a call as subject → Kafka error code. */
function codes(errors: readonly AdminIssue[]): Record<string, number | undefined> {
  return Object.fromEntries(errors.map((e) => [e.subject ?? '', e.code]));
}

test('a partition moves from [0] to [1,2] under a producer: List shows it while it runs, nothing acknowledged is lost, metadata shows the new replicas and leader', async () => {
  await withReassignCluster(async (c, admin, raw) => {
    await createTopic(raw, 'moving', [[0]]);
    await createTopic(raw, 'kept', [[0, 1]]);
    const kafka = new Kafka({ clientId: 'reassign-test', brokers: [c.address(0)], logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 50, maxRetryTime: 500 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const acked: string[] = [];
    const send = async (from: number, count: number) => {
      const values = Array.from({ length: count }, (_, i) => `m-${from + i}-${'x'.repeat(1000)}`);
      await producer.send({ topic: 'moving', acks: -1, messages: values.map((value) => ({ value, partition: 0 })) });
      acked.push(...values);
    };
    for (let i = 0; i < 300; i += 50) await send(i, 50);

    // Broker 2 does not fetch yet: the move stays in progress until it may.
    c.cluster.nodes[2]!.replicationCut = true;
    const started = await admin.alterPartitionReassignments([
      { topic: 'moving', partition: 0, replicas: [1, 2] },
      { topic: 'kept', partition: 0, replicas: [2, 0] },
    ]);
    assert.deepEqual(started, { value: 2, errors: [] });
    await waitFor(() => c.cluster.topics.partition('moving', 0)!.isr.includes(1), 5000, 'broker 1 caught up');
    const listed = await admin.listPartitionReassignments();
    assert.deepEqual(listed, {
      value: [
        { topic: 'kept', partition: 0, replicas: [2, 0, 1], adding: [2], removing: [1] },
        { topic: 'moving', partition: 0, replicas: [1, 2, 0], adding: [1, 2], removing: [0] },
      ],
      errors: [],
    });
    assert.deepEqual((await admin.listPartitionReassignments([{ topic: 'kept', partition: 0 }, { topic: 'kept', partition: 5 }, { topic: 'absent', partition: 0 }])).value.map((r) => r.topic), ['kept']);
    assert.deepEqual(await placement(raw, 'moving'), [{ leader: 0, replicas: [1, 2, 0], isr: [0, 1] }]);
    assert.deepEqual(await placement(raw, 'kept'), [{ leader: 0, replicas: [2, 0, 1], isr: [0, 1] }]);
    assert.deepEqual(await described(raw, 'moving'), [{ leader: 0, replicas: [1, 2, 0] }]);

    // The producer keeps writing while broker 2 catches up and leadership moves off broker 0.
    let producing = true;
    const writer = (async () => {
      for (let i = 300; producing; i += 20) await send(i, 20);
    })();
    await sleep(100);
    c.cluster.nodes[2]!.replicationCut = false;
    await waitFor(async () => (await admin.listPartitionReassignments()).value.length === 0, 5000, 'both reassignments done');
    await sleep(200);
    producing = false;
    await writer;
    await producer.disconnect();

    assert.deepEqual(await placement(raw, 'moving'), [{ leader: 1, replicas: [1, 2], isr: [1, 2] }], 'leader 0 left: the first target replica leads');
    assert.deepEqual(await placement(raw, 'kept'), [{ leader: 0, replicas: [2, 0], isr: [0, 2] }], 'leader 0 is in the target and keeps leading');
    assert.deepEqual(await described(raw, 'moving'), [{ leader: 1, replicas: [1, 2] }]);
    assert.deepEqual([...c.cluster.topics.partition('moving', 0)!.copies.keys()].sort(), [1, 2], 'the removed replica is deleted');

    // Everything acknowledged is there, read back by kcat from the new leader.
    const kcat = await runKcat(['-C', '-b', c.address(1), '-t', 'moving', '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], 15_000);
    assert.equal(kcat.code, 0, kcat.stderr);
    const read = new Set(kcat.stdout.toString().split('\n').filter((l) => l !== ''));
    assert.ok(acked.length > 300, `the producer wrote during the move (${acked.length} acknowledged)`);
    assert.deepEqual(acked.filter((v) => !read.has(v)).map((v) => v.slice(0, 12)), [], 'no acknowledged message is missing');
    const meta = JSON.parse((await runKcat(['-L', '-J', '-b', c.address(2)], 15_000)).stdout.toString());
    const shown = (name: string) => meta.topics.find((t: any) => t.topic === name).partitions.map((p: any) => ({ leader: p.leader, replicas: p.replicas.map((r: any) => r.id) }));
    assert.deepEqual(shown('moving'), [{ leader: 1, replicas: [1, 2] }]);
    assert.deepEqual(shown('kept'), [{ leader: 0, replicas: [2, 0] }]);
  });
});

test('cancelling reverts to the original replicas and drops the copies made; a new target replaces one in progress', async () => {
  await withReassignCluster(async (c, admin, raw) => {
    await createTopic(raw, 'held', [[0]]);
    c.cluster.nodes[1]!.replicationCut = true;
    c.cluster.nodes[2]!.replicationCut = true;
    assert.deepEqual(await admin.alterPartitionReassignments([{ topic: 'held', partition: 0, replicas: [1, 2] }]), { value: 1, errors: [] });
    const p = c.cluster.topics.partition('held', 0)!;
    assert.deepEqual([...p.copies.keys()].sort(), [0, 1, 2]);

    // Retarget to [0, 1]: broker 2 is no longer added and its copy goes; broker 0 stays.
    assert.deepEqual(await admin.alterPartitionReassignments([{ topic: 'held', partition: 0, replicas: [0, 1] }]), { value: 1, errors: [] });
    assert.deepEqual((await admin.listPartitionReassignments()).value, [{ topic: 'held', partition: 0, replicas: [0, 1], adding: [1], removing: [] }]);
    assert.deepEqual([...p.copies.keys()].sort(), [0, 1]);

    assert.deepEqual(await admin.alterPartitionReassignments([{ topic: 'held', partition: 0, replicas: null }]), { value: 1, errors: [] });
    assert.deepEqual((await admin.listPartitionReassignments()).value, []);
    assert.deepEqual(await placement(raw, 'held'), [{ leader: 0, replicas: [0], isr: [0] }]);
    assert.deepEqual([...p.copies.keys()], [0]);

    const again = await admin.alterPartitionReassignments([{ topic: 'held', partition: 0, replicas: null }]);
    assert.equal(again.value, 0);
    assert.deepEqual(again.errors, [{ op: 'alterPartitionReassignments', subject: 'held-0', code: KafkaError.NO_REASSIGNMENT_IN_PROGRESS, message: 'NO_REASSIGNMENT_IN_PROGRESS (85): No partition reassignment is in progress.' }]);
  });
});

test('bad reassignments get the error codes and messages Kafka gives, per partition, and change nothing', async () => {
  await withReassignCluster(async (c, admin, raw) => {
    await createTopic(raw, 'fixed', [[0], [1], [2], [0], [1]]);
    const res = await admin.alterPartitionReassignments([
      { topic: 'fixed', partition: 0, replicas: [] },
      { topic: 'fixed', partition: 1, replicas: [2, 2] },
      { topic: 'fixed', partition: 2, replicas: [1, 7] },
      { topic: 'fixed', partition: 3, replicas: [-1] },
      { topic: 'fixed', partition: 4, replicas: [1, 2] },
      { topic: 'fixed', partition: 9, replicas: [1] },
      { topic: 'nowhere', partition: 0, replicas: [1] },
    ]);
    assert.equal(res.value, 1, 'only the valid target is accepted');
    assert.deepEqual(codes(res.errors), {
      'fixed-0': KafkaError.INVALID_REPLICA_ASSIGNMENT,
      'fixed-1': KafkaError.INVALID_REPLICA_ASSIGNMENT,
      'fixed-2': KafkaError.INVALID_REPLICA_ASSIGNMENT,
      'fixed-3': KafkaError.INVALID_REPLICA_ASSIGNMENT,
      'fixed-9': KafkaError.UNKNOWN_TOPIC_OR_PARTITION,
      'nowhere-0': KafkaError.UNKNOWN_TOPIC_OR_PARTITION,
    });
    assert.deepEqual(res.errors.map((e) => e.message), [
      'INVALID_REPLICA_ASSIGNMENT (39): The manual partition assignment includes an empty replica list.',
      'INVALID_REPLICA_ASSIGNMENT (39): The manual partition assignment includes the broker 2 more than once.',
      'INVALID_REPLICA_ASSIGNMENT (39): The manual partition assignment includes broker 7, but no such broker is registered.',
      'INVALID_REPLICA_ASSIGNMENT (39): The manual partition assignment includes broker -1, but no such broker is registered.',
      'UNKNOWN_TOPIC_OR_PARTITION (3): Unable to find partition fixed:9.',
      'UNKNOWN_TOPIC_OR_PARTITION (3): Unable to find a topic named nowhere.',
    ]);
    await waitFor(async () => (await admin.listPartitionReassignments()).value.length === 0, 5000, 'the valid move done');
    assert.deepEqual((await placement(raw, 'fixed')).map((p) => p.replicas), [[0], [1], [2], [0], [1, 2]]);
    assert.equal(c.cluster.topics.partition('fixed', 4)!.leader, 1, 'leader 1 is in the target and keeps leading');
  });
});
