/** Label sets reused across cycles: the same object for the same values, forgotten after two idle cycles. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LabelInterner } from '../../src/collect/intern.ts';

test('the same values give the same frozen-shape label set, with the labels in order', () => {
  const labels = new LabelInterner('east', 'group', 'topic');
  const a = labels.twoPartition('billing', 'orders', 3);
  assert.deepEqual(Object.entries(a), [['cluster', 'east'], ['group', 'billing'], ['topic', 'orders'], ['partition', '3']]);
  assert.equal(labels.twoPartition('billing', 'orders', 3), a);
  assert.notEqual(labels.twoPartition('billing', 'orders', 4), a);
  assert.deepEqual(labels.one('billing'), { cluster: 'east', group: 'billing' });
  assert.deepEqual(labels.two('billing', 'orders'), { cluster: 'east', group: 'billing', topic: 'orders' });
  const topics = new LabelInterner('east', 'topic');
  assert.deepEqual(Object.entries(topics.onePartition('orders', 0)), [['cluster', 'east'], ['topic', 'orders'], ['partition', '0']]);
});

test('a first value not looked up for two whole cycles is forgotten; one used every cycle is kept', () => {
  const labels = new LabelInterner('east', 'group', 'topic');
  const kept = labels.one('kept');
  labels.one('gone');
  assert.equal(labels.size, 2);
  labels.rotate();
  labels.one('kept');
  labels.rotate(); // 'gone' was last used two cycles ago, but the sweep keeps the cycle before
  labels.one('kept');
  assert.equal(labels.size, 2);
  labels.rotate();
  assert.equal(labels.size, 1);
  assert.equal(labels.one('kept'), kept);
  assert.notEqual(labels.one('gone'), undefined);
  assert.equal(labels.size, 2);
});
