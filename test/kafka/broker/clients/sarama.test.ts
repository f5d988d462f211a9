/**
 * sarama 1.22 (Shopify's Go Kafka client, as Debian packages it) against the bundled broker,
 * under every Kafka version setting sarama offers from 0.10.2 to 2.1, with one and three
 * brokers: metadata, a sync producer with acks=all, GetOffset (ListOffsets v1) and an offset
 * poller's zero-value OffsetRequest (ListOffsets v0, as Burrow sends it), the offset manager
 * (OffsetCommit v1 and OffsetFetch), a two-member ConsumerGroup with a rebalance (OffsetCommit
 * v2), and ClusterAdmin (CreateTopic, DescribeConfig, ListConsumerGroups, DescribeConsumerGroups,
 * ListConsumerGroupOffsets, DeleteTopic).
 *
 * The Go client (./sarama/) runs against proxies that decode every response with Kafka's
 * definition of its API and version; a response with bytes missing or left over fails the run.
 * The patch-level settings (0.10.2.1, 1.1.1, 2.0.1, ...) are left out: sarama picks no request
 * version by them, so they send exactly what their .0 release does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { uniqueName } from '../../../helpers/broker.ts';
import { buildSaramaClient, runSaramaClient, saramaUnavailable, type SaramaClient, type SaramaCommitted } from '../../../helpers/sarama.ts';
import { startCheckedBroker } from '../../../helpers/wire-proxy.ts';

const VERSIONS = ['0.10.2.0', '0.11.0.0', '1.0.0', '1.1.0', '2.0.0', '2.1.0'] as const;
const BROKERS = [1, 3] as const;
const PARTITIONS = [0, 1, 2, 3];
/** Messages the client produces to each partition before the group starts, and after its rebalance. */
const FIRST_ROUND = 3;
const SECOND_ROUND = 2;

const unavailable = await saramaUnavailable();

/** Whether sarama version `v` is at least `min` (both as sarama spells them). */
function atLeast(v: string, min: string): boolean {
  const parts = (s: string) => s.split('.').map(Number);
  const [a, b] = [parts(v), parts(min)];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

/** The API versions sarama 1.22 sends in this scenario, as its source picks them for `v`. */
function expectedApiVersions(v: string): string[] {
  const v0_11 = atLeast(v, '0.11.0.0');
  const v1 = atLeast(v, '1.0.0');
  return [
    v0_11 ? 'Produce v3' : 'Produce v2',
    v0_11 ? 'Fetch v4' : 'Fetch v3',
    'ListOffsets v0',
    'ListOffsets v1',
    // v0 for ClusterAdmin.ListTopics; the client's own refreshes v1 (v5 from 1.0); DescribeTopics v0, v4 at 0.11, v5 from 1.0.
    ...(v1 ? ['Metadata v0', 'Metadata v5'] : v0_11 ? ['Metadata v0', 'Metadata v1', 'Metadata v4'] : ['Metadata v0', 'Metadata v1']),
    'OffsetCommit v1',
    'OffsetCommit v2',
    'OffsetFetch v1',
    'FindCoordinator v0',
    'JoinGroup v1',
    'Heartbeat v0',
    'LeaveGroup v0',
    'SyncGroup v0',
    'DescribeGroups v0',
    'ListGroups v0',
    v1 ? 'CreateTopics v2' : v0_11 ? 'CreateTopics v1' : 'CreateTopics v0',
    v0_11 ? 'DeleteTopics v1' : 'DeleteTopics v0',
    ...(v0_11 ? ['DescribeConfigs v0'] : []),
  ];
}

function committed(offset: (p: number) => number, metadata: (p: number) => string): SaramaCommitted[] {
  return PARTITIONS.map((partition) => ({ partition, offset: offset(partition), metadata: metadata(partition), error: '' }));
}

describe('sarama 1.22 against the bundled broker', { skip: unavailable ?? false, concurrency: true }, () => {
  let client: SaramaClient;

  before(async () => {
    client = await buildSaramaClient();
  });

  after(async () => {
    await client?.remove();
  });

  for (const version of VERSIONS) {
    for (const brokers of BROKERS) {
      test(`Kafka ${version} setting, ${brokers} broker${brokers === 1 ? '' : 's'}`, async () => {
        const broker = await startCheckedBroker({ brokers });
        const { cluster } = broker.running;
        try {
          const topic = uniqueName('sarama');
          const deletedTopic = `${topic}-deleted`;
          const group = uniqueName('sarama-group');
          const report = await runSaramaClient(client, { bootstrap: broker.bootstrap, version, topic, deletedTopic, replicationFactor: brokers, group });
          const v0_11 = atLeast(version, '0.11.0.0');

          // Every response decoded with Kafka's definition of its API and version, nothing left over.
          assert.deepEqual(broker.wire.problems, []);
          assert.deepEqual(broker.wire.apiVersions(), expectedApiVersions(version));

          assert.equal(report.version, version);
          // Before 0.11 sarama itself refuses DescribeConfigs (ClusterAdmin.ListTopics needs it too).
          const refused = 'kafka server: The version of API is not supported.';
          assert.deepEqual(report.errors, v0_11 ? [] : [`DescribeConfig: ${refused}`, `ListTopics: ${refused}`, `ListTopics: ${refused}`]);

          // Metadata: the brokers (behind their proxies), the controller, and the topic as the cluster holds it.
          assert.deepEqual(report.brokers, broker.bootstrap.split(',').map((addr, id) => ({ id, addr })));
          assert.equal(report.controller, cluster.controllerId);
          const held = cluster.topics.get(topic)!;
          assert.deepEqual(report.partitions, held.partitions.map((p) => ({ partition: p.index, leader: p.leader, replicas: p.replicas, isr: p.isr })));
          assert.deepEqual(report.partitions.map((p) => p.replicas.length), PARTITIONS.map(() => brokers));
          if (brokers === 3) assert.deepEqual(new Set(report.partitions.map((p) => p.leader)), new Set([0, 1, 2]));

          // acks=all: offsets 0.. on every partition, the second round after the first.
          const produced = (round: string, count: number, first: number) =>
            PARTITIONS.flatMap((partition) => Array.from({ length: count }, (_, i) => ({ key: `${round}-p${partition}-${i}`, partition, offset: first + i })));
          const all = [...produced('first', FIRST_ROUND, 0), ...produced('second', SECOND_ROUND, FIRST_ROUND)];
          assert.deepEqual(report.produced, all);
          assert.deepEqual(report.offsets, PARTITIONS.map((partition) => ({ partition, oldest: 0, newest: FIRST_ROUND })));
          // An offset poller's zero-value OffsetRequest (ListOffsets v0), whatever version sarama is set for.
          assert.deepEqual(report.pollerOffsets, PARTITIONS.map((partition) => ({ partition, newest: [FIRST_ROUND], oldest: [0], error: '' })));

          // The offset manager's commit (OffsetCommit v1), read back by a second manager and by the admin.
          const managed = committed((p) => p + 1, (p) => `m${p}`);
          assert.deepEqual(report.offsetManager, { reread: managed, admin: managed });

          // The group: a alone in generation 1, then a and b split the partitions in generation 2.
          const { sessions } = report.group;
          assert.deepEqual(Object.keys(sessions).sort(), ['a', 'b']);
          assert.deepEqual(sessions.a, [{ generation: 1, claims: PARTITIONS }, { generation: 2, claims: sessions.a![1]!.claims }]);
          assert.deepEqual(sessions.b, [{ generation: 2, claims: sessions.b![0]!.claims }]);
          const claimsA = sessions.a![1]!.claims;
          const claimsB = sessions.b![0]!.claims;
          assert.deepEqual([claimsA.length, claimsB.length], [2, 2]);
          assert.deepEqual([...claimsA, ...claimsB].sort(), PARTITIONS);
          // Every message consumed where it was produced; the second round by the member owning its partition.
          const byKey = new Map(all.map((m) => [m.key, m]));
          for (const c of report.group.consumed) {
            const m = byKey.get(c.key);
            assert.ok(m !== undefined, `consumed an unknown key ${c.key}`);
            assert.deepEqual([c.partition, c.offset, c.value], [m.partition, m.offset, `value of ${c.key}`]);
          }
          assert.deepEqual([...new Set(report.group.consumed.map((c) => c.key))].sort(), [...byKey.keys()].sort());
          for (const c of report.group.consumed.filter((c) => c.key.startsWith('second-'))) {
            assert.deepEqual([c.member, c.generation], [claimsA.includes(c.partition) ? 'a' : 'b', 2], `${c.key}`);
          }
          const member = (clientId: string, assignment: number[]) => ({ clientId, clientHost: '/127.0.0.1', topics: [topic], assignment });
          assert.deepEqual(report.group.describeActive, {
            error: '', state: 'Stable', protocolType: 'consumer', protocol: 'range',
            members: [member('sarama-a', claimsA), member('sarama-b', claimsB)],
          });
          assert.deepEqual(report.group.committed, committed(() => FIRST_ROUND + SECOND_ROUND, () => ''));
          assert.deepEqual(report.group.describeStopped, { error: '', state: 'Empty', protocolType: 'consumer', protocol: '', members: [] });
          // A group with committed offsets and no members is listed without a protocol type, as Kafka lists it.
          assert.deepEqual(report.groups, { [`${group}-members`]: 'consumer', [`${group}-offsets`]: '' });

          // ClusterAdmin: the topic's configs, and the second topic gone after DeleteTopic.
          const internal = '__consumer_offsets';
          if (v0_11) {
            assert.deepEqual(report.configs, [
              { name: 'cleanup.policy', value: 'delete', readOnly: false, default: true, sensitive: false },
              { name: 'min.insync.replicas', value: '1', readOnly: false, default: true, sensitive: false },
              { name: 'retention.ms', value: '3600000', readOnly: false, default: false, sensitive: false },
            ]);
            assert.deepEqual(report.topicsBefore, [internal, topic, deletedTopic].sort());
            assert.deepEqual(report.topicsAfter, [internal, topic].sort());
          } else {
            assert.deepEqual([report.configs, report.topicsBefore, report.topicsAfter], [null, null, null]);
          }
          assert.deepEqual(report.describeAfter, [{ name: deletedTopic, error: 'kafka server: Request was for a topic or partition that does not exist on this broker.' }]);
          assert.equal(cluster.topics.get(deletedTopic), undefined);
        } finally {
          await broker.stop();
        }
      });
    }
  }
});
