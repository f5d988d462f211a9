import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateSensor, throttleTimeMs, QuotaEnforcer } from '../../../src/kafka/broker/quota-enforcer.ts';
import { ClientQuotaStore } from '../../../src/kafka/broker/quotas.ts';

test('rate over 11 one-second samples, never dividing by less than 10 s (Kafka Rate.windowSize)', () => {
  const s = new RateSensor(11, 1000);
  s.record(1000, 0);
  assert.equal(s.windowSize(0), 10_000);
  assert.equal(s.rate(0), 100);
  for (let t = 1000; t <= 15_000; t += 1000) s.record(1000, t);
  // Samples older than 11 windows are gone: 11 samples of 1000 over 10 s elapsed (+ current window start).
  assert.equal(s.total(15_000), 11_000);
  assert.equal(s.windowSize(15_000), 10_000);
  assert.equal(s.rate(15_500), 11_000 / 10.5);
});

test('throttle time is (O - T) / T × W', () => {
  assert.equal(throttleTimeMs(2_000_000, 1_000_000, 11_000), 11_000);
  assert.equal(throttleTimeMs(1_100_000, 1_000_000, 10_000), 1_000);
  assert.equal(throttleTimeMs(900_000, 1_000_000, 10_000), 0);
});

test('enforcer: produce throttled per matched entity, request throttle capped at one window, fetch unrecord', () => {
  const store = new ClientQuotaStore();
  store.alter([{ entityType: 'user', entityName: 'alice' }], [{ key: 'producer_byte_rate', value: 1000, remove: false }, { key: 'request_percentage', value: 1, remove: false }]);
  const e = new QuotaEnforcer(store);
  // 20,000 bytes in a 10 s minimum window = 2000 B/s: (2000 - 1000) / 1000 × 10000 ms.
  const d = e.recordAndThrottle('produce', 'alice', 'app-1', 20_000, 1_000);
  assert.deepEqual(d, { throttleMs: 10_000, user: 'alice', clientId: '' });
  // The user-level quota is shared by all of alice's clients: the same sensor.
  assert.equal(e.recordAndThrottle('produce', 'alice', 'app-2', 0, 1_000).throttleMs, 10_000);
  // bob has no quota.
  assert.equal(e.recordAndThrottle('produce', 'bob', 'app-1', 1_000_000, 1_000).throttleMs, 0);
  // 1% of a handler = 10 ms of handler time per second; 5 s of handler time is way over: capped at 1 window.
  assert.equal(e.recordAndThrottle('request', 'alice', 'app-1', 5_000, 1_000).throttleMs, 1_000);
  store.alter([{ entityType: 'client-id', entityName: null }], [{ key: 'consumer_byte_rate', value: 100, remove: false }]);
  assert.equal(e.maxFetchBytes('carol', 'x'), 1100);
  assert.equal(e.recordAndThrottle('fetch', 'carol', 'x', 2000, 1_000).throttleMs, 10_000);
  e.unrecord('fetch', 'carol', 'x', 2000, 1_000);
  assert.equal(e.recordAndThrottle('fetch', 'carol', 'x', 0, 1_000).throttleMs, 0);
});
