// The throttle's audit trail records decisions about clients of any name: a client id holding
// NUL or a lone surrogate is stored and read back unchanged, and costs no other decision. A
// round's plan is committed in one transaction: a failure part way leaves nothing of it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { DecisionStore, type DecisionInput } from '../../src/throttle/audit.ts';
import type { DecisionLog } from '../../src/throttle/decision-log.ts';
import { MemoryDecisionLog } from '../../src/throttle/memory-log.ts';
import { entityKey } from '../../src/kafka/quota.ts';
import type { Db, Queryable } from '../../src/store/types.ts';
import { forEachBackend, NOW } from '../store/support.ts';

const EVIL = 'evil\u0000id\ud800';

function decision(clientId: string, extra: Partial<DecisionInput> = {}): DecisionInput {
  const entity = [{ entityType: 'client-id' as const, entityName: clientId }];
  return {
    ts: NOW, cluster: 'c1', entity, entityKey: entityKey(entity), quotaKey: 'producer_byte_rate', mode: 'auto', state: 'pressured',
    oldValue: 1_000_000, proposed: 500_000, newValue: 500_000, status: 'applied', appliedBy: 'sluice (auto)',
    reason: `limit ${clientId} to its fair share`,
    evidence: { group: 'batch', demand: { [clientId]: 2_000_000, plain: 10 }, clients: [clientId, 'sluice-escaped:x'] },
    ...extra,
  };
}

forEachBackend((backend) => {
  test('decisions and baselines about a client id with NUL and a lone surrogate are stored and read back unchanged', async () => {
    const db = await backend.fresh();
    const audit = new DecisionStore(db);
    const evil = decision(EVIL);
    const plain = decision('plain');
    const id = await audit.record(evil);
    await audit.record(plain);
    await audit.settle(id, 'applied', NOW, 'sluice (auto)');
    const { id: _id, appliedAt: _at, rolledBackBy: _rb, ...got } = (await audit.get(id))!;
    assert.deepEqual(got, evil);
    assert.deepEqual((await audit.list({ cluster: 'c1', entityKey: evil.entityKey })).map((d) => d.id), [id]);
    assert.deepEqual([...(await audit.lastChanges('c1')).keys()].sort(), [`${evil.entityKey}|producer_byte_rate`, `${plain.entityKey}|producer_byte_rate`].sort());
    assert.equal(await audit.rememberBaseline('c1', evil.entity, evil.entityKey, 'producer_byte_rate', 1_000_000, NOW), true);
    assert.deepEqual(await audit.baselines('c1'), new Map([[`${evil.entityKey}|producer_byte_rate`, { entity: evil.entity, value: 1_000_000 }]]));
    await audit.forgetBaseline('c1', evil.entityKey, 'producer_byte_rate');
    assert.deepEqual(await audit.baselines('c1'), new Map());
  });

  test('a client id of 32 KiB (the most Kafka carries) is recorded, with its baseline', async () => {
    const db = await backend.fresh();
    const audit = new DecisionStore(db);
    // Incompressible, as an index entry would be compressed before its size is checked.
    const long = randomBytes(16_383).toString('hex');
    const d = decision(long);
    const id = await audit.record(d);
    assert.deepEqual((await audit.list({ cluster: 'c1', entityKey: d.entityKey })).map((x) => [x.id, x.entity]), [[id, d.entity]]);
    assert.equal(await audit.rememberBaseline('c1', d.entity, d.entityKey, 'producer_byte_rate', 5, NOW), true);
    assert.equal(await audit.rememberBaseline('c1', d.entity, d.entityKey, 'producer_byte_rate', 6, NOW), false, 'kept, not replaced');
    assert.deepEqual(await audit.baselines('c1'), new Map([[`${d.entityKey}|producer_byte_rate`, { entity: d.entity, value: 5 }]]));
  });

  test("a round's plan is committed all or nothing: a failure part way leaves no record, expiry, supersede or baseline of it", async () => {
    const db = await backend.fresh();
    const before = new DecisionStore(db);
    const pending = await before.record(decision('web', { status: 'pending', ts: NOW - 200_000 }));
    const older = await before.record(decision('etl', { status: 'pending', ts: NOW - 60_000 }));
    const baseline = { cluster: 'c1', entity: [{ entityType: 'client-id' as const, entityName: 'etl' }], entityKey: 'client-id=etl', quotaKey: 'producer_byte_rate', value: null };
    const round = {
      at: NOW, records: [decision('etl', { status: 'pending' }), decision('api', { status: 'skipped' })],
      expiries: [{ id: pending }], supersedes: [{ id: older, by: 0, note: (id: number) => `superseded by recommendation ${id}` }], baselines: [baseline],
    };
    const snapshot = async () => ({ decisions: (await before.list({ cluster: 'c1' })).map((d) => [d.id, d.status, d.error]), baselines: await before.baselines('c1') });
    const untouched = await snapshot();
    // Each statement of the transaction in turn fails: the records (1, 2), the expiry (3), the supersede (4), the baseline (5).
    for (const failAt of [1, 2, 3, 4, 5]) {
      let statements = 0;
      const failing = (q: Queryable): Queryable => ({
        query: (sql, params) => (++statements === failAt ? Promise.reject(new Error(`statement ${failAt} failed`)) : q.query(sql, params)),
        exec: (sql) => q.exec(sql),
      });
      const flaky: Queryable & Pick<Db, 'tx'> = { query: (sql, params) => db.query(sql, params), exec: (sql) => db.exec(sql), tx: (fn) => db.tx((q) => fn(failing(q))) };
      await assert.rejects(new DecisionStore(flaky).commit(round), { message: `statement ${failAt} failed` });
      assert.deepEqual(await snapshot(), untouched, `failing statement ${failAt}`);
    }
    const receipt = await before.commit(round);
    assert.deepEqual(receipt.remembered, [true]);
    const [first, second] = receipt.ids;
    assert.deepEqual((await snapshot()).decisions, [[second, 'skipped', undefined], [first, 'pending', undefined], [older, 'expired', `superseded by recommendation ${first}`], [pending, 'expired', undefined]]);
  });
});

/**
 * A client's episode on a decision log: an applied change from an earlier episode (its demand
 * 900 kB/s), then three rounds that change it (the first remembering its baseline, demands 300
 * and 250 kB/s in the first and last; the middle one's evidence has none, as a rollback's); its
 * episode counts three changes and a demand of 300 kB/s (none at all when the last one, 250 kB/s,
 * was a lower bound); given back (baseline forgotten), it has no episode.
 */
async function episodeOf(log: DecisionLog, lastLowerBound = false): Promise<Map<string, number>[]> {
  const d = decision('clickstream');
  const key = `${d.entityKey}|producer_byte_rate`;
  const baseline = { cluster: 'c1', entity: d.entity, entityKey: d.entityKey, quotaKey: 'producer_byte_rate', value: null };
  const round = async (at: number, baselines: typeof baseline[], demand: number | undefined) => {
    const lowerBound = lastLowerBound && at === NOW;
    const evidence = demand === undefined ? { previous: 'steady' } : { group: 'batch', demand: { demand, basis: lowerBound ? 'inferred' : 'measured', lowerBound } };
    const { ids } = await log.commit({ at, records: [{ ...d, ts: at, status: 'pending', evidence }], expiries: [], supersedes: [], baselines });
    await log.recordPush({ at, by: 'sluice (auto)', ids, forget: [], remember: [] });
  };
  await round(NOW - 600_000, [], 900_000);
  await round(NOW - 10_000, [baseline], 300_000);
  await round(NOW - 5_000, [], undefined);
  await round(NOW, [], 250_000);
  const during = await log.episodeChanges('c1');
  const demand = await log.episodeDemand('c1');
  await log.recordPush({ at: NOW + 5_000, by: 'sluice (auto)', ids: [], forget: [{ cluster: 'c1', entityKey: d.entityKey, quotaKey: 'producer_byte_rate' }], remember: [] });
  assert.deepEqual([...during.keys()], [key]);
  return [during, demand, await log.episodeChanges('c1'), await log.episodeDemand('c1')];
}

forEachBackend((backend) => {
  test('episode changes and demand: the changes applied since a quota\'s baseline was remembered and the most its client asked in them, none once it is given back', async () => {
    assert.deepEqual((await episodeOf(new DecisionStore(await backend.fresh()))).map((m) => [...m.values()]), [[3], [300_000], [], []]);
  });
  test('episode demand: none when one of the episode\'s demands was only a lower bound (throttled, or still rising), though it was not the highest', async () => {
    assert.deepEqual((await episodeOf(new DecisionStore(await backend.fresh()), true)).map((m) => [...m.values()]), [[3], [], [], []]);
  });
});

test('episode changes and demand: the memory log counts as the SQL one does', async () => {
  assert.deepEqual((await episodeOf(new MemoryDecisionLog())).map((m) => [...m.values()]), [[3], [300_000], [], []]);
  assert.deepEqual((await episodeOf(new MemoryDecisionLog(), true)).map((m) => [...m.values()]), [[3], [], [], []]);
});

/** Rounds on a decision log: three that say the same are one run; one that differs begins another; an id with NUL is kept. */
async function roundsOf(log: DecisionLog): Promise<unknown[]> {
  const said = `overloaded, but no change; client-id=${EVIL} (produce) not limited: its rate is falling`;
  for (const at of [NOW, NOW + 5_000, NOW + 10_000]) await log.recordRound({ cluster: 'c1', at, state: 'overloaded', explanation: said });
  await log.recordRound({ cluster: 'c2', at: NOW + 12_000, state: 'headroom', explanation: 'headroom: no change' });
  await log.recordRound({ cluster: 'c1', at: NOW + 15_000, state: 'steady', explanation: 'steady: no change' });
  await log.recordRound({ cluster: 'c1', at: NOW + 20_000, state: 'overloaded', explanation: said });
  return [await log.rounds('c1', 10), await log.rounds('c1', 1), await log.rounds('c2', 10)];
}

const ROUNDS = (() => {
  const said = `overloaded, but no change; client-id=${EVIL} (produce) not limited: its rate is falling`;
  return [
    [
      { cluster: 'c1', firstAt: NOW + 20_000, lastAt: NOW + 20_000, rounds: 1, state: 'overloaded', explanation: said },
      { cluster: 'c1', firstAt: NOW + 15_000, lastAt: NOW + 15_000, rounds: 1, state: 'steady', explanation: 'steady: no change' },
      { cluster: 'c1', firstAt: NOW, lastAt: NOW + 10_000, rounds: 3, state: 'overloaded', explanation: said },
    ],
    [{ cluster: 'c1', firstAt: NOW + 20_000, lastAt: NOW + 20_000, rounds: 1, state: 'overloaded', explanation: said }],
    [{ cluster: 'c2', firstAt: NOW + 12_000, lastAt: NOW + 12_000, rounds: 1, state: 'headroom', explanation: 'headroom: no change' }],
  ];
})();

forEachBackend((backend) => {
  test('rounds: a run of rounds that say the same is one entry; a client id with NUL in the explanation is kept', async () => {
    assert.deepEqual(await roundsOf(new DecisionStore(await backend.fresh())), ROUNDS);
  });
});

test('rounds: the memory log keeps them as the SQL one does', async () => {
  assert.deepEqual(await roundsOf(new MemoryDecisionLog()), ROUNDS);
});
