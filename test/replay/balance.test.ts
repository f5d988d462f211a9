/**
 * The balancing what-if on a fixture (src/replay/balance.ts): the model read from the fixture's
 * series as from the store (placement from kafka_log_log_size, bytes in from offset growth times
 * the average message size, bytes out from committed offsets, disk from the newest log size), and
 * the plan made on it, with exact per-broker loads before and predicted after.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { balanceConfigSchema } from '../../src/balance/config.ts';
import { fixturePlanJson, fixturePlanText, planOnFixture } from '../../src/replay/balance.ts';
import { loadFixture } from '../../src/replay/load.ts';
import { writeFixture } from '../../src/replay/write.ts';
import { FIXTURE_START, skewedFixture } from './balance-support.ts';
import { tempDir } from './support.ts';

const defaults = balanceConfigSchema.parse({});
const MIN = 60_000;

type Loads = { bytesIn: number; bytesOut: number; disk: number; leaders: number; replicas: number };
const loads = (rows: readonly { id: number; before: Loads; after: Loads }[], when: 'before' | 'after'): [number, number, number, number, number, number][] =>
  rows.map((b) => [b.id, b[when].bytesIn, b[when].bytesOut, b[when].disk, b[when].leaders, b[when].replicas]);

test('the model from a written and loaded fixture: measured per-partition load, placement from the log sizes', async () => {
  const dir = await tempDir();
  await writeFixture(dir, skewedFixture());
  const made = await planOnFixture(await loadFixture(dir), defaults, { mode: 'full' });
  assert.deepEqual(made.model.brokers, [{ id: 1, rack: null }, { id: 2, rack: null }, { id: 3, rack: null }]);
  assert.deepEqual(made.model.partitions.map((p) => [`${p.topic}-${p.partition}`, p.replicas, p.leader, p.bytesIn, p.bytesOut, p.diskBytes]), [
    // 10 msg/s of 100 bytes; billing commits 5 msg/s of it; 10 × 60 × 110 messages retained.
    ['orders-0', [1], 1, 1000, 500, 6_600_000],
    ['orders-1', [1], 1, 600, 600, 3_960_000],
    ['orders-2', [2], 2, 200, 200, 1_320_000],
    ['orders-3', [3], 3, 200, 200, 1_320_000],
  ]);
  assert.equal(made.at, FIXTURE_START + 10 * MIN);
});

test('a full plan: two moves reach the best split (1000 / 600 / 400 B/s), with the exact predicted loads', async () => {
  const made = await planOnFixture(skewedFixture(), defaults, { mode: 'full' });
  const { plan } = made;
  assert.deepEqual(plan.reassignments.map((r) => [`${r.topic}-${r.partition}`, r.replicasBefore, r.replicasAfter, r.bytes]), [
    ['orders-1', [1], [3], 3_960_000],
    ['orders-3', [3], [2], 1_320_000],
  ]);
  const balanceIn = { kind: 'balance', resource: 'bytesIn' };
  assert.deepEqual(plan.moves.map((m) => [m.kind, m.goal, m.group, m.from, m.to]), [['replica', balanceIn, 'default', 1, 3], ['replica', balanceIn, 'default', 3, 2]]);
  assert.deepEqual(loads(plan.brokers, 'before'), [
    [1, 1600, 1100, 10_560_000, 2, 2],
    [2, 200, 200, 1_320_000, 1, 1],
    [3, 200, 200, 1_320_000, 1, 1],
  ]);
  assert.deepEqual(loads(plan.brokers, 'after'), [
    [1, 1000, 500, 6_600_000, 1, 1],
    [2, 400, 400, 2_640_000, 2, 2],
    [3, 600, 600, 3_960_000, 1, 1],
  ]);
  assert.equal(plan.bytesMoved, 5_280_000);
  const text = fixturePlanText(made, defaults).split('\n');
  assert.equal(text[0], 'What-if on fixture balance-skew (cluster east): 3 brokers, 4 partitions, load = p95 of the 24h up to 2026-12-01T10:10:00.000Z.');
  assert.equal(text[1], 'Plan (full): 2 moves, 5.0 MiB to copy, about 1s at 50.0 MiB/s per broker.');
  assert.ok(text.includes('  broker 1 (default): bytes in 1.6 KiB/s → 1000 B/s; bytes out 1.1 KiB/s → 500 B/s; disk 10.1 MiB → 6.3 MiB; leaders 2 → 1; replicas 2 → 1'), text.join('\n'));
  const json = JSON.parse(fixturePlanJson(made));
  assert.deepEqual([json.fixture, json.cluster, json.at, json.mode, json.brokers.length], ['balance-skew', 'east', '2026-12-01T10:10:00.000Z', 'full', 3]);
});

test('incremental: one move off the hottest broker; the window can end inside the fixture', async () => {
  const inc = (await planOnFixture(skewedFixture(), defaults, { mode: 'incremental' })).plan;
  assert.deepEqual(inc.reassignments.map((r) => `${r.topic}-${r.partition} ${r.replicasBefore} → ${r.replicasAfter}`), ['orders-1 1 → 3']);
  assert.deepEqual(loads(inc.brokers, 'after').map(([id, bytesIn]) => [id, bytesIn]), [[1, 1000], [2, 200], [3, 800]]);
  // Five minutes in, the logs hold 105 minutes of messages: disk is read at that time.
  const early = await planOnFixture(skewedFixture(), defaults, { mode: 'incremental' }, FIXTURE_START + 5 * MIN);
  assert.deepEqual(early.model.partitions.map((p) => p.diskBytes), [6_300_000, 3_780_000, 1_260_000, 1_260_000]);
  assert.deepEqual(early.model.partitions.map((p) => p.bytesIn), [1000, 600, 200, 200]);
});

test('resource groups from the config: placement never crosses them', async () => {
  // Brokers 1 and 2 serve orders; broker 3 is reserved for another group: orders-3 on it is moved into its group.
  const config = balanceConfigSchema.parse({ groups: [{ name: 'core', brokers: [1, 2], topics: ['orders'] }, { name: 'batch', brokers: [3], topics: ['batch-*'] }] });
  const { plan } = await planOnFixture(skewedFixture(), config, { mode: 'full' });
  assert.deepEqual(plan.brokers.map((b) => [b.id, b.group, b.after.bytesIn]), [[1, 'core', 1000], [2, 'core', 1000], [3, 'batch', 0]]);
  assert.deepEqual(plan.reassignments.map((r) => `${r.topic}-${r.partition} ${r.replicasBefore} → ${r.replicasAfter}`).sort(), ['orders-1 1 → 2', 'orders-3 3 → 2']);
});
