/**
 * The planner on small hand-built models: balance inside resource groups without crossing them,
 * close to the fewest bytes (brute force), the modes (incremental, add, drain, leaders), hard
 * goals (isolation, racks, short ISR), and plans made on the peak rather than the mean.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainPlan } from '../../src/balance/explain.ts';
import { partitionLoad } from '../../src/balance/load.ts';
import { brokerLoads, type ClusterModel } from '../../src/balance/model.ts';
import { planBalance } from '../../src/balance/plan.ts';
import { brokers, config, MIB, part, skewedSixBrokers, TWO_GROUPS } from './support.ts';

const groupOf = (b: number): string => (b <= 3 ? 'core' : 'batch');

test('two resource groups: max/min bytes in ≤ 1.15× in each, no replica crosses a group', () => {
  const model = skewedSixBrokers();
  const plan = planBalance(model, TWO_GROUPS, { mode: 'full' });
  const core = plan.groups.find((g) => g.group === 'core')!.spreads.find((s) => s.resource === 'bytesIn')!;
  const batch = plan.groups.find((g) => g.group === 'batch')!.spreads.find((s) => s.resource === 'bytesIn')!;
  assert.deepEqual([core.before.max / MIB, core.before.min / MIB, core.after.max / MIB, core.after.min / MIB], [60, 17, 40, 40]);
  assert.deepEqual([batch.before.max / MIB, batch.before.min / MIB, batch.after.max / MIB, batch.after.min / MIB], [40, 2, 28, 26]);
  assert.ok(core.after.ratio <= 1.15 && batch.after.ratio <= 1.15);
  for (const r of plan.reassignments) {
    const want = r.topic === 'orders' ? 'core' : 'batch';
    assert.deepEqual(r.replicasAfter.map(groupOf), r.replicasAfter.map(() => want), `${r.topic}-${r.partition}`);
  }
  assert.equal(plan.bytesMoved, 4700 * MIB);
  // The predicted after-state is the model's own load arithmetic on the new placement.
  const after = brokerLoads({ ...model, partitions: model.partitions.map((p) => {
    const r = plan.reassignments.find((x) => x.topic === p.topic && x.partition === p.partition);
    return r === undefined ? p : { ...p, replicas: r.replicasAfter, leader: r.leaderAfter };
  }) });
  for (const b of plan.brokers) assert.deepEqual(b.after, after.get(b.id));
});

test('a topic found outside its group is moved into it', () => {
  const model: ClusterModel = { brokers: brokers(1, 2, 3, 4, 5, 6), partitions: [part('orders', 0, [1, 4], 5), part('orders', 1, [2, 3], 5), part('logs', 0, [5, 6], 5)] };
  const plan = planBalance(model, TWO_GROUPS, { mode: 'full' });
  assert.equal(plan.moves[0]!.goal.kind, 'isolation');
  assert.equal(plan.moves[0]!.detail, 'topic orders belongs to group core; broker 4 is in group batch');
  assert.deepEqual(plan.reassignments.find((r) => r.topic === 'orders' && r.partition === 0)!.replicasAfter, [1, 2]);
});

test('bytes moved within 1.5× the smallest plan reaching the same balance (brute force)', () => {
  const sizes = [7, 5, 4, 3, 3, 2, 1];
  const start = [1, 1, 1, 1, 2, 2, 1];
  const model: ClusterModel = { brokers: brokers(1, 2, 3), partitions: sizes.map((mb, i) => part('t', i, [start[i]!], mb, 0, mb * 10)) };
  const plan = planBalance(model, config(), { mode: 'full' });
  const s = plan.groups[0]!.spreads.find((x) => x.resource === 'bytesIn')!;
  let least = Infinity;
  for (let code = 0; code < 3 ** sizes.length; code++) {
    const load = [0, 0, 0];
    let moved = 0;
    let c = code;
    sizes.forEach((mb, i) => {
      const b = (c % 3) + 1;
      c = Math.floor(c / 3);
      load[b - 1]! += mb;
      if (b !== start[i]) moved += mb * 10;
    });
    if (Math.max(...load) / Math.min(...load) <= s.after.ratio + 1e-9) least = Math.min(least, moved);
  }
  assert.equal(s.after.ratio, 9 / 8);
  assert.equal(least, 110);
  assert.equal(plan.bytesMoved / MIB, 120);
  assert.ok(plan.bytesMoved / MIB <= 1.5 * least);
});

test('incremental with one move takes a replica off the hottest broker', () => {
  const plan = planBalance(skewedSixBrokers(), TWO_GROUPS, { mode: 'incremental', maxMoves: 1 });
  assert.equal(plan.moves.length, 1);
  assert.deepEqual([plan.moves[0]!.kind, plan.moves[0]!.topic, plan.moves[0]!.partition, plan.moves[0]!.from, plan.moves[0]!.to], ['replica', 'orders', 0, 1, 3]);
  const hottest = plan.brokers.reduce((a, b) => (b.before.bytesIn > a.before.bytesIn ? b : a));
  assert.equal(hottest.id, 1);
  assert.equal(hottest.after.bytesIn, 48 * MIB);
});

test('drain empties the broker, inside its group', () => {
  const plan = planBalance(skewedSixBrokers(), TWO_GROUPS, { mode: 'drain', brokers: [5], maxMoves: 100 });
  const five = plan.brokers.find((b) => b.id === 5)!;
  assert.equal(five.before.replicas, 7);
  assert.deepEqual(five.after, { bytesIn: 0, bytesOut: 0, disk: 0, leaders: 0, replicas: 0 });
  assert.deepEqual(plan.moves.filter((m) => m.goal.kind === 'drain').map((m) => `${m.topic}-${m.partition}:${m.to}`), ['logs-0:6', 'logs-1:6', 'logs-2:6', 'logs-3:6', 'logs-4:6', 'logs-5:6', 'logs-6:6']);
});

test('add brokers moves replicas onto the new brokers only', () => {
  const model: ClusterModel = { brokers: brokers(1, 2), partitions: [1, 2, 3, 4, 5, 6].map((mb, i) => part('t', i, [i % 2 ? 1 : 2], mb)) };
  const plan = planBalance(model, config(), { mode: 'add', brokers: [3] });
  assert.ok(plan.moves.length > 0);
  for (const m of plan.moves) assert.equal(m.to, 3);
  // Only new brokers receive: 1 and 2 do not trade with each other.
  assert.deepEqual(plan.brokers.map((b) => [b.before.bytesIn / MIB, b.after.bytesIn / MIB]), [[12, 8], [9, 6], [0, 7]]);
});

test('leader-only plans change leaders and nothing else', () => {
  const model: ClusterModel = { brokers: brokers(1, 2, 3), partitions: [0, 1, 2, 3, 4, 5].map((i) => part('t', i, [1, 2 + (i % 2), 3 - (i % 2)].slice(0, 2), 2, 4)) };
  const plan = planBalance(model, config(), { mode: 'leaders' });
  assert.ok(plan.moves.length > 0);
  for (const r of plan.reassignments) {
    assert.deepEqual([...r.replicasAfter].sort(), [...r.replicasBefore].sort());
    assert.deepEqual([r.adding, r.removing], [[], []]);
  }
  assert.equal(plan.bytesMoved, 0);
  assert.deepEqual(plan.brokers.map((b) => b.after.leaders), [2, 2, 2]);
  assert.deepEqual(plan.brokers.map((b) => b.after.bytesIn), plan.brokers.map((b) => b.before.bytesIn));
});

test('racks: replicas sharing a rack are spread; no move puts two on one rack', () => {
  const model: ClusterModel = { brokers: [{ id: 1, rack: 'a' }, { id: 2, rack: 'a' }, { id: 3, rack: 'b' }, { id: 4, rack: 'b' }], partitions: [part('t', 0, [1, 2], 1), part('t', 1, [3, 4], 1), part('t', 2, [1, 3], 1)] };
  const plan = planBalance(model, config(), { mode: 'full' });
  const rack = (b: number): string => (b <= 2 ? 'a' : 'b');
  for (const r of plan.reassignments) assert.equal(new Set(r.replicasAfter.map(rack)).size, 2, `${r.topic}-${r.partition}`);
  assert.deepEqual(plan.moves.slice(0, 2).map((m) => m.goal.kind), ['rack', 'rack']);
});

test('a partition whose ISR is short is never moved', () => {
  const model: ClusterModel = { brokers: brokers(1, 2), partitions: [{ ...part('t', 0, [1], 10), isr: [] }, part('t', 1, [1], 1)] };
  const plan = planBalance(model, config(), { mode: 'full' });
  assert.deepEqual(plan.reassignments.map((r) => `${r.topic}-${r.partition}`), ['t-1']);
  assert.equal(plan.underReplicated, 1);
});

test('a plan on p95 differs from one on the mean under a daily peak, and uses p95', () => {
  const H = 3_600_000;
  const T0 = 1_800_000_000_000;
  const hourly = (rate: (h: number) => number) => {
    const values = [0];
    for (let h = 0; h < 24; h++) values.push(values[h]! + rate(h) * 3600);
    return { ts: values.map((_, i) => T0 + i * H), values };
  };
  const evidence = (partition: number, rate: (h: number) => number) => {
    const end = hourly(rate);
    return { topic: 't', partition, endOffsets: end, startOffsets: { ts: [T0], values: [0] }, logSize: { ts: [T0 + 24 * H], values: [end.values[24]!] } };
  };
  // t-0 peaks at 600 B/s four hours a day (mean 100); t-1 and t-2 are steady.
  const ev = [evidence(0, (h) => (h >= 16 && h < 20 ? 600 : 0)), evidence(1, () => 100), evidence(2, () => 200)];
  const placement = [[1], [1], [2]];
  const modelOn = (statistic: string): ClusterModel => ({
    brokers: brokers(1, 2),
    partitions: ev.map((e, i) => {
      const l = partitionLoad(e, { statistic, from: T0, to: T0 + 24 * H, stepMs: H });
      return { topic: 't', partition: i, replicas: placement[i]!, leader: placement[i]![0]!, bytesIn: l.bytesIn, bytesOut: 0, diskBytes: 1000 };
    }),
  });
  const onMean = planBalance(modelOn('mean'), config({ peak: { statistic: 'mean' } }), { mode: 'full' });
  const onPeak = planBalance(modelOn(config().peak.statistic), config(), { mode: 'full' });
  assert.equal(config().peak.statistic, 'p95');
  assert.deepEqual(onMean.reassignments, []);
  assert.deepEqual(onPeak.reassignments.map((r) => `${r.topic}-${r.partition} ${r.replicasBefore} → ${r.replicasAfter}`), ['t-1 1 → 2']);
  assert.deepEqual(onPeak.brokers.map((b) => [b.before.bytesIn, b.after.bytesIn]), [[700, 600], [200, 300]]);
});

test('bad requests name the argument', () => {
  assert.throws(() => planBalance(skewedSixBrokers(), TWO_GROUPS, { mode: 'drain' }), /^RangeError: brokers: the drain mode needs the brokers to drain$/);
  assert.throws(() => planBalance(skewedSixBrokers(), TWO_GROUPS, { mode: 'drain', brokers: [9] }), /brokers: broker 9 is not in the cluster/);
  assert.throws(() => planBalance(skewedSixBrokers(), TWO_GROUPS, { mode: 'full', maxMoves: 0 }), /maxMoves: expected a positive integer, got 0/);
});

test('capacity: a broker above its limit is relieved, and no move puts another above it', () => {
  const model: ClusterModel = { brokers: brokers(1, 2, 3), partitions: [part('t', 0, [1], 6), part('t', 1, [1], 4), part('t', 2, [1], 2), part('t', 3, [2], 9)] };
  const c = config({ capacity: { bytesInPerSec: 10 * MIB, utilization: 1 }, balancedRatio: 100 });
  const plan = planBalance(model, c, { mode: 'full' });
  assert.deepEqual(plan.moves.map((m) => [m.goal.kind, m.goal.resource, `${m.topic}-${m.partition}`, m.from, m.to]), [['capacity', 'bytesIn', 't-2', 1, 3]]);
  assert.deepEqual(plan.brokers.map((b) => b.after.bytesIn / MIB), [10, 9, 2]);
});

test('the byte budget stops a plan and says so', () => {
  const c = config({ ...TWO_GROUPS, budget: { maxBytes: 1500 * MIB } });
  const plan = planBalance(skewedSixBrokers(), c, { mode: 'full' });
  assert.equal(plan.bytesMoved, 1500 * MIB);
  assert.equal(plan.unmet[0], 'balance of bytes in within group core: max/min 1.66× after the plan, target 1.1× (the budget is spent: 2 of 200 moves, 1.5 GiB of 1.5 GiB)');
});

test('a swap balances what no single move can: 16 vs 12 MiB/s, replicas of 10 and 6 against 8 and 4', () => {
  // Any single move from broker 0 (10 or 6 MiB/s) to broker 1 overshoots the 4 MiB/s gap; swapping
  // the 6 for the 4 (or the 10 for the 8) moves 2 net and leaves both at 14; the first pair holds
  // half the bytes, so it is the one chosen.
  const model: ClusterModel = {
    brokers: brokers(0, 1),
    partitions: [part('t', 0, [0], 10, 0, 100), part('t', 1, [0], 6, 0, 50), part('t', 2, [1], 8, 0, 100), part('t', 3, [1], 4, 0, 50)],
  };
  const plan = planBalance(model, config(), { mode: 'full' });
  assert.deepEqual(plan.reassignments.map((r) => [`${r.topic}-${r.partition}`, r.replicasBefore, r.replicasAfter]), [['t-1', [0], [1]], ['t-3', [1], [0]]]);
  assert.deepEqual(plan.brokers.map((b) => [b.id, b.before.bytesIn / MIB, b.after.bytesIn / MIB]), [[0, 16, 14], [1, 12, 14]]);
  assert.equal(plan.bytesMoved, 100 * MIB);
  assert.deepEqual(plan.unmet, []);
  assert.match(explainPlan(plan), /t-1: replica 0 → 1 \(balance of bytes in within group default\): swapped: t-1 0 → 1 and t-3 1 → 0, as no single move improves it/);
});

test('a leadership swap balances bytes out without copying: leaders of 10 and 6 against 8 and 4', () => {
  // Both brokers hold every partition (bytes in are equal); broker 0 leads 16 MiB/s out, broker 1
  // 12. Handing either of broker 0's leaderships over overshoots the gap; swapping the leaderships
  // of the 6 and the 4 leaves 14 each, and copies nothing.
  const model: ClusterModel = {
    brokers: brokers(0, 1),
    partitions: [part('t', 0, [0, 1], 0, 10, 100), part('t', 1, [0, 1], 0, 6, 50), part('t', 2, [1, 0], 0, 8, 100), part('t', 3, [1, 0], 0, 4, 50)],
  };
  const plan = planBalance(model, config(), { mode: 'leaders' });
  assert.deepEqual(plan.moves.map((m) => [m.kind, `${m.topic}-${m.partition}`, m.from, m.to]), [['leader', 't-0', 0, 1], ['leader', 't-2', 1, 0]]);
  assert.deepEqual(plan.brokers.map((b) => [b.id, b.before.bytesOut / MIB, b.after.bytesOut / MIB]), [[0, 16, 14], [1, 12, 14]]);
  assert.equal(plan.bytesMoved, 0);
});
