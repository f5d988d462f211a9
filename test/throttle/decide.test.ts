/**
 * One round end to end over fixed series, through the real PromQL engine: a general-group
 * producer bursts while a core producer runs steadily; the broker goes over target; after the
 * hysteresis round the burster (and only it) is limited to its allocation, with its evidence.
 * Then rounds over hand-made readings: which directions a pressured round limits, the capacity
 * of a direction a fit cannot tell, and how a quota is relaxed while its client is still throttled.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../src/rules/promql/index.ts';
import { brokerReading as broker, clientReading as client, clusterSeries as cluster, MB, NOW, readingsOf, STEP } from './support.ts';
import { throttleConfigSchema } from '../../src/throttle/config.ts';
import { brokerCapacity } from '../../src/throttle/broker-models.ts';
import { entityOf } from '../../src/throttle/client-history.ts';
import { decide, type LoopMemory } from '../../src/throttle/decide.ts';
import { pressuredDirections } from '../../src/throttle/directions.ts';
import type { Diagnosis } from '../../src/throttle/diagnose.ts';
import { fitLoadModel } from '../../src/throttle/model.ts';
import { readSignals, reassignmentTraffic } from '../../src/throttle/signals.ts';
import { SeriesSet } from '../../src/rules/promql/series-set.ts';

const config = throttleConfigSchema.parse({
  mode: 'auto',
  groups: [
    { name: 'core', priority: 3, weight: 4, floor: 5 * MB, match: [{ user: 'orders' }] },
    { name: 'general', priority: 0, weight: 1, floor: 1 * MB, match: [{}] },
  ],
});
const readOptions = { cluster: 'east', windowMs: 15 * 60_000, stepMs: STEP, nominal: { bytesInPerSec: 100 * MB, bytesOutPerSec: 100 * MB } };

test('a bursting general producer is limited to its allocation after the hysteresis round; the core producer is left alone', async () => {
  const engine = new Engine();
  const readings = await readSignals(engine, cluster(true), NOW, readOptions);
  assert.deepEqual(readings.brokers.map((b) => b.broker), ['0', '1', '2']);
  // rate() over the last minute averages the wave at 46, 47, 48 and 49 MB/s (the counter's steps
  // before NOW), plus the 25 MB/s burst, over 100 MB/s of capacity.
  for (const b of readings.brokers) assert.ok(Math.abs(b.utilization - 0.725) < 1e-9, `broker ${b.broker}: ${b.utilization}`);
  assert.equal(readings.ageMs, 0);
  const memory: LoopMemory = { previous: undefined, lastChanged: new Map(), baselines: new Map() };
  const first = decide(readings, [], memory, config, { now: NOW, staleAfterMs: 60_000 });
  assert.deepEqual([first.diagnosis.observed, first.diagnosis.state], ['pressured', 'steady']);
  assert.deepEqual(first.proposals, [], 'one round over target is not enough');

  const second = decide(readings, [], { ...memory, previous: first.diagnosis }, config, { now: NOW + 60_000, staleAfterMs: 120_000 });
  assert.equal(second.diagnosis.state, 'pressured');
  const model = second.models.get('0')!;
  assert.equal(model.kind, 'fit');
  assert.ok(model.r2 > 0.95, `R² ${model.r2}`);
  // Utilization = bytes in / 100 MB/s: the client capacity at 70% is 70 MB/s per broker.
  assert.ok(Math.abs(second.capacity.produce - 70 * MB) < 1 * MB, `capacity ${second.capacity.produce}`);
  assert.deepEqual(second.proposals.map((p) => [p.entityKey, p.group, p.quotaKey, p.oldValue, p.guarded.apply]), [
    ['user=batch,client-id=loader', 'general', 'producer_byte_rate', undefined, true],
  ]);
  const p = second.proposals[0]!;
  // Core's 20 MB/s first; general gets the rest of the 70.
  assert.ok(Math.abs((p.newValue as number) - (second.capacity.produce - 20 * MB)) <= 1, `quota ${p.newValue}`);
  assert.ok(p.demand.demand > 50 * MB, `demand ${p.demand.demand}`);
  assert.match(p.reason, /^pressured: demand \d+ B\/s \(measured\) over its general allocation \d+ B\/s of 70000000 B\/s per broker \(network in of broker 0\)$/);
  assert.deepEqual(entityOf('', 'x'), [{ entityType: 'client-id', entityName: 'x' }]);
});

test('a calm cluster under target changes nothing; stale metrics hold every change', async () => {
  const engine = new Engine();
  const calm = await readSignals(engine, cluster(false), NOW - 10 * 60_000 + 30_000, readOptions);
  const memory: LoopMemory = { previous: undefined, lastChanged: new Map(), baselines: new Map() };
  const plan = decide(calm, [], memory, config, { now: NOW, staleAfterMs: 10 * 60_000 });
  assert.notEqual(plan.diagnosis.observed, 'pressured');
  assert.deepEqual(plan.proposals, []);
  const burst = await readSignals(engine, cluster(true), NOW, readOptions);
  const pressured = decide(burst, [], memory, config, { now: NOW, staleAfterMs: 60_000 });
  const stale = decide({ ...burst, ageMs: 10 * 60_000 }, [], { ...memory, previous: pressured.diagnosis }, config, { now: NOW, staleAfterMs: 60_000 });
  assert.equal(stale.metricsStale, true);
  assert.deepEqual(stale.proposals.map((x) => [x.guarded.apply, x.guarded.reasons]), [[false, ['metrics are stale: no change while the evidence is old']]]);
});




const small = throttleConfigSchema.parse({
  mode: 'auto',
  groups: [
    { name: 'core', priority: 3, weight: 4, floor: 100_000, match: [{ clientId: 'core-*' }] },
    { name: 'general', priority: 0, weight: 1, floor: 20_000, match: [{}] },
  ],
});
const overloaded: Diagnosis = { state: 'overloaded', observed: 'overloaded', streak: 1, reason: 'overloaded' };
const roomy: Diagnosis = { state: 'headroom', observed: 'headroom', streak: 2, reason: 'headroom' };

test('the pressured directions: the one whose network is over the target, produce first when both are, both when neither is', () => {
  assert.deepEqual(pressuredDirections([broker('0', 0.3 * MB, 0.95 * MB), broker('1', 0.3 * MB, 0.4 * MB)], 0.7), ['consume']);
  assert.deepEqual(pressuredDirections([broker('0', 0.8 * MB, 0.2 * MB), broker('1', 0.3 * MB, 0.2 * MB)], 0.7), ['produce']);
  // Both: producers first (consumers read what they produce; limiting them relieves network out too).
  assert.deepEqual(pressuredDirections([broker('0', 0.8 * MB, 0.2 * MB), broker('1', 0.3 * MB, 0.9 * MB)], 0.7), ['produce']);
  // Neither network is over: the pressure is the handlers', the queues' or an alert's, and both directions share it.
  assert.deepEqual(pressuredDirections([broker('0', 0.3 * MB, 0.3 * MB)], 0.7), ['produce', 'consume']);
});

test('a consumer filling the brokers\' network out is limited by consumer_byte_rate; producers and the core consumer are left alone', () => {
  // Broker 0 sends 950 kB/s of its 1 MB/s: a catching-up consumer takes 850 kB/s of it, core 100 kB/s.
  const readings = readingsOf([broker('0', 0.3 * MB, 0.95 * MB)], [
    client('feed', 'produce', 300_000),
    client('core-billing', 'consume', 100_000),
    client('replay', 'consume', 850_000),
  ]);
  const plan = decide(readings, [], { previous: overloaded, lastChanged: new Map(), baselines: new Map() }, small, { now: NOW, staleAfterMs: 60_000 });
  assert.equal(plan.diagnosis.state, 'overloaded');
  assert.deepEqual(plan.pressured, ['consume']);
  // Each direction has its own network: consumers filling network out take nothing from produce.
  assert.deepEqual(plan.capacityBound, {
    produce: { bytesPerSec: 700_000, bound: 'network in', broker: '0' },
    consume: { bytesPerSec: 700_000, bound: 'network out', broker: '0' },
  });
  // Core's 100 kB/s first; the rest of the 700 kB/s is replay's.
  assert.deepEqual(plan.proposals.map((p) => [p.entityKey, p.quotaKey, p.oldValue, p.newValue]), [['client-id=replay', 'consumer_byte_rate', undefined, 600_000]]);
  assert.equal(plan.proposals[0]!.reason, 'overloaded: demand 850000 B/s (measured) over its general allocation 600000 B/s of 700000 B/s per broker (network out of broker 0)');
});

test('a producer burst that a consumer group reads along fills both networks: the producer is limited, the consumer is not', () => {
  // clickstream sends 650 kB/s, core 150; the analytics group reads all 800 kB/s back out.
  const readings = readingsOf([broker('0', 0.8 * MB, 0.8 * MB)], [
    client('core-orders', 'produce', 150_000),
    client('clickstream', 'produce', 650_000),
    client('analytics', 'consume', 800_000),
  ]);
  const plan = decide(readings, [], { previous: overloaded, lastChanged: new Map(), baselines: new Map() }, small, { now: NOW, staleAfterMs: 60_000 });
  assert.deepEqual(plan.pressured, ['produce']);
  assert.deepEqual(plan.proposals.map((p) => [p.entityKey, p.quotaKey, p.newValue]), [['client-id=clickstream', 'producer_byte_rate', 550_000]]);
  assert.deepEqual(plan.notes, ['network out is over the target too; consumers wait: producers come first, and client-id=clickstream is limited this round']);
});

test('Sluice\'s own clients are exempt by default: its collector reading over its allocation is not limited, unless the operator says otherwise', () => {
  const readings = readingsOf([broker('0', 0.3 * MB, 0.95 * MB)], [
    client('core-billing', 'consume', 100_000),
    client('sluice-collect-east', 'consume', 850_000),
  ]);
  const plan = decide(readings, [], { previous: overloaded, lastChanged: new Map(), baselines: new Map() }, small, { now: NOW, staleAfterMs: 60_000 });
  assert.deepEqual(small.exempt, [{ user: '*', clientId: 'sluice-*' }]);
  assert.deepEqual(plan.proposals, []);
  assert.equal(plan.allocations.consume.clients.length, 1, 'only core-billing is allocated');
  const none = throttleConfigSchema.parse({ ...small, exempt: [] });
  const limited = decide(readings, [], { previous: overloaded, lastChanged: new Map(), baselines: new Map() }, none, { now: NOW, staleAfterMs: 60_000 });
  assert.deepEqual(limited.proposals.map((p) => [p.entityKey, p.newValue]), [['client-id=sluice-collect-east', 600_000]]);
});

test('both networks over with the producers already held at their allocations: a group reading a backlog is limited too, once the producers\' quota window has turned over', () => {
  // clickstream is held at its 550 kB/s allocation (it dumps a little over in its window: in at
  // 75%); the replay group reads 850 kB/s of a backlog, which no producer's limit brings down.
  const entity = [{ entityType: 'client-id' as const, entityName: 'clickstream' }];
  const quotas = [{ entity, values: { producer_byte_rate: 550_000 } }];
  const readings = readingsOf([broker('0', 0.75 * MB, 0.95 * MB)], [
    client('core-orders', 'produce', 150_000),
    client('clickstream', 'produce', 550_000),
    client('core-billing', 'consume', 100_000),
    client('replay', 'consume', 850_000),
  ]);
  const memoryAt = (changedAgoMs: number): LoopMemory => ({
    previous: overloaded, lastChanged: new Map([['client-id=clickstream|producer_byte_rate', NOW - changedAgoMs]]), baselines: new Map([['client-id=clickstream|producer_byte_rate', null]]),
  });
  const settled = decide(readings, quotas, memoryAt(20_000), small, { now: NOW, staleAfterMs: 60_000 });
  assert.deepEqual(settled.pressured, ['produce', 'consume']);
  assert.deepEqual(settled.notes, ['network out is over the target too, and every producer over its allocation is held at it: consumers are limited as well']);
  assert.deepEqual(settled.proposals.map((p) => [p.entityKey, p.quotaKey, p.oldValue, p.newValue]), [['client-id=replay', 'consumer_byte_rate', undefined, 600_000]]);
  assert.equal(settled.proposals[0]!.reason, 'overloaded: demand 850000 B/s (measured) over its general allocation 600000 B/s of 700000 B/s per broker (network out of broker 0)');
  // 5 s after clickstream's quota was set, its effect on network out is not known yet: consumers wait.
  const recent = decide(readings, quotas, memoryAt(5_000), small, { now: NOW, staleAfterMs: 60_000 });
  assert.deepEqual(recent.pressured, ['produce']);
  assert.deepEqual(recent.proposals, []);
  assert.deepEqual(recent.notes, ['network out is over the target too; consumers wait: producer quotas changed within the last quota window (11 s): client-id=clickstream 5 s ago']);
  // clickstream over its allocation at 700 kB/s with the episode's last change kept for taking its
  // quota off: the bytes out over the target are partly its replication's and its readers', and
  // the consumers are not cut for them.
  const over = readingsOf([broker('0', 0.85 * MB, 0.95 * MB)], [
    client('core-orders', 'produce', 150_000),
    client('clickstream', 'produce', 700_000),
    client('core-billing', 'consume', 100_000),
    client('replay', 'consume', 850_000),
  ]);
  const budget = decide(over, [{ entity, values: { producer_byte_rate: 700_000 } }], { ...memoryAt(20_000), episodeChanges: new Map([['client-id=clickstream|producer_byte_rate', 2]]) }, small, { now: NOW, staleAfterMs: 60_000 });
  assert.deepEqual(budget.proposals, []);
  assert.deepEqual(budget.notes, [
    'client-id=clickstream (produce) not limited further: 2 change(s) this episode, the last of 3 is kept for taking its quota off',
    "network out is over the target too; consumers wait: client-id=clickstream is over its allocation and not limited further (the episode's last change is kept): network out is not the consumers' to give back",
  ]);
});

test('a state held by hysteresis limits no one on a round within the target: the quota set is working, or the demand has gone', () => {
  // clickstream sent 650 kB/s of the broker's 1 MB/s for most of the last minute and 450 kB/s in
  // its last 15 s; this round the broker is at 60%, held overloaded from the round before.
  const burst = [...Array.from({ length: 10 }, () => 650_000), 450_000, 450_000, 450_000];
  const readings = readingsOf([broker('0', 0.6 * MB, 0.2 * MB)], [client('core-orders', 'produce', 150_000), client('clickstream', 'produce', 450_000, 0, burst)]);
  const held = decide(readings, [], { previous: overloaded, lastChanged: new Map(), baselines: new Map() }, small, { now: NOW, staleAfterMs: 60_000 });
  assert.deepEqual([held.diagnosis.state, held.diagnosis.observed], ['overloaded', 'steady']);
  assert.ok(held.allocations.produce.clients[1]!.limited, 'its demand is over its allocation');
  assert.deepEqual(held.proposals, []);
  assert.deepEqual(held.notes, ['1 produce client(s) over their allocation not limited: the cluster is held overloaded, but this round shows steady, within the target']);
  // On a round over the target the same client is limited to its allocation (550 kB/s).
  const over = readingsOf([broker('0', 0.8 * MB, 0.2 * MB)], [client('core-orders', 'produce', 150_000), client('clickstream', 'produce', 650_000)]);
  const limited = decide(over, [], { previous: overloaded, lastChanged: new Map(), baselines: new Map() }, small, { now: NOW, staleAfterMs: 60_000 });
  assert.deepEqual(limited.proposals.map((p) => [p.entityKey, p.oldValue, p.newValue]), [['client-id=clickstream', undefined, 550_000]]);
});

test('each round checks the last round\'s models against what the brokers did; a broker whose model erred is bounded by its network alone', () => {
  // Handlers fitted at 0.1 + 1e-6 per byte/s in over 20 points, on a broker of 1 MB/s each way.
  const points = Array.from({ length: 20 }, (_, i) => {
    const bytesIn = 100_000 + 20_000 * i;
    return { bytesIn, bytesOut: 50_000, requests: 100, handlers: 0.1 + 1e-6 * bytesIn, utilization: Math.max(0.1 + 1e-6 * bytesIn, bytesIn / MB) };
  });
  const fitted = fitLoadModel(points, { bytesInPerSec: MB, bytesOutPerSec: MB });
  assert.equal(fitted.kind, 'fit');
  // Now: 400 kB/s in; the fit says handlers 0.5, yet they are at 0.8 (idle 0.2).
  const b = { ...broker('0', 400_000, 50_000), handlerIdle: 0.2, utilization: 0.8 };
  const readings = { ...readingsOf([b], [client('feed', 'produce', 400_000)]), history: new Map([['0', points]]) };
  const memory: LoopMemory = { previous: roomy, lastChanged: new Map(), baselines: new Map(), models: new Map([['0', fitted]]), modelErrors: new Map([['0', [0.01, 0.02]]]) };
  const plan = decide(readings, [], memory, small, { now: NOW, staleAfterMs: 60_000 });
  assert.equal(plan.modelCheck.length, 1);
  const check = plan.modelCheck[0]!;
  assert.deepEqual([check.broker, check.observed], ['0', 0.8]);
  assert.ok(Math.abs(check.predicted - 0.5) < 1e-6 && Math.abs(check.error - 0.3) < 1e-6, JSON.stringify(check));
  assert.deepEqual(plan.modelErrors.get('0')!.map((e) => Number(e.toFixed(6))), [0.01, 0.02, 0.3]);
  // The worst recent error, 30 points, is over the 5 allowed: this round's fit is not used.
  const model = plan.models.get('0')!;
  assert.equal(model.kind, 'fixed');
  assert.equal(model.reason, 'one-round-ahead error up to 30.0 points over the last 3 round(s), over 5.0: the handler fit is not used, the network bounds traffic');
  // Rounds the network explained do not dilute one round far off: four exact rounds and one of
  // 6 points (a mean of 1.2) still keep the fit out.
  const readingsNear = { ...readings, brokers: [{ ...b, handlerIdle: 0.5, utilization: 0.5 }] };
  const diluted = decide(readingsNear, [], { ...memory, modelErrors: new Map([['0', [0, 0, 0, 0.06]]]) }, small, { now: NOW, staleAfterMs: 60_000 });
  assert.deepEqual(diluted.modelErrors.get('0')!.map((e) => Number(e.toFixed(6))), [0, 0, 0, 0.06, 0]);
  assert.equal(diluted.models.get('0')!.reason, 'one-round-ahead error up to 6.0 points over the last 5 round(s), over 5.0: the handler fit is not used, the network bounds traffic');
  assert.deepEqual(plan.capacityBound.produce, { bytesPerSec: 700_000, bound: 'network in', broker: '0' });
  // Without a model to check, nothing is recorded and the fit stands.
  const first = decide(readings, [], { ...memory, models: undefined, modelErrors: undefined }, small, { now: NOW, staleAfterMs: 60_000 });
  assert.deepEqual([first.modelCheck, first.models.get('0')!.kind], [[], 'fit']);
});

test('headroom: a client still throttled at its quota is raised a guarded step, not set free; once it is not, its quota is removed', () => {
  const entity = [{ entityType: 'client-id' as const, entityName: 'replay' }];
  const quotas = [{ entity, values: { consumer_byte_rate: 300_000 } }];
  const memory: LoopMemory = { previous: roomy, lastChanged: new Map(), baselines: new Map([['client-id=replay|consumer_byte_rate', null]]) };
  const calm = [broker('0', 0.1 * MB, 0.3 * MB)];
  // Throttled 500 ms per window: it would read at least 300 000 × (1 + 500/11 000) ≈ 313 636 B/s, which fits the 600 kB/s.
  const held = decide(readingsOf(calm, [client('replay', 'consume', 300_000, 500)]), quotas, memory, small, { now: NOW, staleAfterMs: 60_000 });
  assert.equal(held.diagnosis.state, 'headroom');
  assert.deepEqual(held.proposals.map((p) => [p.quotaKey, p.oldValue, p.proposed, p.newValue, p.demand.basis]), [['consumer_byte_rate', 300_000, 700_000, 375_000, 'inferred']]);
  assert.equal(held.proposals[0]!.reason, 'headroom: raising toward the allocation 700000 B/s (still throttled 500 ms at its quota)');
  assert.deepEqual(held.proposals[0]!.guarded.reasons, ['increase bounded to ×1.25 per round (700000 → 375000)']);

  const free = decide(readingsOf(calm, [client('replay', 'consume', 280_000)]), quotas, memory, small, { now: NOW, staleAfterMs: 60_000 });
  assert.deepEqual(free.proposals.map((p) => [p.oldValue, p.proposed, p.newValue, p.demand.basis]), [[300_000, null, null, 'measured']]);
  assert.equal(free.proposals[0]!.reason, "headroom: demand 280000 B/s fits again: restoring the operator's unset quota");
});

test('queue and latency signals are of the requests that carry client traffic: a slow OffsetFetch tail is not load', async () => {
  const engine = new Engine();
  const set = cluster(false);
  const at = NOW - 10 * 60_000 + 30_000;
  for (const broker of ['0', '1', '2']) {
    for (const [request, queueMs, totalMs] of [['Produce', 2, 6], ['FetchConsumer', 3, 9], ['Fetch', 1, 4], ['OffsetFetch', 400, 900], ['ListOffsets', 120, 300]] as const) {
      set.add({ __name__: 'kafka_network_requestmetrics_requestqueuetimems', cluster: 'east', broker, request, quantile: '0.99' }, at, queueMs);
      set.add({ __name__: 'kafka_network_requestmetrics_totaltimems', cluster: 'east', broker, request, quantile: '0.99' }, at, totalMs);
    }
  }
  const readings = await readSignals(engine, set, at, readOptions);
  assert.deepEqual([readings.queueTimeP99Ms, readings.requestLatencyP99Ms], [3, 9]);
  const plan = decide(readings, [], { previous: undefined, lastChanged: new Map(), baselines: new Map() }, config, { now: at, staleAfterMs: 60_000 });
  assert.notEqual(plan.diagnosis.observed, 'pressured', plan.diagnosis.reason);
});

test('steady: a quota Sluice set comes off once its client\'s demand fits, though the cluster is busy; it is raised while the client is still held', () => {
  const entity = [{ entityType: 'client-id' as const, entityName: 'burster' }];
  const quotas = [{ entity, values: { producer_byte_rate: 100_000 } }];
  const steady: Diagnosis = { state: 'steady', observed: 'steady', streak: 3, reason: 'steady' };
  const memory: LoopMemory = { previous: steady, lastChanged: new Map(), baselines: new Map([['client-id=burster|producer_byte_rate', null]]) };
  // 600 kB/s in of 1 MB/s: 60%, between headroom (49%) and the 70% target. Core sends 450 kB/s;
  // the burst is over and the burster sends 60 kB/s, well under its 100 kB/s quota.
  const busy = [broker('0', 0.6 * MB, 0.1 * MB)];
  const after = decide(readingsOf(busy, [client('core-orders', 'produce', 450_000), client('burster', 'produce', 60_000)]), quotas, memory, small, { now: NOW, staleAfterMs: 60_000 });
  assert.equal(after.diagnosis.state, 'steady');
  assert.deepEqual(after.proposals.map((p) => [p.entityKey, p.oldValue, p.proposed, p.newValue]), [['client-id=burster', 100_000, null, null]]);
  assert.equal(after.proposals[0]!.reason, "steady: demand 60000 B/s fits again: restoring the operator's unset quota");
  // At 95% of its quota, unthrottled, it may want more than it shows: raised, not set free.
  const near = decide(readingsOf(busy, [client('core-orders', 'produce', 450_000), client('burster', 'produce', 95_000)]), quotas, memory, small, { now: NOW, staleAfterMs: 60_000 });
  assert.deepEqual(near.proposals.map((p) => [p.oldValue, p.newValue === null]), [[100_000, false]]);
  assert.match(near.proposals[0]!.reason, /^steady: raising toward the allocation \d+ B\/s \(running at 95% of its quota\)$/);
  // Still throttled at its quota: raised a guarded step toward its allocation, not set free.
  const held = decide(readingsOf(busy, [client('core-orders', 'produce', 450_000), client('burster', 'produce', 100_000, 800)]), quotas, memory, small, { now: NOW, staleAfterMs: 60_000 });
  const raise = held.proposals[0]!;
  // Capacity 700 kB/s: core 450, the burster's inferred 100 000 × (1 + 800/11 000) ≈ 107 273, and a
  // fifth of the 142 727 left (weights 4 : 1) as its headroom: 135 818, bounded to ×1.25 of 100 000.
  assert.deepEqual([held.proposals.length, raise.oldValue, Math.round(raise.proposed as number), raise.newValue], [1, 100_000, 135_818, 125_000]);
  assert.equal(raise.reason, 'steady: raising toward the allocation 135818 B/s (still throttled 800 ms at its quota)');
});

test('just after start nothing moves: two rate windows of broker history first, and the held proposal says so', () => {
  const readings = { ...readingsOf([broker('0', 0.3 * MB, 0.95 * MB)], [client('core-billing', 'consume', 100_000), client('replay', 'consume', 850_000)]), historyMs: 30_000 };
  const early = decide(readings, [], { previous: overloaded, lastChanged: new Map(), baselines: new Map() }, small, { now: NOW, staleAfterMs: 60_000 });
  assert.deepEqual(early.proposals.map((p) => [p.entityKey, p.guarded.apply, p.guarded.reasons]), [
    ['client-id=replay', false, ['warming up: 30 s of broker history, 120 s (two rate windows) before any change']],
  ]);
  const later = decide({ ...readings, historyMs: 120_000 }, [], { previous: overloaded, lastChanged: new Map(), baselines: new Map() }, small, { now: NOW, staleAfterMs: 60_000 });
  assert.deepEqual(later.proposals.map((p) => [p.entityKey, p.guarded.apply]), [['client-id=replay', true]]);
});

test('the copying of a partition reassignment is not load the loop limits clients for: the move yields, not the clients', async () => {
  // Followers' throttled fetches are the copying in; leaders' throttled rates also hold in-sync
  // followers' usual fetches of the moving partitions, so the copying out is shared in proportion.
  const traffic = reassignmentTraffic(new Map([['2', 300_000], ['3', 100_000], ['', 5]]), new Map([['0', 450_000], ['1', 150_000], ['2', 0]]));
  assert.deepEqual([...traffic.in], [['2', 300_000], ['3', 100_000]]);
  assert.deepEqual([...traffic.out], [['0', 300_000], ['1', 100_000]]);

  // Broker 1 of 1 MB/s each way: 500 kB/s produced, 50 kB/s of usual replication, and 400 kB/s
  // copied in for a move under its follower throttle: 95% of its network in, 55% without the move.
  const engine = new Engine();
  const set = new SeriesSet();
  const c = { cluster: 'east' };
  const at = NOW;
  for (const broker of ['0', '1']) {
    for (let t = NOW - 5 * 60_000; t <= at; t += STEP) {
      const s = (t - (NOW - 5 * 60_000)) / 1000;
      const copied = broker === '1' ? 400_000 : 0;
      set.add({ __name__: 'kafka_server_brokertopicmetrics_bytesin_total', ...c, broker }, t, s * 500_000);
      set.add({ __name__: 'kafka_server_brokertopicmetrics_bytesout_total', ...c, broker }, t, s * 100_000);
      set.add({ __name__: 'kafka_server_brokertopicmetrics_replicationbytesin_total', ...c, broker }, t, s * (50_000 + copied));
      set.add({ __name__: 'kafka_server_brokertopicmetrics_replicationbytesout_total', ...c, broker }, t, s * (50_000 + (broker === '0' ? 400_000 : 0)));
      set.add({ __name__: 'kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent', ...c, broker }, t, 0.8);
      set.add({ __name__: 'sluice_broker_network_capacity_bytes_per_second', ...c, broker, direction: 'in' }, t, MB);
      set.add({ __name__: 'sluice_broker_network_capacity_bytes_per_second', ...c, broker, direction: 'out' }, t, MB);
      set.add({ __name__: 'kafka_server_followerreplication_byte_rate', ...c, broker }, t, copied);
      set.add({ __name__: 'kafka_server_leaderreplication_byte_rate', ...c, broker }, t, broker === '0' ? 400_000 : 0);
      set.add({ __name__: 'kafka_server_produce_byte_rate', ...c, broker, user: '', client_id: 'feed' }, t, 500_000);
      set.add({ __name__: 'kafka_server_produce_throttle_time', ...c, broker, user: '', client_id: 'feed' }, t, 0);
    }
  }
  const readings = await readSignals(engine, set, at, { ...readOptions, rateWindowSec: 60 });
  assert.deepEqual(readings.brokers.map((b) => [b.broker, b.bytesIn, b.bytesOut, b.replicationIn, b.replicationOut, b.reassignIn, b.reassignOut, b.utilization]), [
    ['0', 550_000, 150_000, 50_000, 50_000, 0, 400_000, 0.55],
    ['1', 550_000, 150_000, 50_000, 50_000, 400_000, 0, 0.55],
  ]);
  const plan = decide(readings, [], { previous: overloaded, lastChanged: new Map(), baselines: new Map() }, small, { now: at, staleAfterMs: 60_000 });
  assert.equal(plan.diagnosis.observed, 'steady');
  assert.deepEqual(plan.proposals, []);
  assert.deepEqual(plan.notes, [
    "broker 0 copies 0 B/s in and 400000 B/s out for partition reassignments: not counted as load (the move's replication throttle is sized from the room clients leave, so the move yields, not the clients)",
    "broker 1 copies 400000 B/s in and 0 B/s out for partition reassignments: not counted as load (the move's replication throttle is sized from the room clients leave, so the move yields, not the clients)",
  ]);
});
