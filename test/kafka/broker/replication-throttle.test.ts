import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster } from '../../../src/kafka/broker/index.ts';
import { KafkaAdmin } from '../../../src/kafka/admin.ts';
import { KafkaError } from '../../../src/kafka/protocol/error-codes.ts';
import { buildBatch } from '../../../src/kafka/protocol/records.ts';
import { BURST_SECONDS } from '../../../src/kafka/broker/replication-quota.ts';
import { RawClient } from '../../helpers/raw-client.ts';
import { waitFor } from '../../helpers/broker.ts';

/**
 * Replication throttles (KIP-73) on the bundled cluster: the leader and follower throttled rates
 * (dynamic broker configs) limit the replicas the topics list as throttled, as Kafka's
 * ReplicationQuotaManager does, and show in the LeaderReplication / FollowerReplication byte-rate
 * metrics; other replicas, and throttled replicas already in sync, are not held back.
 */

const RATE = 50 * 1024;
const BATCH_VALUE = 10 * 1024;
const BATCHES = 50;

async function setConfigs(raw: RawClient, resourceType: 2 | 4, resourceName: string, configs: { name: string; op: 0 | 1; value: string | null }[]): Promise<{ errorCode: number; errorMessage: string | null }> {
  const res = await raw.request(44, 1, { resources: [{ resourceType, resourceName, configs: configs.map((c) => ({ name: c.name, configOperation: c.op, value: c.value })) }], validateOnly: false });
  return { errorCode: res.responses[0].errorCode, errorMessage: res.responses[0].errorMessage };
}

async function scrape(port: number | null): Promise<(name: string, labels?: string) => number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return (name, labels = '') => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    assert.ok(line, `${name}${labels} is exported`);
    return Number(line.split(' ')[1]);
  };
}

test('a throttled move copies at most the rate (plus one burst and one batch) while an unthrottled one runs free; removing the throttle lets it finish', async () => {
  const c = await startCluster({ host: '127.0.0.1', port: 0, metricsPort: 0, brokers: 3, autoLeaderRebalance: false });
  const admin = new KafkaAdmin({ bootstrap: [c.address(0)], requestTimeoutMs: 5000 });
  const raw = await RawClient.connect(c.cluster.nodes[0]!.port);
  try {
    for (const name of ['slow', 'fast']) {
      const res = await raw.request(19, 5, { topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [0] }], configs: [] }], timeoutMs: 5000, validateOnly: false });
      assert.equal(res.topics[0].errorCode, 0);
      for (let i = 0; i < BATCHES; i++) {
        const produced = await raw.request(0, 7, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name, partitionData: [{ index: 0, records: buildBatch([{ value: Buffer.alloc(BATCH_VALUE, i) }]) }] }] });
        assert.equal(produced.responses[0].partitionResponses[0].errorCode, 0);
      }
    }
    const slowLeaderLog = c.cluster.topics.partition('slow', 0)!.copies.get(0)!.log;
    const total = slowLeaderLog.size;
    const batchBytes = Math.ceil(total / BATCHES);

    // As kafka-reassign-partitions --throttle sets it: rates on every broker moving data, the
    // current replica throttled as a leader, the new ones as followers.
    for (const broker of ['0', '1', '2']) {
      assert.deepEqual(await setConfigs(raw, 4, broker, [
        { name: 'leader.replication.throttled.rate', op: 0, value: String(RATE) },
        { name: 'follower.replication.throttled.rate', op: 0, value: String(RATE) },
      ]), { errorCode: 0, errorMessage: null });
    }
    assert.deepEqual(await setConfigs(raw, 2, 'slow', [
      { name: 'leader.replication.throttled.replicas', op: 0, value: '0:0' },
      { name: 'follower.replication.throttled.replicas', op: 0, value: '0:1,0:2' },
    ]), { errorCode: 0, errorMessage: null });
    const bad = await setConfigs(raw, 2, 'slow', [{ name: 'follower.replication.throttled.replicas', op: 0, value: '0-1' }]);
    assert.equal(bad.errorCode, KafkaError.INVALID_CONFIG);
    assert.match(bad.errorMessage!, /^Invalid value 0-1 for configuration follower\.replication\.throttled\.replicas: .*must be the literal '\*' or a list of replicas/);

    assert.deepEqual(await admin.listPartitionReassignments(), { value: [], errors: [] });
    const started = Date.now();
    assert.deepEqual(await admin.alterPartitionReassignments([
      { topic: 'slow', partition: 0, replicas: [1, 2] },
      { topic: 'fast', partition: 0, replicas: [1, 2] },
    ]), { value: 2, errors: [] });
    // Unthrottled: `fast` is done long before the throttle would have let ~1 MiB through.
    await waitFor(async () => (await admin.listPartitionReassignments()).value.every((r) => r.topic !== 'fast'), 5000, 'the unthrottled move');
    await sleep(1000);

    // Both new replicas of `slow` copy through broker 0's leader quota: together at most the
    // rate over the time elapsed, plus the bucket's burst and one batch in flight.
    const s1 = await scrape(c.cluster.nodes[1]!.metricsPort);
    const s2 = await scrape(c.cluster.nodes[2]!.metricsPort);
    const elapsed = (Date.now() - started) / 1000;
    const copied = s1('kafka_log_log_size', '{topic="slow",partition="0"}') + s2('kafka_log_log_size', '{topic="slow",partition="0"}');
    assert.ok(copied > 0, 'the throttled move progresses');
    assert.ok(copied <= RATE * (elapsed + BURST_SECONDS) + batchBytes, `copied ${copied} bytes in ${elapsed} s at ${RATE} B/s`);
    assert.equal(s1('kafka_log_log_size', '{topic="fast",partition="0"}'), total);
    assert.deepEqual((await admin.listPartitionReassignments()).value, [{ topic: 'slow', partition: 0, replicas: [1, 2, 0], adding: [1, 2], removing: [0] }]);

    // The byte-rate metrics count the throttled replicas only (fast's 1 MiB would exceed the rate).
    const s0 = await scrape(c.cluster.nodes[0]!.metricsPort);
    const leaderRate = s0('kafka_server_leaderreplication_byte_rate');
    assert.ok(leaderRate > 0 && leaderRate <= RATE, `leader byte-rate ${leaderRate}`);
    const followerRate = s1('kafka_server_followerreplication_byte_rate');
    assert.ok(followerRate > 0 && followerRate <= RATE, `follower byte-rate ${followerRate}`);
    assert.equal(s0('kafka_server_followerreplication_byte_rate'), 0, 'broker 0 fetches nothing as a follower');

    // Removing the rates lifts the throttle: the move completes and moves leadership.
    for (const broker of ['0', '1', '2']) {
      await setConfigs(raw, 4, broker, [
        { name: 'leader.replication.throttled.rate', op: 1, value: null },
        { name: 'follower.replication.throttled.rate', op: 1, value: null },
      ]);
    }
    await waitFor(async () => (await admin.listPartitionReassignments()).value.length === 0, 5000, 'the throttled move, unthrottled');
    const slow = c.cluster.topics.partition('slow', 0)!;
    assert.deepEqual({ replicas: slow.replicas, isr: [...slow.isr].sort(), leader: slow.leader }, { replicas: [1, 2], isr: [1, 2], leader: 1 });
    assert.equal(slow.copies.get(1)!.log.size, total);
    assert.equal(slow.copies.get(2)!.log.size, total);
  } finally {
    raw.close();
    await admin.close();
    await c.stop();
  }
});

test('a throttled replica already in the ISR is not held back: acks=all writes beyond the rate succeed', async () => {
  const c = await startCluster({ host: '127.0.0.1', port: 0, brokers: 2, autoLeaderRebalance: false, topics: [{ name: 'synced', partitions: 1, replicationFactor: 2, configs: { 'leader.replication.throttled.replicas': '*', 'follower.replication.throttled.replicas': '*' } }] });
  const raw = await RawClient.connect(c.cluster.nodes[0]!.port);
  try {
    for (const broker of ['0', '1']) {
      await setConfigs(raw, 4, broker, [
        { name: 'leader.replication.throttled.rate', op: 0, value: '10000' },
        { name: 'follower.replication.throttled.rate', op: 0, value: '10000' },
      ]);
    }
    const p = c.cluster.topics.partition('synced', 0)!;
    const leader = p.leader;
    const raw2 = leader === 0 ? raw : await RawClient.connect(c.cluster.nodes[leader]!.port);
    // 200 kB with acks=all and a 1 s timeout: held to 10 kB/s, this would time out.
    for (let i = 0; i < 4; i++) {
      const res = await raw2.request(0, 7, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'synced', partitionData: [{ index: 0, records: buildBatch([{ value: Buffer.alloc(50_000, i) }]) }] }] });
      assert.equal(res.responses[0].partitionResponses[0].errorCode, 0);
    }
    assert.deepEqual([...p.isr].sort(), [0, 1]);
    assert.equal(p.copies.get(0)!.log.size, p.copies.get(1)!.log.size);
    // Its bytes still count in the byte-rate, as Kafka records throttled partitions.
    assert.ok(c.cluster.nodes[leader]!.replicationQuotas.leader.byteRate(Date.now()) > 0);
    if (raw2 !== raw) raw2.close();
  } finally {
    raw.close();
    await c.stop();
  }
});

test('throttle rates are dynamic broker configs: set incrementally, described, replaced by legacy AlterConfigs, validated', async () => {
  const c = await startCluster({ host: '127.0.0.1', port: 0, brokers: 2 });
  const raw = await RawClient.connect(c.cluster.nodes[0]!.port);
  try {
    const dynamic = async (broker: string) => {
      const res = await raw.request(32, 4, { resources: [{ resourceType: 4, resourceName: broker, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
      return res.results[0].configs.filter((x: any) => x.configSource === 2).map((x: any) => [x.name, x.value]);
    };
    assert.deepEqual(await setConfigs(raw, 4, '1', [
      { name: 'leader.replication.throttled.rate', op: 0, value: '1000' },
      { name: 'follower.replication.throttled.rate', op: 0, value: '2000' },
    ]), { errorCode: 0, errorMessage: null });
    assert.deepEqual(await dynamic('1'), [['leader.replication.throttled.rate', '1000'], ['follower.replication.throttled.rate', '2000']]);
    assert.deepEqual(await dynamic('0'), []);

    const legacy = await raw.request(33, 1, { resources: [{ resourceType: 4, resourceName: '1', configs: [{ name: 'follower.replication.throttled.rate', value: '3000' }] }], validateOnly: false });
    assert.equal(legacy.responses[0].errorCode, 0);
    assert.deepEqual(await dynamic('1'), [['follower.replication.throttled.rate', '3000']], 'AlterConfigs replaces the whole dynamic set');

    assert.deepEqual(await setConfigs(raw, 4, '1', [{ name: 'leader.replication.throttled.rate', op: 0, value: 'fast' }]), {
      errorCode: KafkaError.INVALID_CONFIG, errorMessage: 'Invalid value fast for configuration leader.replication.throttled.rate: Not a number of type LONG',
    });
    assert.deepEqual(await setConfigs(raw, 4, '1', [{ name: 'log.retention.ms', op: 0, value: '1' }]), {
      errorCode: KafkaError.INVALID_CONFIG, errorMessage: 'Cannot update these configs dynamically: log.retention.ms',
    });
    assert.deepEqual(await dynamic('1'), [['follower.replication.throttled.rate', '3000']], 'refused changes change nothing');
  } finally {
    raw.close();
    await c.stop();
  }
});
