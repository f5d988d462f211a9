/**
 * One round end to end over fixed series, through the real PromQL engine: a general-group
 * producer bursts while a core producer runs steadily; the broker goes over target; after the
 * hysteresis round the burster (and only it) is limited to its allocation, with its evidence.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../src/rules/promql/index.ts';
import { clusterSeries as cluster, MB, NOW, STEP } from './support.ts';
import { throttleConfigSchema } from '../../src/throttle/config.ts';
import { decide, entityOf, type LoopMemory } from '../../src/throttle/decide.ts';
import { readSignals } from '../../src/throttle/signals.ts';

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
  assert.match(p.reason, /^pressured: demand \d+ B\/s \(measured\) over its general allocation \d+ B\/s of \d+ B\/s per broker$/);
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
