/**
 * Every round says what it changed or why it changed nothing, and floors above what a broker can
 * take are named at start: the small-cluster case where the default 1 MiB/s floor is above a
 * whole broker's capacity, which left the loop "overloaded" for rounds with no decision and no reason.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { throttleConfigSchema } from '../../src/throttle/config.ts';
import { decide, type LoopMemory } from '../../src/throttle/decide.ts';
import type { Diagnosis } from '../../src/throttle/diagnose.ts';
import { explainRound, floorWarnings, quotaWindowWarning } from '../../src/throttle/explain.ts';
import { brokerReading, clientReading, readingsOf } from './support.ts';

const NOW = 1_800_000_000_000;
const KIB = 1024;
/** A broker of 400 KiB/s each way (the size of the bundled demo's) taking `bytesIn`. */
const broker = (id: string, bytesIn: number) => brokerReading(id, bytesIn, 0, 400 * KIB);
const client = (clientId: string, rate: number) => clientReading(clientId, 'produce', rate);
const readings = readingsOf;
const overloaded: Diagnosis = { state: 'overloaded', observed: 'overloaded', streak: 2, reason: 'overloaded' };
const memory: LoopMemory = { previous: overloaded, lastChanged: new Map(), baselines: new Map() };

test('overloaded, but every client is under the default 1 MiB/s floor: the round says so, with the capacity', () => {
  const config = throttleConfigSchema.parse({ mode: 'auto' });
  // 380 KiB/s into a 400 KiB/s broker from two producers of 190 KiB/s each.
  const plan = decide(readings([broker('0', 380 * KIB)], [client('a', 190 * KIB), client('b', 190 * KIB)]), [], memory, config, { now: NOW, staleAfterMs: 60_000 });
  assert.equal(plan.diagnosis.state, 'overloaded');
  assert.deepEqual(plan.proposals, []);
  assert.equal(explainRound(plan, config), `overloaded, but no change: produce: every client (2) is at or under its group's floor (general 1048576 B/s), which no quota goes below; produce capacity at the target is ${Math.round(plan.capacity.produce)} B/s per broker`);
});

test('a round that limits says how many, and one with changes held says by what', () => {
  const config = throttleConfigSchema.parse({ mode: 'auto', groups: [{ name: 'general', priority: 0, floor: 10 * KIB, match: [{}] }] });
  const plan = decide(readings([broker('0', 380 * KIB)], [client('a', 60 * KIB), client('b', 320 * KIB)]), [], memory, config, { now: NOW, staleAfterMs: 60_000 });
  assert.deepEqual(plan.proposals.map((p) => [p.entityKey, p.guarded.apply]), [['client-id=b', true]]);
  assert.equal(explainRound(plan, config), 'overloaded: limits 1 client(s)');
  const stale = decide({ ...readings([broker('0', 380 * KIB)], [client('b', 320 * KIB)]), ageMs: 10 * 60_000 }, [], memory, config, { now: NOW, staleAfterMs: 60_000 });
  assert.equal(explainRound(stale, config), 'overloaded: no change: the metrics are stale');
  const calm = decide(readings([broker('0', 40 * KIB)], [client('a', 40 * KIB)]), [], { ...memory, previous: { state: 'headroom', observed: 'headroom', streak: 2, reason: '' } }, config, { now: NOW, staleAfterMs: 60_000 });
  assert.equal(explainRound(calm, config), "headroom: no change: no quota of Sluice's to relax");
});

test('a floor above what one broker can take at the target is named at start, with its config path', () => {
  const config = throttleConfigSchema.parse({ mode: 'auto', groups: [
    { name: 'core', priority: 3, floor: 100 * KIB, match: [{ clientId: 'core-*' }] },
    { name: 'general', priority: 0, match: [{}] },
  ] });
  // 400 KiB/s × 0.7 = 286,720 B/s: core's 100 KiB/s fits, general's default 1 MiB/s does not.
  assert.deepEqual(floorWarnings(config, { bytesInPerSec: 400 * KIB, bytesOutPerSec: 400 * KIB }), [
    'throttle.groups[1].floor: 1048576 B/s is above what one broker can take at the target (286720 B/s): clients of general will never be limited below it',
  ]);
  assert.deepEqual(floorWarnings(config, { bytesInPerSec: 2 ** 30, bytesOutPerSec: 2 ** 30 }), []);
});

test('a rate window that is neither a whole multiple of the brokers\' quota window nor long enough to average over it is warned about, with what would fit', () => {
  assert.equal(quotaWindowWarning(5, 11_000), "throttle.rateWindow: 5 s is not a whole multiple of the brokers' client quota window (11 s, quota.window.num × quota.window.size.seconds): "
    + 'a throttled client is let through and held in turn with that period, so the rates the loop reads will swing round to round; '
    + "set the rate window to a multiple of 11 s (or at least 55 s), or the brokers' quota window to 5 s (a divisor of the rate window)");
  assert.match(quotaWindowWarning(5, 3000)!, /, or the brokers' quota window to 1 s \(a divisor of the rate window\)$/);
  // Whole multiples, and windows of five periods or more, are fine: the defaults (60 s over 11 s) among them.
  assert.equal(quotaWindowWarning(5, 5000), undefined);
  assert.equal(quotaWindowWarning(22, 11_000), undefined);
  assert.equal(quotaWindowWarning(60, 11_000), undefined);
  assert.equal(quotaWindowWarning(10, 5000), undefined);
});
