import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatShortDuration as formatDuration, parseSimpleDuration as parseDuration } from '../../src/duration.ts';
import {
  curveIntegral,
  curveMultiplier,
  Pacer,
  RateLimiter,
  rateAt,
  scheduledBetween,
  scheduledCount,
  spikeFactor,
  toScenarioMs,
  toWallMs,
  type RateCurve,
  type RatePlan,
} from '../../src/workload/pacing.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const constant: RateCurve = { kind: 'constant' };
const diurnal: RateCurve = { kind: 'diurnal', periodMs: DAY, min: 0.3, max: 1, peakMs: 12 * HOUR };

function plan(rate: number, overrides: Partial<RatePlan> = {}): RatePlan {
  return { rate, curve: constant, spikes: [], timeScale: 1, ...overrides };
}

function assertClose(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} is not ${expected}`);
}

describe('durations', () => {
  test('reads ms, s, m, h, d and bare seconds', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('24h'), DAY);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration(90), 90_000);
    assert.equal(parseDuration(0.25), 250);
    assert.equal(parseDuration('45'), 45_000);
  });

  test('rejects anything else', () => {
    for (const bad of ['5x', '', 's', '-1s', '1 hour', -3, Number.NaN, true, null, undefined, {}]) {
      assert.equal(parseDuration(bad), undefined, `${String(bad)} must not parse`);
    }
  });

  test('formats the short way', () => {
    assert.equal(formatDuration(750), '750ms');
    assert.equal(formatDuration(42_000), '42s');
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(2 * HOUR), '2h');
    assert.equal(formatDuration(DAY + 61_000), '24h1m1s');
  });
});

describe('rate curves', () => {
  test('constant is 1 everywhere and integrates to the elapsed seconds', () => {
    assert.equal(curveMultiplier(constant, 123_456), 1);
    assert.equal(curveIntegral(constant, 1000, 61_000), 60);
  });

  test('diurnal runs from min at the trough to max at the peak', () => {
    assert.equal(curveMultiplier(diurnal, 12 * HOUR), 1);
    assertClose(curveMultiplier(diurnal, 0), 0.3, 'trough');
    assertClose(curveMultiplier(diurnal, DAY), 0.3, 'next trough');
    assertClose(curveMultiplier(diurnal, 6 * HOUR), 0.65, 'halfway');
  });

  test('diurnal integrates to its mean over a whole period, and exactly over a quarter', () => {
    assertClose(curveIntegral(diurnal, 0, DAY), 0.65 * 86_400, 'whole day');
    assertClose(curveIntegral(diurnal, 5 * HOUR, DAY + 5 * HOUR), 0.65 * 86_400, 'any whole day');
    const quarter = 0.3 * 21_600 + 0.35 * (21_600 - 86_400 / (2 * Math.PI));
    assertClose(curveIntegral(diurnal, 0, 6 * HOUR), quarter, 'first quarter');
  });
});

describe('scheduledCount', () => {
  test('a constant rate asks rate × seconds', () => {
    assert.equal(scheduledCount(plan(500), 60_000), 30_000);
    assert.equal(scheduledCount(plan(500), 1), 0.5);
    assert.equal(scheduledCount(plan(500), 0), 0);
    assert.equal(scheduledCount(plan(500), -10), 0);
    assert.equal(scheduledCount(plan(0), 60_000), 0);
    assert.equal(rateAt(plan(500), 10_000), 500);
  });

  test('a spike multiplies the rate during [at, at+for)', () => {
    const spiky = plan(100, { spikes: [{ atMs: 10_000, forMs: 5000, factor: 4 }] });
    assert.equal(scheduledCount(spiky, 10_000), 1000);
    assert.equal(scheduledCount(spiky, 12_000), 1800);
    assert.equal(scheduledCount(spiky, 20_000), 3500);
    assert.equal(rateAt(spiky, 9999), 100);
    assert.equal(rateAt(spiky, 10_000), 400);
    assert.equal(rateAt(spiky, 14_999), 400);
    assert.equal(rateAt(spiky, 15_000), 100);
    assert.equal(scheduledBetween(spiky, 10_000, 15_000), 2000);
  });

  test('overlapping spikes multiply', () => {
    const spikes = [
      { atMs: 10_000, forMs: 10_000, factor: 2 },
      { atMs: 15_000, forMs: 10_000, factor: 3 },
    ];
    assert.equal(spikeFactor(spikes, 17_000), 6);
    assert.equal(scheduledCount(plan(100, { spikes }), 30_000), 100 * (10 + 5 * 2 + 5 * 6 + 5 * 3 + 5));
  });

  test('timeScale compresses the shape, not the rate', () => {
    assert.equal(toScenarioMs(6000, 10), 60_000);
    assert.equal(toWallMs(60_000, 10), 6000);
    const scaled = plan(50, { timeScale: 10, spikes: [{ atMs: 60_000, forMs: 30_000, factor: 3 }] });
    // Scenario 60 s–90 s is wall 6 s–9 s.
    assert.equal(rateAt(scaled, 5999), 50);
    assert.equal(rateAt(scaled, 7000), 150);
    assert.equal(rateAt(scaled, 9000), 50);
    assert.equal(scheduledCount(scaled, 10_000), 50 * (6 + 3 * 3 + 1));
    assert.equal(scheduledCount(plan(50, { timeScale: 10 }), 10_000), 500);
  });

  test('a day curve at timeScale 1440 plays in 60 s with its mean rate', () => {
    const day = plan(500, { curve: diurnal, timeScale: 1440 });
    assertClose(scheduledCount(day, 60_000), 500 * 60 * 0.65, 'whole day');
    const quarter = (500 / 1440) * (0.3 * 21_600 + 0.35 * (21_600 - 86_400 / (2 * Math.PI)));
    assertClose(scheduledCount(day, 15_000), quarter, 'first quarter');
    assert.equal(rateAt(day, 30_000), 500);
  });
});

describe('Pacer', () => {
  test('asks for what the schedule owes, whole messages only', () => {
    const pacer = new Pacer(plan(100));
    assert.equal(pacer.due(0), 0);
    assert.equal(pacer.due(9), 0);
    assert.equal(pacer.due(10), 1);
    assert.equal(pacer.due(1000), 100);
    pacer.issue(100);
    assert.equal(pacer.due(1000), 0);
    assert.equal(pacer.due(1505), 50);
    pacer.issue(30);
    assert.equal(pacer.due(1505), 20);
    assert.equal(pacer.issued, 130);
    assert.equal(pacer.shortfall, 0);
  });

  test('caps the backlog at one second of schedule and reports the rest as shortfall', () => {
    const pacer = new Pacer(plan(100));
    assert.equal(pacer.due(5000), 100);
    assert.equal(pacer.shortfall, 400);
    pacer.issue(100);
    assert.equal(pacer.due(5000), 0);
    assert.equal(pacer.due(5500), 50);
    // The cap follows the schedule: during a spike, a second of schedule is more messages.
    const spiky = new Pacer(plan(100, { spikes: [{ atMs: 0, forMs: 10_000, factor: 5 }] }));
    assert.equal(spiky.due(3000), 500);
    assert.equal(spiky.shortfall, 1000);
  });

  test('a rate below one message a second still sends one when due', () => {
    const pacer = new Pacer(plan(0.5));
    assert.equal(pacer.due(1999), 0);
    assert.equal(pacer.due(2000), 1);
    assert.equal(pacer.due(10_000), 1);
    assert.equal(pacer.shortfall, 4);
  });
});

describe('RateLimiter', () => {
  test('spaces messages 1/rate apart, allowing a burst of burstMs after idling', () => {
    const limiter = new RateLimiter(10, 100);
    assert.equal(limiter.take(0), 0);
    assert.equal(limiter.take(0), 0);
    assert.equal(limiter.take(0), 100);
    assert.equal(limiter.take(0), 200);
    assert.equal(limiter.take(250), 50);
    // Idle for ten seconds: one burst slot, not a hundred.
    assert.equal(limiter.take(10_000), 0);
    assert.equal(limiter.take(10_000), 0);
    assert.equal(limiter.take(10_000), 100);
  });

  test('rate 0 is no cap, and setRate applies from now on', () => {
    const limiter = new RateLimiter(0);
    assert.equal(limiter.take(0), 0);
    assert.equal(limiter.take(0, 1_000_000), 0);
    limiter.setRate(2);
    assert.equal(limiter.rate, 2);
    assert.equal(limiter.take(1000), 0);
    assert.equal(limiter.take(1000), 400);
    limiter.setRate(0);
    assert.equal(limiter.take(1000), 0);
  });
});
