import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  completeReassignment, electLeader, electPreferred, electsWhenStarted, electUnclean, lossAtCreation, lossOfBroker, preferredElections, reassign, shrinkIsr,
} from '../../../src/kafka/broker/decisions.ts';
import { KafkaError } from '../../../src/kafka/protocol/error-codes.ts';
import type { PartitionState } from '../../../src/kafka/broker/state.ts';

/** A partition state from literals; every replica caught up at `caughtUp` unless given per broker. */
function part({ caughtUp, ...s }: Partial<Omit<PartitionState, 'copies'>> & { replicas: number[]; caughtUp?: Record<number, number> }): PartitionState {
  const copies = new Map<number, { lastCaughtUpMs: number }>();
  for (const b of [...s.replicas, ...(s.adding ?? [])]) copies.set(b, { lastCaughtUpMs: caughtUp?.[b] ?? 0 });
  return { isr: [...s.replicas], leader: s.replicas[0] ?? -1, adding: [], removing: [], ...s, copies };
}
const live = (...ids: number[]): ReadonlySet<number> => new Set(ids);

test('electLeader: the first live ISR member in replica order, not the first live replica', () => {
  const p = part({ replicas: [0, 1, 2], isr: [2, 1], leader: 0 });
  assert.deepEqual(electLeader(p, live(1, 2), false), { leader: 1, unclean: false });
  assert.deepEqual(electLeader(p, live(2), false), { leader: 2, unclean: false });
  // The first replica is live but out of the ISR: a clean election skips it.
  assert.deepEqual(electLeader(p, live(0, 2), true), { leader: 2, unclean: false });
});

test('electLeader: no live ISR member goes offline, or with unclean election takes the first live replica and an ISR of it alone', () => {
  const p = part({ replicas: [0, 1, 2], isr: [0], leader: 0 });
  assert.deepEqual(electLeader(p, live(1, 2), false), { leader: -1, unclean: false });
  assert.deepEqual(electLeader(p, live(2, 1), true), { leader: 1, isr: [1], unclean: true });
  // Unclean allowed but nothing lives: offline.
  assert.deepEqual(electLeader(p, live(), true), { leader: -1, unclean: false });
  // Already offline and still no candidate: nothing changes (no epoch bump).
  assert.equal(electLeader({ ...p, leader: -1 }, live(1, 2), false), null);
});

test('electPreferred: ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE (dead or out of the ISR), or the preferred replica', () => {
  assert.deepEqual(electPreferred(part({ replicas: [0, 1], leader: 0 }), live(0, 1)), { code: KafkaError.ELECTION_NOT_NEEDED, change: null });
  assert.deepEqual(electPreferred(part({ replicas: [0, 1], leader: 1 }), live(1)), { code: KafkaError.PREFERRED_LEADER_NOT_AVAILABLE, change: null });
  assert.deepEqual(electPreferred(part({ replicas: [0, 1], isr: [1], leader: 1 }), live(0, 1)), { code: KafkaError.PREFERRED_LEADER_NOT_AVAILABLE, change: null });
  assert.deepEqual(electPreferred(part({ replicas: [0, 1], leader: 1 }), live(0, 1)), { code: KafkaError.NONE, change: { leader: 0, unclean: false } });
});

test('electUnclean: only offline partitions; a live ISR member still wins; else the first live replica', () => {
  assert.deepEqual(electUnclean(part({ replicas: [0, 1], leader: 0 }), live(0, 1)), { code: KafkaError.ELECTION_NOT_NEEDED, change: null });
  assert.deepEqual(electUnclean(part({ replicas: [0, 1], isr: [0], leader: -1 }), live()), { code: KafkaError.ELIGIBLE_LEADERS_NOT_AVAILABLE, change: null });
  assert.deepEqual(electUnclean(part({ replicas: [0, 1, 2], isr: [2], leader: -1 }), live(1, 2)), { code: KafkaError.NONE, change: { leader: 2, unclean: false } });
  assert.deepEqual(electUnclean(part({ replicas: [0, 1, 2], isr: [0], leader: -1 }), live(2, 1)), { code: KafkaError.NONE, change: { leader: 1, isr: [1], unclean: true } });
});

test('electsWhenStarted: an offline partition the broker is assigned, if it is in the ISR or unclean election is allowed', () => {
  const offline = part({ replicas: [0, 1], isr: [1], leader: -1 });
  assert.equal(electsWhenStarted(offline, 1, false), true);
  assert.equal(electsWhenStarted(offline, 0, false), false);
  assert.equal(electsWhenStarted(offline, 0, true), true);
  assert.equal(electsWhenStarted(offline, 2, true), false);
  assert.equal(electsWhenStarted({ ...offline, leader: 1 }, 1, false), false);
});

test('shrinkIsr: followers caught up longer ago than replica.lag.time.max.ms leave; the leader never does', () => {
  const p = part({ replicas: [0, 1, 2, 3], leader: 0, caughtUp: { 0: 0, 1: 9_000, 2: 6_999, 3: 7_000 } });
  // now - 6999 = 3001 > 3000: out; now - 7000 = 3000: stays (strictly greater).
  assert.deepEqual(shrinkIsr(p, 10_000, 3_000), { isr: [0, 1, 3], removed: [2] });
  assert.equal(shrinkIsr(p, 10_000, 10_000), null);
  // A member without a copy counts as never caught up.
  assert.deepEqual(shrinkIsr({ ...p, isr: [0, 5] }, 10_000, 3_000), { isr: [0], removed: [5] });
  // Offline partitions keep their ISR.
  assert.equal(shrinkIsr({ ...p, leader: -1 }, 10_000, 1), null);
});

test('lossAtCreation: dead replicas leave the ISR; the leader is re-elected if it was dead; all dead starts offline with the preferred replica as ISR', () => {
  const p = part({ replicas: [0, 1, 2] });
  assert.equal(lossAtCreation(p, live(0, 1, 2)), null);
  assert.deepEqual(lossAtCreation(p, live(0, 2)), { isr: [0, 2], offline: false, elect: false });
  assert.deepEqual(lossAtCreation(p, live(1, 2)), { isr: [1, 2], offline: false, elect: true });
  assert.deepEqual(lossAtCreation(p, live()), { isr: [0], offline: true, elect: false });
});

test('lossOfBroker: the stopped broker leaves the ISR unless it is the last member; its leaderships are re-elected', () => {
  assert.equal(lossOfBroker(part({ replicas: [0, 1] }), 2), null);
  assert.deepEqual(lossOfBroker(part({ replicas: [0, 1, 2], leader: 1 }), 1), { isr: [0, 2], offline: false, elect: true });
  assert.deepEqual(lossOfBroker(part({ replicas: [0, 1, 2], leader: 0 }), 2), { isr: [0, 1], offline: false, elect: false });
  assert.deepEqual(lossOfBroker(part({ replicas: [0, 1], isr: [1], leader: 1 }), 1), { offline: false, elect: true });
  assert.deepEqual(lossOfBroker(part({ replicas: [0, 1], isr: [0], leader: 0 }), 1), { offline: false, elect: false });
});

test('preferredElections: only live brokers leading more than the imbalance percentage fewer of their preferred partitions', () => {
  const a = part({ replicas: [0, 1], leader: 1 });
  const b = part({ replicas: [0, 1], leader: 0 });
  const c = part({ replicas: [1, 0], leader: 0 });
  const d = part({ replicas: [2, 0], leader: 0 });
  // Broker 0: 1 of 2 not led (50%); broker 1: 1 of 1 (100%); broker 2 is dead.
  assert.deepEqual(preferredElections([a, b, c, d], live(0, 1), 10), [a, c]);
  assert.deepEqual(preferredElections([a, b, c, d], live(0, 1), 50), [c]);
  assert.deepEqual(preferredElections([a, b, c, d], live(0, 1, 2), 100), []);
  assert.deepEqual(preferredElections([a, b, c, d], live(0, 1, 2), 99), [c, d]);
});

test('reassign: a target that moves replicas keeps target then removing, adds empty copies and asks for replication', () => {
  const p = part({ replicas: [0, 1, 2], leader: 0 });
  assert.deepEqual(reassign(p, [3, 1, 0], live(0, 1, 2, 3)), {
    code: KafkaError.NONE,
    change: { replicas: [3, 1, 0, 2], isr: [0, 1, 2], adding: [3], removing: [2], createCopies: [3], dropCopies: [] },
    replicate: true,
  });
  // The same set in another order only reorders, with nothing to copy.
  assert.deepEqual(reassign(p, [2, 0, 1], live(0, 1, 2)), {
    code: KafkaError.NONE,
    change: { replicas: [2, 0, 1], isr: [0, 1, 2], adding: [], removing: [], createCopies: [], dropCopies: [] },
    replicate: false,
  });
});

test('reassign: invalid targets and cancelling', () => {
  const p = part({ replicas: [0, 1], leader: 0 });
  const invalid = { code: KafkaError.INVALID_REPLICA_ASSIGNMENT, change: null, replicate: false };
  assert.deepEqual(reassign(p, [], live(0, 1)), invalid);
  assert.deepEqual(reassign(p, [0, 0], live(0, 1)), invalid);
  assert.deepEqual(reassign(p, [0, 7], live(0, 1)), invalid);
  assert.deepEqual(reassign(p, null, live(0, 1)), { code: KafkaError.NO_REASSIGNMENT_IN_PROGRESS, change: null, replicate: false });
  // Cancelling an ongoing move of 1 → 2: the added replica is dropped from replicas, ISR and copies.
  const moving = part({ replicas: [0, 2, 1], isr: [0, 1, 2], adding: [2], removing: [1], leader: 0 });
  assert.deepEqual(reassign(moving, null, live(0, 1, 2)), {
    code: KafkaError.NONE,
    change: { replicas: [0, 1], isr: [0, 1], adding: [], removing: [], createCopies: [], dropCopies: [2] },
    replicate: false,
  });
  // A new target during a move starts from the original replicas, and keeps copies it already has.
  assert.deepEqual(reassign(moving, [0, 2, 3], live(0, 1, 2, 3)).change, {
    replicas: [0, 2, 3, 1], isr: [0, 1, 2], adding: [2, 3], removing: [1], createCopies: [3], dropCopies: [],
  });
});

test('completeReassignment: waits for every target replica in the ISR, then drops the removed ones and re-elects a removed leader', () => {
  const moving = part({ replicas: [3, 1, 0, 2], isr: [0, 1, 2], adding: [3], removing: [2], leader: 2 });
  assert.equal(completeReassignment(moving), null);
  assert.equal(completeReassignment(part({ replicas: [0, 1] })), null);
  assert.deepEqual(completeReassignment({ ...moving, isr: [0, 1, 2, 3] }), {
    change: { replicas: [3, 1, 0], isr: [0, 1, 3], adding: [], removing: [], createCopies: [], dropCopies: [2] },
    removed: [2],
    elect: true,
  });
  assert.equal(completeReassignment({ ...moving, isr: [3, 1, 0], leader: 0 })!.elect, false);
  // A kept replica out of the ISR holds the move too: every target replica must be in sync.
  assert.equal(completeReassignment({ ...moving, isr: [2, 3, 0] }), null);
});
