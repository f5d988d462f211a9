/**
 * The round planner over hand-made readings and memory: the exact plan (records, expiries,
 * supersedes, baselines, pushes) when the cluster got worse after an increase (rollback, unless
 * the increase's client takes no more than its old quota let through, or the undo would spend the
 * episode's last change), when a
 * new recommendation replaces a pending one, and when pending recommendations grow two intervals
 * old; and how a push's answer settles its decisions and baselines.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QuotaEntityComponent } from '../../src/kafka/quota.ts';
import { throttleConfigSchema } from '../../src/throttle/config.ts';
import type { Decision } from '../../src/throttle/decision-log.ts';
import type { Diagnosis } from '../../src/throttle/diagnose.ts';
import { applyPush, checkApply, planRound, pushRecord, type PlannedRound, type RoundMemory } from '../../src/throttle/plan.ts';
import { brokerReading as broker, clientReading as client, MB, NOW, readingsOf } from './support.ts';

const groups = [
  { name: 'core', priority: 3, weight: 4, floor: 100_000, match: [{ clientId: 'core-*' }] },
  { name: 'general', priority: 0, weight: 1, floor: 20_000, match: [{}] },
];
const auto = throttleConfigSchema.parse({ mode: 'auto', interval: 60, groups });
const recommend = throttleConfigSchema.parse({ mode: 'recommend', interval: 60, groups });
const options = { cluster: 'east', now: NOW, staleAfterMs: 60_000 };

const roomy: Diagnosis = { state: 'headroom', observed: 'headroom', streak: 2, reason: 'headroom' };
const overloaded: Diagnosis = { state: 'overloaded', observed: 'overloaded', streak: 1, reason: 'overloaded' };




const entity = (clientId: string): QuotaEntityComponent[] => [{ entityType: 'client-id', entityName: clientId }];

/** A stored decision of `client-id=<clientId>`'s `quotaKey`. */
function decision(id: number, clientId: string, fields: Partial<Decision>): Decision {
  return {
    id, ts: NOW - 60_000, cluster: 'east', entity: entity(clientId), entityKey: `client-id=${clientId}`, quotaKey: 'producer_byte_rate', mode: 'auto', state: 'headroom',
    oldValue: undefined, proposed: null, newValue: undefined, status: 'applied', reason: 'test', evidence: {}, appliedAt: undefined, rolledBackBy: undefined, ...fields,
  };
}

function memoryOf(fields: Partial<RoundMemory>): RoundMemory {
  return { previous: undefined, lastChanged: new Map(), baselines: new Map(), lastRound: undefined, pending: [], ...fields };
}

/** The plan's writes and pushes, supersede notes written out for recommendation 42. */
function shape(plan: PlannedRound): unknown {
  return { ...plan.commit, supersedes: plan.commit.supersedes.map((s) => ({ id: s.id, by: s.by, note: s.note(42) })), pushes: plan.pushes };
}

// Broker 0 takes 800 kB/s in of its 1 MB/s: over the 0.7 target, under the 0.9 overload.
const pressured = readingsOf([broker('0', 0.8 * MB, 0.2 * MB)], []);

test('an increase, then a worse round: the increase is rolled back, and only it', () => {
  const raised = decision(7, 'etl', { oldValue: 200_000, newValue: 250_000, proposed: 250_000 });
  const lowered = decision(8, 'web', { oldValue: 300_000, newValue: 200_000, proposed: 200_000 });
  const held = decision(9, 'api', { oldValue: 100_000, newValue: undefined, proposed: 150_000, status: 'skipped' });
  const memory = memoryOf({ previous: roomy, lastRound: { diagnosis: roomy, decisions: [raised, lowered, held] } });
  const plan = planRound(pressured, [], memory, auto, options);
  const diagnosis = plan.analysis.diagnosis;
  assert.equal(diagnosis.observed, 'pressured');
  const baseline = { cluster: 'east', entity: entity('etl'), entityKey: 'client-id=etl', quotaKey: 'producer_byte_rate', value: null };
  const change = { entity: entity('etl'), key: 'producer_byte_rate', value: 200_000 };
  assert.deepEqual(shape(plan), {
    at: NOW,
    records: [{
      ts: NOW, cluster: 'east', entity: entity('etl'), entityKey: 'client-id=etl', quotaKey: 'producer_byte_rate', mode: 'auto', state: diagnosis.state,
      oldValue: 250_000, proposed: 200_000, newValue: 200_000, status: 'pending', appliedBy: 'sluice (rollback)', rollbackOf: 7,
      reason: 'rollback: the cluster went from headroom to pressured after this increase', evidence: { diagnosis, previous: roomy },
    }],
    expiries: [], supersedes: [], baselines: [baseline],
    pushes: [{ by: 'sluice (rollback)', changes: [change], baselines: [baseline], rollbackOf: 7, records: [0] }],
  });

  // The same round after a round that was just as bad: nothing to undo.
  const same = planRound(pressured, [], { ...memory, lastRound: { diagnosis: plan.analysis.diagnosis, decisions: [raised] } }, auto, options);
  assert.deepEqual(shape(same), { at: NOW, records: [], expiries: [], supersedes: [], baselines: [], pushes: [] });

  // The cluster answers: the rollback is applied and its decision rolled back; refused, the baseline it claimed goes.
  const ok = pushRecord(plan.pushes[0]!, [11], [true], [], new Set(), NOW);
  assert.deepEqual(ok, { record: { at: NOW, by: 'sluice (rollback)', ids: [11], rolledBack: { of: 7, by: 11 }, forget: [], remember: [] }, freed: new Set() });
  const refused = pushRecord(plan.pushes[0]!, [11], [true], ['client-id=etl: no'], new Set(), NOW);
  assert.deepEqual(refused, { record: { at: NOW, by: 'sluice (rollback)', ids: [11], error: 'client-id=etl: no', forget: [baseline], remember: [] }, freed: new Set(['client-id=etl|producer_byte_rate']) });
});

test('an increase is not rolled back when its client takes no more than its old quota let through: the worse round is not its doing', () => {
  const raised = decision(7, 'etl', { oldValue: 200_000, newValue: 250_000, proposed: 250_000 });
  const memory = memoryOf({ previous: roomy, lastRound: { diagnosis: roomy, decisions: [raised] } });
  // The brokers take 800 kB/s in; etl sends 180 kB/s under its raised 250 kB/s quota, less than the 200 kB/s it had.
  const calm = readingsOf([broker('0', 0.8 * MB, 0.2 * MB)], [client('core-orders', 'produce', 520_000), client('etl', 'produce', 180_000)]);
  const plan = planRound(calm, [], memory, auto, options);
  assert.equal(plan.analysis.diagnosis.observed, 'pressured');
  assert.deepEqual([plan.commit.records, plan.pushes], [[], []]);
  assert.equal(plan.analysis.notes[0], 'client-id=etl (producer_byte_rate) increase 7 kept although the cluster went from headroom to pressured: its client takes 180000 B/s, no more than its old quota of 200000 B/s let through');
  // Taking more than before, 240 kB/s, it is undone.
  const busy = readingsOf([broker('0', 0.8 * MB, 0.2 * MB)], [client('core-orders', 'produce', 460_000), client('etl', 'produce', 240_000)]);
  const undone = planRound(busy, [], memory, auto, options);
  assert.deepEqual(undone.pushes.map((p) => [p.by, p.rollbackOf, p.changes]), [['sluice (rollback)', 7, [{ entity: entity('etl'), key: 'producer_byte_rate', value: 200_000 }]]]);
});

test('an increase is not rolled back when undoing it would spend the change the episode keeps for taking the quota off', () => {
  const raised = decision(7, 'etl', { oldValue: 200_000, newValue: 250_000, proposed: 250_000 });
  const key = 'client-id=etl|producer_byte_rate';
  const busy = readingsOf([broker('0', 0.8 * MB, 0.2 * MB)], [client('core-orders', 'produce', 460_000), client('etl', 'produce', 240_000)]);
  // Limited, then raised: 2 changes of the default 3, the last kept for taking the quota off.
  const memory = memoryOf({ previous: roomy, lastRound: { diagnosis: roomy, decisions: [raised] }, baselines: new Map([[key, null]]), episodeChanges: new Map([[key, 2]]) });
  const plan = planRound(busy, [{ entity: entity('etl'), values: { producer_byte_rate: 250_000 } }], memory, auto, options);
  assert.equal(plan.analysis.diagnosis.observed, 'pressured');
  assert.deepEqual(plan.pushes.filter((p) => p.rollbackOf !== undefined), []);
  assert.equal(plan.analysis.notes[0], 'client-id=etl (producer_byte_rate) increase 7 kept although the cluster went from headroom to pressured: 2 change(s) this episode, the last of 3 is kept for taking its quota off');
  // With one change of the episode made (the increase alone), it is undone.
  const undone = planRound(busy, [{ entity: entity('etl'), values: { producer_byte_rate: 250_000 } }], { ...memory, episodeChanges: new Map([[key, 1]]) }, auto, options);
  assert.deepEqual(undone.pushes.filter((p) => p.rollbackOf !== undefined).map((p) => [p.by, p.rollbackOf, p.changes]), [['sluice (rollback)', 7, [{ entity: entity('etl'), key: 'producer_byte_rate', value: 200_000 }]]]);
});

test('a new recommendation supersedes the pending one of the same quota, and no other', () => {
  // Broker 0 sends 950 kB/s of its 1 MB/s: the catching-up consumer `replay` is limited to 600 kB/s
  // (network out at the 70% target, less core-billing's 100 kB/s).
  const readings = readingsOf([broker('0', 0.3 * MB, 0.95 * MB)], [client('core-billing', 'consume', 100_000), client('replay', 'consume', 850_000)]);
  const older = decision(3, 'replay', { quotaKey: 'consumer_byte_rate', status: 'pending', mode: 'recommend', newValue: 400_000, proposed: 400_000 });
  const otherQuota = decision(4, 'replay', { quotaKey: 'producer_byte_rate', status: 'pending', mode: 'recommend', newValue: 100_000, proposed: 100_000 });
  const otherEntity = decision(5, 'feed', { quotaKey: 'consumer_byte_rate', status: 'pending', mode: 'recommend', newValue: 100_000, proposed: 100_000 });
  const plan = planRound(readings, [], memoryOf({ previous: overloaded, pending: [older, otherQuota, otherEntity] }), recommend, options);
  const [p] = plan.analysis.proposals;
  assert.deepEqual([plan.analysis.proposals.length, p!.entityKey, p!.quotaKey, p!.newValue, p!.guarded.apply], [1, 'client-id=replay', 'consumer_byte_rate', 600_000, true]);
  const record = plan.commit.records[0]!;
  assert.deepEqual(
    [record.ts, record.cluster, record.entityKey, record.quotaKey, record.mode, record.oldValue, record.proposed, record.newValue, record.status, record.appliedBy, record.reason],
    [NOW, 'east', 'client-id=replay', 'consumer_byte_rate', 'recommend', undefined, 600_000, 600_000, 'pending', undefined, p!.reason],
  );
  assert.deepEqual(shape(plan), {
    at: NOW, records: [record], expiries: [], baselines: [], pushes: [],
    supersedes: [{ id: 3, by: 0, note: 'superseded by recommendation 42' }],
  });

  // In auto mode the same proposal is pushed at once, its baseline (none was set) claimed first; nothing is superseded.
  const pushed = planRound(readings, [], memoryOf({ previous: overloaded, pending: [older] }), auto, options);
  const baseline = { cluster: 'east', entity: entity('replay'), entityKey: 'client-id=replay', quotaKey: 'consumer_byte_rate', value: null };
  assert.deepEqual(shape(pushed), {
    at: NOW, records: [{ ...pushed.commit.records[0]!, status: 'pending', appliedBy: 'sluice (auto)' }], expiries: [], supersedes: [], baselines: [baseline],
    pushes: [{ by: 'sluice (auto)', records: [0], changes: [{ entity: entity('replay'), key: 'consumer_byte_rate', value: 600_000 }], baselines: [baseline] }],
  });
});

test('pending recommendations expire once two intervals old, not before', () => {
  const old = decision(1, 'etl', { ts: NOW - 120_000, status: 'pending' });
  const fresh = decision(2, 'web', { ts: NOW - 119_999, status: 'pending' });
  const plan = planRound(pressured, [], memoryOf({ pending: [old, fresh] }), recommend, options);
  assert.deepEqual(shape(plan), { at: NOW, records: [], expiries: [{ id: 1 }], supersedes: [], baselines: [], pushes: [] });
  // An expired one is not superseded as well.
  const readings = readingsOf([broker('0', 0.3 * MB, 0.95 * MB)], [client('replay', 'consume', 850_000)]);
  const stale = decision(6, 'replay', { ts: NOW - 120_000, quotaKey: 'consumer_byte_rate', status: 'pending' });
  const replaced = planRound(readings, [], memoryOf({ previous: overloaded, pending: [stale] }), recommend, options);
  assert.deepEqual([replaced.commit.records.length, replaced.commit.expiries, replaced.commit.supersedes], [1, [{ id: 6 }], []]);
});

test('a manual apply: refused with a catalogued error while not pending, too old, of another cluster or under the floor; else one push', () => {
  const d = decision(3, 'replay', { status: 'pending', newValue: 300_000, oldValue: 400_000, evidence: { group: 'general' } });
  const code = (r: ReturnType<typeof checkApply>) => (r === undefined ? undefined : [r.error.code, r.error.message, r.expire]);
  assert.deepEqual(code(checkApply(undefined, 9, 'east', NOW, recommend)), ['SLUICE_ERR_THROTTLE_NOT_FOUND', 'no recommendation 9 for cluster east', false]);
  assert.deepEqual(code(checkApply(d, 3, 'west', NOW, recommend)), ['SLUICE_ERR_THROTTLE_NOT_FOUND', 'no recommendation 3 for cluster west', false]);
  assert.deepEqual(code(checkApply({ ...d, status: 'applied' }, 3, 'east', NOW, recommend)), ['SLUICE_ERR_THROTTLE_NOT_PENDING', 'recommendation 3 is applied, not pending', false]);
  assert.deepEqual(code(checkApply(d, 3, 'east', NOW + 61_000, recommend)), ['SLUICE_ERR_THROTTLE_EXPIRED', 'recommendation 3 expired: it is 121 s old (at most 120 s)', true]);
  assert.deepEqual(code(checkApply({ ...d, newValue: 10_000 }, 3, 'east', NOW, recommend)), ['SLUICE_ERR_THROTTLE_UNDER_FLOOR', 'quota 10000 is under the general floor 20000', false]);
  assert.equal(checkApply(d, 3, 'east', NOW, recommend), undefined);
  assert.deepEqual(applyPush(d, 'alice'), {
    by: 'alice', records: [], changes: [{ entity: entity('replay'), key: 'producer_byte_rate', value: 300_000 }],
    baselines: [{ cluster: 'east', entity: entity('replay'), entityKey: 'client-id=replay', quotaKey: 'producer_byte_rate', value: 400_000 }],
  });
});
