/**
 * The balance API over a real BalanceService (PGlite, a bundled 3-broker cluster over real
 * sockets): plans made and listed, a plan executed, its status, throttle, pause and cancel; the
 * token guards what mutates; refusals answer 404 / 409 with the code.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server.ts';
import { balanceRoutes } from '../../src/api/routes/balance.ts';
import { BalanceService } from '../../src/balance/execute/service.ts';
import { wallClock } from '../../src/clock.ts';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import type { RunningCluster } from '../../src/kafka/broker/index.ts';
import { PgQuerier } from '../../src/store/pg-querier.ts';
import type { Db } from '../../src/store/types.ts';
import { waitFor } from '../helpers/broker.ts';
import { clusterWith, executionConfig, memoryDb, move, planOf, testLogger } from '../balance/execute/support.ts';

const TOKEN = 'a-long-enough-test-token';
const auth = { authorization: `Bearer ${TOKEN}` };
let db: Db;
let c: RunningCluster;
let admin: KafkaAdmin;
let service: BalanceService;
let api: FastifyInstance;

before(async () => {
  db = await memoryDb();
  c = await clusterWith(3, 'moves', [[0], [0]]);
  admin = new KafkaAdmin({ bootstrap: [c.address(0)], requestTimeoutMs: 5000 });
  const config = { ...executionConfig({ pollInterval: 0.1 }), mode: 'recommend' as const };
  service = new BalanceService({ cluster: 'c1', config, db, querier: new PgQuerier(db), admin, clock: wallClock, logger: testLogger });
  api = await buildApi({ registry: new Registry(), readiness: { checks: async () => [] }, token: TOKEN, plugins: [(app, hook) => balanceRoutes(app, { services: new Map([['c1', service]]) }, hook)] });
});
after(async () => {
  await api.close();
  await service.stop();
  await admin.close();
  await c.stop();
  await db.close();
});

test('plans: made from the current placement and stored (token needed), listed, one by id; unknown ids and clusters are 404', async () => {
  assert.equal((await api.inject({ method: 'POST', url: '/api/v1/balance/plan', payload: { mode: 'full' } })).statusCode, 401);
  const made = await api.inject({ method: 'POST', url: '/api/v1/balance/plan', headers: auth, payload: { mode: 'full' } });
  assert.equal(made.statusCode, 200, made.body);
  const plan = made.json().plan as { id: number; state: string; createdBy: string; mode: string; plan: { reassignments: unknown[] }; evidence: { placement: string; brokers: number[]; partitions: number }; explanation: string };
  // With no load recorded, the planner evens out replica counts: broker 0 holds both partitions.
  assert.deepEqual([plan.state, plan.createdBy, plan.mode, plan.plan.reassignments, plan.evidence.placement, plan.evidence.brokers, plan.evidence.partitions], ['planned', 'api', 'full', [move('moves', 0, [0], [2])], 'metadata', [0, 1, 2], 2]);
  assert.equal(typeof plan.explanation, 'string');
  assert.deepEqual((await api.inject('/api/v1/balance/plan')).json().plans.map((p: { id: number }) => p.id), [plan.id]);
  assert.equal((await api.inject(`/api/v1/balance/plan?id=${plan.id}`)).json().plan.id, plan.id);
  const missing = await api.inject('/api/v1/balance/plan?id=999');
  assert.deepEqual([missing.statusCode, missing.json().code], [404, 'SLUICE_ERR_BALANCE_NOT_FOUND']);
  assert.equal((await api.inject('/api/v1/balance/status?cluster=nope')).statusCode, 404);
  const bad = await api.inject({ method: 'POST', url: '/api/v1/balance/plan', headers: auth, payload: { mode: 'sideways' } });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().error, /body\.mode/);
});

test('execute, status, throttle, pause and cancel: the execution runs its move under the throttle and ends cancelled with the placement back and no throttle left', async () => {
  const planId = await service.store.savePlan({ cluster: 'c1', createdAt: Date.now(), createdBy: 'test', mode: 'drain', plan: planOf([move('moves', 0, [0], [1])]), evidence: {}, explanation: 'drain 0' });
  const second = await service.store.savePlan({ cluster: 'c1', createdAt: Date.now(), createdBy: 'test', mode: 'drain', plan: planOf([move('moves', 1, [0], [2])]), evidence: {}, explanation: 'drain 0' });
  c.cluster.nodes[1]!.replicationCut = true;
  assert.equal((await api.inject({ method: 'POST', url: '/api/v1/balance/execute', payload: { planId } })).statusCode, 401);
  const started = await api.inject({ method: 'POST', url: '/api/v1/balance/execute', headers: auth, payload: { planId } });
  assert.equal(started.statusCode, 200, started.body);
  const id = started.json().execution.id as number;
  const busy = await api.inject({ method: 'POST', url: '/api/v1/balance/execute', headers: auth, payload: { planId: second } });
  assert.deepEqual([busy.statusCode, busy.json().code], [409, 'SLUICE_ERR_BALANCE_BUSY']);

  await waitFor(async () => (await api.inject('/api/v1/balance/status')).json().execution.moves[0].state === 'in-flight', 5000, 'the move in flight');
  const throttled = await api.inject({ method: 'POST', url: '/api/v1/balance/throttle', headers: auth, payload: { rate: 1_000_000 } });
  assert.deepEqual(throttled.json(), { cluster: 'c1', execution: id, rate: 1_000_000 });
  await waitFor(() => c.cluster.nodes[0]!.dynamicConfigs.get('leader.replication.throttled.rate') === '1000000', 5000, 'the new rate on broker 0');
  assert.equal(c.cluster.nodes[1]!.dynamicConfigs.get('follower.replication.throttled.rate'), '1000000');
  assert.deepEqual((await api.inject({ method: 'POST', url: '/api/v1/balance/pause', headers: auth, payload: {} })).json(), { cluster: 'c1', execution: id, requested: 'pause' });
  await waitFor(async () => (await api.inject(`/api/v1/balance/status?execution=${id}`)).json().execution.state === 'paused', 5000, 'paused');

  assert.equal((await api.inject({ method: 'POST', url: '/api/v1/balance/cancel', headers: auth, payload: { execution: id } })).statusCode, 200);
  await waitFor(async () => (await api.inject('/api/v1/balance/status')).json().execution.state === 'cancelled', 5000, 'cancelled');
  c.cluster.nodes[1]!.replicationCut = false;
  const status = (await api.inject('/api/v1/balance/status')).json();
  assert.deepEqual([status.mode, status.execution.moves.map((m: { state: string }) => m.state), status.execution.applied, status.execution.throttleOverride], ['recommend', ['cancelled'], { brokers: [], topics: [] }, 1_000_000]);
  assert.deepEqual(c.cluster.topics.partition('moves', 0)!.replicas, [0]);
  assert.deepEqual([...c.cluster.nodes.map((n) => n!.dynamicConfigs.size)], [0, 0, 0]);
  assert.equal(c.cluster.topics.get('moves')!.configs.size, 0);

  const again = await api.inject({ method: 'POST', url: '/api/v1/balance/execute', headers: auth, payload: { planId } });
  assert.deepEqual([again.statusCode, again.json().code], [409, 'SLUICE_ERR_BALANCE_STATE']);
  const none = await api.inject({ method: 'POST', url: '/api/v1/balance/cancel', headers: auth, payload: {} });
  assert.deepEqual([none.statusCode, none.json().error], [404, 'cancel: cluster "c1" has no unfinished execution']);
});
