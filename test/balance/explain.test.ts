/** A plan's explanation, exact: each move's reason with its numbers, and a plan that does nothing says why. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainPlan } from '../../src/balance/explain.ts';
import { formatSeconds } from '../../src/balance/format.ts';
import { planBalance } from '../../src/balance/plan.ts';
import { brokers, config, part } from './support.ts';

test('a one-move plan explains the move, the reassignment and every broker before and after', () => {
  const model = { brokers: brokers(1, 2), partitions: [part('orders', 0, [1], 6, 0, 1024), part('orders', 1, [1], 2, 0, 1024), part('orders', 2, [2], 4, 0, 1024)] };
  const text = explainPlan(planBalance(model, config(), { mode: 'incremental', maxMoves: 1 }));
  assert.equal(text, [
    'Plan (incremental): 1 move, 1.0 GiB to copy, about 21s at 50.0 MiB/s per broker.',
    '  balanced: max/min bytes in 2.00× → 1.00× within group default',
    'Moves:',
    '  1. orders-1: replica 1 → 2 (balance of bytes in within group default): relieves broker 1 of 2.0 MiB/s bytes in (it carried 8.0 MiB/s, 1.33× the group mean 6.0 MiB/s); broker 1 8.0 MiB/s → 6.0 MiB/s, broker 2 4.0 MiB/s → 6.0 MiB/s; copies 1.0 GiB',
    'Reassignments (new replicas join the ISR before old ones leave, so no ISR shrinks):',
    '  orders-1: [1] → [2] (adding 2, removing 1, leader 1 → 2)',
    'Brokers (before → predicted after):',
    '  broker 1 (default): bytes in 8.0 MiB/s → 6.0 MiB/s; bytes out 0 B/s → 0 B/s; disk 2.0 GiB → 1.0 GiB; leaders 2 → 1; replicas 2 → 1',
    '  broker 2 (default): bytes in 4.0 MiB/s → 6.0 MiB/s; bytes out 0 B/s → 0 B/s; disk 1.0 GiB → 2.0 GiB; leaders 1 → 2; replicas 1 → 2',
    '',
  ].join('\n'));
});

test('doing nothing is explained', () => {
  const model = { brokers: brokers(1, 2), partitions: [part('orders', 0, [1, 2], 5, 5), part('orders', 1, [2, 1], 5, 5)] };
  const text = explainPlan(planBalance(model, config({ groups: [{ name: 'core', brokers: [1, 2], topics: ['orders'] }] }), { mode: 'full' }));
  assert.equal(text.split('\n').slice(0, 2).join('\n'), 'Plan (full): no moves.\n  balanced: max/min bytes in 1.00× within group core');
});

test('durations read as people say them', () => {
  assert.deepEqual([formatSeconds(20.5), formatSeconds(60), formatSeconds(750), formatSeconds(7500)], ['21s', '1m', '12m30s', '2h5m']);
});
