import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  COORDINATOR_NOT_AVAILABLE, FENCED_INSTANCE_ID, GROUP_ID_NOT_FOUND, GROUP_SUBSCRIBED_TO_TOPIC, GroupCoordinator,
  ILLEGAL_GENERATION, INCONSISTENT_GROUP_PROTOCOL, INVALID_GROUP_ID, INVALID_SESSION_TIMEOUT, MEMBER_ID_REQUIRED,
  NON_EMPTY_GROUP, NONE, OFFSET_METADATA_TOO_LARGE, REBALANCE_IN_PROGRESS, UNKNOWN_MEMBER_ID, UNKNOWN_TOPIC_OR_PARTITION,
  type GroupCoordinatorOptions, type JoinGroupResponse, type OffsetCommitEvent, type OffsetDeleteEvent,
} from '../../../src/kafka/broker/groups.ts';

const NOW = 1_700_000_000_000;
const TOPICS: Record<string, number> = { orders: 3, payments: 1 };

/** ConsumerProtocolSubscription v0: version, topics, null user data. */
function subscription(topics: string[]): Buffer {
  const parts = [Buffer.from([0, 0]), int32(topics.length)];
  for (const t of topics) {
    const b = Buffer.from(t);
    parts.push(Buffer.from([b.length >> 8, b.length & 0xff]), b);
  }
  parts.push(int32(-1));
  return Buffer.concat(parts);
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

const META = subscription(['orders']);

function setup(t: TestContext, over: Partial<GroupCoordinatorOptions> = {}) {
  const commits: OffsetCommitEvent[] = [];
  const deletes: OffsetDeleteEvent[] = [];
  const gc = new GroupCoordinator({
    nodeId: 1,
    minSessionTimeoutMs: 10,
    partitionExists: (topic, partition) => partition >= 0 && partition < (TOPICS[topic] ?? 0),
    onOffsetCommit: (c) => commits.push(c),
    onOffsetDelete: (c) => deletes.push(c),
    now: () => NOW,
    ...over,
  });
  t.after(() => gc.stop());
  return { gc, commits, deletes };
}

interface JoinOpts {
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  groupInstanceId?: string | null;
  protocolType?: string;
  protocols?: { name: string; metadata: Buffer }[];
}

function join(groupId: string, memberId: string, o: JoinOpts = {}) {
  return {
    groupId,
    sessionTimeoutMs: o.sessionTimeoutMs ?? 10_000,
    rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? 2_000,
    memberId,
    groupInstanceId: o.groupInstanceId ?? null,
    protocolType: o.protocolType ?? 'consumer',
    protocols: o.protocols ?? [{ name: 'range', metadata: META }],
    reason: null,
  };
}

function client(name: string) {
  return { clientId: name, clientHost: `10.0.0.${name.length}` };
}

/** MEMBER_ID_REQUIRED round trip: the id a v4+ member gets before it can join. */
async function memberId(gc: GroupCoordinator, groupId: string, name: string, o: JoinOpts = {}): Promise<string> {
  const r = await gc.joinGroup(join(groupId, '', o), 5, client(name));
  assert.equal(r.errorCode, MEMBER_ID_REQUIRED);
  return r.memberId;
}

/** Brings `names` into one Stable generation; the first name leads and assigns `assign-<name>`. */
async function stableGroup(gc: GroupCoordinator, groupId: string, names: string[], o: JoinOpts = {}, advance?: () => void) {
  const ids = await Promise.all(names.map((n) => memberId(gc, groupId, n, o)));
  const pending = Promise.all(ids.map((id, i) => gc.joinGroup(join(groupId, id, o), 5, client(names[i]!))));
  advance?.(); // with mocked timers, fire the initial delayed join
  const joins = await pending;
  const leader = joins.find((j) => j.members.length > 0)!;
  const assignments = ids.map((id, i) => ({ memberId: id, assignment: Buffer.from(`assign-${names[i]}`) }));
  const syncs = await Promise.all(ids.map((id) => gc.syncGroup({
    groupId, generationId: leader.generationId, memberId: id, groupInstanceId: null,
    assignments: id === leader.leader ? assignments : [],
  }, 5)));
  for (const s of syncs) assert.equal(s.errorCode, NONE);
  return { ids, generationId: leader.generationId, leader: leader.leader };
}

/** Enables mocked setTimeout for the test; returns tick(ms) and a probe that tells whether a promise settled. */
function mockTimers(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  return {
    tick: (ms: number) => t.mock.timers.tick(ms),
    settled: async (p: Promise<unknown>) => {
      let done = false;
      void p.then(() => (done = true));
      await new Promise((r) => setImmediate(r));
      return done;
    },
  };
}

function hb(groupId: string, generationId: number, memberId: string) {
  return { groupId, generationId, memberId, groupInstanceId: null };
}

function commit(groupId: string, generationId: number, memberId: string, topics: { name: string; partitions: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch?: number; committedMetadata: string | null }[] }[]) {
  return { groupId, generationIdOrMemberEpoch: generationId, memberId, groupInstanceId: null, topics };
}

test('two v5 members: MEMBER_ID_REQUIRED, one generation, the leader gets both members', async (t) => {
  const { gc } = setup(t);
  const first = await gc.joinGroup(join('g', ''), 5, client('app-a'));
  assert.equal(first.errorCode, MEMBER_ID_REQUIRED);
  assert.match(first.memberId, /^app-a-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(first.generationId, -1);
  assert.equal(first.protocolName, '');
  assert.equal(first.leader, '');
  assert.deepEqual(first.members, []);
  const second = await gc.joinGroup(join('g', ''), 5, client('app-b'));
  assert.equal(second.errorCode, MEMBER_ID_REQUIRED);
  assert.notEqual(second.memberId, first.memberId);
  // MEMBER_ID_REQUIRED does not start a rebalance.
  assert.equal(gc.describeGroups({ groups: ['g'] }, 5).groups[0]!.groupState, 'Empty');

  const metaB = subscription(['orders', 'payments']);
  const [a, b] = await Promise.all([
    gc.joinGroup(join('g', first.memberId), 5, client('app-a')),
    gc.joinGroup(join('g', second.memberId, { protocols: [{ name: 'range', metadata: metaB }] }), 5, client('app-b')),
  ]);
  const common = { throttleTimeMs: 0, errorCode: NONE, generationId: 1, protocolType: 'consumer', protocolName: 'range', leader: first.memberId, skipAssignment: false };
  assert.deepEqual(a, {
    ...common,
    memberId: first.memberId,
    members: [
      { memberId: first.memberId, groupInstanceId: null, metadata: META },
      { memberId: second.memberId, groupInstanceId: null, metadata: metaB },
    ],
  });
  assert.deepEqual(b, { ...common, memberId: second.memberId, members: [] });
  assert.equal(gc.describeGroups({ groups: ['g'] }, 5).groups[0]!.groupState, 'CompletingRebalance');
});

test('v7+ answers MEMBER_ID_REQUIRED with a null protocol name; v0-3 join without it', async (t) => {
  const { gc } = setup(t);
  const v7 = await gc.joinGroup(join('g7', ''), 7, client('c'));
  assert.equal(v7.errorCode, MEMBER_ID_REQUIRED);
  assert.equal(v7.protocolName, null);
  assert.equal(v7.protocolType, null);

  const v3 = await gc.joinGroup(join('g3', ''), 3, { clientId: 'old', clientHost: '/192.168.0.9' });
  assert.equal(v3.errorCode, NONE);
  assert.match(v3.memberId, /^old-/);
  assert.equal(v3.generationId, 1);
  assert.equal(v3.leader, v3.memberId);
  assert.deepEqual(v3.members, [{ memberId: v3.memberId, groupInstanceId: null, metadata: META }]);
  assert.equal(gc.describeGroups({ groups: ['g3'] }, 0).groups[0]!.members[0]!.clientHost, '/192.168.0.9');

  // v0 has no rebalance timeout: the session timeout bounds the join phase instead.
  const v0 = await gc.joinGroup({ groupId: 'g0', sessionTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: META }] }, 0, client('zero'));
  assert.equal(v0.errorCode, NONE);
  assert.equal(v0.generationId, 1);
});

test('sync delivers each assignment once the leader syncs; missing ones are empty', async (t) => {
  const { gc } = setup(t);
  const ids = await Promise.all(['a', 'b', 'c'].map((n) => memberId(gc, 'g', n)));
  const joins = await Promise.all(ids.map((id, i) => gc.joinGroup(join('g', id), 5, client('abc'[i]!))));
  const [leaderId, b, c] = ids as [string, string, string];
  assert.equal(joins[0]!.leader, leaderId);

  let followerDone = false;
  const follower = gc.syncGroup({ groupId: 'g', generationId: 1, memberId: b, assignments: [] }, 3).then((r) => {
    followerDone = true;
    return r;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(followerDone, false, 'a follower waits for the leader');
  const leader = await gc.syncGroup({
    groupId: 'g', generationId: 1, memberId: leaderId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range',
    assignments: [{ memberId: leaderId, assignment: Buffer.from('A') }, { memberId: b, assignment: Buffer.from('B') }],
  }, 5);
  assert.deepEqual(leader, { throttleTimeMs: 0, errorCode: NONE, protocolType: 'consumer', protocolName: 'range', assignment: Buffer.from('A') });
  assert.deepEqual((await follower).assignment, Buffer.from('B'));
  // A member that syncs after the group is Stable gets its (here empty) assignment at once.
  const late = await gc.syncGroup({ groupId: 'g', generationId: 1, memberId: c, assignments: [] }, 5);
  assert.equal(late.errorCode, NONE);
  assert.deepEqual(late.assignment, Buffer.alloc(0));

  const d = gc.describeGroups({ groups: ['g'], includeAuthorizedOperations: true }, 5).groups[0]!;
  assert.equal(d.groupState, 'Stable');
  assert.equal(d.protocolType, 'consumer');
  assert.equal(d.protocolData, 'range');
  assert.equal(d.authorizedOperations, 328);
  assert.deepEqual(d.members[1], {
    memberId: b, groupInstanceId: null, clientId: 'b', clientHost: '/10.0.0.1', memberMetadata: META, memberAssignment: Buffer.from('B'),
  });
  assert.equal(d.members[0]!.clientHost, '/10.0.0.1', 'a bare address is shown the way Kafka prints it');
});

test('sync errors: wrong generation, unknown member, v5 protocol mismatch', async (t) => {
  const { gc } = setup(t);
  const { ids, generationId } = await stableGroup(gc, 'g', ['a']);
  const base = { groupId: 'g', generationId, memberId: ids[0]!, assignments: [] };
  assert.equal((await gc.syncGroup({ ...base, generationId: generationId + 1 }, 5)).errorCode, ILLEGAL_GENERATION);
  assert.equal((await gc.syncGroup({ ...base, memberId: 'nobody' }, 5)).errorCode, UNKNOWN_MEMBER_ID);
  assert.equal((await gc.syncGroup({ ...base, groupId: 'nope' }, 5)).errorCode, UNKNOWN_MEMBER_ID);
  assert.equal((await gc.syncGroup({ ...base, protocolType: 'connect' }, 5)).errorCode, INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await gc.syncGroup({ ...base, protocolName: 'roundrobin' }, 5)).errorCode, INCONSISTENT_GROUP_PROTOCOL);
  // Before v5 those fields do not exist and are not checked.
  assert.equal((await gc.syncGroup({ ...base, protocolName: 'roundrobin' }, 4)).errorCode, NONE);
});

test('join validation: group id, session timeout, protocol type and protocols', async (t) => {
  const { gc } = setup(t, { minSessionTimeoutMs: 100, maxSessionTimeoutMs: 1000 });
  assert.equal((await gc.joinGroup(join('', ''), 5)).errorCode, INVALID_GROUP_ID);
  assert.equal((await gc.joinGroup(join('g', '', { sessionTimeoutMs: 99 }), 5)).errorCode, INVALID_SESSION_TIMEOUT);
  assert.equal((await gc.joinGroup(join('g', '', { sessionTimeoutMs: 1001 }), 5)).errorCode, INVALID_SESSION_TIMEOUT);
  assert.equal((await gc.joinGroup(join('g', 'stale-id', { sessionTimeoutMs: 500 }), 5)).errorCode, UNKNOWN_MEMBER_ID);
  assert.equal((await gc.joinGroup(join('g', '', { sessionTimeoutMs: 500, protocolType: '' }), 5)).errorCode, INCONSISTENT_GROUP_PROTOCOL);

  const id = await memberId(gc, 'g', 'a', { sessionTimeoutMs: 500 });
  const joined = await gc.joinGroup(join('g', id, { sessionTimeoutMs: 500, protocols: [{ name: 'cooperative-sticky', metadata: META }, { name: 'range', metadata: META }] }), 5);
  assert.equal(joined.protocolName, 'cooperative-sticky');
  const other = await gc.joinGroup(join('g', '', { sessionTimeoutMs: 500, protocolType: 'connect' }), 3);
  assert.equal(other.errorCode, INCONSISTENT_GROUP_PROTOCOL);
  const noCommon = await gc.joinGroup(join('g', '', { sessionTimeoutMs: 500, protocols: [{ name: 'roundrobin', metadata: META }] }), 3);
  assert.equal(noCommon.errorCode, INCONSISTENT_GROUP_PROTOCOL);
});

test('protocol: only one all members support, by votes then the leader\'s order', async (t) => {
  const { gc } = setup(t);
  const p = (...names: string[]) => ({ protocols: names.map((name) => ({ name, metadata: Buffer.from(name) })) });
  const opts = [p('sticky', 'roundrobin', 'range'), p('roundrobin', 'range', 'sticky'), p('range', 'roundrobin')];
  const ids = await Promise.all(opts.map((o, i) => memberId(gc, 'g', `m${i}`, o)));
  const joins = await Promise.all(ids.map((id, i) => gc.joinGroup(join('g', id, opts[i]), 5)));
  // Candidates: roundrobin and range. Votes: roundrobin 2 (m0, m1), range 1.
  assert.equal(joins[0]!.protocolName, 'roundrobin');
  assert.deepEqual(joins[0]!.members.map((m) => m.metadata.toString()), ['roundrobin', 'roundrobin', 'roundrobin']);
});

test('a third member makes heartbeats answer REBALANCE_IN_PROGRESS; all meet in generation 2', async (t) => {
  const { gc } = setup(t);
  const { ids: [a, b], generationId } = await stableGroup(gc, 'g', ['a', 'b']);
  assert.equal(generationId, 1);
  assert.equal(gc.heartbeat(hb('g', 1, a!), 4).errorCode, NONE);

  const c = await memberId(gc, 'g', 'c');
  assert.equal(gc.heartbeat(hb('g', 1, a!), 4).errorCode, NONE, 'a pending member id does not rebalance');
  const cJoin = gc.joinGroup(join('g', c), 5, client('c'));
  assert.deepEqual(gc.heartbeat(hb('g', 1, a!), 4), { throttleTimeMs: 0, errorCode: REBALANCE_IN_PROGRESS });
  assert.equal(gc.heartbeat(hb('g', 1, b!), 4).errorCode, REBALANCE_IN_PROGRESS);
  assert.equal(gc.describeGroups({ groups: ['g'] }, 5).groups[0]!.groupState, 'PreparingRebalance');
  // Commits are still accepted while preparing (the heartbeat tells the member to rejoin).
  const committed = gc.offsetCommit(commit('g', 1, a!, [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedMetadata: null }] }]), 8);
  assert.equal(committed.topics[0]!.partitions[0]!.errorCode, NONE);

  const [ja, jb, jc] = await Promise.all([gc.joinGroup(join('g', a!), 5), gc.joinGroup(join('g', b!), 5), cJoin]);
  for (const j of [ja, jb, jc]) {
    assert.equal(j!.errorCode, NONE);
    assert.equal(j!.generationId, 2);
    assert.equal(j!.leader, a);
  }
  assert.deepEqual(ja!.members.map((m) => m.memberId), [a, b, c]);
  assert.deepEqual(jc!.members, []);
  // The old generation is over.
  assert.equal(gc.heartbeat(hb('g', 1, a!), 4).errorCode, ILLEGAL_GENERATION);
  assert.equal(gc.heartbeat(hb('g', 2, a!), 4).errorCode, NONE, 'CompletingRebalance accepts heartbeats');
  assert.equal(gc.heartbeat(hb('g', 2, 'nobody'), 4).errorCode, UNKNOWN_MEMBER_ID);
  assert.equal(gc.heartbeat(hb('nope', 2, a!), 4).errorCode, UNKNOWN_MEMBER_ID);
  // A commit between join and sync is told to wait for the rebalance to finish.
  const early = gc.offsetCommit(commit('g', 2, a!, [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 6n, committedMetadata: null }] }]), 8);
  assert.equal(early.topics[0]!.partitions[0]!.errorCode, REBALANCE_IN_PROGRESS);
});

test('leave (v3 batch and v0 single) rebalances; the remaining member gets the next generation', async (t) => {
  const { gc } = setup(t);
  const { ids: [a, b, c] } = await stableGroup(gc, 'g', ['a', 'b', 'c']);
  const left = gc.leaveGroup({ groupId: 'g', members: [{ memberId: b!, groupInstanceId: null, reason: 'bye' }, { memberId: 'ghost', groupInstanceId: null }] }, 5);
  assert.deepEqual(left, {
    throttleTimeMs: 0,
    errorCode: NONE,
    members: [{ memberId: b, groupInstanceId: null, errorCode: NONE }, { memberId: 'ghost', groupInstanceId: null, errorCode: UNKNOWN_MEMBER_ID }],
  });
  assert.equal(gc.heartbeat(hb('g', 1, a!), 4).errorCode, REBALANCE_IN_PROGRESS);
  assert.equal(gc.heartbeat(hb('g', 1, b!), 4).errorCode, UNKNOWN_MEMBER_ID);
  const [ja, jc] = await Promise.all([gc.joinGroup(join('g', a!), 5), gc.joinGroup(join('g', c!), 5)]);
  assert.equal(ja.generationId, 2);
  assert.equal(jc.generationId, 2);
  assert.deepEqual(ja.members.map((m) => m.memberId), [a, c]);

  // v0-2: one member, the error at top level.
  assert.deepEqual(gc.leaveGroup({ groupId: 'g', memberId: 'ghost' }, 1), { throttleTimeMs: 0, errorCode: UNKNOWN_MEMBER_ID });
  assert.deepEqual(gc.leaveGroup({ groupId: 'g', memberId: c! }, 1), { throttleTimeMs: 0, errorCode: NONE });
  const alone = await gc.joinGroup(join('g', a!), 5);
  assert.equal(alone.generationId, 3);
  assert.equal(alone.leader, a);
  assert.deepEqual(alone.members.map((m) => m.memberId), [a]);

  // The last member leaving empties the group; its offsets stay.
  await gc.syncGroup({ groupId: 'g', generationId: 3, memberId: a!, assignments: [] }, 5);
  gc.offsetCommit(commit('g', 3, a!, [{ name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 9n, committedMetadata: null }] }]), 8);
  assert.equal(gc.leaveGroup({ groupId: 'g', memberId: a! }, 2).errorCode, NONE);
  const d = gc.describeGroups({ groups: ['g'] }, 5).groups[0]!;
  assert.equal(d.groupState, 'Empty');
  assert.equal(d.protocolType, 'consumer');
  assert.deepEqual(d.members, []);
  assert.equal(gc.committed('g').get('orders:1')?.offset, 9n);
});

test('a leaving member that is parked in JoinGroup is answered UNKNOWN_MEMBER_ID', async (t) => {
  const { gc } = setup(t);
  const { ids: [a, b] } = await stableGroup(gc, 'g', ['a', 'b']);
  const parked = gc.joinGroup(join('g', b!), 5); // b is not the leader: same metadata would not rebalance, so change it
  const bJoin = await parked;
  assert.equal(bJoin.generationId, 1, 'a follower rejoining unchanged gets the current generation');
  const changed = gc.joinGroup(join('g', b!, { protocols: [{ name: 'range', metadata: subscription(['payments']) }] }), 5);
  assert.equal(gc.heartbeat(hb('g', 1, a!), 4).errorCode, REBALANCE_IN_PROGRESS);
  gc.leaveGroup({ groupId: 'g', members: [{ memberId: b!, groupInstanceId: null }] }, 3);
  assert.deepEqual(await changed, {
    throttleTimeMs: 0, errorCode: UNKNOWN_MEMBER_ID, generationId: -1, protocolType: null, protocolName: '', leader: '', skipAssignment: false, memberId: '', members: [],
  } satisfies JoinGroupResponse);
  const ja = await gc.joinGroup(join('g', a!), 5);
  assert.equal(ja.generationId, 2);
});

test('session timeout: a silent member is removed exactly when its session ends', async (t) => {
  const { tick } = mockTimers(t);
  const { gc } = setup(t);
  const o = { sessionTimeoutMs: 100 };
  const { ids: [a, b] } = await stableGroup(gc, 'g', ['a', 'b'], o, () => tick(0));
  tick(60);
  assert.equal(gc.heartbeat(hb('g', 1, a!), 4).errorCode, NONE); // a stays alive, b is silent
  tick(39);
  assert.equal(gc.heartbeat(hb('g', 1, a!), 4).errorCode, NONE);
  assert.equal(gc.describeGroups({ groups: ['g'] }, 5).groups[0]!.members.length, 2);
  tick(1);
  assert.equal(gc.heartbeat(hb('g', 1, a!), 4).errorCode, REBALANCE_IN_PROGRESS);
  assert.equal(gc.heartbeat(hb('g', 1, b!), 4).errorCode, UNKNOWN_MEMBER_ID);
  const ja = await gc.joinGroup(join('g', a!, o), 5);
  assert.equal(ja.generationId, 2);
  assert.deepEqual(ja.members.map((m) => m.memberId), [a]);
});

test('members that do not rejoin within the rebalance timeout are dropped', async (t) => {
  const { tick, settled } = mockTimers(t);
  const { gc } = setup(t);
  const o = { rebalanceTimeoutMs: 500 };
  const { ids: [a, b] } = await stableGroup(gc, 'g', ['a', 'b'], o, () => tick(0));
  const parked = gc.joinGroup(join('g', a!, o), 5); // the leader rejoins: forces a rebalance; b never does
  tick(499);
  assert.equal(await settled(parked), false);
  tick(1);
  const ja = await parked;
  assert.equal(ja.generationId, 2);
  assert.deepEqual(ja.members.map((m) => m.memberId), [a]);
  assert.equal(gc.heartbeat(hb('g', 2, b!), 4).errorCode, UNKNOWN_MEMBER_ID);
});

test('a member that never sends SyncGroup is dropped after the rebalance timeout', async (t) => {
  const { tick } = mockTimers(t);
  const { gc } = setup(t);
  const o = { rebalanceTimeoutMs: 500 };
  const ids = await Promise.all(['a', 'b'].map((n) => memberId(gc, 'g', n, o)));
  const joins = Promise.all(ids.map((id) => gc.joinGroup(join('g', id, o), 5)));
  tick(0);
  await joins;
  const [a, b] = ids as [string, string];
  const leaderSync = await gc.syncGroup({ groupId: 'g', generationId: 1, memberId: a, assignments: [{ memberId: a, assignment: Buffer.from('A') }] }, 5);
  assert.equal(leaderSync.errorCode, NONE);
  tick(499);
  assert.equal(gc.heartbeat(hb('g', 1, a), 4).errorCode, NONE);
  tick(1);
  assert.equal(gc.heartbeat(hb('g', 1, a), 4).errorCode, REBALANCE_IN_PROGRESS);
  assert.equal(gc.heartbeat(hb('g', 1, b), 4).errorCode, UNKNOWN_MEMBER_ID);
});

test('initialRebalanceDelayMs waits again while new members keep arriving', async (t) => {
  const { tick, settled } = mockTimers(t);
  const { gc } = setup(t, { initialRebalanceDelayMs: 100 });
  const a = await memberId(gc, 'g', 'a');
  const b = await memberId(gc, 'g', 'b');
  const ja = gc.joinGroup(join('g', a), 5);
  tick(60);
  const jb = gc.joinGroup(join('g', b), 5);
  tick(40); // first delay over, but b arrived meanwhile: one more delay
  assert.equal(await settled(ja), false);
  tick(99);
  assert.equal(await settled(ja), false);
  tick(1);
  const [ra, rb] = await Promise.all([ja, jb]);
  assert.equal(ra.generationId, 1);
  assert.equal(rb.generationId, 1);
  assert.deepEqual(ra.members.map((m) => m.memberId), [a, b]);
});

test('an unused MEMBER_ID_REQUIRED id holds the join phase until its session timeout', async (t) => {
  const { tick, settled } = mockTimers(t);
  const { gc } = setup(t);
  const { ids: [a] } = await stableGroup(gc, 'g', ['a'], {}, () => tick(0));
  const c = await memberId(gc, 'g', 'c', { sessionTimeoutMs: 300 });
  const parked = gc.joinGroup(join('g', a!), 5); // leader rejoins: rebalance, waiting for c
  tick(299);
  assert.equal(await settled(parked), false);
  tick(1);
  const ja = await parked;
  assert.equal(ja.generationId, 2);
  assert.deepEqual(ja.members.map((m) => m.memberId), [a]);
  assert.equal((await gc.joinGroup(join('g', c), 5)).errorCode, UNKNOWN_MEMBER_ID, 'the expired id is forgotten');
});

test('a new member parked longer than 5 minutes is dropped with UNKNOWN_MEMBER_ID', async (t) => {
  const { tick } = mockTimers(t);
  const { gc } = setup(t);
  const o = { sessionTimeoutMs: 1_000_000, rebalanceTimeoutMs: 600_000 };
  const { ids: [a] } = await stableGroup(gc, 'g', ['a', 'b'], o, () => tick(0));
  const c = await memberId(gc, 'g', 'c', o);
  const cJoin = gc.joinGroup(join('g', c, o), 5);
  const aJoin = gc.joinGroup(join('g', a!, o), 5); // b does not rejoin: the phase lasts 10 minutes
  tick(300_000);
  assert.deepEqual(await cJoin, {
    throttleTimeMs: 0, errorCode: UNKNOWN_MEMBER_ID, generationId: -1, protocolType: null, protocolName: '', leader: '', skipAssignment: false, memberId: '', members: [],
  } satisfies JoinGroupResponse);
  tick(300_000);
  const ja = await aJoin;
  assert.equal(ja.generationId, 2);
  assert.deepEqual(ja.members.map((m) => m.memberId), [a]);
});

test('offset commits: generation and member checks, simple commits, unknown partitions', async (t) => {
  const { gc, commits } = setup(t);
  const orders0 = (offset: bigint) => [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: offset, committedMetadata: null }] }];
  const errorOf = (r: { topics: { partitions: { errorCode: number }[] }[] }) => r.topics[0]!.partitions[0]!.errorCode;

  // Unknown group: a positive generation is stale, generation -1 is a simple (assign()) commit.
  assert.equal(errorOf(gc.offsetCommit(commit('g', 1, 'm', orders0(1n)), 8)), ILLEGAL_GENERATION);
  assert.equal(gc.describeGroups({ groups: ['g'] }, 5).groups[0]!.groupState, 'Dead', 'a rejected commit creates no group');
  assert.equal(errorOf(gc.offsetCommit(commit('simple', -1, '', orders0(2n)), 8)), NONE);
  assert.deepEqual(gc.listGroups({ statesFilter: [] }, 4).groups, [{ groupId: 'simple', protocolType: '', groupState: 'Empty', groupType: 'classic' }]);
  assert.equal(errorOf(gc.offsetCommit({ groupId: 'simple', topics: orders0(3n) }, 0)), NONE, 'v0 has no generation');

  const { ids: [a], generationId } = await stableGroup(gc, 'g', ['a']);
  assert.equal(errorOf(gc.offsetCommit(commit('g', generationId + 1, a!, orders0(4n)), 8)), ILLEGAL_GENERATION);
  assert.equal(errorOf(gc.offsetCommit(commit('g', generationId, 'nobody', orders0(4n)), 8)), UNKNOWN_MEMBER_ID);
  assert.equal(errorOf(gc.offsetCommit(commit('g', -1, '', orders0(4n)), 8)), UNKNOWN_MEMBER_ID, 'only members commit for a live group');
  assert.deepEqual(gc.offsetCommit(commit('g', generationId, a!, [
    { name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 4n, committedMetadata: null }, { partitionIndex: 7, committedOffset: 1n, committedMetadata: null }] },
    { name: 'missing', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] },
    { name: 'payments', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: 'x'.repeat(4097) }] },
  ]), 8), {
    throttleTimeMs: 0,
    topics: [
      { name: 'orders', partitions: [{ partitionIndex: 0, errorCode: NONE }, { partitionIndex: 7, errorCode: UNKNOWN_TOPIC_OR_PARTITION }] },
      { name: 'missing', partitions: [{ partitionIndex: 0, errorCode: UNKNOWN_TOPIC_OR_PARTITION }] },
      { name: 'payments', partitions: [{ partitionIndex: 0, errorCode: OFFSET_METADATA_TOO_LARGE }] },
    ],
  });
  assert.deepEqual(commits.map((c) => `${c.groupId}/${c.topic}/${c.partition}=${c.offset}`), ['simple/orders/0=2', 'simple/orders/0=3', 'g/orders/0=4']);
});

test('committed offsets: onOffsetCommit values, OffsetFetch v7 and v8 shapes', async (t) => {
  const { gc, commits } = setup(t);
  const { ids: [a], generationId } = await stableGroup(gc, 'g', ['a']);
  const r = gc.offsetCommit(commit('g', generationId, a!, [
    { name: 'payments', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 3, committedMetadata: 'meta' }] },
    { name: 'orders', partitions: [{ partitionIndex: 2, committedOffset: 7n, committedLeaderEpoch: 1, committedMetadata: null }] },
  ]), 8);
  assert.deepEqual(r.topics.map((x) => x.partitions[0]!.errorCode), [NONE, NONE]);
  assert.deepEqual(commits, [
    { groupId: 'g', topic: 'payments', partition: 0, offset: 42n, leaderEpoch: 3, metadata: 'meta', commitTimestamp: BigInt(NOW) },
    { groupId: 'g', topic: 'orders', partition: 2, offset: 7n, leaderEpoch: 1, metadata: '', commitTimestamp: BigInt(NOW) },
  ]);
  assert.deepEqual(gc.committed('g'), new Map([
    ['payments:0', { offset: 42n, metadata: 'meta', leaderEpoch: 3 }],
    ['orders:2', { offset: 7n, metadata: '', leaderEpoch: 1 }],
  ]));

  const v7 = gc.offsetFetch({ groupId: 'g', topics: [{ name: 'orders', partitionIndexes: [2, 0] }], requireStable: true }, 7);
  assert.deepEqual(v7, {
    throttleTimeMs: 0,
    errorCode: NONE,
    topics: [{
      name: 'orders',
      partitions: [
        { partitionIndex: 2, committedOffset: 7n, committedLeaderEpoch: 1, metadata: '', errorCode: NONE },
        { partitionIndex: 0, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: NONE },
      ],
    }],
  });
  const v8 = gc.offsetFetch({
    groups: [{ groupId: 'g', topics: null }, { groupId: 'unknown', topics: [{ name: 'orders', partitionIndexes: [1] }] }],
    requireStable: false,
  }, 8);
  assert.deepEqual(v8, {
    throttleTimeMs: 0,
    groups: [
      {
        groupId: 'g',
        errorCode: NONE,
        topics: [
          { name: 'orders', partitions: [{ partitionIndex: 2, committedOffset: 7n, committedLeaderEpoch: 1, metadata: '', errorCode: NONE }] },
          { name: 'payments', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 3, metadata: 'meta', errorCode: NONE }] },
        ],
      },
      { groupId: 'unknown', errorCode: NONE, topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: NONE }] }] },
    ],
  });
  // v1 lets the client set the commit time.
  gc.offsetCommit({ groupId: 'g', generationIdOrMemberEpoch: generationId, memberId: a!, topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 1n, commitTimestamp: 123n, committedMetadata: null }] }] }, 1);
  assert.equal(commits.at(-1)!.commitTimestamp, 123n);
  assert.equal(commits.at(-1)!.leaderEpoch, -1);
});

test('deleteGroups refuses a group with members and deletes an empty one with its offsets', async (t) => {
  const { gc, deletes } = setup(t);
  const { ids: [a], generationId } = await stableGroup(gc, 'g', ['a']);
  gc.offsetCommit(commit('g', generationId, a!, [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }, { partitionIndex: 1, committedOffset: 2n, committedMetadata: null }] }]), 8);
  assert.deepEqual(gc.deleteGroups({ groupsNames: ['g', 'nope'] }, 2), {
    throttleTimeMs: 0,
    results: [{ groupId: 'g', errorCode: NON_EMPTY_GROUP }, { groupId: 'nope', errorCode: GROUP_ID_NOT_FOUND }],
  });
  gc.leaveGroup({ groupId: 'g', members: [{ memberId: a!, groupInstanceId: null }] }, 3);
  assert.deepEqual(gc.deleteGroups({ groupsNames: ['g'] }, 2).results, [{ groupId: 'g', errorCode: NONE }]);
  assert.deepEqual(deletes, [{ groupId: 'g', topic: 'orders', partition: 0 }, { groupId: 'g', topic: 'orders', partition: 1 }]);
  assert.equal(gc.committed('g').size, 0);
  assert.deepEqual(gc.describeGroups({ groups: ['g'] }, 0).groups[0], {
    errorCode: NONE, groupId: 'g', groupState: 'Dead', protocolType: '', protocolData: '', members: [], authorizedOperations: -2147483648,
  });
  assert.deepEqual(gc.listGroups({}, 0).groups, []);
});

test('offsetDelete: subscribed topics of a live consumer group are protected', async (t) => {
  const { gc, deletes } = setup(t);
  const { ids: [a], generationId } = await stableGroup(gc, 'g', ['a']); // subscribes to orders
  gc.offsetCommit(commit('g', generationId, a!, [
    { name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] },
    { name: 'payments', partitions: [{ partitionIndex: 0, committedOffset: 2n, committedMetadata: null }] },
  ]), 8);
  const req = { groupId: 'g', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0 }] }, { name: 'payments', partitions: [{ partitionIndex: 0 }, { partitionIndex: 5 }] }] };
  assert.deepEqual(gc.offsetDelete(req, 0), {
    throttleTimeMs: 0,
    errorCode: NONE,
    topics: [
      { name: 'orders', partitions: [{ partitionIndex: 0, errorCode: GROUP_SUBSCRIBED_TO_TOPIC }] },
      { name: 'payments', partitions: [{ partitionIndex: 0, errorCode: NONE }, { partitionIndex: 5, errorCode: UNKNOWN_TOPIC_OR_PARTITION }] },
    ],
  });
  assert.deepEqual(deletes, [{ groupId: 'g', topic: 'payments', partition: 0 }]);
  assert.deepEqual([...gc.committed('g').keys()], ['orders:0']);
  assert.deepEqual(gc.offsetDelete({ ...req, groupId: 'nope' }, 0), { throttleTimeMs: 0, errorCode: GROUP_ID_NOT_FOUND, topics: [] });
  gc.leaveGroup({ groupId: 'g', memberId: a! }, 0);
  assert.equal(gc.offsetDelete(req, 0).topics[0]!.partitions[0]!.errorCode, NONE, 'an empty group deletes anything');
  assert.equal(gc.committed('g').size, 0);
});

test('static member: rejoining with its instance id keeps the generation and assignment', async (t) => {
  const { gc } = setup(t);
  const o = { groupInstanceId: 'pod-1' };
  const first = await gc.joinGroup(join('g', '', o), 5, client('app'));
  assert.equal(first.errorCode, NONE, 'static members skip MEMBER_ID_REQUIRED');
  assert.match(first.memberId, /^pod-1-/);
  assert.deepEqual(first.members, [{ memberId: first.memberId, groupInstanceId: 'pod-1', metadata: META }]);
  await gc.syncGroup({ groupId: 'g', generationId: 1, memberId: first.memberId, groupInstanceId: 'pod-1', assignments: [] }, 5);
  // Bring b in: a rebalance to generation 2 with both, then sync.
  const other = await memberId(gc, 'g', 'b');
  const bJoin = gc.joinGroup(join('g', other), 5);
  const heartbeatA = gc.heartbeat({ groupId: 'g', generationId: 1, memberId: first.memberId, groupInstanceId: 'pod-1' }, 3);
  assert.equal(heartbeatA.errorCode, REBALANCE_IN_PROGRESS);
  const [ja, jb] = await Promise.all([gc.joinGroup(join('g', first.memberId, o), 5), bJoin]);
  assert.equal(ja.generationId, 2);
  assert.equal(jb.generationId, 2);
  const assignments = [{ memberId: first.memberId, assignment: Buffer.from('A') }, { memberId: other, assignment: Buffer.from('B') }];
  await Promise.all([
    gc.syncGroup({ groupId: 'g', generationId: 2, memberId: first.memberId, groupInstanceId: 'pod-1', assignments }, 5),
    gc.syncGroup({ groupId: 'g', generationId: 2, memberId: jb.memberId, assignments: [] }, 5),
  ]);

  // The pod restarts: it forgot its member id but keeps its instance id.
  const again = await gc.joinGroup(join('g', '', o), 5, client('app'));
  assert.equal(again.errorCode, NONE);
  assert.notEqual(again.memberId, first.memberId);
  assert.equal(again.generationId, 2);
  assert.equal(again.leader, first.memberId, 'the previous leader id is returned, so it syncs as a follower');
  assert.deepEqual(again.members, []);
  assert.equal(gc.describeGroups({ groups: ['g'] }, 5).groups[0]!.groupState, 'Stable');
  assert.equal(gc.heartbeat(hb('g', 2, other), 4).errorCode, NONE, 'no rebalance for the others');
  const s = await gc.syncGroup({ groupId: 'g', generationId: 2, memberId: again.memberId, groupInstanceId: 'pod-1', assignments: [] }, 5);
  assert.deepEqual(s.assignment, Buffer.from('A'));
  // The old id is fenced.
  assert.equal(gc.heartbeat({ groupId: 'g', generationId: 2, memberId: first.memberId, groupInstanceId: 'pod-1' }, 4).errorCode, FENCED_INSTANCE_ID);
  const stale = gc.offsetCommit({ ...commit('g', 2, first.memberId, []), groupInstanceId: 'pod-1', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }] }, 8);
  assert.equal(stale.topics[0]!.partitions[0]!.errorCode, FENCED_INSTANCE_ID);
  const describe = gc.describeGroups({ groups: ['g'] }, 4).groups[0]!;
  assert.deepEqual(describe.members.map((m) => [m.memberId, m.groupInstanceId]).sort(), [[again.memberId, 'pod-1'], [other, null]].sort());
  // Administrative removal by instance id alone.
  const removed = gc.leaveGroup({ groupId: 'g', members: [{ memberId: '', groupInstanceId: 'pod-1' }] }, 4);
  assert.deepEqual(removed.members, [{ memberId: '', groupInstanceId: 'pod-1', errorCode: NONE }]);
  assert.equal(gc.heartbeat(hb('g', 2, other), 4).errorCode, REBALANCE_IN_PROGRESS);
});

test('listGroups filters by state (v4+) and type (v5)', async (t) => {
  const { gc } = setup(t);
  await stableGroup(gc, 'live', ['a']);
  gc.offsetCommit(commit('idle', -1, '', [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }]), 8);
  assert.deepEqual(gc.listGroups({}, 3).groups.map((g) => g.groupId), ['live', 'idle']);
  assert.deepEqual(gc.listGroups({ statesFilter: ['Stable'] }, 4).groups, [{ groupId: 'live', protocolType: 'consumer', groupState: 'Stable', groupType: 'classic' }]);
  assert.deepEqual(gc.listGroups({ statesFilter: ['empty'] }, 4).groups.map((g) => g.groupId), ['idle']);
  assert.deepEqual(gc.listGroups({ statesFilter: ['Stable'] }, 3).groups.length, 2, 'v3 has no filter');
  assert.deepEqual(gc.listGroups({ statesFilter: [], typesFilter: ['consumer'] }, 5).groups, []);
  assert.equal(gc.listGroups({ statesFilter: [], typesFilter: ['Classic'] }, 5).groups.length, 2);
});

test('stop() answers parked joins and syncs with COORDINATOR_NOT_AVAILABLE and clears timers', async (t) => {
  const { gc } = setup(t, { initialRebalanceDelayMs: 60_000 });
  const a = await memberId(gc, 'g', 'a');
  const parkedJoin = gc.joinGroup(join('g', a), 5);

  const { gc: other } = setup(t);
  const ids = await Promise.all(['x', 'y'].map((n) => memberId(other, 'h', n)));
  await Promise.all(ids.map((id) => other.joinGroup(join('h', id), 5)));
  const follower = ids.find((id) => id !== other.describeGroups({ groups: ['h'] }, 5).groups[0]!.members[0]!.memberId)!;
  const parkedSync = other.syncGroup({ groupId: 'h', generationId: 1, memberId: follower, assignments: [] }, 5);

  gc.stop();
  other.stop();
  const j = await parkedJoin;
  assert.equal(j.errorCode, COORDINATOR_NOT_AVAILABLE);
  assert.equal(j.memberId, a);
  assert.equal((await parkedSync).errorCode, COORDINATOR_NOT_AVAILABLE);
  assert.equal((await gc.joinGroup(join('g', ''), 5)).errorCode, COORDINATOR_NOT_AVAILABLE);
  assert.equal(gc.heartbeat(hb('g', 1, a), 4).errorCode, COORDINATOR_NOT_AVAILABLE);
  assert.equal(gc.offsetFetch({ groups: [{ groupId: 'g', topics: null }] }, 8).groups![0]!.errorCode, COORDINATOR_NOT_AVAILABLE);
  assert.equal(gc.offsetFetch({ groupId: 'g', topics: null }, 7).errorCode, COORDINATOR_NOT_AVAILABLE);
  gc.stop(); // idempotent
});
