/**
 * kcat 1.7 (librdkafka 2.x) against the bundled broker: metadata as JSON, 10,000 keyed messages
 * with headers per codec (none, gzip, snappy, lz4, zstd), two `kcat -G` members sharing the
 * topic, a rebalance when one leaves, committed offsets, and a restarted member resuming right
 * after them.
 *
 * kcat cannot create topics, so the broker is started with them. kcat has no group admin
 * either, so the group is listed and described and its offsets fetched with kafkajs's admin.
 * kcat's `-H` sets the same headers on every message it produces.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Admin } from 'kafkajs';
import {
  KCAT_DELIMITER_BYTES,
  REBALANCE_SETTLE_MS,
  assertReceived,
  countsByPartition,
  makeMessages,
  waitFor,
  type Header,
  type TestMessage,
} from '../../../helpers/broker.ts';
import { startCheckedBroker, type CheckedBroker } from '../../../helpers/wire-proxy.ts';
import { KCAT_FAST_GROUP_ARGS, KCAT_FORMAT, KcatGroupMember, kcatProduce, parseKcatOutput, runKcat } from '../../../helpers/kcat.ts';

const { Kafka, AssignerProtocol, logLevel } = kafkajs;

const MESSAGES = 10_000;
const PARTITIONS = [0, 1, 2, 3];
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const topicOf = (codec: string) => `kcat-${codec}`;

describe('kcat (librdkafka) against the bundled broker', () => {
  let broker: CheckedBroker;
  let admin: Admin;

  before(async () => {
    broker = await startCheckedBroker({ topics: CODECS.map((codec) => ({ name: topicOf(codec), partitions: 4 })) });
    const kafka = new Kafka({ clientId: 'sluice-kcat-admin', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
  });

  after(async () => {
    await admin?.disconnect();
    await broker?.stop();
  });

  test('kcat -L -J reads the metadata', async () => {
    const result = await runKcat(['-b', broker.bootstrap, '-L', '-J', '-m', '5'], 15_000);
    assert.equal(result.code, 0, result.stderr);
    const metadata = JSON.parse(result.stdout.toString('utf8')) as {
      query: unknown;
      controllerid: number;
      brokers: unknown;
      topics: Array<{ topic: string; error?: string; partitions: Array<{ partition: number }> }>;
    };
    assert.deepEqual(metadata.query, { topic: '*' });
    assert.equal(metadata.controllerid, 0);
    assert.deepEqual(metadata.brokers, [{ id: 0, name: broker.bootstrap }]);
    assert.deepEqual(
      metadata.topics
        .map((t) => ({ ...t, partitions: [...t.partitions].sort((a, b) => a.partition - b.partition) }))
        .sort((a, b) => a.topic.localeCompare(b.topic)),
      CODECS.map(topicOf)
        .sort()
        .map((topic) => ({
          topic,
          partitions: PARTITIONS.map((partition) => ({ partition, leader: 0, replicas: [{ id: 0 }], isrs: [{ id: 0 }] })),
        })),
    );
  });

  for (const codec of CODECS) {
    test(`${codec}: 10,000 messages through two kcat -G members, rebalance, commit, resume`, async () => {
      const topic = topicOf(codec);
      const groupId = `kcat-${codec}-group`;
      const headers: Header[] = [
        ['origin', Buffer.from('kcat')],
        ['codec', Buffer.from(codec)],
      ];
      const produce = (messages: readonly TestMessage[], partition?: number) =>
        kcatProduce(broker.bootstrap, topic, messages, {
          compression: codec,
          headers,
          ...(partition === undefined ? {} : { partition }),
        });
      /** Produces 4 × perPartition messages, perPartition to each partition in turn. */
      const producePerPartition = async (prefix: string, perPartition: number) => {
        const batches = PARTITIONS.map((p) =>
          makeMessages(perPartition, { prefix: `${prefix}-p${p}`, fixedHeaders: headers, avoidBytes: KCAT_DELIMITER_BYTES }),
        );
        await Promise.all(batches.map((batch, p) => produce(batch, p)));
        return batches.flat();
      };
      const committed = async () =>
        (await admin.fetchOffsets({ groupId, topics: [topic] }))
          .flatMap((t) => t.partitions.map((p) => `${p.partition}:${p.offset}`))
          .sort();
      const expectCommitted = async (offsets: Map<number, bigint>) => {
        const want = PARTITIONS.map((p) => `${p}:${offsets.get(p) ?? 0n}`);
        await waitFor(async () => (await committed()).join() === want.join(), 10_000, `committed offsets ${want.join()}`);
        assert.deepEqual(await committed(), want);
      };

      // Two members join first, so that both take part in consuming what is produced next.
      const a = new KcatGroupMember(broker.bootstrap, groupId, topic, ['-X', 'client.id=kcat-a']);
      const b = new KcatGroupMember(broker.bootstrap, groupId, topic, ['-X', 'client.id=kcat-b']);
      try {
        await waitFor(
          () => a.assignment.length === 2 && b.assignment.length === 2 && [...a.assignment, ...b.assignment].sort().join() === '0,1,2,3',
          20_000,
          'two kcat members sharing four partitions',
        );
        await sleep(REBALANCE_SETTLE_MS);

        const sent = makeMessages(MESSAGES, { prefix: `kcat-${codec}`, fixedHeaders: headers, avoidBytes: KCAT_DELIMITER_BYTES });
        await produce(sent);
        await waitFor(() => a.messages.length + b.messages.length >= MESSAGES, 30_000, `${MESSAGES} messages consumed`);
        const perPartition = assertReceived([...a.messages, ...b.messages], sent);
        for (const m of [a, b]) {
          assert.ok(m.messages.length > 0, 'each member consumed part of the messages');
          assert.ok(m.messages.every((r) => m.assignment.includes(r.partition)), 'a member only reads its own partitions');
        }
        const high = new Map(PARTITIONS.map((p) => [p, BigInt(perPartition.get(p) ?? 0)]));
        const topicOffsets = await admin.fetchTopicOffsets(topic);
        assert.deepEqual(
          topicOffsets.map((o) => [o.partition, o.high]).sort((x, y) => Number(x[0]) - Number(y[0])),
          PARTITIONS.map((p) => [p, String(high.get(p))]),
        );

        // One member leaves, committing as it closes; the other commits what it read as its
        // partitions are revoked, then is given all four. librdkafka auto-commits only every 5 s
        // (see KCAT_FAST_GROUP_ARGS), so the commits checked here are those made on revoke and
        // on close.
        assert.equal(await a.stop(), 0, a.stderr);
        await waitFor(() => b.assignment.join() === '0,1,2,3', 20_000, 'the remaining member to own all partitions');
        await sleep(REBALANCE_SETTLE_MS);
        await expectCommitted(high);

        const before = b.messages.length;
        const extra = await producePerPartition(`kcat-${codec}-extra`, 10);
        await waitFor(() => b.messages.length >= before + 40, 20_000, '40 more messages on the remaining member');
        const extraReceived = b.messages.slice(before);
        assertReceived(extraReceived, extra, { firstOffsets: high });
        assert.deepEqual(countsByPartition(extraReceived), PARTITIONS.map((p) => [p, 10]));
        const afterExtra = new Map(PARTITIONS.map((p) => [p, (high.get(p) ?? 0n) + 10n]));

        const groups = await admin.listGroups();
        assert.deepEqual(groups.groups.filter((g) => g.groupId === groupId), [{ groupId, protocolType: 'consumer' }]);
        const described = await admin.describeGroups([groupId]);
        assert.equal(described.groups.length, 1);
        const group = described.groups[0]!;
        assert.deepEqual(
          { groupId: group.groupId, state: group.state, protocolType: group.protocolType, protocol: group.protocol },
          { groupId, state: 'Stable', protocolType: 'consumer', protocol: 'range' },
        );
        assert.deepEqual(
          group.members.map((m) => ({
            clientId: m.clientId,
            assignment: Object.entries(AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {}).map(
              ([t, ps]) => [t, [...ps].sort()],
            ),
          })),
          [{ clientId: 'kcat-b', assignment: [[topic, PARTITIONS]] }],
        );
        const clientHost = group.members[0]!.clientHost;

        assert.equal(await b.stop(), 0, b.stderr);
        await expectCommitted(afterExtra);
        const emptyGroup = await admin.describeGroups([groupId]);
        assert.deepEqual(
          emptyGroup.groups.map((g) => ({ groupId: g.groupId, state: g.state, members: g.members.length })),
          [{ groupId, state: 'Empty', members: 0 }],
        );

        // A restarted member resumes right after the committed offsets, then exits at the end (-e).
        const later = await producePerPartition(`kcat-${codec}-later`, 25);
        const c = await runKcat(
          ['-b', broker.bootstrap, '-G', groupId, '-e', '-f', KCAT_FORMAT, ...KCAT_FAST_GROUP_ARGS, '-X', 'client.id=kcat-c', topic],
          20_000,
        );
        assert.equal(c.code, 0, c.stderr);
        assertReceived(parseKcatOutput(c.stdout), later, { firstOffsets: afterExtra });
        await expectCommitted(new Map(PARTITIONS.map((p) => [p, (afterExtra.get(p) ?? 0n) + 25n])));
        // Kafka reports a member's host as Java's InetAddress.toString(): "/" + address.
        assert.equal(clientHost, '/127.0.0.1', 'DescribeGroups member client_host');
      } finally {
        await a.stop();
        await b.stop();
      }
    });
  }

  test('every response the broker sent decodes with Kafka\'s definition of its API and version', () => {
    assert.deepEqual(broker.wire.problems, []);
    // The requests this suite's clients are known to send (heartbeats depend on timing).
    assert.deepEqual(broker.wire.missing([
      'Produce v7', 'Fetch v11', 'ListOffsets v2', 'ListOffsets v3', 'Metadata v4', 'Metadata v6',
      'OffsetCommit v7', 'OffsetFetch v4', 'OffsetFetch v7', 'FindCoordinator v2', 'JoinGroup v5',
      'LeaveGroup v1', 'SyncGroup v3', 'DescribeGroups v2', 'ListGroups v2', 'ApiVersions v2',
      'ApiVersions v3',
    ]), []);
  });
});
