import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Maintenance } from '../../src/store/maintenance.ts';
import { rollup } from '../../src/store/rollup.ts';
import { STALE_NAN } from '../../src/rules/promql/stale.ts';
import { Writer } from '../../src/store/writer.ts';
import type { Db } from '../../src/store/types.ts';
import { forEachBackend, HOUR, MINUTE } from './support.ts';
import { VirtualClock } from '../../src/clock.ts';

const T10 = Date.UTC(2024, 2, 10, 10);

/** Series `i` gets value (i + 1) × k at T10 + 15 s × k, for k in [0, count). */
function samples(count: number, series = 2) {
  const out = [];
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < series; i++) out.push({ metric: 'm', labels: { cluster: 'c1', i: String(i) }, ts: T10 + k * 15_000, value: (i + 1) * k });
  }
  return out;
}

async function write(db: Db, batch: ReturnType<typeof samples>, now: number): Promise<Writer> {
  const writer = new Writer({ db, clock: new VirtualClock(now) });
  await writer.write(batch);
  await writer.flush();
  return writer;
}

type Row = [string, number, number, number, number, number];

async function rows(db: Db, table: 'samples_1m' | 'samples_1h'): Promise<Row[]> {
  const result = await db.query<{ i: string; bucket: number; avg: number; min: number; max: number; count: number }>(
    `SELECT se.labels ->> 'i' AS i, (extract(epoch from r.bucket) * 1000)::float8 AS bucket, r.avg, r.min, r.max, r.count
     FROM ${table} r JOIN series se ON se.id = r.series_id ORDER BY 1, 2`,
  );
  return result.rows.map((r) => [r.i, r.bucket, r.avg, r.min, r.max, r.count]);
}

/** What a bucket of series `i` must hold, computed here from the same values. */
function expected(i: number, bucket: number, width: number, ks: number[]): Row {
  const values = ks.filter((k) => T10 + k * 15_000 >= bucket && T10 + k * 15_000 < bucket + width).map((k) => (i + 1) * k);
  return [String(i), bucket, values.reduce((a, b) => a + b, 0) / values.length, Math.min(...values), Math.max(...values), values.length];
}

forEachBackend((backend) => {
  test('staleness markers (NaN) are not averaged into a bucket, and a bucket of markers alone has no row', async () => {
    const db = await backend.fresh();
    const m = { metric: 'm', labels: { cluster: 'c1', i: '0' } };
    await write(db, [
      { ...m, ts: T10, value: 2 }, { ...m, ts: T10 + 15_000, value: 4 }, { ...m, ts: T10 + 30_000, value: STALE_NAN },
      { ...m, ts: T10 + MINUTE + 15_000, value: STALE_NAN },
      { ...m, ts: T10 + 2 * MINUTE, value: 8 },
    ], T10 + HOUR);
    assert.deepEqual(await rollup(db, T10, T10 + 3 * MINUTE), { minutes: 2, hours: 1 });
    assert.deepEqual(await rows(db, 'samples_1m'), [['0', T10, 3, 2, 4, 2], ['0', T10 + 2 * MINUTE, 8, 8, 8, 1]]);
    assert.deepEqual(await rows(db, 'samples_1h'), [['0', T10, 14 / 3, 2, 8, 3]]);
  });

  test('1-minute and 1-hour rollups hold the exact avg, min, max and count, and rerunning changes nothing', async () => {
    const db = await backend.fresh();
    const writer = await write(db, samples(480), T10 + 2 * HOUR);
    const ks = Array.from({ length: 480 }, (_, k) => k);
    assert.deepEqual(await rollup(db, T10, T10 + 2 * HOUR), { minutes: 240, hours: 4 });
    const minutes = await rows(db, 'samples_1m');
    assert.equal(minutes.length, 240);
    assert.deepEqual(minutes[0], ['0', T10, 1.5, 0, 3, 4]);
    assert.deepEqual(minutes, [0, 1].flatMap((i) => Array.from({ length: 120 }, (_, m) => expected(i, T10 + m * MINUTE, MINUTE, ks))));
    assert.deepEqual(await rows(db, 'samples_1h'), [
      ['0', T10, 119.5, 0, 239, 240],
      ['0', T10 + HOUR, 359.5, 240, 479, 240],
      ['1', T10, 239, 0, 478, 240],
      ['1', T10 + HOUR, 719, 480, 958, 240],
    ]);
    await rollup(db, T10, T10 + 2 * HOUR);
    assert.deepEqual(await rows(db, 'samples_1m'), minutes);

    // A sample stored late inside 10:00 changes its minute and hour when that range is rolled up again.
    await writer.close();
    const id = writer.cache.ref('m', { cluster: 'c1', i: '0' }).id;
    await db.copySamples({ seriesIds: Int32Array.of(id), ts: Float64Array.of(T10 + 7_000), values: Float64Array.of(100) });
    assert.deepEqual(await rollup(db, T10 + 7_000, T10 + 7_001), { minutes: 2, hours: 2 });
    assert.deepEqual((await rows(db, 'samples_1m'))[0], ['0', T10, 106 / 5, 0, 100, 5]);
    assert.deepEqual((await rows(db, 'samples_1h'))[0], ['0', T10, (119.5 * 240 + 100) / 241, 0, 239, 241]);
  });

  test('the maintenance job rolls up what was written, ended hours only, and a restarted job catches up', async () => {
    const db = await backend.fresh();
    const now = T10 + 2 * HOUR + 30 * MINUTE; // 12:30
    const writer = await write(db, samples(600, 1), now); // 10:00 to 12:29:45
    const job = new Maintenance({ db, written: writer, clock: new VirtualClock(now) });
    await job.runOnce();
    await writer.close();
    const minutes = await rows(db, 'samples_1m');
    assert.equal(minutes.length, 150);
    assert.deepEqual(minutes.at(-1), ['0', T10 + 149 * MINUTE, 597.5, 596, 599, 4]);
    assert.deepEqual((await rows(db, 'samples_1h')).map((r) => r[1]), [T10, T10 + HOUR], '12:00 has not ended');
    const state = await db.query<{ until: number }>(`SELECT (extract(epoch from done_until) * 1000)::float8 AS until FROM rollup_state`);
    assert.deepEqual(state.rows.map((r) => r.until), [T10 + 2 * HOUR]);

    const restarted = new Maintenance({ db, clock: new VirtualClock(T10 + 3 * HOUR + 5 * MINUTE) });
    await restarted.runOnce();
    assert.deepEqual((await rows(db, 'samples_1h')).at(-1), ['0', T10 + 2 * HOUR, 539.5, 480, 599, 120]);
    const after = await db.query<{ until: number }>(`SELECT (extract(epoch from done_until) * 1000)::float8 AS until FROM rollup_state`);
    assert.deepEqual(after.rows.map((r) => r.until), [T10 + 3 * HOUR]);
  });
});
