/**
 * The admin client against the bundled 3-broker cluster over real sockets: exact log offsets and
 * committed offsets, group listing, quotas set and read back, Metadata shared within a cycle but
 * never twice with the same consumer, and partial results (not rejections) when a broker is gone.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { startCluster, type RunningCluster } from '../../src/kafka/broker/index.ts';

let running: RunningCluster;
let admin: KafkaAdmin;

before(async () => {
  running = await startCluster({
    brokers: 3, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }),
    topics: [{ name: 'orders', partitions: 3, replicationFactor: 3 }, { name: 'solo', partitions: 3, replicationFactor: 1 }],
  });
  admin = new KafkaAdmin({ bootstrap: running.bootstrap.split(','), requestTimeoutMs: 2000, connectTimeoutMs: 1000 });
  const kafka = new Kafka({ brokers: running.bootstrap.split(','), clientId: 'admin-test', logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  for (const [topic, partition, count] of [['orders', 0, 7], ['orders', 2, 3], ['solo', 0, 5], ['solo', 1, 4], ['solo', 2, 2]] as const) {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ value: `m${i}`, partition })) });
  }
  await producer.disconnect();
});

after(async () => {
  await admin.close();
  await running.stop();
});

test('metadata lists every broker and partition; listOffsets gives exact log start and end', async () => {
  const meta = await admin.metadata();
  assert.deepEqual(meta.brokers.map((b) => b.id).sort(), [0, 1, 2]);
  assert.deepEqual(meta.topics.get('orders')!.partitions.map((p) => [p.partition, p.replicas.length, p.isr.length]), [[0, 3, 3], [1, 3, 3], [2, 3, 3]]);
  const partitions = [...meta.topics.values()].filter((t) => !t.internal).flatMap((t) => t.partitions);
  const { value, errors } = await admin.listOffsets(partitions);
  assert.deepEqual(errors, []);
  const ends = value.map((o) => `${o.topic}-${o.partition}:${o.start}..${o.end}`).sort();
  assert.deepEqual(ends, ['orders-0:0..7', 'orders-1:0..0', 'orders-2:0..3', 'solo-0:0..5', 'solo-1:0..4', 'solo-2:0..2']);
});

test('a shared Metadata answer goes to each consumer once; a consumer\'s next call reads afresh', async () => {
  const cluster = {};
  const topics = {};
  const first = admin.metadata({ consumer: cluster, maxAgeMs: 60_000 });
  assert.equal(admin.metadata({ consumer: topics, maxAgeMs: 60_000 }), first, 'in flight: shared');
  await first;
  assert.notEqual(admin.metadata({ consumer: cluster, maxAgeMs: 60_000 }), first, 'same consumer: a new read');
  const other = {};
  const fresh = admin.metadata({ consumer: other, maxAgeMs: 60_000 });
  await fresh;
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.notEqual(admin.metadata({ consumer: {}, maxAgeMs: 10 }), fresh, 'older than maxAgeMs: a new read');
});

test('committed offsets and groups: commit outside a generation, list, fetch, describe', async () => {
  const committed = await admin.commitOffsets('billing', [{ topic: 'orders', partition: 0, offset: 4 }, { topic: 'orders', partition: 2, offset: 3 }]);
  assert.deepEqual(committed, { value: 2, errors: [] });
  const listed = await admin.listGroups();
  assert.deepEqual(listed.errors, []);
  assert.deepEqual(listed.value.map((g) => g.group), ['billing']);
  const fetched = await admin.fetchCommittedOffsets(['billing']);
  assert.deepEqual(fetched.errors, []);
  assert.deepEqual(fetched.value.map((g) => [g.group, g.offsets.map((o) => `${o.topic}-${o.partition}@${o.offset}`).sort()]), [['billing', ['orders-0@4', 'orders-2@3']]]);
  const described = await admin.describeGroups(['billing']);
  assert.deepEqual(described.value.map((g) => [g.group, g.members.length]), [['billing', 0]]);
});

test('client quotas set by alterClientQuotas read back by describeClientQuotas; removal clears them', async () => {
  const entity = [{ entityType: 'user' as const, entityName: 'alice' }, { entityType: 'client-id' as const, entityName: 'loader' }];
  assert.deepEqual(await admin.alterClientQuotas([{ entity, key: 'producer_byte_rate', value: 1_048_576 }]), { value: 1, errors: [] });
  assert.deepEqual((await admin.describeClientQuotas()).value, [{ entity, values: { producer_byte_rate: 1_048_576 } }]);
  assert.deepEqual(await admin.alterClientQuotas([{ entity, key: 'producer_byte_rate', value: null }]), { value: 1, errors: [] });
  assert.deepEqual((await admin.describeClientQuotas()).value, []);
});

test('a stopped broker: listOffsets returns the partitions it could read and names the rest', async () => {
  const meta = await admin.metadata();
  const solo = meta.topics.get('solo')!.partitions;
  const downLeader = solo[1]!.leader;
  await running.cluster.stopBroker(downLeader);
  try {
    // The partitions as they were placed before the broker stopped: its one goes unanswered.
    const { value, errors } = await admin.listOffsets(solo);
    const lost = solo.filter((p) => p.leader === downLeader).map((p) => p.partition);
    assert.deepEqual(value.map((o) => o.partition).sort(), solo.map((p) => p.partition).filter((p) => !lost.includes(p)).sort());
    assert.ok(errors.length >= 1 && errors.every((e) => e.op === 'listOffsets' && e.broker === downLeader), JSON.stringify(errors));
    const probe = await admin.probeBrokers();
    assert.equal(probe.get(downLeader) !== null, true, 'the stopped broker fails its probe');
    assert.deepEqual([...probe].filter(([, failure]) => failure === null).map(([id]) => id).sort(), [0, 1, 2].filter((id) => id !== downLeader));
  } finally {
    await running.cluster.startBroker(downLeader);
  }
});
