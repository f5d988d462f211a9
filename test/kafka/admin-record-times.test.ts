/**
 * KafkaAdmin.readRecordTimes against the bundled cluster over real sockets: the timestamp of the
 * record at an offset in the middle of a batch, nothing at the high watermark, and errors named
 * per partition (a broker that does not lead it, a leader not in the metadata).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaAdmin, type RecordTimeTarget } from '../../src/kafka/admin.ts';
import { startCluster, type RunningCluster } from '../../src/kafka/broker/index.ts';

const T0 = 1_700_000_000_000;
let running: RunningCluster;
let admin: KafkaAdmin;

before(async () => {
  running = await startCluster({ brokers: 2, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }), topics: [{ name: 'stamped', partitions: 2, replicationFactor: 1 }] });
  admin = new KafkaAdmin({ bootstrap: running.bootstrap.split(','), requestTimeoutMs: 2000, connectTimeoutMs: 1000 });
  const producer = new Kafka({ brokers: running.bootstrap.split(','), clientId: 'record-times-test', logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  // One batch of five records with their own CreateTimes, then a second batch of one.
  await producer.send({ topic: 'stamped', acks: -1, messages: [0, 7, 20, 21, 90].map((d, i) => ({ value: `m${i}`, partition: 0, timestamp: String(T0 + d) })) });
  await producer.send({ topic: 'stamped', acks: -1, messages: [{ value: 'late', partition: 0, timestamp: String(T0 + 5000) }] });
  await producer.disconnect();
});

after(async () => {
  await admin.close();
  await running.stop();
});

async function target(offset: number, partition = 0): Promise<RecordTimeTarget> {
  const meta = await admin.metadata();
  const topic = meta.topics.get('stamped')!;
  const p = topic.partitions[partition]!;
  return { topic: 'stamped', topicId: topic.id, partition, leader: p.leader, leaderEpoch: p.leaderEpoch, offset };
}

test('the timestamp of the record at each offset, one Fetch each; nothing at the high watermark', async () => {
  const targets = await Promise.all([0, 2, 4, 5, 6].map((o) => target(o)));
  const got = await admin.readRecordTimes(targets);
  assert.deepEqual(got.errors, []);
  assert.deepEqual(got.value.sort((a, b) => a.offset - b.offset).map((r) => [r.offset, r.recordOffset, r.timestampMs, r.type]), [
    [0, 0, T0, 'create'],
    [2, 2, T0 + 20, 'create'],
    [4, 4, T0 + 90, 'create'],
    [5, 5, T0 + 5000, 'create'],
  ]);
  assert.equal(got.fetches, 5);
});

test('a broker that does not lead the partition, and a leader missing from the metadata, are named errors', async () => {
  const good = await target(1);
  const other = running.cluster.nodes.map((n) => n.nodeId).find((id) => id !== good.leader)!;
  const got = await admin.readRecordTimes([{ ...good, leader: other }, { ...good, leader: 42 }, good]);
  assert.deepEqual(got.value.map((r) => [r.offset, r.timestampMs]), [[1, T0 + 7]]);
  assert.deepEqual(got.errors.map((e) => [e.op, e.broker, e.subject, e.message]).sort((a, b) => Number(a[1]) - Number(b[1])), [
    ['readRecordTimes', other, 'stamped-0@1', 'NOT_LEADER_OR_FOLLOWER (6)'],
    ['readRecordTimes', 42, 'stamped-0@1', 'broker 42 is not in the cluster metadata'],
  ]);
});
