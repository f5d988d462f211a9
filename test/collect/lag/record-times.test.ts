/**
 * Planning the record reads of time lag: only partitions behind the log end, one read per
 * partition and offset across groups, kept while a group sits on it, a budget with the partitions
 * read longest ago first, the log start for messages retention removed; and the cycle lookup:
 * the record's time where read, else interpolation, counted.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CycleTimeLag, RecordTimes, nextMessageOffset } from '../../../src/collect/lag/record-times.ts';
import { OffsetTimeTables } from '../../../src/collect/lag/time-lag.ts';
import type { GroupCommittedOffsets, PartitionLogOffsets } from '../../../src/collect/lag/lag.ts';
import { isSluiceError } from '../../../src/errors.ts';

const logs: PartitionLogOffsets[] = [
  { topic: 'orders', partition: 0, start: 0, end: 500 },
  { topic: 'orders', partition: 1, start: 200, end: 300 },
  { topic: 'orders', partition: 2, start: 0, end: 40 },
];

function group(name: string, offsets: Array<[string, number, number]>): GroupCommittedOffsets {
  return { group: name, offsets: offsets.map(([topic, partition, offset]) => ({ topic, partition, offset })) };
}

describe('nextMessageOffset', () => {
  test('the committed offset, the log start when retention removed it, none at the log end or without a commit', () => {
    const log = { topic: 't', partition: 0, start: 200, end: 300 };
    assert.equal(nextMessageOffset(250, log), 250);
    assert.equal(nextMessageOffset(150, log), 200);
    assert.equal(nextMessageOffset(300, log), undefined);
    assert.equal(nextMessageOffset(310, log), undefined);
    assert.equal(nextMessageOffset(-1, log), undefined);
    // Everything the group had not read is gone and nothing new came: nothing to read.
    assert.equal(nextMessageOffset(10, { topic: 't', partition: 0, start: 300, end: 300 }), undefined);
  });
});

describe('RecordTimes.plan', () => {
  test('reads only where a group is behind, once per partition and offset across groups', () => {
    const times = new RecordTimes();
    const plan = times.plan([
      group('billing', [['orders', 0, 400], ['orders', 1, 100], ['orders', 2, 40], ['orders', 3, 7]]),
      group('audit', [['orders', 0, 400], ['orders', 2, -1]]),
      group('search', [['orders', 0, 450]]),
    ], logs);
    // orders-1 at 100 is below the log start 200: its next message is 200. orders-2 is caught up,
    // orders-3 has no log offsets this cycle.
    assert.deepEqual(plan.reads, [
      { topic: 'orders', partition: 0, offset: 400 },
      { topic: 'orders', partition: 0, offset: 450 },
      { topic: 'orders', partition: 1, offset: 200 },
    ]);
    assert.deepEqual({ wanted: plan.wanted, known: plan.known, deferred: plan.deferred }, { wanted: 3, known: 0, deferred: 0 });
  });

  test('a record read is kept while a group sits on it and forgotten when none does', () => {
    const times = new RecordTimes();
    const groups = [group('billing', [['orders', 0, 400]]), group('audit', [['orders', 0, 450]])];
    times.plan(groups, logs);
    times.store('orders', 0, 400, 1_000);
    times.store('orders', 0, 450, 2_000);
    // Next cycle: billing still at 400, audit moved to 460.
    const next = times.plan([group('billing', [['orders', 0, 400]]), group('audit', [['orders', 0, 460]])], logs);
    assert.deepEqual(next.reads, [{ topic: 'orders', partition: 0, offset: 460 }]);
    assert.deepEqual({ wanted: next.wanted, known: next.known }, { wanted: 2, known: 1 });
    assert.equal(times.timestampAt('orders', 0, 400), 1_000);
    assert.equal(times.timestampAt('orders', 0, 450), undefined);
    assert.equal(times.size, 1);
  });

  test('over the budget, the partitions read longest ago go first and the rest are deferred', () => {
    const times = new RecordTimes({ recordReadsPerCycle: 2 });
    const many = Array.from({ length: 5 }, (_, p) => ({ topic: 'wide', partition: p, start: 0, end: 100 }));
    // Every cycle each partition has moved on, so every one wants a new read.
    const cycle = (i: number) => times.plan([group('g', many.map((l) => ['wide', l.partition, i] as [string, number, number]))], many);
    const read = (i: number) => cycle(i).reads.map((r) => r.partition);
    assert.deepEqual(read(1), [0, 1]);
    assert.deepEqual(read(2), [2, 3]);
    assert.deepEqual(read(3), [4, 0]);
    assert.deepEqual(read(4), [1, 2]);
    // Partition 3 was last read in cycle 2, partitions 0 and 4 in cycle 3 (input order breaks the tie).
    const plan = cycle(5);
    assert.deepEqual(plan.reads.map((r) => r.partition), [3, 0]);
    assert.deepEqual({ wanted: plan.wanted, deferred: plan.deferred }, { wanted: 5, deferred: 3 });
    // No budget: nothing is read, everything is deferred.
    assert.deepEqual(new RecordTimes({ recordReadsPerCycle: 0 }).plan([group('g', [['wide', 0, 1]])], many).deferred, 1);
  });

  test('a topic created again under a new id, or a partition whose log went back, is read afresh', () => {
    const times = new RecordTimes();
    const groups = [group('billing', [['orders', 0, 400], ['orders', 1, 250]])];
    times.retainTopics(new Map([['orders', 'id-1']]));
    times.plan(groups, logs);
    times.store('orders', 0, 400, 1_000);
    times.store('orders', 1, 250, 1_500);
    times.retainTopics(new Map([['orders', 'id-1']]));
    assert.equal(times.plan(groups, logs).reads.length, 0);
    times.forgetPartition('orders', 1);
    assert.deepEqual(times.plan(groups, logs).reads, [{ topic: 'orders', partition: 1, offset: 250 }]);
    times.store('orders', 1, 250, 1_500);
    times.retainTopics(new Map([['orders', 'id-2']]));
    assert.equal(times.timestampAt('orders', 0, 400), undefined);
    assert.equal(times.plan(groups, logs).reads.length, 2);
  });

  test('a negative or fractional budget is refused, naming the setting', () => {
    for (const bad of [-1, 1.5]) {
      assert.throws(() => new RecordTimes({ recordReadsPerCycle: bad }), (err) => isSluiceError(err) && err.code === 'SLUICE_ERR_CONFIG_INVALID' && err.message === `recordReadsPerCycle must be an integer >= 0, got ${bad}`);
    }
  });
});

describe('CycleTimeLag', () => {
  test('the record time where read, interpolation where not, 0 at the log end, each counted', () => {
    const NOW = 100_000;
    const times = new RecordTimes();
    const groups = [group('billing', [['orders', 0, 400], ['orders', 1, 100], ['orders', 2, 10]])];
    times.plan(groups, logs);
    times.store('orders', 0, 400, NOW - 7_250);
    // orders-1 committed 100 is read at the log start 200; a producer clock 2 s ahead reads as 0.
    times.store('orders', 1, 200, NOW + 2_000);
    const tables = new OffsetTimeTables();
    tables.append('orders', 2, 0, NOW - 40_000);
    tables.append('orders', 2, 40, NOW);
    const lag = new CycleTimeLag(times, tables, logs);
    assert.equal(lag.timeLagMs('orders', 0, 400, NOW), 7_250);
    assert.equal(lag.timeLagMs('orders', 1, 100, NOW), 0);
    // Not read: interpolated, message 10 of 0..40 over 40 s was produced 30 s ago.
    assert.equal(lag.timeLagMs('orders', 2, 10, NOW), 30_000);
    // Not read and older than the table: unknown.
    assert.equal(lag.timeLagMs('orders', 0, 300, NOW), undefined);
    // At the log end: 0, and not counted.
    assert.equal(lag.timeLagMs('orders', 2, 40, NOW), 0);
    assert.deepEqual(lag.counts, { record: 2, interpolated: 1, unknown: 1 });
  });
});
