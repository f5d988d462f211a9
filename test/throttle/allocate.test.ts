/** Allocation on worked examples: floors, priorities, weights, water-filling, headroom, ceilings. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allocate, waterFill, type GroupPolicy } from '../../src/throttle/allocate.ts';

const MB = 1_000_000;
const groups: GroupPolicy[] = [
  { name: 'core', priority: 3, weight: 4, floor: 10 * MB, ceiling: Infinity },
  { name: 'high', priority: 2, weight: 2, floor: 5 * MB, ceiling: Infinity },
  { name: 'general', priority: 1, weight: 1, floor: 1 * MB, ceiling: 40 * MB },
];

test('water-filling: small wants are met in full, the rest share the remainder by weight', () => {
  assert.deepEqual(waterFill(100, [{ want: 10, weight: 1 }, { want: 100, weight: 1 }, { want: 100, weight: 2 }]), [10, 30, 60]);
  assert.deepEqual(waterFill(100, [{ want: 20, weight: 1 }, { want: 30, weight: 1 }]), [20, 30]);
  assert.deepEqual(waterFill(0, [{ want: 20, weight: 1 }]), [0]);
  assert.deepEqual(waterFill(90, [{ want: 0, weight: 1 }, { want: 100, weight: 1 }, { want: 100, weight: 0 }]), [0, 90, 0]);
});

test('a noisy general client is limited while core and high get their full demand; floors hold', () => {
  const r = allocate(100 * MB, groups, [
    { entity: 'user=orders', group: 'core', demand: 30 * MB },
    { entity: 'user=billing', group: 'high', demand: 20 * MB },
    { entity: 'user=batch', group: 'general', demand: 200 * MB },
    { entity: 'user=reports', group: 'general', demand: 10 * MB },
  ]);
  assert.deepEqual(r.clients.map((c) => [c.entity, c.allocation / MB, c.quota / MB, c.limited]), [
    ['user=orders', 30, 30, false],
    ['user=billing', 20, 20, false],
    // 100 − 30 − 20 = 50 for general: reports wants 10 (met), batch gets the other 40 (its ceiling).
    ['user=batch', 40, 40, true],
    ['user=reports', 10, 10, false],
  ]);
  assert.equal(r.allocated, 100 * MB);
  assert.equal(r.spare, 0);
  assert.equal(r.floorsOversubscribed, false);
});

test('within one priority, shares follow weights; a lower priority keeps only its floor when capacity runs out', () => {
  const r = allocate(60 * MB, [
    { name: 'a', priority: 2, weight: 1, floor: 0, ceiling: Infinity },
    { name: 'b', priority: 2, weight: 3, floor: 0, ceiling: Infinity },
    { name: 'c', priority: 1, weight: 1, floor: 2 * MB, ceiling: Infinity },
  ], [
    { entity: 'a1', group: 'a', demand: 50 * MB },
    { entity: 'b1', group: 'b', demand: 50 * MB },
    { entity: 'c1', group: 'c', demand: 50 * MB },
  ]);
  // Floors first: c1 gets 2; the 58 left go to priority 2 by weight 1:3 (14.5 and 43.5).
  assert.deepEqual(r.clients.map((c) => [c.entity, c.allocation / MB, c.quota / MB]), [['a1', 14.5, 14.5], ['b1', 43.5, 43.5], ['c1', 2, 2]]);
});

test('spare capacity becomes burst headroom by weight, up to ceilings; quotas never below the floor nor zero', () => {
  const r = allocate(100 * MB, groups, [
    { entity: 'core1', group: 'core', demand: 10 * MB },
    { entity: 'gen1', group: 'general', demand: 0 },
  ]);
  // Demands: 10 + 0; spare 90 shared 4:1 → core1 +72, gen1 +18.
  assert.deepEqual(r.clients.map((c) => [c.entity, c.allocation / MB, c.quota / MB, c.limited]), [['core1', 10, 82, false], ['gen1', 0, 18, false]]);
  assert.equal(r.spare, 90 * MB);
  const tight = allocate(5 * MB, groups, [{ entity: 'core1', group: 'core', demand: 50 * MB }, { entity: 'gen1', group: 'general', demand: 50 * MB }]);
  assert.equal(tight.floorsOversubscribed, true);
  assert.deepEqual(tight.clients.map((c) => c.quota / MB), [10, 1]);
  const zeroFloor = allocate(0, [{ name: 'z', priority: 1, weight: 1, floor: 0, ceiling: Infinity }], [{ entity: 'z1', group: 'z', demand: 10 }]);
  assert.equal(zeroFloor.clients[0]!.quota, 1, 'never zero');
  assert.throws(() => allocate(1, groups, [{ entity: 'x', group: 'nope', demand: 1 }]), /client x: unknown group "nope"/);
});
