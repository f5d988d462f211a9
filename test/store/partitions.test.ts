import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dropExpiredPartitions, ensurePartitions, listPartitions, parsePartitionName, partitionName } from '../../src/store/partitions.ts';
import { Writer } from '../../src/store/writer.ts';
import { countRows, DAY, forEachBackend, NOW } from './support.ts';
import { VirtualClock } from '../../src/clock.ts';

describe('partition names', () => {
  test('say the UTC day or month they hold', () => {
    assert.equal(partitionName('samples', NOW), 'samples_20240310');
    assert.equal(partitionName('samples_1h', NOW), 'samples_1h_202403');
    assert.deepEqual(parsePartitionName('samples_1m', 'samples_1m_20240229'), {
      name: 'samples_1m_20240229',
      start: Date.UTC(2024, 1, 29),
      end: Date.UTC(2024, 2, 1),
    });
    assert.deepEqual(parsePartitionName('samples_1h', 'samples_1h_202412'), {
      name: 'samples_1h_202412',
      start: Date.UTC(2024, 11, 1),
      end: Date.UTC(2025, 0, 1),
    });
    assert.equal(parsePartitionName('samples', 'samples_20240231'), undefined, 'not a real day');
    assert.equal(parsePartitionName('samples', 'samples_1m_20240301'), undefined, 'another table');
  });
});

forEachBackend((backend) => {
  test('ensurePartitions creates today and two days ahead, once', async () => {
    const db = await backend.fresh();
    assert.deepEqual(await ensurePartitions(db, NOW), [
      'samples_20240310',
      'samples_20240311',
      'samples_20240312',
      'samples_1m_20240310',
      'samples_1m_20240311',
      'samples_1m_20240312',
      'samples_1h_202403',
    ]);
    assert.deepEqual(await ensurePartitions(db, NOW), []);
    // Near the end of a month, the next month's hourly partition is created too.
    assert.deepEqual((await ensurePartitions(db, Date.UTC(2024, 2, 30, 23))).filter((n) => n.startsWith('samples_1h')), ['samples_1h_202404']);
    const samples = await listPartitions(db, 'samples');
    assert.deepEqual(samples.map((p) => p.name), ['samples_20240310', 'samples_20240311', 'samples_20240312', 'samples_20240330', 'samples_20240331', 'samples_20240401']);
    assert.deepEqual([samples[0]!.start, samples[0]!.end], [Date.UTC(2024, 2, 10), Date.UTC(2024, 2, 11)]);
  });

  test('the writer creates the partition of a day it reaches', async () => {
    const db = await backend.fresh();
    const writer = new Writer({ db, clock: new VirtualClock(NOW) });
    await writer.write([
      { metric: 'm', labels: { cluster: 'c1' }, ts: NOW - 3 * DAY, value: 1 },
      { metric: 'm', labels: { cluster: 'c1' }, ts: NOW, value: 2 },
    ]);
    await writer.close();
    assert.deepEqual((await listPartitions(db, 'samples')).map((p) => p.name), ['samples_20240307', 'samples_20240308', 'samples_20240309', 'samples_20240310']);
    assert.equal(await countRows(db, 'samples'), 2);
  });

  test('retention drops whole partitions past each table’s retention, and nothing else', async () => {
    const db = await backend.fresh();
    const start = Date.UTC(2024, 0, 1);
    for (let day = 0; day < 70; day++) await ensurePartitions(db, start + day * DAY, { aheadDays: 0 });
    const writer = new Writer({ db, clock: new VirtualClock(start + 69 * DAY), retentionMs: 100 * DAY });
    await writer.write(Array.from({ length: 70 }, (_, day) => ({ metric: 'm', labels: { cluster: 'c1' }, ts: start + day * DAY + 1000, value: day })));
    await writer.close();
    const now = Date.UTC(2024, 2, 10, 12); // day 69
    const dropped = await dropExpiredPartitions(db, now);
    // Raw: 7 days, so a day ending at or before 03-03T12:00 goes: everything up to 03-02.
    const rawDropped = dropped.filter((n) => /^samples_\d{8}$/.test(n));
    assert.equal(rawDropped[0], 'samples_20240101');
    assert.equal(rawDropped.at(-1), 'samples_20240302');
    assert.equal(rawDropped.length, 62);
    // 1m: 30 days, so a day ending at or before 02-09T12:00 goes: everything up to 02-08.
    const minuteDropped = dropped.filter((n) => n.startsWith('samples_1m_'));
    assert.equal(minuteDropped.at(-1), 'samples_1m_20240208');
    assert.equal(minuteDropped.length, 39);
    assert.deepEqual(dropped.filter((n) => n.startsWith('samples_1h_')), [], '1h keeps 400 days');
    assert.deepEqual((await listPartitions(db, 'samples')).map((p) => p.name).slice(0, 2), ['samples_20240303', 'samples_20240304']);
    const kept = await db.query<{ v: number }>('SELECT value AS v FROM samples ORDER BY ts');
    assert.deepEqual(kept.rows.map((r) => r.v), Array.from({ length: 8 }, (_, i) => 62 + i));
    assert.deepEqual(await dropExpiredPartitions(db, now), []);
  });
});
