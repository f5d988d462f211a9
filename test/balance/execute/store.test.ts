/**
 * Plans and executions in the database, on PGlite and PostgreSQL: a plan is stored with its
 * evidence and explanation (names holding NUL included) and executed once; one unfinished
 * execution per cluster; ownership, heartbeats and takeover; requests and rounds recorded.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BalanceStore } from '../../../src/balance/execute/store.ts';
import { isSluiceError } from '../../../src/errors.ts';
import { forEachBackend, NOW } from '../../store/support.ts';
import { move, planOf } from './support.ts';

const EVIL = 'evil\u0000topic';

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return isSluiceError(err) ? `${err.code}: ${err.message}` : String(err);
  }
  return 'accepted';
}

forEachBackend((backend) => {
  test('a plan is stored and read back unchanged; executing it creates pending moves once; one unfinished execution per cluster', async () => {
    const store = new BalanceStore(await backend.fresh());
    const plan = planOf([move(EVIL, 0, [1, 2], [3, 2], 500), move('orders', 4, [2], [1], 7)]);
    const id = await store.savePlan({ cluster: 'c1', createdAt: NOW, createdBy: 'cli', mode: 'full', plan, evidence: { window: '24h', topics: [EVIL] }, explanation: `move ${EVIL}` });
    const stored = await store.plan(id);
    assert.deepEqual(stored, { id, cluster: 'c1', createdAt: NOW, createdBy: 'cli', mode: 'full', state: 'planned', plan, evidence: { window: '24h', topics: [EVIL] }, explanation: `move ${EVIL}` });
    assert.deepEqual((await store.plans('c1')).map((p) => p.id), [id]);

    assert.equal(await refusal(store.createExecution(id, 'c2', 'cli', NOW)), `SLUICE_ERR_BALANCE_NOT_FOUND: plan ${id}: no such plan for cluster "c2"`);
    const e = await store.createExecution(id, 'c1', 'cli', NOW + 1);
    assert.deepEqual([e.state, e.planId, e.startedBy, e.startedAt, e.owner, e.applied, e.sizing], ['running', id, 'cli', NOW + 1, null, { brokers: [], topics: [] }, null]);
    assert.deepEqual(e.moves.map((x) => [x.seq, x.topic, x.partition, x.replicasBefore, x.replicasAfter, x.leaderBefore, x.bytes, x.state]), [[0, EVIL, 0, [1, 2], [3, 2], 1, 500, 'pending'], [1, 'orders', 4, [2], [1], 2, 7, 'pending']]);
    assert.equal((await store.plan(id))!.state, 'executing');
    assert.equal(await refusal(store.createExecution(id, 'c1', 'cli', NOW)), `SLUICE_ERR_BALANCE_STATE: plan ${id} is executing; only a planned plan can be executed (make a new plan)`);
    const other = await store.savePlan({ cluster: 'c1', createdAt: NOW, createdBy: 'cli', mode: 'full', plan, evidence: {}, explanation: '' });
    assert.equal(await refusal(store.createExecution(other, 'c1', 'cli', NOW)), 'SLUICE_ERR_BALANCE_BUSY: cluster "c1" already has an unfinished execution; cancel it or wait for it to end');
    assert.equal((await store.plan(other))!.state, 'planned', 'the refused execution left nothing behind');
    assert.deepEqual(await store.executionIds({ cluster: 'c1', active: true }), [e.id]);
  });

  test('ownership: claimed by one process, taken over only once its heartbeat is stale; rounds of a former owner are refused; requests are kept until handled', async () => {
    const store = new BalanceStore(await backend.fresh());
    const id = await store.savePlan({ cluster: 'c1', createdAt: NOW, createdBy: 'api', mode: 'full', plan: planOf([move('t', 0, [1], [2])]), evidence: {}, explanation: '' });
    const e = await store.createExecution(id, 'c1', 'api', NOW);
    assert.equal(await store.claim(e.id, 'a', NOW, NOW), true);
    assert.equal(await store.claim(e.id, 'b', NOW + 1000, NOW), false, 'a was heard of at NOW');
    assert.equal(await store.claim(e.id, 'b', NOW + 1000, NOW + 1), true, 'stale: b takes over');
    const moved = { ...e.moves[0]!, state: 'in-flight' as const, startedAt: NOW + 2000 };
    assert.equal(await store.record(e.id, 'a', NOW + 2000, { blocked: 'x' }, [moved]), false);
    await store.ask(e.id, 'pause', NOW + 2500);
    await store.ask(e.id, 'cancel', NOW + 2600);
    await store.ask(e.id, 'resume', NOW + 2700);
    await store.ask(e.id, { rate: 1e6 }, NOW + 2800);
    assert.deepEqual([(await store.execution(e.id))!.requested, (await store.execution(e.id))!.throttleOverride], ['cancel', 1e6], 'a cancel is never replaced');
    const applied = { brokers: [{ broker: 1, leaderRate: 5, followerRate: null, previous: { 'leader.replication.throttled.rate': '9' } }], topics: [{ topic: EVIL, leader: ['0:1'], follower: ['0:2'] }] };
    assert.equal(await store.record(e.id, 'b', NOW + 3000, { state: 'cancelling', handled: 'cancel', applied, blocked: `held by ${EVIL}` }, [moved]), true);
    const after = (await store.execution(e.id))!;
    assert.deepEqual([after.state, after.requested, after.applied, after.blocked, after.heartbeatAt, after.moves[0]!.state, after.moves[0]!.startedAt], ['cancelling', null, applied, `held by ${EVIL}`, NOW + 3000, 'in-flight', NOW + 2000]);
    await store.release(e.id, 'b');
    assert.equal((await store.execution(e.id))!.owner, null);
    assert.equal(await store.record(e.id, 'b', NOW + 4000, { state: 'cancelled', finishedAt: NOW + 4000 }), false, 'released: no longer b\'s');
    assert.equal(await store.claim(e.id, 'b', NOW + 4000, NOW), true);
    assert.equal(await store.record(e.id, 'b', NOW + 4000, { state: 'cancelled', finishedAt: NOW + 4000 }), true);
    assert.equal(await refusal(store.ask(e.id, 'resume', NOW)), `SLUICE_ERR_BALANCE_STATE: execution ${e.id} is cancelled: it can no longer be changed`);
    assert.equal(await refusal(store.ask(999, 'cancel', NOW)), 'SLUICE_ERR_BALANCE_NOT_FOUND: execution 999: no such execution');
    assert.deepEqual(await store.executionIds({ cluster: 'c1', active: true }), []);
    assert.equal(await store.claim(e.id, 'c', NOW + 9e9, NOW + 9e9), false, 'a finished execution is nobody\'s to take');
  });
});
