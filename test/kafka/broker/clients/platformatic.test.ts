/**
 * @platformatic/kafka 1.x against the bundled broker: metadata, topic creation, 10,000 keyed
 * messages with headers per codec, a two-member consumer group with a rebalance when one leaves,
 * committed offsets, a restarted member resuming right after them, and the admin's view of the
 * group. Codecs: none, gzip, snappy and lz4 (WebAssembly, work on Node 20); its zstd needs
 * zlib.zstdCompressSync, which Node 20 lacks, so zstd is not exercised here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Admin,
  Consumer,
  ProduceAcks,
  Producer,
  type CompressionAlgorithmValue,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
import {
  REBALANCE_SETTLE_MS,
  assertReceived,
  countsByPartition,
  makeMessages,
  waitFor,
  type ReceivedMessage,
  type TestMessage,
} from '../../../helpers/broker.ts';
import { startCheckedBroker, type CheckedBroker } from '../../../helpers/wire-proxy.ts';

const MESSAGES = 10_000;
const PARTITIONS = [0, 1, 2, 3];
const CODECS: readonly CompressionAlgorithmValue[] = ['none', 'gzip', 'snappy', 'lz4'];
const CLIENT_ID = 'sluice-platformatic';

/** A platformatic message reduced to the shape shared by every client test. */
function received(message: Message): ReceivedMessage {
  return {
    partition: message.partition,
    offset: message.offset,
    key: message.key ?? null,
    value: message.value ?? null,
    headers: [...message.headers].map(([name, value]) => [name.toString('latin1'), value] as const),
  };
}

/** One consumer-group member and what it has seen. */
class Member {
  readonly messages: ReceivedMessage[] = [];
  readonly lastByPartition = new Map<number, Message>();
  readonly consumer: Consumer;
  stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;

  constructor(bootstrap: string, groupId: string, readonly topic: string) {
    this.consumer = new Consumer({
      clientId: CLIENT_ID,
      bootstrapBrokers: [bootstrap],
      groupId,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 300,
      maxWaitTime: 100,
      autocommit: false,
      retries: 5,
      retryDelay: 100,
    });
  }

  /** Partitions of the topic assigned to this member, sorted. */
  get assignment(): number[] {
    const partitions = this.consumer.assignments?.find((a) => a.topic === this.topic)?.partitions ?? [];
    return [...partitions].sort((a, b) => a - b);
  }

  async start(): Promise<this> {
    this.stream = await this.consumer.consume({
      topics: [this.topic],
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: false,
      maxWaitTime: 100,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 300,
    });
    this.stream.on('data', (message: Message) => {
      this.messages.push(received(message));
      this.lastByPartition.set(message.partition, message);
    });
    return this;
  }

  /** Commits the offset after the last message read on each partition. */
  async commit(): Promise<void> {
    await Promise.all([...this.lastByPartition.values()].map((m) => m.commit()));
  }

  /** Closes the stream and the consumer; the consumer leaves the group. */
  async close(): Promise<void> {
    await this.stream?.close();
    await this.consumer.close();
  }
}

describe('@platformatic/kafka against the bundled broker', () => {
  let broker: CheckedBroker;
  let admin: Admin;

  before(async () => {
    broker = await startCheckedBroker();
    admin = new Admin({ clientId: CLIENT_ID, bootstrapBrokers: [broker.bootstrap], retries: 5, retryDelay: 100 });
  });

  after(async () => {
    await admin?.close();
    await broker?.stop();
  });

  test('reads cluster metadata', async () => {
    const metadata = await admin.metadata({ topics: [] });
    assert.deepEqual([...metadata.brokers], [[0, { host: broker.host, port: broker.port, rack: null }]]);
    assert.equal(metadata.controllerId, 0);
    assert.equal(typeof metadata.id, 'string');
    assert.ok(metadata.id.length > 0);
  });

  for (const codec of CODECS) {
    test(`${codec}: 10,000 messages through a two-member group, rebalance, commit, resume`, async () => {
      const topic = `platformatic-${codec}`;
      const groupId = `platformatic-${codec}-group`;

      const created = await admin.createTopics({ topics: [topic], partitions: 4, replicas: 1 });
      assert.deepEqual(
        created.map((t) => ({ name: t.name, partitions: t.partitions, replicas: t.replicas })),
        [{ name: topic, partitions: 4, replicas: 1 }],
      );
      assert.match(created[0]!.id, /^[0-9a-f-]{36}$/);
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
      const topicMetadata = metadata.topics.get(topic);
      assert.ok(topicMetadata !== undefined);
      assert.equal(topicMetadata.partitionsCount, 4);
      assert.deepEqual(
        topicMetadata.partitions.map((p) => ({ leader: p.leader, replicas: p.replicas, isr: p.isr })),
        PARTITIONS.map(() => ({ leader: 0, replicas: [0], isr: [0] })),
      );

      const producer = new Producer({
        clientId: CLIENT_ID,
        bootstrapBrokers: [broker.bootstrap],
        compression: codec,
        acks: ProduceAcks.ALL,
        retries: 5,
        retryDelay: 100,
      });
      const send = async (messages: readonly TestMessage[], partitionOf?: (m: TestMessage) => number) => {
        for (let i = 0; i < messages.length; i += 1000) {
          const chunk = messages.slice(i, i + 1000);
          const result = await producer.send({
            messages: chunk.map((m) => ({
              topic,
              key: m.key,
              value: m.value,
              headers: new Map(m.headers.map(([name, value]) => [Buffer.from(name), value])),
              ...(partitionOf ? { partition: partitionOf(m) } : {}),
            })),
          });
          assert.ok((result.offsets?.length ?? 0) > 0, 'the broker acknowledged the batch');
        }
      };

      // Two members join first, so that both take part in consuming what is produced next.
      const a = await new Member(broker.bootstrap, groupId, topic).start();
      const b = await new Member(broker.bootstrap, groupId, topic).start();
      const members = [a, b];
      try {
        await waitFor(
          () => a.assignment.length === 2 && b.assignment.length === 2 && [...a.assignment, ...b.assignment].sort().join() === '0,1,2,3',
          20_000,
          'two members sharing four partitions',
        );
        await sleep(REBALANCE_SETTLE_MS);

        const sent = makeMessages(MESSAGES, { prefix: `platformatic-${codec}` });
        await send(sent);
        await waitFor(() => a.messages.length + b.messages.length >= MESSAGES, 30_000, `${MESSAGES} messages consumed`);
        const perPartition = assertReceived([...a.messages, ...b.messages], sent);
        for (const m of members) {
          assert.ok(m.messages.length > 0, 'each member consumed part of the messages');
          assert.ok(m.messages.every((r) => m.assignment.includes(r.partition)), 'a member only reads its own partitions');
        }
        const high = new Map(PARTITIONS.map((p) => [p, BigInt(perPartition.get(p) ?? 0)]));
        const listed = await a.consumer.listOffsets({ topics: [topic] });
        assert.deepEqual(listed.get(topic), PARTITIONS.map((p) => high.get(p)));

        const committed = async () => {
          const groups = await admin.listConsumerGroupOffsets({ groups: [groupId] });
          return groups.map((g) => ({
            groupId: g.groupId,
            topics: g.topics.map((t) => ({
              name: t.name,
              partitions: t.partitions
                .map((p) => [p.partitionIndex, p.committedOffset] as [number, bigint])
                .sort((x, y) => x[0] - y[0]),
            })),
          }));
        };
        const expectCommitted = async (offsets: Map<number, bigint>) => {
          const want = [{ groupId, topics: [{ name: topic, partitions: PARTITIONS.map((p) => [p, offsets.get(p) ?? 0n]) }] }];
          assert.deepEqual(await committed(), want);
        };
        await a.commit();
        await b.commit();
        await expectCommitted(high);

        // One member leaves: the other one is given all four partitions.
        await a.close();
        members.splice(0, 1);
        await waitFor(() => b.assignment.join() === '0,1,2,3', 20_000, 'the remaining member to own all partitions');
        await sleep(REBALANCE_SETTLE_MS);

        const before = b.messages.length;
        const extra = makeMessages(40, { prefix: `platformatic-${codec}-extra` });
        await send(extra, (m) => m.seq % 4);
        await waitFor(() => b.messages.length >= before + 40, 20_000, '40 more messages on the remaining member');
        const extraReceived = b.messages.slice(before);
        assertReceived(extraReceived, extra, { firstOffsets: high });
        assert.deepEqual(countsByPartition(extraReceived), PARTITIONS.map((p) => [p, 10]));
        const afterExtra = new Map(PARTITIONS.map((p) => [p, (high.get(p) ?? 0n) + 10n]));
        await b.commit();
        await expectCommitted(afterExtra);

        await b.close();
        members.splice(0, 1);
        const emptyGroup = await admin.describeGroups({ groups: [groupId] });
        assert.deepEqual(
          [...emptyGroup.values()].map((g) => ({ id: g.id, state: g.state, members: g.members.size })),
          [{ id: groupId, state: 'EMPTY', members: 0 }],
        );

        // A restarted member resumes right after the committed offsets.
        const later = makeMessages(100, { prefix: `platformatic-${codec}-later` });
        await send(later, (m) => m.seq % 4);
        const c = await new Member(broker.bootstrap, groupId, topic).start();
        members.push(c);
        await waitFor(() => c.messages.length >= 100, 20_000, '100 messages on the restarted member');
        await sleep(300);
        assertReceived(c.messages, later, { firstOffsets: afterExtra });
        assert.deepEqual(c.assignment, PARTITIONS);
        await c.commit();

        const groups = await admin.listGroups();
        const listedGroup = groups.get(groupId);
        assert.ok(listedGroup !== undefined, `listGroups includes ${groupId}`);
        assert.deepEqual(
          { id: listedGroup.id, state: listedGroup.state, protocolType: listedGroup.protocolType },
          { id: groupId, state: 'STABLE', protocolType: 'consumer' },
        );
        // ListGroups v5 reports the group type; v4 has no such field.
        assert.ok(listedGroup.groupType === 'classic' || listedGroup.groupType === undefined, `groupType ${listedGroup.groupType}`);
        const described = await admin.describeGroups({ groups: [groupId] });
        const group = described.get(groupId);
        assert.ok(group !== undefined);
        assert.deepEqual(
          { id: group.id, state: group.state, protocolType: group.protocolType, protocol: group.protocol, members: group.members.size },
          { id: groupId, state: 'STABLE', protocolType: 'consumer', protocol: 'roundrobin', members: 1 },
        );
        const member = [...group.members.values()][0]!;
        assert.deepEqual(
          {
            id: member.id,
            clientId: member.clientId,
            topics: member.metadata?.topics,
            assignments: [...(member.assignments?.values() ?? [])].map((x) => ({ topic: x.topic, partitions: [...x.partitions].sort() })),
          },
          {
            id: c.consumer.memberId,
            clientId: CLIENT_ID,
            topics: [topic],
            assignments: [{ topic, partitions: PARTITIONS }],
          },
        );
        await expectCommitted(new Map(PARTITIONS.map((p) => [p, (afterExtra.get(p) ?? 0n) + 25n])));
        // Kafka reports a member's host as Java's InetAddress.toString(): "/" + address.
        assert.equal(member.clientHost, '/127.0.0.1', 'DescribeGroups member client_host');
      } finally {
        for (const m of members) await m.close();
        await producer.close();
      }
    });
  }

  test('every response the broker sent decodes with Kafka\'s definition of its API and version', () => {
    assert.deepEqual(broker.wire.problems, []);
    // The requests this suite's clients are known to send (heartbeats depend on timing).
    assert.deepEqual(broker.wire.missing([
      'Produce v11', 'Fetch v17', 'ListOffsets v9', 'Metadata v12', 'OffsetCommit v9', 'OffsetFetch v9',
      'FindCoordinator v6', 'JoinGroup v9', 'LeaveGroup v5', 'SyncGroup v5', 'DescribeGroups v5',
      'ListGroups v5', 'ApiVersions v3', 'CreateTopics v7',
    ]), []);
  });
});
