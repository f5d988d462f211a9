import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readCopyRows } from '../../src/store/copy-binary.ts';
import { createPartition } from '../../src/store/partitions.ts';
import { sqlState } from '../../src/store/sql.ts';
import { countRows, DAY, forEachBackend, NOW } from './support.ts';

const rows = (ids: number[], ts: number[], values: number[]) => ({
  seriesIds: Int32Array.from(ids),
  ts: Float64Array.from(ts),
  values: Float64Array.from(values),
});

forEachBackend((backend) => {
  test('tx commits when fn resolves and rolls back when it throws', async () => {
    const db = await backend.fresh({ migrate: false });
    await db.exec('CREATE TABLE t (v int); CREATE TABLE u (v int)');
    assert.equal(await db.tx(async (q) => (await q.query('INSERT INTO t VALUES ($1), ($2)', [1, 2])).rowCount), 2);
    await assert.rejects(
      db.tx(async (q) => {
        await q.query('INSERT INTO t VALUES (3)');
        await q.exec('INSERT INTO u VALUES (1); INSERT INTO u VALUES (2)');
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    assert.deepEqual((await db.query<{ v: number }>('SELECT v FROM t ORDER BY v')).rows.map((r) => r.v), [1, 2]);
    assert.equal(await countRows(db, 'u'), 0);
  });

  test('copySamples stores exact times and values, NaN and infinities included', async () => {
    const db = await backend.fresh();
    await createPartition(db, 'samples', NOW);
    const midnight = Date.UTC(2024, 2, 10);
    const times = [midnight, NOW + 1, NOW + 999, midnight + 86_399_999];
    const values = [0.1, -1e300, Number.NaN, Number.POSITIVE_INFINITY];
    assert.equal(await db.copySamples(rows([1, 1, 2, 3], times, values)), 4);
    const stored = await db.query<{ id: number; ts: number; value: number }>(
      `SELECT series_id AS id, (extract(epoch from ts) * 1000)::float8 AS ts, value FROM samples ORDER BY ts`,
    );
    assert.deepEqual(stored.rows.map((r) => [r.id, r.ts, r.value]), [
      [1, midnight, 0.1],
      [1, NOW + 1, -1e300],
      [2, NOW + 999, Number.NaN],
      [3, midnight + 86_399_999, Number.POSITIVE_INFINITY],
    ]);
    assert.equal(await db.copySamples(rows([], [], [])), 0);
  });

  test('a plain copy of a stored (series, ts) fails whole; an idempotent one skips it', async () => {
    const db = await backend.fresh();
    await createPartition(db, 'samples', NOW);
    await db.copySamples(rows([1, 1], [NOW, NOW + 1000], [1, 2]));
    await assert.rejects(db.copySamples(rows([1, 1], [NOW + 1000, NOW + 2000], [9, 3])), (err) => sqlState(err) === '23505');
    assert.equal(await countRows(db, 'samples'), 2);
    assert.equal(await db.copySamples(rows([1, 1, 1], [NOW, NOW + 1000, NOW + 2000], [9, 9, 3]), { idempotent: true }), 1);
    assert.equal(await db.copySamples(rows([1, 1, 1], [NOW, NOW + 1000, NOW + 2000], [9, 9, 3]), { idempotent: true }), 0);
    const stored = await db.query<{ value: number }>('SELECT value FROM samples ORDER BY ts');
    assert.deepEqual(stored.rows.map((r) => r.value), [1, 2, 3], 'existing rows are kept, not overwritten');
    // The connection is usable after the failed copy.
    assert.equal(await countRows(db, 'samples'), 3);
  });

  test('a sample for a day without partition is refused: there is no default partition', async () => {
    const db = await backend.fresh();
    await createPartition(db, 'samples', NOW);
    await assert.rejects(db.copySamples(rows([1], [NOW + DAY], [1])), (err) => sqlState(err) === '23514');
  });

  test('copyOut gives a query\'s rows in binary COPY format: int4, bytea and NULL fields as sent, a refused query as the server\'s error', async () => {
    const db = await backend.fresh();
    const data = await db.copyOut(`SELECT i, CASE WHEN i = 2 THEN NULL ELSE decode(repeat('ff00', i), 'hex') END FROM generate_series(1, 3) i`);
    const rows = readCopyRows(data).map((row) => row.map((f) => (f === null ? null : [...f])));
    assert.deepEqual(rows, [
      [[0, 0, 0, 1], [0xff, 0]],
      [[0, 0, 0, 2], null],
      [[0, 0, 0, 3], [0xff, 0, 0xff, 0, 0xff, 0]],
    ]);
    assert.deepEqual(readCopyRows(await db.copyOut('SELECT 1 WHERE false')), []);
    await assert.rejects(db.copyOut('SELECT no_such_column FROM samples'), (err) => sqlState(err) === '42703');
    // The connection a refused COPY used serves the next statement.
    assert.equal(readCopyRows(await db.copyOut('SELECT 7::int4')).length, 1);
  });
});

test('readCopyRows names the byte where data stops being a binary COPY stream', () => {
  const header = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0];
  const stream = (...bytes: number[]) => Uint8Array.from([...header, ...bytes]);
  assert.deepEqual(readCopyRows(stream(0, 1, 0, 0, 0, 1, 42, 0xff, 0xff)).map((r) => r.map((f) => [...f!])), [[[42]]]);
  assert.throws(() => readCopyRows(Uint8Array.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff])), {
    message: 'binary COPY data, byte 10 of 21: not the PGCOPY signature',
  });
  assert.throws(() => readCopyRows(stream(0, 1, 0, 0, 0, 1, 42)), { message: 'binary COPY data, byte 26 of 26: ends without the trailer (-1)' });
  assert.throws(() => readCopyRows(stream(0, 1, 0, 0, 0, 9, 42, 0xff, 0xff)), { message: 'binary COPY data, byte 25 of 28: field 1 of 1 claims 9 bytes' });
  assert.throws(() => readCopyRows(stream(0, 2, 0, 0, 0, 1, 42, 0xff)), { message: 'binary COPY data, byte 26 of 27: ends inside field 2 of 2' });
  assert.throws(() => readCopyRows(Uint8Array.from(header)), { message: 'binary COPY data, byte 0 of 19: too short for a header and a trailer' });
});
