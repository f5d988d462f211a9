/** Diagnosis from hand-made signals: each state, its reason, and hysteresis. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnose, observe } from '../../src/throttle/diagnose.ts';

test('each state from hand-made signals, with the signals named', () => {
  assert.deepEqual(observe({ maxUtilization: 0.95, minHandlerIdle: 0.5 }), { state: 'overloaded', reasons: ['broker utilization 95% ≥ overload 90%'] });
  assert.deepEqual(observe({ maxUtilization: 0.5, minHandlerIdle: 0.05 }), { state: 'overloaded', reasons: ['request handler idle 5% < 10%'] });
  assert.deepEqual(observe({ maxUtilization: 0.75, minHandlerIdle: 0.2, queueTimeP99Ms: 80 }), {
    state: 'pressured',
    reasons: ['broker utilization 75% > target 70%', 'request handler idle 20% < 30%', 'request queue time p99 80 ms > 50 ms'],
  });
  assert.deepEqual(observe({ maxUtilization: 0.3, firingTrafficAlerts: ['KafkaTopicTrafficSpike'] }), { state: 'pressured', reasons: ['firing: KafkaTopicTrafficSpike (counted as pressure by diagnosis.pressureAlerts)'] });
  assert.deepEqual(observe({ maxUtilization: 0.3, minHandlerIdle: 0.9, throttledClients: 2 }), { state: 'headroom', reasons: ['broker utilization 30% < 49%, 2 client(s) throttled'] });
  assert.deepEqual(observe({ maxUtilization: 0.6, minHandlerIdle: 0.8 }), { state: 'steady', reasons: ['broker utilization 60% within 49%–70%'] });
  assert.deepEqual(observe({}), { state: 'steady', reasons: ['broker utilization unknown: holding'] });
});

test('hysteresis: a change waits for two rounds in a row; overload is acted on at once', () => {
  const r1 = diagnose({ maxUtilization: 0.6 }, undefined);
  assert.equal(r1.state, 'steady');
  const r2 = diagnose({ maxUtilization: 0.8 }, r1);
  assert.deepEqual([r2.state, r2.observed, r2.streak], ['steady', 'pressured', 1]);
  assert.equal(r2.reason, 'pressured: broker utilization 80% > target 70%; holding steady until pressured is seen 2 rounds in a row (1 so far)');
  const r3 = diagnose({ maxUtilization: 0.6 }, r2);
  assert.deepEqual([r3.state, r3.streak], ['steady', 1], 'a one-round blip changed nothing');
  const r4 = diagnose({ maxUtilization: 0.8 }, r3);
  const r5 = diagnose({ maxUtilization: 0.8 }, r4);
  assert.deepEqual([r4.state, r5.state, r5.streak], ['steady', 'pressured', 2]);
  const r6 = diagnose({ maxUtilization: 0.97 }, r5);
  assert.deepEqual([r6.state, r6.streak], ['overloaded', 1]);
  const r7 = diagnose({ maxUtilization: 0.2 }, r6);
  assert.equal(r7.state, 'overloaded', 'relaxing waits for confirmation');
  assert.equal(diagnose({ maxUtilization: 0.2 }, r7).state, 'headroom');
});
