/**
 * The throttle API over a real loop (recommend mode, fixed series on a virtual clock, the real
 * PromQL engine, PGlite audit, dry-run actuator): recommendations, apply by id with the token,
 * refusals with clear 4xx, decisions, every round's explanation, model and state.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server.ts';
import { throttleRoutes } from '../../src/api/routes/throttle.ts';
import { VirtualClock } from '../../src/clock.ts';
import { Engine } from '../../src/rules/promql/index.ts';
import { openDb } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import type { Db } from '../../src/store/types.ts';
import { DryRunActuator, KafkaQuotaActuator } from '../../src/throttle/actuator.ts';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { startCluster, type RunningCluster } from '../../src/kafka/broker/index.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { DecisionStore } from '../../src/throttle/audit.ts';
import { throttleConfigSchema } from '../../src/throttle/config.ts';
import { ThrottleLoop } from '../../src/throttle/loop.ts';
import { clusterSeries, MB, NOW } from '../throttle/support.ts';

const TOKEN = 'a-long-enough-test-token';
let db: Db;
let api: FastifyInstance;
let audit: DecisionStore;
let clock: VirtualClock;
const actuator = new DryRunActuator();
// A second cluster, `west`, is a real bundled broker behind the Kafka actuator.
let west: RunningCluster;
let westAdmin: KafkaAdmin;
let westApi: FastifyInstance;

before(async () => {
  db = await openDb({ dataDir: 'memory' });
  await migrate(db);
  clock = new VirtualClock(NOW);
  audit = new DecisionStore(db);
  const config = throttleConfigSchema.parse({
    mode: 'recommend', interval: 60,
    groups: [{ name: 'core', priority: 3, floor: 5 * MB, match: [{ user: 'orders' }] }, { name: 'general', priority: 0, floor: MB, match: [{}] }],
  });
  const loop = new ThrottleLoop({ cluster: 'east', config, engine: new Engine(), source: clusterSeries(true), actuator, audit, clock });
  await loop.round();
  clock.advance(60_000);
  await loop.round();
  west = await startCluster({ brokers: 1, host: '127.0.0.1', port: 0, logger: silentLogger() });
  westAdmin = new KafkaAdmin({ bootstrap: west.bootstrap.split(','), requestTimeoutMs: 2000 });
  const westLoop = new ThrottleLoop({ cluster: 'west', config, engine: new Engine(), source: clusterSeries(false), actuator: new KafkaQuotaActuator(westAdmin), audit, clock });
  api = await buildApi({ registry: new Registry(), readiness: { checks: async () => [] }, token: TOKEN, plugins: [(app, auth) => throttleRoutes(app, { loops: new Map([['east', loop]]), audit }, auth)] });
  westApi = await buildApi({ registry: new Registry(), readiness: { checks: async () => [] }, token: TOKEN, plugins: [(app, auth) => throttleRoutes(app, { loops: new Map([['west', westLoop]]), audit }, auth)] });
});
after(async () => {
  await api.close();
  await westApi.close();
  await westAdmin.close();
  await west.stop();
  await db.close();
});

test('recommendations, state and model of the last round', async () => {
  const rec = (await api.inject('/api/v1/throttle/recommendations?cluster=east')).json() as { recommendations: { id: number; entityKey: string; status: string; reason: string }[] };
  assert.deepEqual(rec.recommendations.map((r) => [r.entityKey, r.status]), [['user=batch,client-id=loader', 'pending']]);
  assert.match(rec.recommendations[0]!.reason, /^pressured: demand/);
  const state = (await api.inject('/api/v1/throttle/state')).json() as { diagnosis: { state: string }; explanation: string };
  assert.equal(state.diagnosis.state, 'pressured');
  // In recommend mode nothing is pushed: the round recommends.
  assert.equal(state.explanation, 'pressured: recommends limiting 1 client(s)');
  const model = (await api.inject('/api/v1/throttle/model?cluster=east')).json() as { brokers: { broker: string; kind: string; r2: number }[]; capacity: { produce: number } };
  assert.deepEqual(model.brokers.map((b) => [b.broker, b.kind]), [['0', 'fit'], ['1', 'fit'], ['2', 'fit']]);
  assert.ok(model.brokers.every((b) => b.r2 > 0.95));
  assert.ok(Math.abs(model.capacity.produce - 70 * MB) < MB);
  // Network in at the target bounds produce; the second round checked the first round's models (network-bound: no error).
  const bound = (await api.inject('/api/v1/throttle/model?cluster=east')).json() as { capacityBound: { produce: { bound: string; broker: string } }; brokers: { check: { error: number } | null }[] };
  assert.deepEqual([bound.capacityBound.produce.bound, bound.capacityBound.produce.broker], ['network in', '0']);
  assert.deepEqual(bound.brokers.map((b) => b.check?.error), [0, 0, 0]);
  // Every round explained, newest first: the first round (over the target once) changed nothing and said why.
  const rounds = (await api.inject('/api/v1/throttle/rounds?cluster=east')).json() as { rounds: { firstAt: string; lastAt: string; rounds: number; state: string; explanation: string }[] };
  assert.deepEqual(rounds.rounds, [
    { firstAt: new Date(NOW + 60_000).toISOString(), lastAt: new Date(NOW + 60_000).toISOString(), rounds: 1, state: 'pressured', explanation: 'pressured: recommends limiting 1 client(s)' },
    { firstAt: new Date(NOW).toISOString(), lastAt: new Date(NOW).toISOString(), rounds: 1, state: 'steady', explanation: "steady: no change: no quota of Sluice's to relax" },
  ]);
  const missing = await api.inject('/api/v1/throttle/state?cluster=nope');
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().error, 'query.cluster: no throttle loop for cluster "nope"; clusters are east');
});

test('apply: refused without the token, with a bad body, for an unknown id; applied once with it', async () => {
  const [pending] = ((await api.inject('/api/v1/throttle/recommendations')).json() as { recommendations: { id: number }[] }).recommendations;
  const id = pending!.id;
  assert.equal((await api.inject({ method: 'POST', url: '/api/v1/throttle/apply', payload: { id } })).statusCode, 401);
  const bad = await api.inject({ method: 'POST', url: '/api/v1/throttle/apply', payload: { id: 'x' }, headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error, 'body.id: expected a positive integer, got "x"');
  const unknown = await api.inject({ method: 'POST', url: '/api/v1/throttle/apply', payload: { id: 424242 }, headers: { authorization: `Bearer ${TOKEN}` } });
  assert.deepEqual([unknown.statusCode, unknown.json().error], [404, 'no recommendation 424242 for cluster east']);
  assert.deepEqual([unknown.json().code, unknown.json().path], ['SLUICE_ERR_THROTTLE_NOT_FOUND', 'body.id']);
  assert.equal(actuator.changes.length, 0);
  const ok = await api.inject({ method: 'POST', url: '/api/v1/throttle/apply', payload: { id }, headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(ok.statusCode, 200);
  assert.deepEqual([ok.json().decision.status, ok.json().decision.appliedBy], ['applied', 'api']);
  assert.equal(actuator.changes.length, 1);
  const again = await api.inject({ method: 'POST', url: '/api/v1/throttle/apply', payload: { id }, headers: { authorization: `Bearer ${TOKEN}` } });
  assert.deepEqual([again.statusCode, again.json().error], [409, `recommendation ${id} is applied, not pending`]);
  assert.equal(again.json().code, 'SLUICE_ERR_THROTTLE_NOT_PENDING');
  const decisions = (await api.inject('/api/v1/throttle/decisions?cluster=east&status=applied')).json() as { decisions: { id: number }[] };
  assert.deepEqual(decisions.decisions.map((d) => d.id), [id]);
});

/** A pending recommendation recorded now for `cluster`, as the loop records them. */
function pending(cluster: string, entity: { entityType: 'user' | 'client-id'; entityName: string }[], newValue: number) {
  return audit.record({
    ts: clock.now(), cluster, entity, entityKey: entity.map((c) => `${c.entityType}=${c.entityName}`).join(','), quotaKey: 'producer_byte_rate', mode: 'recommend',
    state: 'pressured', oldValue: undefined, proposed: newValue, newValue, status: 'pending', reason: 'test', evidence: { group: 'general' },
  });
}

test('apply: a recommendation under its group floor is refused (422); one the brokers refuse fails (502), audited with their reason, nothing applied', async () => {
  const auth = { authorization: `Bearer ${TOKEN}` };
  // The general floor is 1 MB/s: a recommendation made under an older, lower floor is not applied.
  const low = await pending('east', [{ entityType: 'client-id', entityName: 'tiny' }], 0.5 * MB);
  const under = await api.inject({ method: 'POST', url: '/api/v1/throttle/apply', payload: { id: low }, headers: auth });
  assert.deepEqual([under.statusCode, under.json().error], [422, `quota ${0.5 * MB} is under the general floor ${MB}`]);
  assert.equal(under.json().code, 'SLUICE_ERR_THROTTLE_UNDER_FLOOR');
  assert.equal((await audit.get(low))!.status, 'pending');

  // The broker refuses an entity naming the client id twice; the whole change is refused.
  const bad = await pending('west', [{ entityType: 'client-id', entityName: 'a' }, { entityType: 'client-id', entityName: 'b' }], 2 * MB);
  const refused = await westApi.inject({ method: 'POST', url: '/api/v1/throttle/apply', payload: { id: bad }, headers: auth });
  assert.equal(refused.statusCode, 502);
  assert.equal(refused.json().code, 'SLUICE_ERR_THROTTLE_REFUSED');
  assert.equal(refused.json().error, 'the cluster refused the change: client-id=a,client-id=b: Duplicate client-id component in entity');
  const stored = (await audit.get(bad))!;
  assert.deepEqual([stored.status, stored.error], ['failed', 'client-id=a,client-id=b: Duplicate client-id component in entity']);
  assert.deepEqual(await new KafkaQuotaActuator(westAdmin).describe(), [], 'no quota on the brokers');
  assert.deepEqual(await audit.baselines('west'), new Map(), 'no baseline is left behind for a change that never happened');
});
