/**
 * What a round leaves alone, and how a client's episode ends: a client whose demand is falling is
 * not limited; the highest-priority group is limited only when it alone asks more than the
 * capacity, and the decision says so; a client's changes in one episode are bounded, the last
 * kept for taking its quota off, which it does once the cluster has headroom; a throttled client
 * that gets well under its quota is raised by what it gets.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { throttleConfigSchema } from '../../src/throttle/config.ts';
import { decide, type LoopMemory } from '../../src/throttle/decide.ts';
import type { Diagnosis } from '../../src/throttle/diagnose.ts';
import { explainRound } from '../../src/throttle/explain.ts';
import { brokerReading as broker, clientReading as client, MB, NOW, readingsOf } from './support.ts';

const config = throttleConfigSchema.parse({
  mode: 'auto', interval: 5,
  groups: [
    { name: 'core', priority: 3, weight: 4, floor: 50_000, match: [{ clientId: 'core-*' }] },
    { name: 'general', priority: 0, weight: 1, floor: 20_000, match: [{}] },
  ],
});
const overloaded: Diagnosis = { state: 'overloaded', observed: 'overloaded', streak: 2, reason: 'overloaded' };
const steady: Diagnosis = { state: 'steady', observed: 'steady', streak: 3, reason: 'steady' };
const roomy: Diagnosis = { state: 'headroom', observed: 'headroom', streak: 3, reason: 'headroom' };
const fresh = (previous: Diagnosis, rest: Partial<LoopMemory> = {}): LoopMemory => ({ previous, lastChanged: new Map(), baselines: new Map(), ...rest });
const options = { now: NOW, staleAfterMs: 60_000 };

test('a client whose rate is falling, and which no quota holds back, is not limited: the load that made the pressure is going', () => {
  // The burst ended: clickstream's rate over the rate window falls from 900 to 600 kB/s over its
  // last samples (5 s apart): the mean of the last three is 733 kB/s against 900 for the three
  // before; the broker, 95% busy on that window, is still over the target.
  const falling = client('clickstream', 'produce', 600_000, 0, [...Array(9).fill(900_000), 900_000, 900_000, 700_000, 600_000]);
  const readings = readingsOf([broker('0', 0.95 * MB, 0.1 * MB)], [client('core-orders', 'produce', 300_000), falling]);
  const plan = decide(readings, [], fresh(overloaded), config, options);
  assert.equal(plan.diagnosis.state, 'overloaded');
  assert.deepEqual(plan.proposals, []);
  assert.deepEqual(plan.notes, ['client-id=clickstream (produce) not limited: its rate is falling (mean 900000 → 733333 B/s, its last 3 samples against the 3 before) and no quota holds it back']);
  assert.equal(explainRound(plan, config), `overloaded, but no change; ${plan.notes[0]}`);
  // One low sample in a burst that goes on is noise, not the burst ending: limited.
  const dip = client('clickstream', 'produce', 900_000, 0, [...Array(11).fill(900_000), 700_000, 900_000]);
  const noisy = decide(readingsOf([broker('0', 0.95 * MB, 0.1 * MB)], [client('core-orders', 'produce', 300_000), dip]), [], fresh(overloaded), config, options);
  assert.deepEqual(noisy.proposals.map((p) => p.entityKey), ['client-id=clickstream']);
  // Rising to the same rate it is limited.
  const rising = client('clickstream', 'produce', 900_000, 0, [...Array(12).fill(600_000), 900_000]);
  const limited = decide(readingsOf([broker('0', 0.95 * MB, 0.1 * MB)], [client('core-orders', 'produce', 300_000), rising]), [], fresh(overloaded), config, options);
  assert.deepEqual(limited.proposals.map((p) => [p.entityKey, p.newValue]), [['client-id=clickstream', 400_000]]);
});

test('the highest-priority group is limited only when it alone asks more than the capacity, and the decision says so', () => {
  // Two core producers of 500 and 300 kB/s and a general one of 100 kB/s: core alone, 800, is over the 700 kB/s.
  const heavy = readingsOf([broker('0', 0.9 * MB, 0.1 * MB)], [client('core-orders', 'produce', 500_000), client('core-payments', 'produce', 300_000), client('batch', 'produce', 100_000)]);
  const plan = decide(heavy, [], fresh(overloaded), config, options);
  assert.deepEqual(plan.proposals.map((p) => [p.entityKey, p.group]).sort(), [['client-id=batch', 'general'], ['client-id=core-orders', 'core']]);
  const core = plan.proposals.find((p) => p.group === 'core')!;
  // The general producer's floor (20 kB/s) first, then core's 680 kB/s water-filled: payments' 300, orders the 380 left.
  assert.equal(core.reason, 'overloaded: demand 500000 B/s (measured) over its core allocation 380000 B/s of 700000 B/s per broker (network in of broker 0); core, the highest-priority group, alone asks 800000 B/s, over the capacity');
  // Core at 600 kB/s in all fits the 700: only the general producer moves, and the round says why core did not.
  const light = readingsOf([broker('0', 0.9 * MB, 0.1 * MB)], [client('core-orders', 'produce', 400_000), client('core-payments', 'produce', 200_000), client('batch', 'produce', 300_000)]);
  const kept = decide(light, [], fresh(overloaded), config, options);
  assert.deepEqual(kept.proposals.map((p) => [p.entityKey, p.newValue]), [['client-id=batch', 100_000]]);
  assert.deepEqual(kept.notes, []);
});

test('a client\'s changes in one episode are bounded: with one left, it is not limited further, nor raised, and comes off with headroom', () => {
  const entity = [{ entityType: 'client-id' as const, entityName: 'clickstream' }];
  const quotas = [{ entity, values: { producer_byte_rate: 200_000 } }];
  const key = 'client-id=clickstream|producer_byte_rate';
  const episode = (changes: number, previous: Diagnosis) => fresh(previous, { baselines: new Map([[key, null]]), episodeChanges: new Map([[key, changes]]) });
  // Over the target, pressing its 200 kB/s quota: with 1 change so far it is limited again; with 2 (of 3), not.
  const over = readingsOf([broker('0', 0.95 * MB, 0.1 * MB)], [client('core-orders', 'produce', 600_000), client('clickstream', 'produce', 200_000, 900)]);
  assert.deepEqual(decide(over, quotas, episode(1, overloaded), config, options).proposals.map((p) => [p.entityKey, p.newValue]), [['client-id=clickstream', 100_000]]);
  const bounded = decide(over, quotas, episode(2, overloaded), config, options);
  assert.deepEqual(bounded.proposals, []);
  assert.deepEqual(bounded.notes, ['client-id=clickstream (produce) not limited further: 2 change(s) this episode, the last of 3 is kept for taking its quota off']);
  // Steady and still throttled, with less room at the target (24 kB/s) than a raise step of its
  // quota (50 kB/s): not raised (that would use the last change), held.
  const busy = readingsOf([broker('0', 0.68 * MB, 0.1 * MB)], [client('core-orders', 'produce', 460_000), client('clickstream', 'produce', 200_000, 900)]);
  const held = decide(busy, quotas, episode(2, steady), config, options);
  assert.deepEqual([held.diagnosis.state, held.proposals], ['steady', []]);
  assert.deepEqual(held.notes, ['client-id=clickstream (produce) held: 2 change(s) this episode: the last is kept for taking the quota off once the cluster has headroom, or room for a full step over it']);
  // Headroom: still throttled, but the last change takes the quota off.
  const calm = readingsOf([broker('0', 0.3 * MB, 0.1 * MB)], [client('core-orders', 'produce', 100_000), client('clickstream', 'produce', 200_000, 900)]);
  const off = decide(calm, quotas, episode(2, roomy), config, options);
  assert.deepEqual(off.proposals.map((p) => [p.entityKey, p.oldValue, p.newValue]), [['client-id=clickstream', 200_000, null]]);
  assert.equal(off.proposals[0]!.reason, "headroom: 2 change(s) this episode, the last is taking the quota off: restoring the operator's unset quota");
  // With changes left, the same client is raised toward its allocation instead.
  assert.match(decide(calm, quotas, episode(1, roomy), config, options).proposals[0]!.reason, /^headroom: raising toward the allocation \d+ B\/s \(still throttled 900 ms at its quota\)$/);
});

test('a quota comes off as soon as its client\'s rate falls, unthrottled, to what fits: its recent mean, not the p95 of a window that still holds the burst', () => {
  const entity = [{ entityType: 'client-id' as const, entityName: 'clickstream' }];
  const quotas = [{ entity, values: { producer_byte_rate: 300_000 } }];
  const memory = fresh(steady, { baselines: new Map([['client-id=clickstream|producer_byte_rate', null]]), episodeChanges: new Map([['client-id=clickstream|producer_byte_rate', 1]]) });
  // At its quota through the burst, then down to 60 kB/s over the last three samples.
  const after = client('clickstream', 'produce', 60_000, 0, [...Array(10).fill(300_000), 150_000, 60_000, 60_000]);
  const readings = readingsOf([broker('0', 0.5 * MB, 0.1 * MB)], [client('core-orders', 'produce', 400_000), after]);
  const plan = decide(readings, quotas, memory, config, options);
  assert.equal(plan.diagnosis.state, 'steady');
  // The p95 of the last third of the window is still 300 kB/s: by it alone the quota would stay.
  assert.equal(plan.proposals[0]!.demand.demand, 300_000);
  assert.deepEqual(plan.proposals.map((p) => [p.entityKey, p.oldValue, p.newValue]), [['client-id=clickstream', 300_000, null]]);
  assert.equal(plan.proposals[0]!.reason, "steady: demand 90000 B/s (falling: mean 300000 → 90000 B/s over its last 3 samples against the 3 before) fits again: restoring the operator's unset quota");
});

test('a quota of Sluice\'s that stays where it is says why: its client still presses it and the brokers have no more room', () => {
  const entity = [{ entityType: 'client-id' as const, entityName: 'clickstream' }];
  const quotas = [{ entity, values: { producer_byte_rate: 200_000 } }];
  const memory = fresh(steady, { baselines: new Map([['client-id=clickstream|producer_byte_rate', null]]), episodeChanges: new Map([['client-id=clickstream|producer_byte_rate', 1]]) });
  // Core takes 520 of the 700 kB/s; clickstream, throttled 900 ms at 200 kB/s, could have 180.
  const readings = readingsOf([broker('0', 0.65 * MB, 0.1 * MB)], [client('core-orders', 'produce', 520_000), client('clickstream', 'produce', 200_000, 900)]);
  const plan = decide(readings, quotas, memory, config, options);
  assert.deepEqual([plan.diagnosis.state, plan.proposals], ['steady', []]);
  assert.deepEqual(plan.notes, ['client-id=clickstream (produce) kept at 200000 B/s: still throttled 900 ms at it, and the brokers have no more room for it (allocation with headroom 180000 B/s)']);
  assert.equal(explainRound(plan, config), `steady, but no change; ${plan.notes[0]}`);
});

test('a client held at its quota comes off once what it asked when limited fits in the room left at the target; a burst\'s demand does not', () => {
  const entity = [{ entityType: 'client-id' as const, entityName: 'batch' }];
  const key = 'client-id=batch|producer_byte_rate';
  const quotas = [{ entity, values: { producer_byte_rate: 200_000 } }];
  // Limited a little under its calm 210 kB/s; the brokers are half busy; it is still throttled 50 ms at its quota.
  const readings = readingsOf([broker('0', 0.5 * MB, 0.1 * MB)], [client('core-orders', 'produce', 300_000), client('batch', 'produce', 200_000, 50)]);
  const memory = (asked: number) => fresh(steady, { baselines: new Map([[key, null]]), episodeChanges: new Map([[key, 1]]), episodeDemand: new Map([[key, asked]]) });
  const calm = decide(readings, quotas, memory(210_000), config, options);
  assert.equal(calm.diagnosis.state, 'steady');
  const demand = calm.proposals[0]!.demand.demand;
  assert.deepEqual(calm.proposals.map((p) => [p.entityKey, p.oldValue, p.newValue]), [['client-id=batch', 200_000, null]]);
  assert.equal(calm.proposals[0]!.reason, `steady: held at its quota, but its demand when limited (210000 B/s, ${(210_000 - demand).toFixed(0)} B/s over its demand now) fits in the ${(700_000 - 300_000 - demand).toFixed(0)} B/s per broker left at the target: restoring the operator's unset quota`);
  // Limited in a burst of 900 kB/s: that would not fit; the quota is only raised toward the allocation.
  const burst = decide(readings, quotas, memory(900_000), config, options);
  assert.deepEqual(burst.proposals.map((p) => [p.entityKey, p.oldValue, p.proposed !== null && p.proposed > 200_000]), [['client-id=batch', 200_000, true]]);
  assert.match(burst.proposals[0]!.reason, /^steady: raising toward the allocation \d+ B\/s \(still throttled 50 ms at its quota\)$/);
  // Two such clients, each 59 kB/s over its demand now when limited, with 99 kB/s left: either
  // would fit alone, not both; the first set free takes its part, the other is not let go.
  const key2 = 'client-id=batch2|producer_byte_rate';
  const twoHeld = (asked: number, asked2: number) => decide(
    readingsOf([broker('0', 0.6 * MB, 0.1 * MB)], [client('core-orders', 'produce', 300_000), client('batch', 'produce', 200_000, 50), client('batch2', 'produce', 100_000, 50)]),
    [...quotas, { entity: [{ entityType: 'client-id' as const, entityName: 'batch2' }], values: { producer_byte_rate: 100_000 } }],
    fresh(steady, { baselines: new Map([[key, null], [key2, null]]), episodeChanges: new Map([[key, 1], [key2, 1]]), episodeDemand: new Map([[key, asked], [key2, asked2]]) }),
    config, options,
  );
  const both = twoHeld(260_000, 160_000);
  assert.deepEqual(both.proposals.map((p) => [p.entityKey, p.proposed === null]), [['client-id=batch', true], ['client-id=batch2', false]]);
  // A client whose demand now is over what it asked when limited (150 kB/s) takes nothing more
  // set free: the allocation counts its demand already. It leaves the room as it was, not larger:
  // batch2, 120 kB/s over its demand now, does not fit in the 99 kB/s.
  const under = twoHeld(150_000, 220_000);
  assert.deepEqual(under.proposals.map((p) => [p.entityKey, p.proposed === null]), [['client-id=batch', true], ['client-id=batch2', false]]);
  assert.match(under.proposals[0]!.reason, /^steady: held at its quota, but its demand when limited \(150000 B\/s, 0 B\/s over its demand now\) fits in the 98\d{3} B\/s per broker/);
});

test('a rate fallen well under its quota is not held back by it, though the brokers still report throttle time from their quota window', () => {
  const entity = [{ entityType: 'client-id' as const, entityName: 'clickstream' }];
  const quotas = [{ entity, values: { producer_byte_rate: 300_000 } }];
  const memory = fresh(steady, { baselines: new Map([['client-id=clickstream|producer_byte_rate', null]]), episodeChanges: new Map([['client-id=clickstream|producer_byte_rate', 2]]) });
  const after = client('clickstream', 'produce', 60_000, 400, [...Array(10).fill(300_000), 150_000, 60_000, 60_000]);
  const plan = decide(readingsOf([broker('0', 0.5 * MB, 0.1 * MB)], [client('core-orders', 'produce', 400_000), after]), quotas, memory, config, options);
  assert.deepEqual(plan.proposals.map((p) => [p.entityKey, p.oldValue, p.newValue]), [['client-id=clickstream', 300_000, null]]);
  assert.equal(plan.proposals[0]!.reason, "steady: demand 90000 B/s (falling: mean 300000 → 90000 B/s over its last 3 samples against the 3 before) fits again: restoring the operator's unset quota");
  // At its quota, throttled, the same client is held (its last change waits for headroom).
  const pressing = client('clickstream', 'produce', 300_000, 400);
  const held = decide(readingsOf([broker('0', 0.5 * MB, 0.1 * MB)], [client('core-orders', 'produce', 400_000), pressing]), quotas, memory, config, options);
  assert.deepEqual(held.proposals, []);
  assert.deepEqual(held.notes, ['client-id=clickstream (produce) held: 2 change(s) this episode: the last is kept for taking the quota off once the cluster has headroom, or room for a full step over it']);
});

test('headroom: a throttled client that gets well under its quota (whole fetches, one or two a quota window) is raised by what it gets, not held at an allocation its quota already meets', () => {
  const entity = [{ entityType: 'client-id' as const, entityName: 'replay' }];
  const quotas = [{ entity, values: { consumer_byte_rate: 300_000 } }];
  const key = 'client-id=replay|consumer_byte_rate';
  const memory = (previous: Diagnosis) => fresh(previous, { baselines: new Map([[key, null]]), episodeChanges: new Map([[key, 1]]) });
  // A megabyte-sized fetch every third sample: 450 kB/s over the rate window that holds it, 50 kB/s
  // over the others. Its last four samples (15 s, more than Kafka's 11 s quota window) average 150 kB/s.
  const chunky = Array.from({ length: 13 }, (_, i) => (i % 3 === 1 ? 450_000 : 50_000));
  const readings = readingsOf([broker('0', 0.1 * MB, 0.45 * MB)], [client('core-billing', 'consume', 400_000), client('replay', 'consume', 50_000, 500, chunky)]);
  const plan = decide(readings, quotas, memory(roomy), config, options);
  assert.equal(plan.diagnosis.state, 'headroom');
  const [raise] = plan.proposals;
  // Core takes 400 of the 700 kB/s: replay's allocation is the 300 kB/s its quota already is.
  assert.deepEqual(plan.proposals.map((p) => [p.entityKey, p.oldValue, p.allocation, p.proposed, p.newValue]), [['client-id=replay', 300_000, 300_000, 600_000, 375_000]]);
  assert.equal(raise!.reason, 'headroom: raising: it gets 150000 B/s under its quota of 300000 B/s (50%, mean over the last 15 s) while throttled 500 ms, and its allocation is 300000 B/s');
  assert.deepEqual(raise!.guarded.reasons, ['increase bounded to ×1.25 per round (600000 → 375000)']);
  // This round's headroom not yet confirmed, the state held steady or overloaded (a load swinging
  // over Kafka's quota window shows over the target one round, under it the next): what it gets
  // is a mean over that window, so it is raised all the same, and the reason names the held state.
  for (const previous of [steady, overloaded]) {
    const held = decide(readings, quotas, memory(previous), config, options);
    assert.deepEqual([held.diagnosis.state, held.diagnosis.observed], [previous.state, 'headroom']);
    assert.deepEqual(held.proposals.map((p) => [p.entityKey, p.proposed, p.newValue, p.reason]), [['client-id=replay', 600_000, 375_000,
      `${previous.state}, this round headroom: raising: it gets 150000 B/s under its quota of 300000 B/s (50%, mean over the last 15 s) while throttled 500 ms, and its allocation is 300000 B/s`]]);
  }
  // A steady cluster (55%, under the target) has the room its allocation says: raised the same way;
  // held overloaded on a steady round, it is not (the load may be a round from coming back).
  const middling = readingsOf([broker('0', 0.1 * MB, 0.55 * MB)], [client('core-billing', 'consume', 400_000), client('replay', 'consume', 50_000, 500, chunky)]);
  const steadyRaise = decide(middling, quotas, memory(steady), config, options);
  assert.deepEqual([steadyRaise.diagnosis.state, steadyRaise.diagnosis.observed], ['steady', 'steady']);
  assert.deepEqual(steadyRaise.proposals.map((p) => [p.entityKey, p.proposed, p.newValue, p.reason]), [['client-id=replay', 600_000, 375_000,
    'steady: raising: it gets 150000 B/s under its quota of 300000 B/s (50%, mean over the last 15 s) while throttled 500 ms, and its allocation is 300000 B/s']]);
  assert.deepEqual(decide(middling, quotas, memory(overloaded), config, options).proposals, []);
  // Its quota set 10 s ago: the brokers' window still holds what it sent before, so what it gets
  // says nothing yet; set 30 s ago, the last 15 s count (from 11 s after the change).
  const since = (ago: number) => fresh(overloaded, { baselines: new Map([[key, null]]), episodeChanges: new Map([[key, 1]]), lastChanged: new Map([[key, NOW - ago]]) });
  assert.deepEqual(decide(readings, quotas, since(10_000), config, options).proposals, []);
  assert.deepEqual(decide(readings, quotas, since(30_000), config, options).proposals.map((p) => [p.proposed, p.reason.split(':')[0]]), [[600_000, 'overloaded, this round headroom']]);
  // Held overloaded with the episode's last change left, it waits for headroom to take the quota off.
  const last = decide(readings, quotas, fresh(overloaded, { baselines: new Map([[key, null]]), episodeChanges: new Map([[key, 2]]) }), config, options);
  assert.deepEqual([last.diagnosis.state, last.proposals], ['overloaded', []]);
  // Over the target this round, nothing is raised.
  const busy = readingsOf([broker('0', 0.1 * MB, 0.8 * MB)], [client('core-billing', 'consume', 400_000), client('replay', 'consume', 50_000, 500, chunky)]);
  assert.deepEqual(decide(busy, quotas, memory(overloaded), config, options).proposals.filter((p) => p.proposed !== null && p.oldValue !== undefined && p.proposed > p.oldValue), []);
  // Getting 90% of its quota, it gets what its quota says: kept (the brokers, at 67%, held in headroom one more round).
  const smooth = readingsOf([broker('0', 0.1 * MB, 0.67 * MB)], [client('core-billing', 'consume', 400_000), client('replay', 'consume', 270_000, 500)]);
  const kept = decide(smooth, quotas, memory(roomy), config, options);
  assert.deepEqual([kept.diagnosis.observed, kept.diagnosis.state, kept.proposals], ['steady', 'headroom', []]);
  assert.deepEqual(kept.notes, ['client-id=replay (consume) kept at 300000 B/s: still throttled 500 ms at it, and the brokers have no more room for it (allocation with headroom 300000 B/s)']);
});

test('a quota whose load is gone comes off on a round within the target, though the hysteresis still holds the cluster overloaded', () => {
  const entity = [{ entityType: 'client-id' as const, entityName: 'replay' }];
  const quotas = [{ entity, values: { consumer_byte_rate: 300_000 } }];
  const key = 'client-id=replay|consumer_byte_rate';
  const memory = fresh(overloaded, { baselines: new Map([[key, null]]), episodeChanges: new Map([[key, 1]]) });
  // At its quota through the burst, then down to a mean of 130 kB/s over its last three samples
  // (15 s, more than a quota window), still throttled now and then by its whole fetches.
  const after = client('replay', 'consume', 120_000, 300, [...Array(10).fill(300_000), 150_000, 120_000, 120_000]);
  const readings = readingsOf([broker('0', 0.1 * MB, 0.55 * MB)], [client('core-billing', 'consume', 400_000), after]);
  const plan = decide(readings, quotas, memory, config, options);
  assert.deepEqual([plan.diagnosis.state, plan.diagnosis.observed], ['overloaded', 'steady']);
  assert.deepEqual(plan.proposals.map((p) => [p.entityKey, p.oldValue, p.proposed, p.newValue]), [['client-id=replay', 300_000, null, null]]);
  assert.equal(plan.proposals[0]!.reason, "overloaded, this round steady: its rate fell (mean 300000 → 130000 B/s, its last 3 samples against the 3 before) to 43% of its quota, within its allocation 300000 B/s: the load is gone: restoring the operator's unset quota");
  // Its quota set 20 s ago: the fall may be the quota's own doing (what it read before, against
  // what the quota lets through), and only one quota window after the change does its rate count.
  const changed = (ago: number) => fresh(overloaded, { baselines: new Map([[key, null]]), episodeChanges: new Map([[key, 1]]), lastChanged: new Map([[key, NOW - ago]]) });
  assert.deepEqual(decide(readings, quotas, changed(20_000), config, options).proposals, []);
  assert.deepEqual(decide(readings, quotas, changed(60_000), config, options).proposals.map((p) => [p.proposed, p.reason.split(':')[0]]), [[null, 'overloaded, this round steady']]);
  // Still throttled and getting 86% of its quota (from 100%): its requests are admitted whole, and
  // that is its quota holding it, not its load going. Unthrottled, the same fall is the load going.
  const held = (throttleMs: number) => client('replay', 'consume', 258_000, throttleMs, [...Array(10).fill(300_000), 258_000, 258_000, 258_000]);
  assert.deepEqual(decide(readingsOf([broker('0', 0.1 * MB, 0.55 * MB)], [client('core-billing', 'consume', 400_000), held(300)]), quotas, memory, config, options).proposals, []);
  assert.match(decide(readingsOf([broker('0', 0.1 * MB, 0.55 * MB)], [client('core-billing', 'consume', 400_000), held(0)]), quotas, memory, config, options).proposals[0]!.reason, /to 86% of its quota, within its allocation \d+ B\/s: the load is gone/);
  // A rate that swings over the quota window (a megabyte fetch every third sample) has not fallen:
  // its three-sample means are all alike, and the quota stays.
  const chunky = client('replay', 'consume', 50_000, 300, Array.from({ length: 13 }, (_, i) => (i % 3 === 1 ? 450_000 : 50_000)));
  const swinging = decide(readingsOf([broker('0', 0.1 * MB, 0.55 * MB)], [client('core-billing', 'consume', 400_000), chunky]), quotas, memory, config, options);
  assert.deepEqual(swinging.proposals, []);
  // Fallen, but to 95% of its quota: the quota may be what holds it there, and it stays.
  const pressing = client('replay', 'consume', 285_000, 300, [...Array(10).fill(330_000), 285_000, 285_000, 285_000]);
  assert.deepEqual(decide(readingsOf([broker('0', 0.1 * MB, 0.55 * MB)], [client('core-billing', 'consume', 400_000), pressing]), quotas, memory, config, options).proposals, []);
});

test('steady, with only the removal left: a held client comes off once the brokers have room for a full step over its quota, not while they have less', () => {
  const entity = [{ entityType: 'client-id' as const, entityName: 'batch' }];
  const quotas = [{ entity, values: { producer_byte_rate: 100_000 } }];
  const key = 'client-id=batch|producer_byte_rate';
  const memory = fresh(steady, { baselines: new Map([[key, null]]), episodeChanges: new Map([[key, 2]]) });
  // A cluster whose calm is over the headroom band: 55% busy, never headroom. batch runs at its
  // 100 kB/s quota (held: 90% of it or more in a steady cluster), the core producer at 450 kB/s.
  // Its demand fits its allocation, and 700 − 550 = 150 kB/s is left at the target: room for the
  // 25 kB/s a raise step would give it.
  const roomy = decide(readingsOf([broker('0', 0.55 * MB, 0.1 * MB)], [client('core-orders', 'produce', 450_000), client('batch', 'produce', 100_000)]), quotas, memory, config, options);
  assert.deepEqual(roomy.proposals.map((p) => [p.entityKey, p.oldValue, p.newValue]), [['client-id=batch', 100_000, null]]);
  assert.equal(roomy.proposals[0]!.reason, "steady: 2 change(s) this episode, the last is taking the quota off: its demand 100000 B/s is within 10% of its quota and fits its allocation, and the brokers have room for a full step over its quota (25000 B/s of the 150000 B/s per broker left at the target): restoring the operator's unset quota");
  // Throttled 2 s per 11 s window, it asks 18% over its quota (a backlog behind it): held.
  const backlog = decide(readingsOf([broker('0', 0.55 * MB, 0.1 * MB)], [client('core-orders', 'produce', 450_000), client('batch', 'produce', 100_000, 2000)]), quotas, memory, config, options);
  assert.deepEqual(backlog.proposals, []);
  assert.deepEqual(backlog.notes, ['client-id=batch (produce) held: 2 change(s) this episode: the last is kept for taking the quota off once the cluster has headroom, or room for a full step over it']);
  // With the core producer at 590 kB/s, 10 kB/s is left: held, as before.
  const tight = decide(readingsOf([broker('0', 0.69 * MB, 0.1 * MB)], [client('core-orders', 'produce', 590_000), client('batch', 'produce', 100_000)]), quotas, memory, config, options);
  assert.deepEqual(tight.proposals, []);
  assert.deepEqual(tight.notes, ['client-id=batch (produce) held: 2 change(s) this episode: the last is kept for taking the quota off once the cluster has headroom, or room for a full step over it']);
});

test('a dip that a quota lowered in the last rounds made is not the load going: the recent samples count from a step after the change settled', () => {
  const entity = [{ entityType: 'client-id' as const, entityName: 'clickstream' }];
  const quotas = [{ entity, values: { producer_byte_rate: 250_000 } }];
  const key = 'client-id=clickstream|producer_byte_rate';
  // 300 kB/s, then held silent after its quota came down to 250 kB/s 10 s ago: the brokers'
  // 11 s window still drains what it sent before.
  const dipping = client('clickstream', 'produce', 60_000, 0, [...Array(10).fill(300_000), 150_000, 60_000, 60_000]);
  const readings = readingsOf([broker('0', 0.5 * MB, 0.1 * MB)], [client('core-orders', 'produce', 400_000), dipping]);
  const recent = fresh(steady, { baselines: new Map([[key, null]]), episodeChanges: new Map([[key, 2]]), lastChanged: new Map([[key, NOW - 10_000]]) });
  const kept = decide(readings, quotas, recent, config, options);
  assert.deepEqual(kept.proposals, []);
  // The same fall a minute after the change: the load going, and the quota comes off.
  const settled = fresh(steady, { baselines: new Map([[key, null]]), episodeChanges: new Map([[key, 2]]), lastChanged: new Map([[key, NOW - 60_000]]) });
  const off = decide(readings, quotas, settled, config, options);
  // (Proposed; the guardrails' cooldown, 5 minutes by default, would still hold it.)
  assert.deepEqual(off.proposals.map((p) => [p.entityKey, p.oldValue, p.proposed]), [['client-id=clickstream', 250_000, null]]);
  assert.equal(off.proposals[0]!.reason, "steady: demand 90000 B/s (falling: mean 300000 → 90000 B/s over its last 3 samples against the 3 before) fits again: restoring the operator's unset quota");
});
