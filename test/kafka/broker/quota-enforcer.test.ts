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
  // 100 B/s over the 10 s the rate divides by at least: a fetch of 1000 bytes into an empty window
  // is exactly at the quota and passes; one byte more is throttled (and answered empty).
  assert.equal(e.maxFetchBytes('carol', 'x'), 1000);
  assert.equal(e.recordAndThrottle('fetch', 'carol', 'y', 1000, 1_000).throttleMs, 0);
  assert.equal(e.recordAndThrottle('fetch', 'carol', 'z', 1001, 1_000).throttleMs, 10);
  assert.equal(e.recordAndThrottle('fetch', 'carol', 'x', 2000, 1_000).throttleMs, 10_000);
  e.unrecord('fetch', 'carol', 'x', 2000, 1_000);
  assert.equal(e.recordAndThrottle('fetch', 'carol', 'x', 0, 1_000).throttleMs, 0);
});

test('a fetch over the quota is answered empty with the time until it would pass; one larger than any the quota admits is sent alone', () => {
  const store = new ClientQuotaStore();
  store.alter([{ entityType: 'client-id', entityName: 'reader' }], [{ key: 'consumer_byte_rate', value: 100, remove: false }]);
  const e = new QuotaEnforcer(store);
  // 1000 bytes over the 10 s the rate divides by at least: exactly the quota, sent.
  assert.deepEqual(e.recordFetch('', 'reader', 1000, 0), { throttleMs: 0, user: '', clientId: 'reader', send: true });
  // 1000 more at once would be 200 B/s: answered empty, and not counted. The same fetch passes
  // once the first sample has expired (11 windows after it began): 11 s.
  assert.deepEqual(e.recordFetch('', 'reader', 1000, 10), { throttleMs: 10_990, user: '', clientId: 'reader', send: false });
  // The exporter's average throttle time is of the times clients were told: (0 + 10,990) / 2.
  assert.equal(e.snapshot(10).find((x) => x.type === 'fetch')?.throttleMs, 5495);
  assert.equal(e.recordFetch('', 'reader', 1000, 11_000).send, true);
  // 1500 bytes in one batch is more than any fetch under 100 B/s may hold: sent when nothing else
  // is in the window, then held for the 15 s the quota takes to pay for it.
  const big = new QuotaEnforcer(store);
  assert.deepEqual(big.recordFetch('', 'reader', 1500, 0), { throttleMs: 15_000, user: '', clientId: 'reader', send: true });
  assert.equal(big.recordFetch('', 'reader', 1500, 5_000).send, false);
  assert.equal(big.recordFetch('', 'reader', 1500, 15_000).send, true);
});

test('a shorter quota window (quota.window.num 3 × 1 s) divides by 2 s at least, throttles for its own span and admits fetches of 2 s of quota', () => {
  const store = new ClientQuotaStore();
  store.alter([{ entityType: 'client-id', entityName: 'w' }], [{ key: 'producer_byte_rate', value: 1000, remove: false }, { key: 'consumer_byte_rate', value: 100, remove: false }, { key: 'request_percentage', value: 1, remove: false }]);
  const e = new QuotaEnforcer(store, { num: 3, sizeMs: 1000 });
  // 4000 bytes over the 2 s the rate divides by at least = 2000 B/s: (2000 - 1000) / 1000 × 2000 ms.
  assert.equal(e.recordAndThrottle('produce', '', 'w', 4000, 0).throttleMs, 2000);
  // Three samples later the first has expired: the same send is within the quota again.
  assert.equal(e.recordAndThrottle('produce', '', 'w', 0, 3000).throttleMs, 0);
  // Request throttles are capped at one sample (quota.window.size.seconds), here 1 s.
  assert.equal(e.recordAndThrottle('request', '', 'w', 5_000, 0).throttleMs, 1000);
  // The largest fetch that passes an empty window: 100 B/s × 2 s.
  assert.equal(e.maxFetchBytes('', 'w'), 200);
  assert.equal(e.recordFetch('', 'w', 200, 0).send, true);
  // 200 more would be 200 B/s: empty, until the first sample has expired, 3 s after it began.
  assert.deepEqual(e.recordFetch('', 'w', 200, 10), { throttleMs: 2990, user: '', clientId: 'w', send: false });
  const wide = new QuotaEnforcer(store, { num: 2, sizeMs: 5000 });
  // Two samples of 5 s: the rate divides by 5 s at least.
  assert.equal(wide.recordAndThrottle('produce', '', 'w', 10_000, 0).throttleMs, 5000);
  assert.equal(wide.maxFetchBytes('', 'w'), 500);
});
