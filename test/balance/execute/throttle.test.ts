/** The throttle of an execution, pure: sizing from headroom, the configs moves need, and the changes from what is set. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { desiredThrottle, sizeThrottle, throttleChanges, withBrokers, withTopics } from '../../../src/balance/execute/throttle.ts';
import type { ExecutionRecord, MoveRecord, ThrottleSizing } from '../../../src/balance/execute/types.ts';
import { RESIZE_MS, sizeFor } from '../../../src/balance/execute/apply-throttle.ts';
import { executionConfigSchema } from '../../../src/balance/execute/config.ts';
import { counterRate, ratesByBroker } from '../../../src/balance/execute/traffic.ts';

const MIB = 2 ** 20;
const capacity = { bytesInPerSec: 100 * MIB, bytesOutPerSec: 200 * MIB, utilization: 0.8 };

function inFlight(topic: string, partition: number, before: number[], after: number[]): MoveRecord {
  return { seq: partition, topic, partition, replicasBefore: before, replicasAfter: after, leaderBefore: before[0]!, bytes: 0, state: 'in-flight', startedAt: 0, finishedAt: null, error: null };
}

test('sizing: capacity × utilization minus measured clients, within floor and ceiling, explained per broker', () => {
  const s = sizeThrottle({
    at: 5, brokers: [3, 1, 2], capacity, floor: 10 * MIB, ceiling: 100 * MIB, override: null,
    traffic: new Map([[1, { in: 30 * MIB, out: 50 * MIB }], [2, { in: 75 * MIB, out: 10 * MIB }]]),
  });
  assert.deepEqual(s.brokers, [
    { broker: 1, leaderRate: 100 * MIB, followerRate: 50 * MIB, clientIn: 30 * MIB, clientOut: 50 * MIB },
    { broker: 2, leaderRate: 100 * MIB, followerRate: 10 * MIB, clientIn: 75 * MIB, clientOut: 10 * MIB },
    { broker: 3, leaderRate: 100 * MIB, followerRate: 80 * MIB, clientIn: null, clientOut: null },
  ]);
  assert.deepEqual(s.explanation, [
    'broker 1: clients 30.0 MiB/s in, 50.0 MiB/s out; leader 100.0 MiB/s = out 200.0 MiB/s × 0.8 − clients, held to the ceiling 100.0 MiB/s; follower 50.0 MiB/s = in 100.0 MiB/s × 0.8 − clients',
    'broker 2: clients 75.0 MiB/s in, 10.0 MiB/s out; leader 100.0 MiB/s = out 200.0 MiB/s × 0.8 − clients, held to the ceiling 100.0 MiB/s; follower 10.0 MiB/s = in 100.0 MiB/s × 0.8 − clients, raised to the floor 10.0 MiB/s',
    'broker 3: no client traffic recorded (taken as 0); leader 100.0 MiB/s = out 200.0 MiB/s × 0.8 − clients, held to the ceiling 100.0 MiB/s; follower 80.0 MiB/s = in 100.0 MiB/s × 0.8 − clients',
  ]);
  const o = sizeThrottle({ at: 5, brokers: [1], capacity, floor: 10 * MIB, ceiling: 100 * MIB, override: 1234, traffic: new Map() });
  assert.deepEqual([o.brokers, o.explanation], [[{ broker: 1, leaderRate: 1234, followerRate: 1234, clientIn: null, clientOut: null }], ['rate set by an operator: 1.2 KiB/s on every broker, leader and follower side']]);
});

test('desired: leader rate on every current replica, follower rate on new ones, lists per topic sorted; a reorder needs nothing', () => {
  const sizing = sizeThrottle({ at: 0, brokers: [0, 1, 2, 3], capacity, floor: 1, ceiling: 1000, override: null, traffic: new Map([[2, { in: 0, out: 0 }]]) });
  const d = desiredThrottle([inFlight('b', 3, [0, 1], [1, 2]), inFlight('a', 10, [2], [3]), inFlight('a', 2, [1, 0], [0, 1])], sizing);
  assert.deepEqual(d, {
    brokers: [
      { broker: 0, leaderRate: 1000, followerRate: null },
      { broker: 1, leaderRate: 1000, followerRate: null },
      { broker: 2, leaderRate: 1000, followerRate: 1000 },
      { broker: 3, leaderRate: null, followerRate: 1000 },
    ],
    topics: [{ topic: 'a', leader: ['10:2'], follower: ['10:3'] }, { topic: 'b', leader: ['3:0', '3:1'], follower: ['3:2'] }],
  });
});

test('changes: set what is new, append new items, subtract and restore what is no longer needed, keep previous values', () => {
  const applied = withBrokers({
    brokers: [{ broker: 0, leaderRate: 500, followerRate: null, previous: {} }, { broker: 1, leaderRate: null, followerRate: 500, previous: { 'follower.replication.throttled.rate': '77' } }],
    topics: [{ topic: 't', leader: ['0:0'], follower: ['0:1'] }],
  }, new Map([[2, {}]]));
  const desired = { brokers: [{ broker: 0, leaderRate: 600, followerRate: null }, { broker: 2, leaderRate: null, followerRate: 600 }], topics: [{ topic: 't', leader: ['0:0', '1:0'], follower: ['1:2'] }] };
  const ch = throttleChanges(applied, desired, false);
  assert.deepEqual(ch.brokers, [
    { broker: 0, changes: [{ name: 'leader.replication.throttled.rate', op: 'set', value: '600' }] },
    { broker: 1, changes: [{ name: 'follower.replication.throttled.rate', op: 'set', value: '77' }] },
    { broker: 2, changes: [{ name: 'follower.replication.throttled.rate', op: 'set', value: '600' }] },
  ]);
  assert.deepEqual(ch.topics, [{ topic: 't', changes: [
    { name: 'leader.replication.throttled.replicas', op: 'append', value: '1:0' },
    { name: 'follower.replication.throttled.replicas', op: 'append', value: '1:2' },
    { name: 'follower.replication.throttled.replicas', op: 'subtract', value: '0:1' },
  ] }]);
  assert.deepEqual(ch.emptied, []);
  assert.deepEqual(ch.during.topics, [{ topic: 't', leader: ['0:0', '1:0'], follower: ['0:1', '1:2'] }], 'during: the union');
  assert.deepEqual(ch.during.brokers.map((b) => [b.broker, b.leaderRate, b.followerRate]), [[0, 600, null], [1, null, 500], [2, null, 600]]);
  assert.deepEqual(ch.after, {
    brokers: [{ broker: 0, leaderRate: 600, followerRate: null, previous: {} }, { broker: 2, leaderRate: null, followerRate: 600, previous: {} }],
    topics: [{ topic: 't', leader: ['0:0', '1:0'], follower: ['1:2'] }],
  });

  const end = throttleChanges(ch.after, { brokers: [], topics: [] }, false);
  assert.deepEqual(end.brokers, [
    { broker: 0, changes: [{ name: 'leader.replication.throttled.rate', op: 'delete' }] },
    { broker: 2, changes: [{ name: 'follower.replication.throttled.rate', op: 'delete' }] },
  ]);
  assert.deepEqual(end.topics, [{ topic: 't', changes: [
    { name: 'leader.replication.throttled.replicas', op: 'subtract', value: '0:0,1:0' },
    { name: 'follower.replication.throttled.replicas', op: 'subtract', value: '1:2' },
  ] }]);
  assert.deepEqual(end.emptied, [{ topic: 't', names: ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas'] }]);
  assert.deepEqual(end.after, { brokers: [], topics: [] });
  assert.equal(throttleChanges(ch.after, desired, false).brokers.length, 0, 'nothing to send when the cluster holds what is needed');
  assert.deepEqual(throttleChanges(ch.after, desired, true).brokers.map((b) => b.broker), [0, 2], 'full: everything needed is sent again');
});

test('changes: items someone else listed before are neither appended as Sluice\'s nor taken away, and a list of theirs is not deleted', () => {
  const L = 'leader.replication.throttled.replicas';
  const F = 'follower.replication.throttled.replicas';
  // Topic a lists 0:0 (needed by the move too) and 9:9 on its leader side; b throttles every replica on the follower side.
  const base = withTopics({ brokers: [], topics: [] }, ['b', 'a', 'c'], new Map<string, Record<string, string>>([['a', { [L]: '0:0,9:9', [F]: '' }], ['b', { [F]: '*' }]]));
  assert.deepEqual(base.topics, [
    { topic: 'a', leader: [], follower: [], foreign: { leader: ['0:0', '9:9'], follower: [] } },
    { topic: 'b', leader: [], follower: [], foreign: { leader: [], follower: ['*'] } },
    { topic: 'c', leader: [], follower: [], foreign: { leader: [], follower: [] } },
  ]);
  const desired = { brokers: [], topics: [
    { topic: 'a', leader: ['0:0', '0:1'], follower: ['0:2'] },
    { topic: 'b', leader: ['0:0'], follower: ['0:2'] },
    { topic: 'c', leader: ['0:0'], follower: ['0:2'] },
  ] };
  const ch = throttleChanges(base, desired, false);
  assert.deepEqual(ch.topics, [
    { topic: 'a', changes: [{ name: L, op: 'append', value: '0:1' }, { name: F, op: 'append', value: '0:2' }] },
    { topic: 'b', changes: [{ name: L, op: 'append', value: '0:0' }] },
    { topic: 'c', changes: [{ name: L, op: 'append', value: '0:0' }, { name: F, op: 'append', value: '0:2' }] },
  ]);
  assert.deepEqual(ch.after.topics.map((t) => [t.topic, t.leader, t.follower, t.foreign]), [
    ['a', ['0:1'], ['0:2'], { leader: ['0:0', '9:9'], follower: [] }],
    ['b', ['0:0'], [], { leader: [], follower: ['*'] }],
    ['c', ['0:0'], ['0:2'], { leader: [], follower: [] }],
  ]);
  // A full resend (after a failure) sends only Sluice's items too.
  assert.deepEqual(throttleChanges(ch.after, desired, true).topics.map((t) => t.changes.map((c) => `${c.op} ${c.value}`)), [['append 0:1', 'append 0:2'], ['append 0:0'], ['append 0:0', 'append 0:2']]);
  const end = throttleChanges(ch.after, { brokers: [], topics: [] }, false);
  assert.deepEqual(end.topics, [
    { topic: 'a', changes: [{ name: L, op: 'subtract', value: '0:1' }, { name: F, op: 'subtract', value: '0:2' }] },
    { topic: 'b', changes: [{ name: L, op: 'subtract', value: '0:0' }] },
    { topic: 'c', changes: [{ name: L, op: 'subtract', value: '0:0' }, { name: F, op: 'subtract', value: '0:2' }] },
  ]);
  // Only the lists Sluice alone filled are deleted when emptied.
  assert.deepEqual(end.emptied, [{ topic: 'a', names: [F] }, { topic: 'b', names: [L] }, { topic: 'c', names: [L, F] }]);
  assert.deepEqual(end.after.topics, []);
});

test('client traffic: counter increases per second, resets counted from zero, summed per broker', () => {
  const series = (broker: string, ts: number[], values: number[]) => ({ metric: 'kafka_server_brokertopicmetrics_bytesin_total', labels: { broker, cluster: 'c1', topic: '' }, ts: Float64Array.from(ts), values: Float64Array.from(values) });
  assert.equal(counterRate(series('1', [0, 1000, 2000], [100, 300, 500])), 200);
  assert.equal(counterRate(series('1', [0, 1000, 2000], [100, 300, 50])), 125, 'a reset: 200 then 50 from zero, over 2 s');
  assert.equal(counterRate(series('1', [0], [100])), undefined);
  assert.deepEqual(ratesByBroker([series('1', [0, 1000], [0, 10]), series('1', [0, 2000], [0, 10]), series('2', [0, 1000], [0, 4]), series('x', [0, 1000], [0, 4])]), new Map([[1, 15], [2, 4]]));
});

test('client traffic: with a recent window, each series counts at the higher of its whole window\'s rate and its recent samples\'', () => {
  const series = (broker: string, ts: number[], values: number[]) => ({ metric: 'kafka_server_brokertopicmetrics_bytesin_total', labels: { broker, cluster: 'c1', topic: '' }, ts: Float64Array.from(ts), values: Float64Array.from(values) });
  // 10 B/s for 240 s, then 100 B/s for the last 60 s: 14 B/s over the window, 100 over the last 60 s.
  const surge = series('1', [0, 240_000, 270_000, 300_000], [0, 2400, 5400, 8400]);
  // 50 B/s, then quiet for the last 60 s: the window's 40 B/s counts, not the recent 0.
  const calm = series('2', [0, 240_000, 270_000, 300_000], [0, 12_000, 12_000, 12_000]);
  assert.deepEqual(ratesByBroker([surge, calm]), new Map([[1, 28], [2, 40]]));
  assert.deepEqual(ratesByBroker([surge, calm], 240_000), new Map([[1, 100], [2, 40]]));
  // Fewer than two recent samples: the window's rate alone.
  assert.deepEqual(ratesByBroker([surge], 280_000), new Map([[1, 28]]));
});

test('sizeFor: the move yields at once when clients need room, takes room back only at the next regular sizing', async () => {
  const config = { capacity: { ...capacity, diskBytes: 1000 * MIB }, execution: executionConfigSchema.parse({ throttle: { floor: 1 * MIB, ceiling: 100 * MIB } }) };
  const moves = [inFlight('t', 0, [1], [2])];
  let clients = new Map([[1, { in: 10 * MIB, out: 40 * MIB }], [2, { in: 20 * MIB, out: 10 * MIB }]]);
  const traffic = async (): Promise<Map<number, { in: number; out: number }>> => clients;
  const record = (sizing: ThrottleSizing | null, throttleOverride: number | null = null): ExecutionRecord => ({
    id: 1, planId: 1, cluster: 'c1', state: 'running', requested: null, startedBy: 'test', startedAt: 0, updatedAt: 0, finishedAt: null,
    owner: null, heartbeatAt: null, throttleOverride, sizing, applied: { brokers: [], topics: [] }, blocked: null, error: null, moves,
  });
  const rates = (s: ThrottleSizing) => s.brokers.map((b) => [b.broker, b.leaderRate / MIB, b.followerRate / MIB]);
  const first = await sizeFor(record(null), moves, config, traffic, 1000);
  assert.deepEqual(rates(first), [[1, 100, 70], [2, 100, 60]]);
  // Clients on broker 2 take 30 MiB/s more in: its follower rate would fall from 60 to 30 MiB/s, taken at once.
  clients = new Map([[1, { in: 10 * MIB, out: 40 * MIB }], [2, { in: 50 * MIB, out: 10 * MIB }]]);
  const surge = await sizeFor(record(first), moves, config, traffic, 6000);
  assert.deepEqual([surge.at, rates(surge), surge.explanation[0]], [6000, [[1, 100, 70], [2, 100, 30]], 'clients need room: the throttle is lowered at once, before its next regular sizing']);
  // A small rise (60 → 57 MiB/s, within 10%) and a fall keep the sizing in force...
  clients = new Map([[1, { in: 10 * MIB, out: 40 * MIB }], [2, { in: 23 * MIB, out: 10 * MIB }]]);
  assert.equal(await sizeFor(record(first), moves, config, traffic, 6000), first);
  clients = new Map([[1, { in: 0, out: 0 }], [2, { in: 0, out: 0 }]]);
  assert.equal(await sizeFor(record(surge), moves, config, traffic, 6000 + RESIZE_MS - 1), surge);
  // ...until it is RESIZE_MS old, when the room comes back.
  assert.deepEqual(rates(await sizeFor(record(surge), moves, config, traffic, 6000 + RESIZE_MS)), [[1, 100, 80], [2, 100, 80]]);
  // An operator's rate is not re-measured.
  const fixed = await sizeFor(record(null, 5 * MIB), moves, config, traffic, 1000);
  clients = new Map([[2, { in: 79 * MIB, out: 0 }]]);
  assert.equal(await sizeFor(record(fixed, 5 * MIB), moves, config, traffic, 2000), fixed);
});
