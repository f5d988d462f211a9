/**
 * The guardrails on a real cluster: no batch starts while a partition is under-replicated (and one
 * starts once it is whole again), nor past the moves-per-hour cap; each reason shows in the
 * execution's `blocked`. And the service's modes: `auto` executes a stored plan by itself, `off`
 * refuses to plan or execute.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaAdmin } from '../../../src/kafka/admin.ts';
import { startCluster } from '../../../src/kafka/broker/index.ts';
import { KafkaReassignActuator } from '../../../src/balance/execute/actuator.ts';
import { BalanceExecutor } from '../../../src/balance/execute/executor.ts';
import { BalanceService } from '../../../src/balance/execute/service.ts';
import { BalanceStore } from '../../../src/balance/execute/store.ts';
import { wallClock } from '../../../src/clock.ts';
import { isSluiceError } from '../../../src/errors.ts';
import { PgQuerier } from '../../../src/store/pg-querier.ts';
import { RawClient } from '../../helpers/raw-client.ts';
import { waitFor } from '../../helpers/broker.ts';
import { clusterWith, executionConfig, memoryDb, move, planOf, testLogger } from './support.ts';

test('an under-replicated partition holds the first batch until its ISR is whole; the hourly cap holds the second', async () => {
  const c = await startCluster({ host: '127.0.0.1', port: 0, brokers: 3, autoLeaderRebalance: false, replicaLagTimeMaxMs: 300 });
  const raw = await RawClient.connect(c.cluster.nodes[0]!.port);
  const admin = new KafkaAdmin({ bootstrap: [c.address(0)], requestTimeoutMs: 5000 });
  const db = await memoryDb();
  try {
    for (const [name, assignment] of [['moves', [[0], [0]]], ['other', [[0, 1]]]] as const) {
      const res = await raw.request(19, 5, { topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: assignment.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds: [...brokerIds] })), configs: [] }], timeoutMs: 5000, validateOnly: false });
      assert.equal(res.topics[0].errorCode, 0);
    }
    // Broker 1 stops fetching: after a write, other-0's follower falls out of the ISR.
    c.cluster.nodes[1]!.replicationCut = true;
    const producer = new Kafka({ clientId: 'guard-test', brokers: [c.address(0)], logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: 'other', acks: 1, messages: [{ value: 'x' }] });
    await producer.disconnect();
    await waitFor(() => c.cluster.topics.partition('other', 0)!.isr.length === 1, 5000, 'other-0 under-replicated');

    const store = new BalanceStore(db);
    const planId = await store.savePlan({ cluster: 'c1', createdAt: Date.now(), createdBy: 'test', mode: 'drain', plan: planOf([move('moves', 0, [0], [2]), move('moves', 1, [0], [2])]), evidence: {}, explanation: '' });
    const executor = new BalanceExecutor({ cluster: 'c1', actuator: new KafkaReassignActuator(admin), store, config: executionConfig({ pollInterval: 0.1, maxMovesPerHour: 1 }), clock: wallClock, logger: testLogger });
    const e = await executor.execute(planId, 'test');
    await waitFor(async () => (await store.execution(e.id))!.blocked !== null, 5000, 'a blocked round');
    const held = (await store.execution(e.id))!;
    assert.deepEqual([held.blocked, held.moves.map((m) => m.state), held.applied], ['1 partition(s) under-replicated or offline: other-0 is under-replicated (replicas 0,1, ISR 0)', ['pending', 'pending'], { brokers: [], topics: [] }]);

    c.cluster.nodes[1]!.replicationCut = false;
    await waitFor(async () => (await store.execution(e.id))!.moves[0]!.state === 'done', 5000, 'the first move');
    await waitFor(async () => (await store.execution(e.id))!.blocked?.startsWith('1 moves') === true, 5000, 'the hourly cap');
    const capped = (await store.execution(e.id))!;
    assert.deepEqual([capped.state, capped.blocked, capped.moves.map((m) => m.state)], ['running', '1 moves started in the last hour (balance.execution.maxMovesPerHour)', ['done', 'pending']]);
    assert.deepEqual(capped.applied, { brokers: [], topics: [] }, 'no throttle kept while nothing moves');

    await executor.ask(e.id, 'cancel');
    const end = await executor.wait(e.id);
    assert.deepEqual([end.state, end.moves.map((m) => m.state)], ['cancelled', ['done', 'cancelled']]);
    assert.deepEqual((await admin.metadata()).topics.get('moves')!.partitions.map((p) => p.replicas), [[2], [0]]);
    await executor.stop();
  } finally {
    raw.close();
    await admin.close();
    await db.close();
    await c.stop();
  }
});

test('service modes: auto executes a stored plan by itself; off refuses to plan or execute', async () => {
  const c = await clusterWith(3, 'auto', [[0], [0]]);
  const admin = new KafkaAdmin({ bootstrap: [c.address(0)], requestTimeoutMs: 5000 });
  const db = await memoryDb();
  const base = executionConfig({ pollInterval: 0.1 });
  const auto = new BalanceService({ cluster: 'c1', config: { ...base, mode: 'auto' }, db, querier: new PgQuerier(db), admin, clock: wallClock, logger: testLogger, owner: 'auto' });
  const off = new BalanceService({ cluster: 'c1', config: { ...base, mode: 'off' }, db, querier: new PgQuerier(db), admin, clock: wallClock, logger: testLogger });
  try {
    const planId = await auto.store.savePlan({ cluster: 'c1', createdAt: Date.now(), createdBy: 'test', mode: 'full', plan: planOf([move('auto', 1, [0], [1])]), evidence: {}, explanation: '' });
    auto.start();
    await waitFor(async () => (await auto.store.plan(planId))!.state === 'executed', 10_000, 'the plan executed');
    const e = (await auto.status())!;
    assert.deepEqual([e.planId, e.startedBy, e.state, e.owner], [planId, 'sluice (auto)', 'done', 'auto']);
    assert.deepEqual((await admin.metadata()).topics.get('auto')!.partitions.map((p) => p.replicas), [[0], [1]]);

    const refused = async (p: Promise<unknown>): Promise<string> => p.then(() => 'accepted', (err: unknown) => (isSluiceError(err) ? `${err.code}: ${err.message}` : String(err)));
    assert.equal(await refused(off.plan({ mode: 'full' }, 'test')), 'SLUICE_ERR_BALANCE_OFF: plan: balancing is off for cluster "c1" (balance.mode: off)');
    assert.equal(await refused(off.execute(planId, 'test')), 'SLUICE_ERR_BALANCE_OFF: execute: balancing is off for cluster "c1" (balance.mode: off)');
  } finally {
    await auto.stop();
    await off.stop();
    await admin.close();
    await db.close();
    await c.stop();
  }
});
