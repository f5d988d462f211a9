/**
 * Burrow's JSON from hand-made windows: `complete` printed as Go prints a float32, windows padded
 * with null to their length, partitions without commits, `/status` keeping only partitions not OK.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { consumerTopicsJson, float32, groupStatusJson } from '../../src/api/burrow/json.ts';
import { evaluateGroup, type GroupPartitionWindow } from '../../src/collect/lag/burrow.ts';

test('float32: the shortest decimal that reads back as the same float32, as Go writes it', () => {
  assert.deepEqual([1 / 3, 2 / 3, 0.2, 0.1, 0.7, 1, 0, 1 / 7].map(float32), [0.33333334, 0.6666667, 0.2, 0.1, 0.7, 1, 0, 0.14285715]);
});

const windows: GroupPartitionWindow[] = [
  {
    topic: 'orders', partition: 0,
    window: { capacity: 3, logEndOffsets: [40, 50], commits: [{ offset: 30, timestampMs: 1000, lag: 10 }, { offset: 35, timestampMs: 2000, lag: 15 }] },
  },
  { topic: 'orders', partition: 2, window: { capacity: 3, logEndOffsets: [9], commits: [] } },
];

test('consumer detail: each partition by index, its window padded at the front with null', () => {
  const owner = (topic: string, partition: number) => (partition === 0 ? { owner: '/10.0.0.7', clientId: `${topic}-app` } : undefined);
  assert.deepEqual(consumerTopicsJson(windows, owner), {
    orders: [
      { offsets: [null, { offset: 30, timestamp: 1000, lag: 10 }, { offset: 35, timestamp: 2000, lag: 15 }], owner: '/10.0.0.7', client_id: 'orders-app', 'current-lag': 15 },
      { offsets: [], owner: '', client_id: '', 'current-lag': 0 },
      { offsets: [], owner: '', client_id: '', 'current-lag': 0 },
    ],
  });
});

test('group status: every partition with showAll, only those not OK without', () => {
  // Two commits 1 s apart, lag rising, evaluated 1 s after the last: WARN.
  const evaluation = evaluateGroup(windows, 3000);
  const owner = () => undefined;
  const all = groupStatusJson('east', 'billing', evaluation, { showAll: true, source: 'polled', owner });
  const p0 = { topic: 'orders', partition: 0, owner: '', client_id: '', status: 'WARN', start: { offset: 30, timestamp: 1000, lag: 10 }, end: { offset: 35, timestamp: 2000, lag: 15 }, current_lag: 15, complete: 0.6666667 };
  const p2 = { topic: 'orders', partition: 2, owner: '', client_id: '', status: 'OK', start: null, end: null, current_lag: 0, complete: 0 };
  assert.deepEqual(all, { cluster: 'east', group: 'billing', status: 'WARN', complete: 0, partitions: [p0, p2], partition_count: 2, maxlag: p0, totallag: 15, commit_source: 'polled' });
  assert.deepEqual(groupStatusJson('east', 'billing', evaluation, { showAll: false, source: 'polled', owner }).partitions, [p0]);
});
