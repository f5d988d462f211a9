import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundMoves, MovableReplicas } from '../../src/balance/candidates.ts';

// Six partitions: group, bytes in and size each; partition 4's ISR is short (not movable).
const partition = {
  group: Int32Array.from([0, 0, 1, 0, 0, 0]),
  bytesIn: Float64Array.from([10, 20, 30, 40, 50, 60]),
  disk: Float64Array.from([100, 200, 300, 400, 500, 600]),
};
const movable = Uint8Array.from([1, 1, 1, 1, 0, 1]);
const live = (m: MovableReplicas, b: number): number[] => [...m.of(b).subarray(0, m.length(b))];

test('movable replicas: hosted and whole-ISR partitions in order, holes on removal, compacted with their attributes aligned', () => {
  const m = new MovableReplicas([new Set([0, 1, 2, 3, 4, 5]), new Set([5, 1])], movable, partition);
  assert.deepEqual(live(m, 0), [0, 1, 2, 3, 5]);
  assert.deepEqual(live(m, 1), [5, 1]);
  m.remove(0, 1);
  m.remove(0, 4); // not on the list (short ISR): nothing changes
  assert.deepEqual(live(m, 0), [0, -1, 2, 3, 5]);
  m.remove(0, 0);
  // Three holes of five: compacted, the rest in the same order, each with its own group, bytes in and size.
  m.remove(0, 3);
  assert.deepEqual(live(m, 0), [2, 5]);
  assert.deepEqual([...m.groupsOf(0).subarray(0, 2)], [1, 0]);
  assert.deepEqual([...m.bytesInOf(0).subarray(0, 2)], [30, 60]);
  assert.deepEqual([...m.diskOf(0).subarray(0, 2)], [300, 600]);
  m.remove(0, 5);
  assert.deepEqual(live(m, 0), [2, -1]);
  assert.deepEqual(live(m, 1), [5, 1]);
});

test('boundMoves: only the group\'s replicas that would improve the goal, bounded by improvement per byte moved', () => {
  const m = new MovableReplicas([new Set([0, 1, 2, 3, 5])], movable, partition);
  const partitions = new Int32Array(5);
  const bounds = new Float64Array(5);
  // Balance of bytes in: source at 150, coldest at 90, mean 100. Moving x helps while x < 60.
  const q = { group: 0, from: 150, coldest: 90, mean: 100, limit: Infinity, cost: 100, amounts: m.bytesInOf(0), amountOf: () => 0 };
  const n = boundMoves(m, 0, q, partitions, bounds);
  assert.deepEqual([...partitions.subarray(0, n)], [0, 1, 3]);
  // −Δ / (size + cost), Δ = 2x(ld − ls + x) / mean²: x = 10 → 0.1 / 200, x = 20 → 0.16 / 300, x = 40 → 0.16 / 500.
  const round = (xs: Iterable<number>): number[] => [...xs].map((b) => Number(b.toPrecision(12)));
  assert.deepEqual(round(bounds.subarray(0, n)), round([0.1 / 200, 0.16 / 300, 0.16 / 500]));
  // Capacity of bytes in, limit 120 (the source is 30 over): the total excess falls by 10, 20 and
  // 20 (40 puts the coldest 10 over); partition 5 (60) would leave it at 30.
  const c = boundMoves(m, 0, { ...q, mean: null, limit: 120 }, partitions, bounds);
  assert.deepEqual([...partitions.subarray(0, c)], [0, 1, 3]);
  assert.deepEqual(round(bounds.subarray(0, c)), round([10 / 200, 20 / 300, 20 / 500]));
});
