/** Guardrails, batching, progress and blackout windows of an execution, pure. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchBlocked, hourlyAllowance, nextBatch, unhealthyPartitions } from '../../../src/balance/execute/guards.ts';
import { partitionKey, settleMoves } from '../../../src/balance/execute/progress.ts';
import { blackoutAt, parseBlackout } from '../../../src/balance/execute/windows.ts';
import type { MoveRecord, MoveState } from '../../../src/balance/execute/types.ts';

const HOUR = 3_600_000;

function m(seq: number, before: number[], after: number[], state: MoveState = 'pending', startedAt: number | null = null): MoveRecord {
  return { seq, topic: 't', partition: seq, replicasBefore: before, replicasAfter: after, leaderBefore: before[0]!, bytes: 1, state, startedAt, finishedAt: null, error: null };
}

test('unhealthy: offline and under-replicated partitions; a replica being added does not count', () => {
  const parts = [
    { topic: 'a', partition: 0, leader: 1, replicas: [1, 2], isr: [1, 2] },
    { topic: 'a', partition: 1, leader: -1, replicas: [1, 2], isr: [] },
    { topic: 'a', partition: 2, leader: 1, replicas: [1, 2], isr: [1] },
    { topic: 'b', partition: 0, leader: 1, replicas: [3, 1, 2], isr: [1, 2] },
  ];
  assert.deepEqual(unhealthyPartitions(parts, new Map([[partitionKey('b', 0), [3]]])), ['a-1 is offline', 'a-2 is under-replicated (replicas 1,2, ISR 1)']);
});

test('batches: at most perBroker moves in flight per broker (leader before and new replicas), maxInFlight in all, within the hourly allowance', () => {
  const moves = [m(0, [1, 2], [3, 2], 'in-flight', 0), m(1, [1, 4], [5, 4]), m(2, [6], [3]), m(3, [7], [8]), m(4, [2, 1], [1, 2]), m(5, [9], [10])];
  assert.deepEqual(nextBatch(moves, { perBroker: 1, maxInFlight: 10, allowance: 10 }), [3, 4, 5], 'broker 1 and 3 are busy; a reorder occupies nothing');
  assert.deepEqual(nextBatch(moves, { perBroker: 2, maxInFlight: 10, allowance: 10 }), [1, 2, 3, 4, 5]);
  assert.deepEqual(nextBatch(moves, { perBroker: 2, maxInFlight: 3, allowance: 10 }), [1, 2]);
  assert.deepEqual(nextBatch(moves, { perBroker: 2, maxInFlight: 10, allowance: 1 }), [1]);
  assert.equal(hourlyAllowance([m(0, [1], [2], 'done', 10 * HOUR - HOUR), m(1, [1], [2], 'done', 10 * HOUR - HOUR + 1), m(2, [1], [2], 'in-flight', 10 * HOUR)], 10 * HOUR, 5), 3);
});

test('blocked: blackout first, then the hourly cap, then unhealthy partitions (three named)', () => {
  const at = Date.UTC(2024, 2, 11, 9, 30); // a Monday
  const base = { now: at, blackout: [], allowance: 1, maxPerHour: 10, unhealthy: [] as string[] };
  assert.equal(batchBlocked(base), null);
  assert.equal(batchBlocked({ ...base, blackout: ['* 9-17 * * 1-5'] }), 'in the blackout window "* 9-17 * * 1-5"');
  assert.equal(batchBlocked({ ...base, allowance: 0 }), '10 moves started in the last hour (balance.execution.maxMovesPerHour)');
  assert.equal(batchBlocked({ ...base, unhealthy: ['a', 'b', 'c', 'd'] }), '4 partition(s) under-replicated or offline: a; b; c; …');
});

test('blackout windows: daily ranges (wrapping midnight) and cron, in UTC; bad ones name what was expected', () => {
  const at = (h: number, min: number, day = 11): number => Date.UTC(2024, 2, day, h, min);
  const night = parseBlackout('22:00-06:00');
  assert.ok(typeof night !== 'string');
  assert.deepEqual([at(21, 59), at(22, 0), at(3, 0), at(5, 59), at(6, 0)].map((t) => night.contains(t)), [false, true, true, true, false]);
  assert.equal(blackoutAt(['12:00-13:00', '*/15 * * * 0'], at(12, 30)), '12:00-13:00');
  assert.deepEqual([at(8, 15, 10), at(8, 16, 10), at(8, 15, 11)].map((t) => blackoutAt(['*/15 * * * 0'], t)), ['*/15 * * * 0', undefined, undefined], 'Sunday 10 March, every 15 min');
  assert.equal(blackoutAt(['0 0 1 * 1'], at(0, 0, 11)), '0 0 1 * 1', 'day of month or day of week when both are set');
  assert.equal(parseBlackout('25:00-26:00'), '"25:00-26:00": expected HH:MM-HH:MM (UTC) or a cron expression of 5 fields (minute hour day-of-month month day-of-week)');
  assert.equal(parseBlackout('* 25 * * *'), '"* 25 * * *": hour "25": expected values from 0 to 23, low before high');
  assert.equal(parseBlackout('10:00-10:00'), '"10:00-10:00": the range is empty');
});

test('settling: a move no longer reassigning is done at its target, failed otherwise; pending moves on a changed placement fail', () => {
  const moves = [m(0, [1], [2], 'in-flight', 0), m(1, [1], [2], 'in-flight', 0), m(2, [1], [2], 'in-flight', 0), m(3, [1, 2], [3, 2]), m(4, [1], [3]), m(5, [1], [2], 'in-flight', 0), m(6, [1, 2], [2, 3])];
  const replicas = new Map([[partitionKey('t', 0), [2]], [partitionKey('t', 1), [1]], [partitionKey('t', 2), [2, 1]], [partitionKey('t', 3), [2, 1]], [partitionKey('t', 4), [3]], [partitionKey('t', 5), [2, 1]], [partitionKey('t', 6), [5, 6]]]);
  const out = settleMoves(moves, new Set([partitionKey('t', 5)]), replicas, 9);
  assert.deepEqual(out.map((x) => [x.state, x.error]), [
    ['done', null],
    ['failed', 'the reassignment ended with replicas 1, not the target 2'],
    ['in-flight', null],
    ['pending', null],
    ['done', null],
    ['in-flight', null],
    ['failed', 'the placement changed since the plan: replicas 5,6, planned from 1,2'],
  ]);
});
