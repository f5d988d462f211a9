import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { isSluiceError } from '../../src/errors.ts';
import { canonicalSeries, normalizeLabels, seriesHash } from '../../src/store/labels.ts';
import { SeriesCache } from '../../src/store/series-cache.ts';
import { countRows, forEachBackend } from './support.ts';

describe('canonicalSeries', () => {
  test('sorts label names, leaves out empty values and escapes values as the Prometheus text format does', () => {
    assert.equal(
      canonicalSeries('kafka_log_size', { topic: 'orders', cluster: 'prod', partition: '0', empty: '' }),
      'kafka_log_size{cluster="prod",partition="0",topic="orders"}',
    );
    assert.equal(canonicalSeries('m', { cluster: 'a"b\\c\nd' }), 'm{cluster="a\\"b\\\\c\\nd"}');
    assert.deepEqual(Object.keys(normalizeLabels({ b: '1', a: '2', c: '' })), ['a', 'b']);
  });

  test('the hash is SHA-256 of the canonical form, whatever the key order', () => {
    const a = seriesHash(canonicalSeries('m', { cluster: 'c1', topic: 't' }));
    const b = seriesHash(canonicalSeries('m', { topic: 't', cluster: 'c1' }));
    assert.deepEqual(a, b);
    assert.deepEqual(a, createHash('sha256').update('m{cluster="c1",topic="t"}').digest());
  });

  test('a series without cluster is refused with an error naming the metric', () => {
    assert.throws(
      () => canonicalSeries('kafka_server_brokertopicmetrics_bytesin_total', { topic: 'orders' }),
      (err) =>
        isSluiceError(err, 'SLUICE_ERR_STORE_SAMPLE_INVALID') &&
        err.path === 'kafka_server_brokertopicmetrics_bytesin_total' &&
        err.message === 'sample of metric kafka_server_brokertopicmetrics_bytesin_total has no "cluster" label: every series must name its cluster',
    );
    assert.throws(() => canonicalSeries('m', { cluster: '' }), /has no "cluster" label/);
  });

  test('invalid metric and label names are refused', () => {
    assert.throws(() => canonicalSeries('1bad', { cluster: 'c' }), /metric name "1bad" is invalid/);
    assert.throws(() => canonicalSeries('m', { cluster: 'c', 'a-b': 'x' }), /metric m: label name "a-b" is invalid/);
    assert.throws(() => canonicalSeries('m', { cluster: 'c', __name__: 'x' }), /label name "__name__" is invalid/);
  });
});

forEachBackend((backend) => {
  test('series ids are created once and stable across caches (a restarted process)', async () => {
    const db = await backend.fresh();
    const first = new SeriesCache();
    const refs = [
      first.ref('m1', { cluster: 'c1', topic: 'a' }),
      first.ref('m1', { cluster: 'c1', topic: 'b' }),
      first.ref('m2', { cluster: 'c1', topic: 'a' }),
    ];
    assert.equal(first.ref('m1', { topic: 'a', cluster: 'c1' }), refs[0], 'same ref for the same series');
    assert.deepEqual(refs.map((r) => r.id), [0, 0, 0]);
    await first.resolve(db, refs);
    const ids = refs.map((r) => r.id);
    assert.equal(new Set(ids).size, 3);
    assert.ok(ids.every((id) => id > 0));

    const second = new SeriesCache();
    const again = [second.ref('m2', { cluster: 'c1', topic: 'a' }), second.ref('m1', { topic: 'b', cluster: 'c1' }), second.ref('m1', { cluster: 'c1', topic: 'a' })];
    await second.resolve(db, again);
    assert.deepEqual(again.map((r) => r.id), [ids[2], ids[1], ids[0]]);
    assert.equal(await countRows(db, 'series'), 3);
    assert.equal(await countRows(db, 'metric'), 2);

    const stored = await db.query<{ name: string; labels: Record<string, string>; hash: string }>(
      `SELECT m.name, se.labels, encode(se.labels_hash, 'hex') AS hash FROM series se JOIN metric m ON m.id = se.metric_id WHERE se.id = $1`,
      [ids[1]],
    );
    assert.deepEqual({ ...stored.rows[0] }, {
      name: 'm1',
      labels: { cluster: 'c1', topic: 'b' },
      hash: createHash('sha256').update('m1{cluster="c1",topic="b"}').digest('hex'),
    });
  });

  test('resolves thousands of new series in batches', async () => {
    const db = await backend.fresh();
    const cache = new SeriesCache();
    const refs = Array.from({ length: 12_000 }, (_, i) => cache.ref(`m${i % 3}`, { cluster: 'c1', i: String(i) }));
    await cache.resolve(db, refs);
    assert.equal(new Set(refs.map((r) => r.id)).size, 12_000);
    assert.equal(await countRows(db, 'series'), 12_000);
  });
});
