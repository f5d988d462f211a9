/**
 * kafkajs 2.2.4 against the bundled broker: metadata, topic creation, 10,000 keyed messages with
 * headers per codec (none, gzip, snappy through kafkajs-snappy; kafkajs has no built-in lz4 or
 * zstd codec), a two-member consumer group with a rebalance when one leaves, committed offsets,
 * a restarted member resuming right after them, and the admin's view of the group.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Admin, type Consumer, type Kafka as KafkaClient, type KafkaMessage } from 'kafkajs';
import {
  REBALANCE_SETTLE_MS,
  assertReceived,
  countsByPartition,
  makeMessages,
  waitFor,
  type Header,
  type ReceivedMessage,
  type TestMessage,
} from '../../../helpers/broker.ts';
import { startCheckedBroker, type CheckedBroker } from '../../../helpers/wire-proxy.ts';

const { Kafka, CompressionTypes, CompressionCodecs, Partitioners, AssignerProtocol, logLevel } = kafkajs;
CompressionCodecs[CompressionTypes.Snappy] = createRequire(import.meta.url)('kafkajs-snappy') as () => unknown;

const MESSAGES = 10_000;
const PARTITIONS = [0, 1, 2, 3];
const CODECS = [
  ['none', CompressionTypes.None],
  ['gzip', CompressionTypes.GZIP],
  ['snappy', CompressionTypes.Snappy],
] as const;

/** A kafkajs message reduced to the shape shared by every client test. */
function received(partition: number, message: KafkaMessage): ReceivedMessage {
  const headers: Header[] = [];
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== undefined) headers.push([name, Buffer.isBuffer(v) ? v : Buffer.from(v)]);
    }
  }
  return { partition, offset: BigInt(message.offset), key: message.key, value: message.value, headers };
}

/** kafkajs headers of a test message. */
function headersOf(m: TestMessage): Record<string, Buffer> {
  return Object.fromEntries(m.headers.map(([name, value]) => [name, value]));
}

/** One consumer-group member and what it has seen. */
class Member {
  readonly messages: ReceivedMessage[] = [];
  assignment: number[] = [];
  memberId = '';
  readonly consumer: Consumer;

  constructor(kafka: KafkaClient, groupId: string, readonly topic: string) {
    this.consumer = kafka.consumer({
      groupId,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 300,
      maxWaitTimeInMs: 100,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      this.memberId = event.payload.memberId;
      this.assignment = [...(event.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
    });
  }

  async start(): Promise<this> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await this.consumer.run({
      autoCommit: true,
      eachMessage: async ({ partition, message }) => {
        this.messages.push(received(partition, message));
      },
    });
    return this;
  }
}

describe('kafkajs 2.2.4 against the bundled broker', () => {
  let broker: CheckedBroker;
  let kafka: KafkaClient;
  let admin: Admin;

  before(async () => {
    broker = await startCheckedBroker();
    kafka = new Kafka({
      clientId: 'sluice-kafkajs',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    admin = kafka.admin();
    await admin.connect();
  });

  after(async () => {
    await admin?.disconnect();
    await broker?.stop();
  });

  test('reads cluster metadata', async () => {
    const cluster = await admin.describeCluster();
    assert.deepEqual(cluster.brokers, [{ nodeId: 0, host: broker.host, port: broker.port }]);
    assert.equal(cluster.controller, 0);
    assert.equal(typeof cluster.clusterId, 'string');
    assert.ok(cluster.clusterId.length > 0);
  });

  for (const [codecName, codec] of CODECS) {
    test(`${codecName}: 10,000 messages through a two-member group, rebalance, commit, resume`, async () => {
      const topic = `kafkajs-${codecName}`;
      const groupId = `kafkajs-${codecName}-group`;

      assert.equal(
        await admin.createTopics({ topics: [{ topic, numPartitions: 4, replicationFactor: 1 }], waitForLeaders: true }),
        true,
      );
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      assert.deepEqual(
        metadata.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions
            .map((p) => ({ id: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr, error: p.partitionErrorCode }))
            .sort((a, b) => a.id - b.id),
        })),
        [{ name: topic, partitions: PARTITIONS.map((id) => ({ id, leader: 0, replicas: [0], isr: [0], error: 0 })) }],
      );

      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
      await producer.connect();
      const send = async (messages: readonly TestMessage[], partitionOf?: (m: TestMessage) => number) => {
        for (let i = 0; i < messages.length; i += 1000) {
          const chunk = messages.slice(i, i + 1000);
          const acks = await producer.send({
            topic,
            acks: -1,
            compression: codec,
            messages: chunk.map((m) => ({
              key: m.key,
              value: m.value,
              headers: headersOf(m),
              ...(partitionOf ? { partition: partitionOf(m) } : {}),
            })),
          });
          for (const ack of acks) assert.equal(ack.errorCode, 0);
        }
      };

      // Two members join first, so that both take part in consuming what is produced next.
      const a = await new Member(kafka, groupId, topic).start();
      const b = await new Member(kafka, groupId, topic).start();
      const members = [a, b];
      try {
        await waitFor(
          () => a.assignment.length === 2 && b.assignment.length === 2 && [...a.assignment, ...b.assignment].sort().join() === '0,1,2,3',
          20_000,
          'two members sharing four partitions',
        );
        await sleep(REBALANCE_SETTLE_MS);

        const sent = makeMessages(MESSAGES, { prefix: `kafkajs-${codecName}` });
        await send(sent);
        await waitFor(() => a.messages.length + b.messages.length >= MESSAGES, 30_000, `${MESSAGES} messages consumed`);
        const perPartition = assertReceived([...a.messages, ...b.messages], sent);
        for (const m of members) {
          assert.ok(m.messages.length > 0, 'each member consumed part of the messages');
          assert.ok(m.messages.every((r) => m.assignment.includes(r.partition)), 'a member only reads its own partitions');
        }

        const topicOffsets = await admin.fetchTopicOffsets(topic);
        const high = new Map(topicOffsets.map((o) => [o.partition, BigInt(o.high)]));
        assert.deepEqual(
          [...high].sort((x, y) => x[0] - y[0]),
          PARTITIONS.map((p) => [p, BigInt(perPartition.get(p) ?? 0)]),
        );
        const committed = async () =>
          (await admin.fetchOffsets({ groupId, topics: [topic] }))
            .flatMap((t) => t.partitions.map((p) => [p.partition, BigInt(p.offset)] as [number, bigint]))
            .sort((x, y) => x[0] - y[0]);
        const expectCommitted = async (offsets: Map<number, bigint>) => {
          const want = PARTITIONS.map((p) => [p, offsets.get(p) ?? 0n] as [number, bigint]);
          await waitFor(async () => JSON.stringify(await committed(), big) === JSON.stringify(want, big), 10_000, 'commits');
          assert.deepEqual(await committed(), want);
        };
        await expectCommitted(high);

        // One member leaves: the other one is given all four partitions.
        await a.consumer.disconnect();
        members.splice(0, 1);
        await waitFor(() => b.assignment.join() === '0,1,2,3', 20_000, 'the remaining member to own all partitions');
        await sleep(REBALANCE_SETTLE_MS);

        const before = b.messages.length;
        const extra = makeMessages(40, { prefix: `kafkajs-${codecName}-extra` });
        await send(extra, (m) => m.seq % 4);
        await waitFor(() => b.messages.length >= before + 40, 20_000, '40 more messages on the remaining member');
        const extraReceived = b.messages.slice(before);
        assertReceived(extraReceived, extra, { firstOffsets: high });
        assert.deepEqual(countsByPartition(extraReceived), PARTITIONS.map((p) => [p, 10]));
        const afterExtra = new Map(PARTITIONS.map((p) => [p, (high.get(p) ?? 0n) + 10n]));
        await expectCommitted(afterExtra);

        await b.consumer.disconnect();
        members.splice(0, 1);
        const emptyGroup = await admin.describeGroups([groupId]);
        assert.deepEqual(
          emptyGroup.groups.map((g) => ({ groupId: g.groupId, state: g.state, members: g.members.length })),
          [{ groupId, state: 'Empty', members: 0 }],
        );

        // A restarted member resumes right after the committed offsets.
        const later = makeMessages(100, { prefix: `kafkajs-${codecName}-later` });
        await send(later, (m) => m.seq % 4);
        const c = await new Member(kafka, groupId, topic).start();
        members.push(c);
        await waitFor(() => c.messages.length >= 100, 20_000, '100 messages on the restarted member');
        await sleep(300);
        assertReceived(c.messages, later, { firstOffsets: afterExtra });
        assert.deepEqual(c.assignment, PARTITIONS);

        const groups = await admin.listGroups();
        assert.deepEqual(groups.groups.filter((g) => g.groupId === groupId), [{ groupId, protocolType: 'consumer' }]);
        const described = await admin.describeGroups([groupId]);
        assert.equal(described.groups.length, 1);
        const group = described.groups[0]!;
        assert.deepEqual(
          { groupId: group.groupId, state: group.state, protocolType: group.protocolType, protocol: group.protocol },
          { groupId, state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' },
        );
        assert.equal(group.members.length, 1);
        const member = group.members[0]!;
        assert.deepEqual({ memberId: member.memberId, clientId: member.clientId }, { memberId: c.memberId, clientId: 'sluice-kafkajs' });
        const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
        assert.deepEqual(
          Object.fromEntries(Object.entries(assignment?.assignment ?? {}).map(([t, ps]) => [t, [...ps].sort()])),
          { [topic]: PARTITIONS },
        );
        await expectCommitted(new Map(PARTITIONS.map((p) => [p, (afterExtra.get(p) ?? 0n) + 25n])));
        // Kafka reports a member's host as Java's InetAddress.toString(): "/" + address.
        assert.equal(member.clientHost, '/127.0.0.1', 'DescribeGroups member client_host');
      } finally {
        for (const m of members) await m.consumer.disconnect();
        await producer.disconnect();
      }
    });
  }

  test('every response the broker sent decodes with Kafka\'s definition of its API and version', () => {
    assert.deepEqual(broker.wire.problems, []);
    // The requests this suite's clients are known to send (heartbeats depend on timing).
    assert.deepEqual(broker.wire.missing([
      'Produce v7', 'Fetch v11', 'ListOffsets v3', 'Metadata v6', 'OffsetCommit v5', 'OffsetFetch v4',
      'FindCoordinator v2', 'JoinGroup v5', 'LeaveGroup v3', 'SyncGroup v3', 'DescribeGroups v2',
      'ListGroups v2', 'ApiVersions v2', 'CreateTopics v3',
    ]), []);
  });
});

/** JSON.stringify replacer for bigint. */
function big(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
