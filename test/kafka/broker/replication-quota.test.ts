import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BURST_SECONDS, ReplicationQuota, listsReplica, validateReplicaList } from '../../../src/kafka/broker/replication-quota.ts';
import { Cluster } from '../../../src/kafka/broker/cluster.ts';
import { HANDLERS } from '../../../src/kafka/broker/handlers/index.ts';
import { KafkaError } from '../../../src/kafka/protocol/error-codes.ts';

test('throttled-replica lists: "partition:broker" items or "*", validated as Kafka does', () => {
  assert.equal(listsReplica('0:101,1:102', 1, 102), true);
  assert.equal(listsReplica(' 0 : 101 , 1:102', 0, 101), true);
  assert.equal(listsReplica('0:101,1:102', 1, 101), false);
  assert.equal(listsReplica('*', 7, 3), true);
  assert.equal(listsReplica('', 0, 0), false);
  assert.equal(listsReplica('10:1', 1, 1), false);
  assert.equal(validateReplicaList('leader.replication.throttled.replicas', '0:1,,2:3'), null);
  assert.equal(validateReplicaList('leader.replication.throttled.replicas', ' * '), null);
  assert.equal(validateReplicaList('leader.replication.throttled.replicas', ''), null);
  for (const bad of ['0:a', '*,0:1', '0-1', '0:1:2']) {
    assert.equal(validateReplicaList('leader.replication.throttled.replicas', bad),
      `Invalid value ${bad} for configuration leader.replication.throttled.replicas: leader.replication.throttled.replicas must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...`);
  }
});

test('a replication quota lets through at most the rate over time, plus its burst and one overdrawn batch', () => {
  const q = new ReplicationQuota();
  const rate = 1000;
  const batch = 300;
  let copied = 0;
  // Copy whole batches every 10 ms while there is budget, for 5 s.
  for (let now = 0; now <= 5000; now += 10) {
    let budget = q.budget(rate, now);
    while (budget > 0) {
      q.record(batch, true, now);
      copied += batch;
      budget -= batch;
    }
    assert.ok(copied <= rate * (now / 1000 + BURST_SECONDS) + batch, `${copied} bytes by ${now} ms`);
  }
  assert.ok(copied >= rate * 5 - batch, `the rate is reached: ${copied}`);
  assert.equal(q.budget(Number.NaN, 5000), Infinity, 'no rate: not limited');
  assert.equal(new ReplicationQuota().budget(0, 0), 0, 'a rate of 0 lets nothing through');
  // Recorded bytes not limited (a replica in sync) still count in the byte-rate, not in the bucket.
  const synced = new ReplicationQuota();
  synced.budget(rate, 0);
  synced.record(50_000, false, 0);
  assert.equal(synced.budget(rate, 0), rate * BURST_SECONDS);
  assert.equal(synced.byteRate(1000), 50_000 / 10);
});

test('cancelling a reassignment whose added replica took the leadership re-elects among the original replicas', async () => {
  const cluster = new Cluster({ brokers: 3, autoLeaderRebalance: false, topics: [{ name: 't', partitions: 1, replicationFactor: 2 }] }, HANDLERS);
  const p = cluster.topics.partition('t', 0)!;
  assert.deepEqual(p.replicas, [0, 1]);
  assert.equal(cluster.controller.reassign(p, [2, 1]), KafkaError.NONE);
  cluster.replication.tick(false);
  assert.deepEqual({ replicas: p.replicas, isr: [...p.isr].sort(), adding: p.adding }, { replicas: [2, 1, 0], isr: [0, 1, 2], adding: [2] });
  // Broker 0 stops before the move completes: broker 2, first in the replicas and in sync, leads.
  await cluster.stopBroker(0);
  assert.equal(p.leader, 2);
  assert.equal(cluster.controller.reassign(p, null), KafkaError.NONE);
  assert.deepEqual({ replicas: p.replicas, isr: p.isr, leader: p.leader, copies: [...p.copies.keys()].sort() }, { replicas: [1, 0], isr: [1], leader: 1, copies: [0, 1] });
  cluster.stopTimers();
});
