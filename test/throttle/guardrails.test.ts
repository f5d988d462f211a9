/** Every guardrail, and demand estimation for measured and throttled clients. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { guard, type ProposedChange } from '../../src/throttle/guardrails.ts';
import { estimateDemand, quantile, slopePerSec } from '../../src/throttle/demand.ts';

const base: ProposedChange = { current: 1000, proposed: 800, floor: 100, lastChangedAt: undefined, now: 1_000_000, metricsStale: false, modelR2: 0.9 };

test('a proposal within bounds passes unchanged', () => {
  assert.deepEqual(guard(base), { apply: true, value: 800, reasons: [] });
});

test('each guardrail bites with its own reason', () => {
  assert.deepEqual(guard({ ...base, metricsStale: true }), { apply: false, value: 1000, reasons: ['metrics are stale: no change while the evidence is old'] });
  assert.deepEqual(guard({ ...base, modelR2: 0.3 }), { apply: false, value: 1000, reasons: ['model fit R² 0.30 < 0.6: no change on a poor fit'] });
  assert.equal(guard({ ...base, modelR2: NaN }).apply, true, 'the fixed-weight model is not held to R²');
  assert.deepEqual(guard({ ...base, lastChangedAt: 1_000_000 - 60_000 }), { apply: false, value: 1000, reasons: ['changed 60 s ago: cooldown 300 s'] });
  assert.equal(guard({ ...base, lastChangedAt: 1_000_000 - 300_000 }).apply, true);
  assert.deepEqual(guard({ ...base, proposed: 100 }), { apply: true, value: 500, reasons: ['decrease bounded to ×0.5 per round (100 → 500)'] });
  assert.deepEqual(guard({ ...base, proposed: 5000 }), { apply: true, value: 1250, reasons: ['increase bounded to ×1.25 per round (5000 → 1250)'] });
  assert.deepEqual(guard({ ...base, current: 150, proposed: 50 }), { apply: true, value: 100, reasons: ['decrease bounded to ×0.5 per round (50 → 75)', 'raised to the group floor 100'] });
  assert.deepEqual(guard({ ...base, proposed: 950 }), { apply: false, value: 1000, reasons: ['change under 10% of 1000: skipped'] });
  assert.deepEqual(guard({ ...base, current: undefined, proposed: 0, floor: 0 }), { apply: true, value: 1, reasons: ['a quota is never zero: raised to 1 B/s'] });
});

test('demand: p95 of the recent third of the window, plus its growing trend to the next round (at most +25%); an old burst or ramp no longer counts; absent data says so', () => {
  assert.equal(quantile([1, 2, 3, 4, 5], 0.95), 4.8);
  assert.equal(slopePerSec([0, 1000, 2000], [10, 20, 30]), 10);
  const flat = estimateDemand({ ts: [0, 1000, 2000, 3000, 4000], rate: [100, 100, 100, 100, 200] });
  // The last third of five samples is the last two: p95 of [100, 200].
  assert.deepEqual([flat.basis, flat.p95], ['measured', 195]);
  const afterBurst = estimateDemand({ ts: [0, 1000, 2000, 3000, 4000, 5000], rate: [500, 500, 100, 100, 100, 100] });
  assert.deepEqual([afterBurst.p95, afterBurst.demand], [100, 100], 'the burst two thirds of a window ago is over');
  // The last third is [110, 120] at 4 s and 5 s: p95 119.5, growing 10 B/s per s.
  const ts = [0, 1000, 2000, 3000, 4000, 5000];
  const growing = estimateDemand({ ts, rate: [100, 100, 100, 100, 110, 120] }, { horizonSec: 2 });
  // Rising 110 B/s over one 11 s quota window, more than a tenth of its p95: the demand may be more.
  assert.deepEqual([growing.trendPerSec, growing.demand, growing.lowerBound, growing.reason], [10, 119.5 + 2 * 10, true, 'p95 120 B/s + trend 10.0 B/s² × 2 s, still rising']);
  const fast = estimateDemand({ ts, rate: [100, 100, 100, 100, 110, 120] }, { horizonSec: 60 });
  assert.deepEqual([fast.demand, fast.reason], [119.5 * 1.25, 'p95 120 B/s + trend 10.0 B/s² × 60 s (at most +25%), still rising']);
  // Rising 1 B/s a second is 11 B/s over a quota window: under a tenth of its p95 of ~1000, settled.
  const creeping = estimateDemand({ ts, rate: [1000, 1000, 1000, 1000, 1001, 1002] }, { horizonSec: 2 });
  assert.deepEqual([creeping.trendPerSec, creeping.lowerBound, creeping.reason], [1, false, 'p95 1002 B/s + trend 1.0 B/s² × 2 s']);
  // … unless what counts as rising is smaller: over a hundredth of the p95.
  assert.equal(estimateDemand({ ts, rate: [1000, 1000, 1000, 1000, 1001, 1002] }, { horizonSec: 2, risingAbove: 0.01 }).lowerBound, true);
  // A ramp (a new client, a rate window filling up) that is over is not growth.
  const ramped = estimateDemand({ ts, rate: [0, 50, 100, 100, 100, 100] }, { horizonSec: 60 });
  assert.deepEqual([ramped.trendPerSec, ramped.demand, ramped.lowerBound], [0, 100, false]);
  assert.deepEqual(estimateDemand({ ts: [], rate: [] }), { demand: 0, basis: 'none', p95: 0, trendPerSec: 0, lowerBound: false, reason: 'no rate samples' });
});

test('demand of a throttled client is inferred from its throttle time, not its capped rate', () => {
  const d = estimateDemand({ ts: [0, 1000, 2000, 3000], rate: [1000, 1000, 1000, 1000], throttleMs: [0, 33_000, 33_000, 33_000], quota: 1000 });
  // quota × (1 + 33000 / 11000) = 4 × quota.
  assert.equal(d.basis, 'inferred');
  assert.equal(d.demand, 4000);
  assert.equal(d.lowerBound, true, 'a throttle time shows one request\'s overshoot, not all the client wants');
  assert.equal(d.reason, 'throttled 33000 ms per 11000 ms window at quota 1000 B/s: offered ≈ quota × (1 + 33000/11000) = 4000 B/s');
});
