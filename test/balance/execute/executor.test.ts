/**
 * Plan execution on the bundled cluster over real sockets, with a real producer writing
 * throughout: the final placement is the plan's, the replication throttle is set while moves run
 * and gone afterwards (an operator's throttled replicas kept), nothing acknowledged is lost; and an execution left by a stopped process is
 * taken over by a new executor on the same database, which finishes or cancels it and removes the
 * throttles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { KafkaAdmin } from '../../../src/kafka/admin.ts';
import { describeBrokerDynamicConfigs } from '../../../src/kafka/admin-reassign.ts';
import { KafkaReassignActuator } from '../../../src/balance/execute/actuator.ts';
import { BalanceExecutor } from '../../../src/balance/execute/executor.ts';
import { BalanceStore } from '../../../src/balance/execute/store.ts';
import type { RunningCluster } from '../../../src/kafka/broker/index.ts';
import { wallClock } from '../../../src/clock.ts';
import { runKcat } from '../../helpers/kcat.ts';
import { waitFor } from '../../helpers/broker.ts';
import { clusterWith, executionConfig, memoryDb, move, planOf, testLogger } from './support.ts';

const RATES = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate'];
const LISTS = ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas'];

/** Every throttle config of the cluster: brokers' dynamic rates and the topic's lists as the broker holds them. */
async function throttles(admin: KafkaAdmin, c: RunningCluster, topic: string): Promise<{ brokers: Record<string, Record<string, string>>; topic: Record<string, string> }> {
  const rates = await describeBrokerDynamicConfigs(admin, c.cluster.nodes.map((n) => n!.nodeId), RATES);
  assert.deepEqual(rates.errors, []);
  const t = c.cluster.topics.get(topic)!;
  return {
    brokers: Object.fromEntries([...rates.value].filter(([, v]) => Object.keys(v).length > 0).map(([b, v]) => [String(b), v])),
    topic: Object.fromEntries(LISTS.filter((k) => t.configs.has(k)).map((k) => [k, t.configs.get(k)!])),
  };
}

/** Produces `count` messages of about 1 KB to `partition`, values `p<partition>-<seq>-…`; returns them once acknowledged. */
async function produce(producer: Producer, topic: string, partition: number, from: number, count: number): Promise<string[]> {
  const values = Array.from({ length: count }, (_, i) => `p${partition}-${from + i}-${'x'.repeat(1000)}`);
  await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value, partition })) });
  return values;
}

/** Every message of `topic` read back by kcat, as `<partition> <value>` lines. */
async function readAll(c: RunningCluster, topic: string): Promise<string[]> {
  const out = await runKcat(['-C', '-b', c.address(0), '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p %s\n'], 15_000);
  assert.equal(out.code, 0, out.stderr);
  return out.stdout.toString().split('\n').filter((l) => l !== '');
}

test('a plan of four moves on four brokers under a steady producer: targets reached exactly, throttles set while moving and removed after, leaders elected, nothing acknowledged lost', async () => {
  const c = await clusterWith(4, 'orders', [[0, 1], [1, 0], [0, 1], [1, 0]]);
  const admin = new KafkaAdmin({ bootstrap: [c.address(0)], requestTimeoutMs: 5000 });
  const db = await memoryDb();
  const kafka = new Kafka({ clientId: 'balance-exec-test', brokers: [c.address(0)], logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 50, maxRetryTime: 500 } });
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const acked: string[] = [];
    for (let p = 0; p < 4; p++) for (let i = 0; i < 200; i += 100) acked.push(...(await produce(producer, 'orders', p, i, 100)));
    const store = new BalanceStore(db);
    const plan = planOf([
      move('orders', 0, [0, 1], [2, 1]),
      move('orders', 1, [1, 0], [3, 0]),
      move('orders', 2, [0, 1], [0, 3]),
      move('orders', 3, [1, 0], [2, 1]),
    ]);
    const planId = await store.savePlan({ cluster: 'c1', createdAt: Date.now(), createdBy: 'test', mode: 'full', plan, evidence: { source: 'test' }, explanation: 'four moves' });
    const config = executionConfig({ perBroker: 2, pollInterval: 0.2, throttle: { floor: 400_000, ceiling: 400_000 } });
    const actuator = new KafkaReassignActuator(admin);
    const executor = new BalanceExecutor({ cluster: 'c1', actuator, store, config, clock: wallClock, logger: testLogger });
    // An operator's own throttled replicas, one of which the moves need too: they stay theirs.
    const operator = await actuator.alterTopicConfigs([{ topic: 'orders', changes: [{ name: LISTS[0]!, op: 'set', value: '1:1,3:3' }] }]);
    assert.deepEqual(operator.errors, []);

    let producing = true;
    let sendErrors = 0;
    const writer = (async () => {
      for (let i = 200; producing; i += 5) {
        for (let p = 0; p < 4; p++) {
          try {
            acked.push(...(await produce(producer, 'orders', p, i, 5)));
          } catch {
            sendErrors++;
          }
        }
        await sleep(50);
      }
    })();

    // Brokers 2 and 3 fetch nothing until the throttle has been read: every move is still running then.
    c.cluster.nodes[2]!.replicationCut = true;
    c.cluster.nodes[3]!.replicationCut = true;
    const started = await executor.execute(planId, 'test');
    assert.deepEqual(started.moves.map((m) => m.state), ['pending', 'pending', 'pending', 'pending']);
    // The first round sets the throttle, then starts all four moves (at most 2 per broker).
    await waitFor(async () => (await store.execution(started.id))!.moves.every((m) => m.state === 'in-flight'), 10_000, 'the moves in flight').catch(async (err: Error) => {
      const e = (await store.execution(started.id))!;
      throw new Error(`${err.message}: ${JSON.stringify({ state: e.state, blocked: e.blocked, error: e.error, moves: e.moves.map((m) => m.state) })}`);
    });
    const during = await throttles(admin, c, 'orders');
    assert.equal((await admin.listPartitionReassignments()).value.length, 4, 'every move still running while the throttle is read');
    assert.deepEqual(during, {
      brokers: {
        0: { 'leader.replication.throttled.rate': '400000' },
        1: { 'leader.replication.throttled.rate': '400000' },
        2: { 'follower.replication.throttled.rate': '400000' },
        3: { 'follower.replication.throttled.rate': '400000' },
      },
      topic: { 'leader.replication.throttled.replicas': '1:1,3:3,0:0,0:1,1:0,2:0,2:1,3:0,3:1', 'follower.replication.throttled.replicas': '0:2,1:3,2:3,3:2' },
    });
    c.cluster.nodes[2]!.replicationCut = false;
    c.cluster.nodes[3]!.replicationCut = false;

    const finished = await executor.wait(started.id);
    producing = false;
    await writer;
    assert.equal(finished.state, 'done');
    assert.deepEqual(finished.moves.map((m) => [m.state, m.error]), [['done', null], ['done', null], ['done', null], ['done', null]]);
    assert.deepEqual(finished.applied, { brokers: [], topics: [] });
    assert.equal(finished.error, null);
    assert.equal((await store.plan(planId))!.state, 'executed');
    assert.deepEqual(finished.sizing!.brokers.map((b) => [b.broker, b.leaderRate, b.followerRate]), [[0, 400_000, 400_000], [1, 400_000, 400_000], [2, 400_000, 400_000], [3, 400_000, 400_000]]);
    assert.match(finished.sizing!.explanation[0]!, /^broker 0: no client traffic recorded \(taken as 0\); leader .* held to the ceiling/);

    const meta = await admin.metadata();
    assert.deepEqual(meta.topics.get('orders')!.partitions.map((p) => ({ replicas: p.replicas, leader: p.leader })), [
      { replicas: [2, 1], leader: 2 }, { replicas: [3, 0], leader: 3 }, { replicas: [0, 3], leader: 0 },
      // Broker 1 stayed in the replicas and kept leading until the preferred leader election.
      { replicas: [2, 1], leader: 2 },
    ]);
    assert.deepEqual(await throttles(admin, c, 'orders'), { brokers: {}, topic: { 'leader.replication.throttled.replicas': '1:1,3:3' } }, 'every throttle config of Sluice\'s is removed, the operator\'s kept');

    await producer.disconnect();
    assert.equal(sendErrors, 0);
    assert.ok(acked.length > 800, `the producer wrote during the moves (${acked.length} acknowledged)`);
    const read = await readAll(c, 'orders');
    assert.deepEqual(read.map((l) => l.slice(2)).sort(), [...acked].sort(), 'every acknowledged message read back exactly once');
    assert.ok(read.every((l) => l.startsWith(`${l.slice(3, 4)} p`)), 'each message on the partition it was sent to');
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.close();
    await db.close();
    await c.stop();
  }
});

/** A cluster whose two moves from broker 0 (held back: their new replicas fetch nothing yet) were left running by an executor that stopped without a word. */
async function abandoned(): Promise<{ c: RunningCluster; admin: KafkaAdmin; store: BalanceStore; close(): Promise<void>; executionId: number; planId: number }> {
  const c = await clusterWith(3, 'ledger', [[0], [0]]);
  const admin = new KafkaAdmin({ bootstrap: [c.address(0)], requestTimeoutMs: 5000 });
  const db = await memoryDb();
  const kafka = new Kafka({ clientId: 'balance-recovery-test', brokers: [c.address(0)], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  for (const p of [0, 1]) await produce(producer, 'ledger', p, 0, 100);
  await producer.disconnect();
  const store = new BalanceStore(db);
  const planId = await store.savePlan({ cluster: 'c1', createdAt: Date.now(), createdBy: 'test', mode: 'drain', plan: planOf([move('ledger', 0, [0], [1]), move('ledger', 1, [0], [2])]), evidence: {}, explanation: 'drain 0' });
  const first = new BalanceExecutor({
    cluster: 'c1', actuator: new KafkaReassignActuator(admin), store, clock: wallClock, logger: testLogger, owner: 'first',
    config: executionConfig({ pollInterval: 0.2, takeOverAfter: 0.3, throttle: { floor: 50_000, ceiling: 50_000 } }),
  });
  // Brokers 1 and 2 fetch nothing until a test lets them: the moves stay in flight.
  c.cluster.nodes[1]!.replicationCut = true;
  c.cluster.nodes[2]!.replicationCut = true;
  const e = await first.execute(planId, 'test');
  await waitFor(async () => (await store.execution(e.id))!.moves.every((m) => m.state === 'in-flight'), 5000, 'the moves in flight');
  await first.stop({ release: false });
  return { c, admin, store, executionId: e.id, planId, close: async () => { await admin.close(); await db.close(); await c.stop(); } };
}

const LEFT_THROTTLES = {
  brokers: { 0: { 'leader.replication.throttled.rate': '50000' }, 1: { 'follower.replication.throttled.rate': '50000' }, 2: { 'follower.replication.throttled.rate': '50000' } },
  topic: { 'leader.replication.throttled.replicas': '0:0,1:0', 'follower.replication.throttled.replicas': '0:1,1:2' },
};

test('recovery, continue: a new executor takes over a stopped one\'s execution once its heartbeat is stale, raises the throttle while running, finishes and removes every throttle', async () => {
  const { c, admin, store, executionId, planId, close } = await abandoned();
  try {
    assert.deepEqual(await throttles(admin, c, 'ledger'), LEFT_THROTTLES, 'a stopped executor leaves the throttle on its running moves');
    const left = (await store.execution(executionId))!;
    assert.deepEqual([left.state, left.owner, left.applied.brokers.map((b) => b.broker)], ['running', 'first', [0, 1, 2]]);

    const patient = new BalanceExecutor({ cluster: 'c1', actuator: new KafkaReassignActuator(admin), store, clock: wallClock, logger: testLogger, owner: 'patient', config: executionConfig({ takeOverAfter: 3600 }) });
    assert.deepEqual(await patient.recover(), [], 'an owner heard of within takeOverAfter keeps its execution');

    const second = new BalanceExecutor({ cluster: 'c1', actuator: new KafkaReassignActuator(admin), store, clock: wallClock, logger: testLogger, owner: 'second', config: executionConfig({ pollInterval: 0.2, takeOverAfter: 0.3 }) });
    await sleep(400);
    assert.deepEqual(await second.recover(), [executionId]);
    await second.setThrottle(executionId, 5_000_000);
    await waitFor(async () => (await throttles(admin, c, 'ledger')).brokers['0']?.['leader.replication.throttled.rate'] !== '50000', 5000, 'the raised rate');
    assert.deepEqual((await throttles(admin, c, 'ledger')).brokers, {
      0: { 'leader.replication.throttled.rate': '5000000' }, 1: { 'follower.replication.throttled.rate': '5000000' }, 2: { 'follower.replication.throttled.rate': '5000000' },
    });
    c.cluster.nodes[1]!.replicationCut = false;
    c.cluster.nodes[2]!.replicationCut = false;
    const done = await second.wait(executionId);
    assert.deepEqual([done.state, done.owner, done.moves.map((m) => m.state), done.throttleOverride], ['done', 'second', ['done', 'done'], 5_000_000]);
    assert.equal(done.sizing!.explanation[0], 'rate set by an operator: 4.8 MiB/s on every broker, leader and follower side');
    assert.equal((await store.plan(planId))!.state, 'executed');
    assert.deepEqual((await admin.metadata()).topics.get('ledger')!.partitions.map((p) => p.replicas), [[1], [2]]);
    assert.deepEqual(await throttles(admin, c, 'ledger'), { brokers: {}, topic: {} });
  } finally {
    await close();
  }
});

test('recovery, cancel: with onRecovery cancel the moves in flight are cancelled, the placement reverts and every throttle is removed', async () => {
  const { c, admin, store, executionId, planId, close } = await abandoned();
  try {
    assert.deepEqual(await throttles(admin, c, 'ledger'), LEFT_THROTTLES);
    const second = new BalanceExecutor({ cluster: 'c1', actuator: new KafkaReassignActuator(admin), store, clock: wallClock, logger: testLogger, owner: 'second', config: executionConfig({ pollInterval: 0.2, takeOverAfter: 0.3, onRecovery: 'cancel' }) });
    await sleep(400);
    assert.deepEqual(await second.recover(), [executionId]);
    const done = await second.wait(executionId);
    assert.deepEqual([done.state, done.moves.map((m) => m.state), done.error], ['cancelled', ['cancelled', 'cancelled'], null]);
    assert.equal((await store.plan(planId))!.state, 'cancelled');
    assert.deepEqual((await admin.listPartitionReassignments()).value, []);
    assert.deepEqual((await admin.metadata()).topics.get('ledger')!.partitions.map((p) => p.replicas), [[0], [0]]);
    assert.deepEqual(await throttles(admin, c, 'ledger'), { brokers: {}, topic: {} });
  } finally {
    await close();
  }
});
