/**
 * The per-partition load model: bytes in from log-end-offset growth × average message size,
 * bytes out from each group's committed-offset movement, per partition (key skew shows), reduced
 * to the peak statistic.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { partitionLoad, peakOf, type Series } from '../../src/balance/load.ts';

const T0 = 1_800_000_000_000;
const MIN = 60_000;

/** A counter sampled each minute for `n` minutes, growing `perMinute(i)` in minute i. */
function counter(n: number, perMinute: (i: number) => number): Series {
  const ts: number[] = [];
  const values: number[] = [];
  let v = 0;
  for (let i = 0; i <= n; i++) {
    ts.push(T0 + i * MIN);
    values.push(v);
    v += perMinute(i);
  }
  return { ts, values };
}

const constant = (n: number, value: number): Series => ({ ts: Array.from({ length: n + 1 }, (_, i) => T0 + i * MIN), values: Array.from({ length: n + 1 }, () => value) });

test('partitions of one topic keep their own rates (key skew is not split evenly)', () => {
  const opts = { statistic: 'p95', from: T0, to: T0 + 10 * MIN, stepMs: MIN };
  // 100-byte messages: 600 KB retained over 6000 messages.
  const hot = partitionLoad({ topic: 'orders', partition: 0, endOffsets: counter(10, () => 600), startOffsets: constant(10, 0), logSize: constant(10, 600_000) }, opts);
  const cold = partitionLoad({ topic: 'orders', partition: 1, endOffsets: counter(10, () => 60), startOffsets: constant(10, 0), logSize: constant(10, 60_000) }, opts);
  assert.deepEqual(hot, { topic: 'orders', partition: 0, bytesIn: 1000, bytesOut: 0, diskBytes: 600_000, messageBytes: 100 });
  assert.deepEqual(cold, { topic: 'orders', partition: 1, bytesIn: 100, bytesOut: 0, diskBytes: 60_000, messageBytes: 100 });
});

test('bytes out sums the groups\' committed-offset movement per step, × message size', () => {
  const opts = { statistic: 'max', from: T0, to: T0 + 10 * MIN, stepMs: MIN };
  const load = partitionLoad({
    topic: 'orders', partition: 0, endOffsets: counter(10, () => 600), startOffsets: constant(10, 0), logSize: constant(10, 600_000),
    committed: [{ group: 'billing', offsets: counter(10, () => 300) }, { group: 'audit', offsets: counter(10, (i) => (i === 4 ? 600 : 0)) }],
  }, opts);
  // billing 5 msg/s all along; audit 10 msg/s in minute 4 only: the peak of the sum is 15 msg/s × 100 B.
  assert.equal(load.bytesOut, 1500);
});

test('a daily peak: p95 sees the peak hours, the mean spreads them over the day', () => {
  const hours = 24;
  const end: Series = { ts: Array.from({ length: hours + 1 }, (_, i) => T0 + i * 3_600_000), values: Array.from({ length: hours + 1 }, (_, i) => Math.max(0, Math.min(i, 20) - 16) * 600 * 3600) };
  const e = { topic: 'clicks', partition: 0, endOffsets: end, startOffsets: { ts: [T0], values: [0] }, logSize: { ts: [T0 + hours * 3_600_000], values: [4 * 600 * 3600] } };
  const opts = { from: T0, to: T0 + hours * 3_600_000, stepMs: 3_600_000 };
  assert.equal(partitionLoad(e, { ...opts, statistic: 'p95' }).bytesIn, 600);
  assert.equal(partitionLoad(e, { ...opts, statistic: 'mean' }).bytesIn, 100);
});

test('without offsets, bytes in is log-size growth; retention deletes are not growth', () => {
  const size: Series = { ts: [T0, T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN], values: [1000, 61_000, 31_000, 91_000] };
  const load = partitionLoad({ topic: 't', partition: 0, logSize: size }, { statistic: 'max', from: T0, to: T0 + 3 * MIN, stepMs: MIN });
  assert.equal(load.bytesIn, 1000);
  assert.equal(load.diskBytes, 91_000);
  assert.equal(load.messageBytes, null);
});

test('peakOf interpolates between ranks', () => {
  assert.equal(peakOf([1, 2, 3, 4, 5], 'p50'), 3);
  assert.equal(peakOf([0, 10], 'p95'), 9.5);
  assert.equal(peakOf([], 'p95'), 0);
  assert.equal(peakOf([4, 1], 'mean'), 2.5);
});
