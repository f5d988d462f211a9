import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bucketBound, bucketOf, EMPTY_LATENCY, LatencyHistogram, latencyBetween, latencyQuantile, mergeLatency } from '../../src/workload/latency.ts';

describe('acknowledge latency histogram', () => {
  test('buckets are 10% wide from 0.1 ms; a bound stays in its own bucket', () => {
    assert.equal(bucketOf(0), 0);
    assert.equal(bucketOf(0.05), 0);
    assert.equal(bucketOf(0.1), 0);
    assert.equal(bucketOf(0.105), 1);
    assert.equal(bucketOf(0.11), 1);
    assert.equal(bucketOf(0.111), 2);
    assert.equal(bucketOf(1), 25);
    for (const i of [1, 10, 50, 120]) assert.equal(bucketOf(bucketBound(i)), i, `bound of bucket ${i}`);
    // Ten minutes and beyond share the last bucket.
    assert.equal(bucketOf(3_600_000), 164);
    assert.ok(bucketBound(164) > 600_000 && bucketBound(163) < 600_000);
  });

  test('a quantile is the bound of the bucket holding its rank: at most 10% above the value', () => {
    for (const ms of [0.3, 1, 7.5, 42, 250, 1234, 60_000]) {
      const h = new LatencyHistogram();
      h.record(ms);
      const q = latencyQuantile(h.snapshot(), 0.99)!;
      assert.ok(q >= ms && q <= ms * 1.1, `${ms} ms reads as ${q} ms`);
    }
  });

  test('p50, p99 and p100 of 99 fast messages and one slow one', () => {
    const h = new LatencyHistogram();
    h.record(1, 99);
    h.record(500);
    const s = h.snapshot();
    assert.equal(s.count, 100);
    assert.equal(s.sumMs, 599);
    assert.equal(latencyQuantile(s, 0.5), bucketBound(25));
    assert.equal(latencyQuantile(s, 0.99), bucketBound(25));
    assert.equal(latencyQuantile(s, 1), bucketBound(bucketOf(500)));
    assert.equal(latencyQuantile(EMPTY_LATENCY, 0.99), undefined);
  });

  test('a snapshot is a copy, and two snapshots subtract into what was recorded between them', () => {
    const h = new LatencyHistogram();
    h.record(2, 10);
    const before = h.snapshot();
    h.record(300, 4);
    h.record(2, 6);
    const after = h.snapshot();
    assert.equal(before.count, 10);
    const between = latencyBetween(after, before);
    assert.equal(between.count, 10);
    assert.equal(between.sumMs, 1212);
    assert.equal(between.counts[bucketOf(2)], 6);
    assert.equal(between.counts[bucketOf(300)], 4);
    assert.equal(latencyQuantile(between, 0.6), bucketBound(bucketOf(2)));
    assert.equal(latencyQuantile(between, 0.61), bucketBound(bucketOf(300)));
    assert.deepEqual(latencyBetween(after, EMPTY_LATENCY), after);
  });

  test('merged producers count together; nothing recorded for zero messages', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    a.record(5, 3);
    b.record(50, 1);
    b.record(50, 0);
    const merged = mergeLatency([a.snapshot(), b.snapshot()]);
    assert.equal(merged.count, 4);
    assert.equal(merged.sumMs, 65);
    assert.equal(latencyQuantile(merged, 0.75), bucketBound(bucketOf(5)));
    assert.equal(latencyQuantile(merged, 0.99), bucketBound(bucketOf(50)));
    assert.deepEqual(mergeLatency([]), { counts: [], count: 0, sumMs: 0 });
  });
});
