import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startCluster, type RunningCluster } from '../../../src/kafka/broker/index.ts';
import { KafkaError } from '../../../src/kafka/protocol/error-codes.ts';
import { buildBatch } from '../../../src/kafka/protocol/records.ts';
import { RawClient } from '../../helpers/raw-client.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Sum of the under-replicated-partitions series over the live brokers' metrics endpoints. */
async function scrapeUrp(c: RunningCluster): Promise<number> {
  let sum = 0;
  for (const n of c.cluster.liveNodes()) {
    const text = await (await fetch(`http://127.0.0.1:${n.metricsPort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('kafka_server_replicamanager_underreplicatedpartitions '));
    sum += Number(line!.split(' ')[1]);
  }
  return sum;
}

test('3 brokers: Metadata lists all, topics spread leaders and replicas, one controller', async () => {
  const c = await startCluster({ port: 0, brokers: 3, topics: [{ name: 'spread', partitions: 6, replicationFactor: 3 }] });
  try {
    const raw = await RawClient.connect(c.cluster.nodes[1]!.port);
    const meta = await raw.request(3, 9, { topics: [{ name: 'spread' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    assert.deepEqual(meta.brokers.map((b: any) => b.nodeId), [0, 1, 2]);
    assert.equal(meta.controllerId, 0);
    const parts = meta.topics[0].partitions;
    assert.deepEqual(parts.map((p: any) => p.leaderId), [0, 1, 2, 0, 1, 2]);
    for (const p of parts) {
      assert.equal(new Set(p.replicaNodes).size, 3);
      assert.deepEqual(p.isrNodes, p.replicaNodes);
      assert.equal(p.replicaNodes[0], p.leaderId);
    }
    // Produce to a follower is refused; to the leader it works.
    const notLeader = await raw.request(0, 7, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'spread', partitionData: [{ index: 0, records: buildBatch([{ value: 'x' }]) }] }] });
    assert.equal(notLeader.responses[0].partitionResponses[0].errorCode, KafkaError.NOT_LEADER_OR_FOLLOWER);
    raw.close();
  } finally {
    await c.stop();
  }
});

test('acks=all with min.insync.replicas: NOT_ENOUGH_REPLICAS when the ISR is too small', async () => {
  const c = await startCluster({ port: 0, brokers: 3, replicaLagTimeMaxMs: 500, topics: [{ name: 'strict', partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '3' } }] });
  try {
    const raw = await RawClient.connect(c.cluster.nodes[0]!.port);
    const produce = async () => (await raw.request(0, 7, { transactionalId: null, acks: -1, timeoutMs: 3000, topicData: [{ name: 'strict', partitionData: [{ index: 0, records: buildBatch([{ value: 'v' }]) }] }] })).responses[0].partitionResponses[0];
    assert.deepEqual([(await produce()).errorCode, (await produce()).baseOffset], [0, 1n]);
    c.cluster.nodes[2]!.replicationCut = true;
    const p = c.cluster.topics.partition('strict', 0)!;
    await waitFor('ISR shrink', () => p.isr.length === 2);
    assert.equal((await produce()).errorCode, KafkaError.NOT_ENOUGH_REPLICAS);
    assert.equal(p.underReplicated, true);
    c.cluster.nodes[2]!.replicationCut = false;
    await waitFor('ISR expand', () => p.isr.length === 3);
    assert.equal((await produce()).errorCode, 0);
    raw.close();
  } finally {
    await c.stop();
  }
});

test('leader stopped and restarted under an acks=all producer: no acknowledged message lost, leadership moves and comes back', async () => {
  const c = await startCluster({
    port: 0, brokers: 3, metricsPort: 0, replicaLagTimeMaxMs: 2000, leaderImbalanceCheckIntervalMs: 1000,
    topics: [{ name: 'ledger', partitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }],
  });
  const kafka = new Kafka({ brokers: [c.address(0), c.address(1), c.address(2)], clientId: 'ledger-writer', logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 50, maxRetryTime: 500 } });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  try {
    await producer.connect();
    const p0 = c.cluster.topics.partition('ledger', 0)!;
    assert.equal(p0.leader, 0);
    const acked: { partition: number; offset: bigint; value: string }[] = [];
    let running = true;
    let n = 0;
    const loop = (async () => {
      while (running) {
        const value = `m${n++}`;
        try {
          const [meta] = await producer.send({ topic: 'ledger', acks: -1, messages: [{ key: value, value, partition: n % 3 }] });
          acked.push({ partition: meta!.partition, offset: BigInt(meta!.baseOffset!), value });
        } catch {
          // not acknowledged: allowed to be lost
        }
        await sleep(5);
      }
    })();
    await waitFor('some traffic', () => acked.length > 50);
    const epochBefore = p0.leaderEpoch;
    await c.cluster.stopBroker(0);
    assert.notEqual(p0.leader, 0);
    assert.ok(p0.leaderEpoch > epochBefore);
    assert.equal(c.cluster.controllerId, 1);
    const urpDuring = [...c.cluster.allPartitions()].filter((p) => p.topic === 'ledger' && p.underReplicated).length;
    assert.equal(urpDuring, 3);
    assert.equal(await scrapeUrp(c), 3, 'kafka_server_replicamanager_underreplicatedpartitions summed over live brokers');
    const during = acked.length;
    await waitFor('traffic while broker 0 is down', () => acked.length > during + 50);
    await c.cluster.startBroker(0, true);
    await waitFor('catch-up: ISR full again', () => [...c.cluster.allPartitions()].filter((p) => p.topic === 'ledger').every((p) => p.isr.length === 3), 20_000);
    await waitFor('preferred leader restored by auto rebalance', () => p0.leader === 0, 10_000);
    assert.equal(await scrapeUrp(c), 0);
    const after = acked.length;
    await waitFor('traffic after recovery', () => acked.length > after + 50);
    running = false;
    await loop;

    // Every acknowledged offset is there with its value, on every replica.
    for (const part of [0, 1, 2]) {
      const p = c.cluster.topics.partition('ledger', part)!;
      const mine = acked.filter((a) => a.partition === part);
      for (const r of p.copies.values()) {
        const seen = new Map<bigint, string>();
        for (const b of r.log.batchesFrom(0)) {
          const { decodeRecords, batchInfo } = await import('../../../src/kafka/protocol/records.ts');
          for (const rec of decodeRecords(batchInfo(b.bytes))!) seen.set(rec.offset, rec.value!.toString());
        }
        for (const a of mine) assert.equal(seen.get(a.offset), a.value, `partition ${part} offset ${a.offset} on broker ${r.brokerId}`);
        const values = [...seen.values()];
        assert.equal(new Set(values).size, values.length, 'no duplicates (idempotent producer)');
      }
    }
    assert.ok(acked.length > 150);
  } finally {
    await producer.disconnect().catch(() => {});
    await c.stop();
  }
});

test('two of three replicas stopped: partitions go offline (unclean election off), and come back with their leader', async () => {
  const c = await startCluster({ port: 0, brokers: 3, autoLeaderRebalance: false, topics: [{ name: 'fragile', partitions: 1, replicationFactor: 2 }] });
  try {
    const p = c.cluster.topics.partition('fragile', 0)!;
    const [a, b] = p.replicas as [number, number];
    await c.cluster.stopBroker(a);
    assert.equal(p.leader, b);
    await c.cluster.stopBroker(b);
    assert.equal(p.leader, -1);
    assert.deepEqual(p.isr, [b]);
    const raw = await RawClient.connect(c.cluster.nodes[3 - a - b]!.port);
    const meta = await raw.request(3, 9, { topics: [{ name: 'fragile' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    assert.deepEqual([meta.topics[0].partitions[0].errorCode, meta.topics[0].partitions[0].leaderId], [KafkaError.LEADER_NOT_AVAILABLE, -1]);
    assert.deepEqual(meta.topics[0].partitions[0].offlineReplicas.sort(), [a, b].sort());
    await c.cluster.startBroker(a);
    assert.equal(p.leader, -1, 'a was not in the ISR: no clean leader');
    await c.cluster.startBroker(b);
    assert.equal(p.leader, b);
    raw.close();
  } finally {
    await c.stop();
  }
});

test('ElectLeaders and reassignment with a follower replication throttle', async () => {
  const c = await startCluster({ port: 0, brokers: 3, autoLeaderRebalance: false, topics: [{ name: 'moving', partitions: 1, replicationFactor: 2 }] });
  try {
    const raw = await RawClient.connect(c.cluster.nodes[0]!.port);
    const p = c.cluster.topics.partition('moving', 0)!;
    assert.deepEqual(p.replicas, [0, 1]);
    for (let i = 0; i < 20; i++) {
      await raw.request(0, 7, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'moving', partitionData: [{ index: 0, records: buildBatch([{ value: Buffer.alloc(10_000, i) }]) }] }] });
    }
    // Throttle: broker 2 may copy 100 kB/s of partition 0 as a follower.
    await raw.request(44, 1, { resources: [{ resourceType: 4, resourceName: '2', configs: [{ name: 'follower.replication.throttled.rate', configOperation: 0, value: '100000' }] }], validateOnly: false });
    await raw.request(44, 1, { resources: [{ resourceType: 2, resourceName: 'moving', configs: [{ name: 'follower.replication.throttled.replicas', configOperation: 0, value: '0:2' }] }], validateOnly: false });
    const started = Date.now();
    const alter = await raw.request(45, 0, { timeoutMs: 1000, topics: [{ name: 'moving', partitions: [{ partitionIndex: 0, replicas: [2, 1] }] }] });
    assert.equal(alter.responses[0].partitions[0].errorCode, 0);
    const listed = await raw.request(46, 0, { timeoutMs: 1000, topics: null });
    assert.deepEqual(listed.topics[0].partitions[0], { partitionIndex: 0, replicas: [2, 1, 0], addingReplicas: [2], removingReplicas: [0] });
    await waitFor('reassignment done', () => p.adding.length === 0, 20_000);
    const took = Date.now() - started;
    // ~200 kB at 100 kB/s with a 1 s burst: at least ~1 s, clearly throttled.
    assert.ok(took >= 900, `reassignment took ${took} ms`);
    assert.deepEqual(p.replicas, [2, 1]);
    assert.equal(p.leader, 2, 'old leader 0 left the replica set: the first target replica leads');
    const elect = () => raw.request(43, 1, { electionType: 0, topicPartitions: [{ topic: 'moving', partitions: [0] }], timeoutMs: 1000 });
    assert.equal((await elect()).replicaElectionResults[0].partitionResult[0].errorCode, KafkaError.ELECTION_NOT_NEEDED);
    await c.cluster.stopBroker(2);
    assert.equal(p.leader, 1);
    assert.equal((await elect()).replicaElectionResults[0].partitionResult[0].errorCode, KafkaError.PREFERRED_LEADER_NOT_AVAILABLE);
    await c.cluster.startBroker(2);
    await waitFor('broker 2 back in the ISR', () => p.isr.length === 2);
    assert.equal(p.leader, 1, 'no automatic rebalance in this cluster');
    assert.equal((await elect()).replicaElectionResults[0].partitionResult[0].errorCode, 0);
    assert.equal(p.leader, 2);
    assert.equal(c.cluster.nodes[2]!.logDirUsedBytes(), c.cluster.nodes[1]!.logDirUsedBytes());
    raw.close();
  } finally {
    await c.stop();
  }
});
