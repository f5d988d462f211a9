// Label values as Kafka can carry them (NUL, lone surrogates, 64 KiB ids, any Unicode) are
// stored, read back and queried as the same series, and never cost other samples their place.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Head } from '../../src/store/head.ts';
import { canonicalSeries, jsonFromStore, labelValueFromStore, seriesHash, storedJson, storedLabelValue, storedSeriesHash } from '../../src/store/labels.ts';
import { PgQuerier } from '../../src/store/pg-querier.ts';
import { SeriesCache } from '../../src/store/series-cache.ts';
import { warmHead } from '../../src/store/warm.ts';
import { Writer } from '../../src/store/writer.ts';
import { forEachBackend, NOW } from './support.ts';
import { VirtualClock } from '../../src/clock.ts';

/** Client ids that PostgreSQL cannot hold as they are, or that are awkward in some other way. */
const ODD = ['evil\u0000id', 'grp\u0000evil', 'lone\ud800high', 'lone\udc00low', '\ufffd', 'x'.repeat(65_536), 'emoji 🐘 ü', 'back\\slash "quoted"\nline', 'sluice-escaped:evil'];

test('the storage rule keeps ordinary values and escapes only what PostgreSQL cannot hold, reversibly', () => {
  assert.equal(storedLabelValue('orders-consumer 🐘'), 'orders-consumer 🐘');
  assert.equal(storedLabelValue('back\\slash'), 'back\\slash');
  assert.equal(storedLabelValue('evil\u0000id'), 'sluice-escaped:evil\\0id');
  assert.equal(storedLabelValue('a\\0\u0000'), 'sluice-escaped:a\\\\0\\0');
  assert.equal(storedLabelValue('x\ud800y\udc00'), 'sluice-escaped:x\\uD800y\\uDC00');
  assert.equal(storedLabelValue('pair 😀'), 'pair 😀');
  assert.equal(storedLabelValue('sluice-escaped:x'), 'sluice-escaped:sluice-escaped:x');
  for (const value of [...ODD, '', '\\uD800', '\\0', 'a\\\u0000', '\udbff\udbff\udfff']) {
    assert.equal(labelValueFromStore(storedLabelValue(value)), value, JSON.stringify(value.slice(0, 40)));
  }
  // A lone surrogate and U+FFFD are one string in UTF-8, but two series.
  assert.notDeepEqual(storedSeriesHash('m', { cluster: 'c', client_id: '\ud800' }), storedSeriesHash('m', { cluster: 'c', client_id: '\ufffd' }));
  // Series whose values need no escape keep the hash they always had.
  assert.deepEqual(storedSeriesHash('m', { cluster: 'c', client_id: 'a' }), seriesHash(canonicalSeries('m', { cluster: 'c', client_id: 'a' })));
});

test('storedJson applies the rule to every string of a JSON value, keys included, and jsonFromStore undoes it', () => {
  const plain = { a: ['x', 1, null, true], b: { c: 'd' }, at: new Date(0) };
  assert.equal(storedJson(plain), JSON.stringify(plain));
  const odd = { 'evil\u0000id': ['lone\ud800', 'sluice-escaped:x', 'back\\slash'], n: 1, at: new Date(0) };
  assert.equal(storedJson(odd), '{"sluice-escaped:evil\\\\0id":["sluice-escaped:lone\\\\uD800","sluice-escaped:sluice-escaped:x","back\\\\slash"],"n":1,"at":"1970-01-01T00:00:00.000Z"}');
  assert.deepEqual(jsonFromStore(JSON.parse(storedJson(odd))), JSON.parse(JSON.stringify(odd)));
});

forEachBackend((backend) => {
  test('odd label values are stored with the samples of every other series, and read back unchanged', async () => {
    const db = await backend.fresh();
    const head = new Head({ windowMs: 3_600_000 });
    const writer = new Writer({ db, head, clock: new VirtualClock(NOW), flushIntervalMs: 10 });
    const samples = [
      { metric: 'kafka_server_produce_bytes_total', labels: { cluster: 'c1', client_id: 'plain' }, ts: NOW, value: 1 },
      ...ODD.map((id, i) => ({ metric: 'kafka_server_produce_bytes_total', labels: { cluster: 'c1', client_id: id }, ts: NOW, value: i + 10 })),
    ];
    await writer.write(samples);
    await writer.close();
    const stored = await new PgQuerier(db).select([{ name: '__name__', type: '=', value: 'kafka_server_produce_bytes_total' }], NOW - 1, NOW + 1);
    assert.deepEqual(
      stored.map((s) => [s.labels.client_id, [...s.values]]),
      samples.map((s) => [s.labels.client_id, [s.value]]),
    );
    for (const [i, id] of ODD.entries()) {
      const one = await new PgQuerier(db).select([{ name: 'client_id', type: '=', value: id }], NOW - 1, NOW + 1);
      assert.deepEqual(one.map((s) => [s.labels.client_id, [...s.values]]), [[id, [i + 10]]], JSON.stringify(id.slice(0, 40)));
    }
    const warmed = new Head({ windowMs: 3_600_000 });
    const cache = new SeriesCache();
    assert.deepEqual(await warmHead(db, warmed, cache, NOW + 1), { series: ODD.length + 1, samples: ODD.length + 1 });
    for (const s of samples) assert.notEqual(cache.ref(s.metric, s.labels).id, 0, JSON.stringify(s.labels.client_id.slice(0, 40)));
  });
});
