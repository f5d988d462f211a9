import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brokerLiveness, memoryKnownBrokers, type ClusterView } from '../../src/collect/brokers.ts';

const NOW = Date.UTC(2026, 0, 5, 12);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const view = (listed: number[], replicas: number[], answered = listed): ClusterView => ({ listed, replicas, answered: new Set(answered) });

test('a stopped broker that still holds replicas is known and down, even to a process that never saw it listed', () => {
  const decided = brokerLiveness(new Map(), view([0, 2], [0, 1, 2, 1]), NOW, DAY);
  assert.deepEqual(decided.brokers, [{ id: 0, up: true }, { id: 1, up: false }, { id: 2, up: true }]);
  assert.deepEqual(decided.claimed, [0, 1, 2]);
  assert.deepEqual([...decided.known].sort((a, b) => a[0] - b[0]), [[0, NOW], [1, NOW], [2, NOW]]);
});

test('a listed broker that does not answer its probe is down', () => {
  assert.deepEqual(brokerLiveness(new Map(), view([0, 1], [], [1]), NOW, DAY).brokers, [{ id: 0, up: false }, { id: 1, up: true }]);
});

test('an unreachable cluster: every known broker is down, none is claimed or forgotten however long ago it was claimed', () => {
  const known = new Map([[0, NOW - 40 * DAY], [3, NOW]]);
  const decided = brokerLiveness(known, null, NOW, DAY);
  assert.deepEqual(decided.brokers, [{ id: 0, up: false }, { id: 3, up: false }]);
  assert.deepEqual(decided.claimed, []);
  assert.deepEqual(decided.forgotten, []);
  assert.deepEqual([...decided.known], [[0, NOW - 40 * DAY], [3, NOW]]);
});

test('a drained, removed broker reads as down until it has been unclaimed for the grace period, then is forgotten', () => {
  const known = new Map([[0, NOW], [1, NOW], [5, NOW - DAY]]);
  const before = brokerLiveness(known, view([0, 1], [0, 1]), NOW, DAY);
  assert.deepEqual(before.brokers, [{ id: 0, up: true }, { id: 1, up: true }, { id: 5, up: false }]);
  assert.deepEqual(before.forgotten, []);
  const after = brokerLiveness(before.known, view([0, 1], [0, 1]), NOW + 1, DAY);
  assert.deepEqual(after.brokers, [{ id: 0, up: true }, { id: 1, up: true }]);
  assert.deepEqual(after.forgotten, [5]);
  assert.deepEqual([...after.known.keys()], [0, 1]);
});

test('a grace of 0 forgets a broker the moment the cluster stops claiming it', () => {
  const decided = brokerLiveness(new Map([[0, NOW - 1], [1, NOW - 1]]), view([0], [0]), NOW, 0);
  assert.deepEqual(decided.brokers, [{ id: 0, up: true }]);
  assert.deepEqual(decided.forgotten, [1]);
});

test('the memory store keeps claims per cluster, the newest time of each, and forgets on request', async () => {
  const store = memoryKnownBrokers();
  await store.claim('east', [1, 0], NOW);
  await store.claim('east', [1], NOW - HOUR);
  await store.claim('west', [4], NOW);
  await store.forget('east', [0]);
  assert.deepEqual(await store.list('east'), [{ id: 1, lastClaimedMs: NOW }]);
  assert.deepEqual(await store.list('west'), [{ id: 4, lastClaimedMs: NOW }]);
});
