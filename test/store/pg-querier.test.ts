// Samples read back from PostgreSQL as bytes: times to the µs (before 1970 and 2000 too), values
// as stored (staleness markers, -0, infinities), in time order whatever order the rows came in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isStaleNaN, STALE_NAN } from '../../src/rules/promql/stale.ts';
import { PartitionKeeper } from '../../src/store/partitions.ts';
import { decodeSamples, fetchSamples, PgQuerier } from '../../src/store/pg-querier.ts';
import { SeriesCache } from '../../src/store/series-cache.ts';
import { DAY, forEachBackend, NOW } from './support.ts';

/** Values with the staleness marker told apart from other NaNs. */
const valuesOf = (values: Float64Array): (number | 'stale')[] => [...values].map((v) => (isStaleNaN(v) ? 'stale' : v));

/** The bytes PostgreSQL's timestamptz_send and float8send give for times (ms, whole µs) and values. */
function sent(times: readonly number[], values: readonly number[]): [Uint8Array, Uint8Array] {
  const ts = new DataView(new ArrayBuffer(times.length * 8));
  const vs = new DataView(new ArrayBuffer(values.length * 8));
  times.forEach((t, i) => ts.setBigInt64(i * 8, BigInt(Math.round(t * 1000)) - 946_684_800_000_000n));
  values.forEach((v, i) => vs.setFloat64(i * 8, v));
  return [new Uint8Array(ts.buffer), new Uint8Array(vs.buffer)];
}

test('decodeSamples reads µs times on either side of both epochs, and values with staleness markers kept', () => {
  const times = [-0.001, 946_684_799_999.999, NOW + 0.5, NOW + 1000];
  const values = [STALE_NAN, -0, Infinity, 1.5];
  const decoded = decodeSamples(...sent(times, values));
  assert.deepEqual([...decoded.ts], times);
  assert.deepEqual(valuesOf(decoded.values), ['stale', -0, Infinity, 1.5]);
});

test('decodeSamples puts rows read out of time order back in order, each value with its time', () => {
  const decoded = decodeSamples(...sent([NOW + 2000, NOW, NOW + 1000], [3, 1, 2]));
  assert.deepEqual([...decoded.ts], [NOW, NOW + 1000, NOW + 2000]);
  assert.deepEqual([...decoded.values], [1, 2, 3]);
});

test('decodeSamples of no rows is two empty arrays', () => {
  const decoded = decodeSamples(new Uint8Array(0), new Uint8Array(0));
  assert.deepEqual([decoded.ts.length, decoded.values.length], [0, 0]);
});

forEachBackend((backend) => {
  test('fetchSamples and select read times to the µs and values with staleness markers kept, across day partitions', async () => {
    const db = await backend.fresh();
    const cache = new SeriesCache();
    const refs = [cache.ref('m', { cluster: 'c1', i: '0' }), cache.ref('m', { cluster: 'c1', i: '1' })];
    await cache.resolve(db, refs);
    const times = [NOW - 0.001, NOW + 0.5, NOW + DAY + 1];
    await new PartitionKeeper(db).ensureRange('samples', times[0]!, times[2]!);
    // Written newest first: the reader orders by time, not by insertion.
    await db.copySamples({
      seriesIds: Int32Array.from([refs[0]!.id, refs[0]!.id, refs[0]!.id, refs[1]!.id]),
      ts: Float64Array.from([times[2]!, times[1]!, times[0]!, NOW]),
      values: Float64Array.from([Infinity, -0, STALE_NAN, 7]),
    });
    const got = await fetchSamples(db, [refs[0]!.id, refs[1]!.id], NOW - 1, NOW + DAY + 1);
    assert.deepEqual([...got.get(refs[0]!.id)!.ts], times);
    assert.deepEqual(valuesOf(got.get(refs[0]!.id)!.values), ['stale', -0, Infinity]);
    assert.deepEqual([...got.get(refs[1]!.id)!.ts], [NOW]);
    // The range is inclusive at both ends.
    const inner = await fetchSamples(db, [refs[0]!.id], NOW, NOW + 1);
    assert.deepEqual([...inner.get(refs[0]!.id)!.ts], [NOW + 0.5]);
    const selected = await new PgQuerier(db).select([{ name: 'i', type: '=', value: '0' }], NOW - 1, NOW + DAY + 1);
    assert.deepEqual(selected.map((s) => [s.metric, s.labels, [...s.ts], [...s.values]]), [['m', { cluster: 'c1', i: '0' }, times, [NaN, -0, Infinity]]]);
  });

  test('a select over more series than one query fetches gives each series once, in id order, with its own samples', async () => {
    const db = await backend.fresh();
    const cache = new SeriesCache();
    const refs = Array.from({ length: 2500 }, (_, i) => cache.ref('lag', { cluster: 'c1', p: String(i) }));
    await cache.resolve(db, refs);
    await new PartitionKeeper(db).ensureRange('samples', NOW, NOW + 1000);
    // Series 7, 1007, … have no sample in the range: they are left out, not given another's.
    const written = refs.filter((_, i) => i % 1000 !== 7);
    await db.copySamples({
      seriesIds: Int32Array.from(written.flatMap((r) => [r.id, r.id])),
      ts: Float64Array.from(written.flatMap(() => [NOW, NOW + 1000])),
      values: Float64Array.from(written.flatMap((r) => [r.id, -r.id])),
    });
    const selected = await new PgQuerier(db).select([{ name: '__name__', type: '=', value: 'lag' }], NOW, NOW + 1000);
    assert.equal(selected.length, 2497);
    assert.deepEqual(
      selected.map((s) => [s.labels.p, [...s.ts], [...s.values]]),
      written.map((r) => [r.labels.p, [NOW, NOW + 1000], [r.id, -r.id]]),
    );
  });

  test('series rows read once are kept: a second select hands out the same labels, and series written since, or past the bound, are read', async () => {
    const db = await backend.fresh();
    const cache = new SeriesCache();
    const write = async (refs: { id: number }[]): Promise<void> => {
      await db.copySamples({ seriesIds: Int32Array.from(refs.map((r) => r.id)), ts: Float64Array.from(refs.map(() => NOW)), values: Float64Array.from(refs.map((r) => r.id)) });
    };
    await new PartitionKeeper(db).ensureRange('samples', NOW, NOW + 1000);
    const first = [cache.ref('m', { cluster: 'c1', topic: 'a' }), cache.ref('m', { cluster: 'c1', topic: 'b', x: '\u0000' })];
    await cache.resolve(db, first);
    await write(first);
    // Bound of 3 rows: the third select reads 2 new rows beside 2 known ones and starts over.
    const querier = new PgQuerier(db, { knownSeriesMax: 3 });
    const m = [{ name: '__name__', type: '=' as const, value: 'm' }];
    const a = await querier.select(m, NOW, NOW + 1000);
    const b = await querier.select(m, NOW, NOW + 1000);
    assert.deepEqual(b.map((s) => s.labels), [{ cluster: 'c1', topic: 'a' }, { cluster: 'c1', topic: 'b', x: '\u0000' }]);
    assert.ok(a.every((s, i) => s.labels === b[i]!.labels), 'the second select hands out the labels objects of the first');
    const later = [cache.ref('m', { cluster: 'c1', topic: 'c' }), cache.ref('m', { cluster: 'c1', topic: 'd' })];
    await cache.resolve(db, later);
    await write(later);
    const c = await querier.select(m, NOW, NOW + 1000);
    assert.deepEqual(c.map((s) => [s.labels.topic, [...s.values]]), [...first, ...later].map((r, i) => [['a', 'b', 'c', 'd'][i], [r.id]]));
    // A regex is matched on the kept rows as on rows just read.
    const d = await querier.select([...m, { name: 'topic', type: '=~', value: '[bd]' }], NOW, NOW + 1000);
    assert.deepEqual(d.map((s) => s.labels.topic), ['b', 'd']);
    // Series look-ups read the same rows: labels with the name, only series with a sample in range.
    assert.deepEqual(await querier.series([...m, { name: 'topic', type: '!~', value: 'a|c' }], NOW, NOW + 1000), [
      { cluster: 'c1', topic: 'b', x: '\u0000', __name__: 'm' }, { cluster: 'c1', topic: 'd', __name__: 'm' },
    ]);
    assert.deepEqual(await querier.series(m, NOW + 1, NOW + 1000), []);
  });
});
