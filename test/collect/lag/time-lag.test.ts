/**
 * Time-lag tables: exact interpolated values, flat runs, no extrapolation below the table, zero
 * at the log end, bounds, and the per-partition structure with eviction.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OffsetTimeTable, OffsetTimeTables } from '../../../src/collect/lag/time-lag.ts';
import { isSluiceError } from '../../../src/errors.ts';

const S = 1000;

/** A table filled with `[offset, seconds]` points. */
function tableOf(points: Array<[number, number]>, options = {}): OffsetTimeTable {
  const table = new OffsetTimeTable(options);
  for (const [offset, seconds] of points) table.append(offset, seconds * S);
  return table;
}

describe('OffsetTimeTable.timeLagMs', () => {
  test('interpolates linearly between the points around the committed offset', () => {
    const table = tableOf([
      [100, 0],
      [200, 10],
      [400, 20],
    ]);
    // 150 is half-way from (100, 0 s) to (200, 10 s): produced at 5 s.
    assert.equal(table.timeAtOffset(150), 5 * S);
    assert.equal(table.timeLagMs(150, 30 * S), 25 * S);
    // 300 is half-way from (200, 10 s) to (400, 20 s): produced at 15 s.
    assert.equal(table.timeLagMs(300, 30 * S), 15 * S);
    // On a point exactly: that point's time.
    assert.equal(table.timeLagMs(200, 30 * S), 20 * S);
    assert.equal(table.timeLagMs(100, 30 * S), 30 * S);
  });

  test('is 0 at or past the newest offset, even with a single point', () => {
    const table = tableOf([
      [100, 0],
      [200, 10],
    ]);
    assert.equal(table.timeLagMs(200, 60 * S), 0);
    assert.equal(table.timeLagMs(250, 60 * S), 0);
    assert.equal(tableOf([[100, 0]]).timeLagMs(100, 60 * S), 0);
  });

  test('is undefined (absent) below the oldest point and for an empty table, never extrapolated', () => {
    const table = tableOf([
      [100, 0],
      [200, 10],
    ]);
    assert.equal(table.timeLagMs(99, 60 * S), undefined);
    assert.equal(table.timeLagMs(0, 60 * S), undefined);
    assert.equal(tableOf([[100, 0]]).timeLagMs(50, 60 * S), undefined);
    assert.equal(new OffsetTimeTable().timeLagMs(0, 60 * S), undefined);
  });

  test('a flat run keeps its first and last points, and a committed offset at the run dates from its last point', () => {
    const table = tableOf([
      [100, 0],
      [200, 10],
      [200, 20],
      [200, 30],
      [200, 40],
      [300, 50],
    ]);
    assert.deepEqual(table.points(), [
      { offset: 100, timeMs: 0 },
      { offset: 200, timeMs: 10 * S },
      { offset: 200, timeMs: 40 * S },
      { offset: 300, timeMs: 50 * S },
    ]);
    // The log end sat at 200 until 40 s: message 200 was produced after 40 s, not at 10 s.
    assert.equal(table.timeLagMs(200, 60 * S), 20 * S);
    // 250 is half-way from (200, 40 s) to (300, 50 s).
    assert.equal(table.timeLagMs(250, 60 * S), 15 * S);
    // 150 is half-way from (100, 0 s) to the run's first point (200, 10 s).
    assert.equal(table.timeLagMs(150, 60 * S), 55 * S);
  });

  test('a group caught up during an idle hour and one message behind after it is charged one cycle, not the idle hour', () => {
    const table = new OffsetTimeTable({ maxPoints: 500, maxAgeMs: 2 * 3600 * S });
    for (let t = 0; t <= 3600; t += 10) table.append(500, t * S);
    table.append(501, 3610 * S);
    assert.equal(table.size, 3);
    assert.equal(table.timeLagMs(500, 3610 * S), 10 * S);
    assert.equal(table.timeLagMs(501, 3610 * S), 0);
  });

  test('a stopped group under a steady producer gains exactly 1 s of time lag per second', () => {
    // 100 messages/s, log end read every 10 s; the group stopped at offset 2_550 (t = 25.5 s).
    const table = new OffsetTimeTable({ maxPoints: 1000, maxAgeMs: 3600 * S });
    const committed = 2_550;
    const lags: number[] = [];
    for (let t = 0; t <= 600; t += 10) {
      table.append(t * 100, t * S);
      if (t >= 30) lags.push(table.timeLagMs(committed, t * S)!);
    }
    assert.equal(lags[0], 4_500);
    for (let i = 1; i < lags.length; i++) assert.equal(lags[i] - lags[i - 1], 10 * S);
    assert.equal(lags[lags.length - 1], 574_500);
    // Between readings, too: the estimate is fixed, only now moves.
    assert.equal(table.timeLagMs(committed, 601_000), 575_500);
  });

  test('ignores a point not later than the newest one', () => {
    const table = tableOf([
      [100, 10],
      [200, 20],
    ]);
    assert.equal(table.append(300, 20 * S), 'out-of-order');
    assert.equal(table.append(300, 15 * S), 'out-of-order');
    assert.deepEqual(table.points(), [
      { offset: 100, timeMs: 10 * S },
      { offset: 200, timeMs: 20 * S },
    ]);
  });

  test('starts over when the log end goes backwards (topic recreated)', () => {
    const table = tableOf([
      [100, 10],
      [200, 20],
    ]);
    assert.equal(table.append(5, 30 * S), 'reset');
    assert.deepEqual(table.points(), [{ offset: 5, timeMs: 30 * S }]);
    assert.equal(table.timeLagMs(150, 40 * S), 0);
    assert.equal(table.timeLagMs(2, 40 * S), undefined);
  });

  test('reports what append did', () => {
    const table = new OffsetTimeTable();
    assert.equal(table.append(1, 1), 'inserted');
    assert.equal(table.append(1, 2), 'inserted');
    assert.equal(table.append(1, 3), 'extended');
    assert.equal(table.append(2, 4), 'inserted');
  });

  test('keeps at most maxPoints points, dropping the oldest', () => {
    const table = new OffsetTimeTable({ maxPoints: 3, maxAgeMs: 3600 * S });
    for (let i = 1; i <= 5; i++) table.append(i * 10, i * S);
    assert.deepEqual(
      table.points().map((p) => p.offset),
      [30, 40, 50],
    );
    assert.equal(table.timeLagMs(20, 10 * S), undefined);
    assert.equal(table.timeLagMs(35, 10 * S), 6_500);
  });

  test('keeps maxAgeMs of history: the oldest point goes once the next one covers the span', () => {
    const table = new OffsetTimeTable({ maxPoints: 100, maxAgeMs: 60 * S });
    for (let t = 0; t <= 100; t += 10) table.append(t, t * S);
    // Cutoff 40 s: (40, 40 s) alone covers it, so everything before it went.
    assert.equal(table.points()[0].offset, 40);
    table.append(105, 105 * S);
    // Cutoff 45 s: 50 s is the next point, not yet old enough, so (40, 40 s) stays.
    assert.equal(table.points()[0].offset, 40);
    assert.equal(table.timeLagMs(45, 105 * S), 60 * S);
  });

  test('grows its storage past the initial size without losing order', () => {
    const table = new OffsetTimeTable({ maxPoints: 50, maxAgeMs: 3600 * S });
    for (let i = 0; i < 75; i++) table.append(i, i * S);
    const points = table.points();
    assert.equal(points.length, 50);
    assert.deepEqual(points[0], { offset: 25, timeMs: 25 * S });
    assert.deepEqual(points[49], { offset: 74, timeMs: 74 * S });
    assert.equal(table.timeLagMs(30, 100 * S), 70 * S);
  });

  test('rejects bounds that cannot hold a segment, naming the option', () => {
    assert.throws(
      () => new OffsetTimeTable({ maxPoints: 1 }),
      (err) => isSluiceError(err, 'SLUICE_ERR_CONFIG_INVALID') && err.path === 'maxPoints',
    );
    assert.throws(
      () => new OffsetTimeTables({ maxAgeMs: 0 }),
      (err) => isSluiceError(err, 'SLUICE_ERR_CONFIG_INVALID') && err.path === 'maxAgeMs',
    );
  });
});

describe('OffsetTimeTables', () => {
  test('keeps one table per topic-partition and answers through it', () => {
    const tables = new OffsetTimeTables();
    tables.append('orders', 0, 0, 0);
    tables.append('orders', 0, 100, 10 * S);
    tables.append('orders', 1, 0, 0);
    tables.append('orders', 1, 50, 10 * S);
    assert.equal(tables.size, 2);
    assert.equal(tables.timeLagMs('orders', 0, 50, 20 * S), 15 * S);
    assert.equal(tables.timeLagMs('orders', 1, 25, 20 * S), 15 * S);
    assert.equal(tables.timeLagMs('orders', 2, 0, 20 * S), undefined);
    assert.equal(tables.timeLagMs('payments', 0, 0, 20 * S), undefined);
  });

  test('retain drops the tables of deleted topics and partitions', () => {
    const tables = new OffsetTimeTables();
    for (const [topic, partition] of [
      ['orders', 0],
      ['orders', 1],
      ['orders', 2],
      ['payments', 0],
    ] as const) {
      tables.append(topic, partition, 1, 1);
    }
    const dropped = tables.retain([
      { topic: 'orders', partition: 0 },
      { topic: 'orders', partition: 2 },
    ]);
    assert.equal(dropped, 2);
    assert.equal(tables.size, 2);
    assert.equal(tables.table('orders', 1), undefined);
    assert.equal(tables.table('payments', 0), undefined);
    assert.notEqual(tables.table('orders', 2), undefined);
    assert.equal(tables.deleteTopic('orders'), true);
    assert.equal(tables.size, 0);
  });

  test('evictUnseen drops partitions not read for maxAgeMs', () => {
    const tables = new OffsetTimeTables({ maxAgeMs: 60 * S });
    tables.append('orders', 0, 1, 0);
    tables.append('orders', 1, 1, 0);
    tables.append('orders', 1, 1, 50 * S);
    assert.equal(tables.evictUnseen(60 * S), 0);
    assert.equal(tables.evictUnseen(61 * S), 1);
    assert.equal(tables.table('orders', 0), undefined);
    assert.notEqual(tables.table('orders', 1), undefined);
  });
});
