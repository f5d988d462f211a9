import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSluiceError } from '../../src/errors.ts';
import { Head } from '../../src/store/head.ts';
import { SeriesCache } from '../../src/store/series-cache.ts';
import type { SeriesData } from '../../src/store/types.ts';
import { HOUR, MINUTE, NOW } from './support.ts';

/** Series as plain [labels-as-text, ts[], values[]], sorted, for exact comparison. */
function plain(series: readonly SeriesData[]) {
  return series
    .map((s) => [`${s.metric}${JSON.stringify(s.labels)}`, [...s.ts], [...s.values]] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function headWith(windowMs = 2 * HOUR) {
  const cache = new SeriesCache();
  const head = new Head({ windowMs });
  const put = (metric: string, labels: Record<string, string>, points: [number, number][]) => {
    const ref = cache.ref(metric, labels);
    for (const [t, v] of points) head.append(ref, t, v);
  };
  return { head, put };
}

describe('Head', () => {
  test('selects by metric name and label matchers, with PromQL semantics for missing labels', async () => {
    const { head, put } = headWith();
    put('lag', { cluster: 'c1', group: 'billing', topic: 'orders' }, [[NOW, 5]]);
    put('lag', { cluster: 'c1', group: 'search', topic: 'orders' }, [[NOW, 7]]);
    put('lag', { cluster: 'c2', group: 'billing' }, [[NOW, 9]]);
    put('bytes_in', { cluster: 'c1', topic: 'orders' }, [[NOW, 100]]);

    const at = (matchers: Parameters<Head['select']>[0]) => head.select(matchers, NOW, NOW).then(plain);
    assert.deepEqual(await at([{ name: '__name__', type: '=', value: 'lag' }, { name: 'group', type: '=', value: 'billing' }]), [
      ['lag{"cluster":"c1","group":"billing","topic":"orders"}', [NOW], [5]],
      ['lag{"cluster":"c2","group":"billing"}', [NOW], [9]],
    ]);
    assert.deepEqual(await at([{ name: '__name__', type: '=', value: 'lag' }, { name: 'topic', type: '!=', value: 'orders' }]), [
      ['lag{"cluster":"c2","group":"billing"}', [NOW], [9]],
    ]);
    assert.deepEqual(await at([{ name: '__name__', type: '=', value: 'lag' }, { name: 'topic', type: '=', value: '' }]), [
      ['lag{"cluster":"c2","group":"billing"}', [NOW], [9]],
    ]);
    assert.deepEqual(await at([{ name: '__name__', type: '=', value: 'lag' }, { name: 'group', type: '=~', value: 'bill|sea' }]), []);
    assert.deepEqual(
      (await at([{ name: '__name__', type: '=', value: 'lag' }, { name: 'group', type: '=~', value: 'bill.*|sea.*' }])).map((s) => s[2][0]),
      [5, 7, 9],
    );
    assert.deepEqual((await at([{ name: 'cluster', type: '!~', value: 'c2' }])).map((s) => s[0]), [
      'bytes_in{"cluster":"c1","topic":"orders"}',
      'lag{"cluster":"c1","group":"billing","topic":"orders"}',
      'lag{"cluster":"c1","group":"search","topic":"orders"}',
    ]);
    assert.deepEqual((await at([{ name: '__name__', type: '=~', value: 'bytes_.*' }])).map((s) => s[0]), ['bytes_in{"cluster":"c1","topic":"orders"}']);
    assert.deepEqual((await at([{ name: '__name__', type: '!=', value: 'lag' }])).map((s) => s[0]), ['bytes_in{"cluster":"c1","topic":"orders"}']);
    assert.deepEqual(await at([{ name: '__name__', type: '=', value: 'nothing' }]), []);
  });

  test('returns only samples with from <= ts <= to, and no series without any', async () => {
    const { head, put } = headWith();
    put('m', { cluster: 'c1' }, [[NOW, 1], [NOW + 15_000, 2], [NOW + 30_000, 3], [NOW + 45_000, 4]]);
    put('m', { cluster: 'c2' }, [[NOW, 10]]);
    assert.deepEqual(plain(await head.select([{ name: '__name__', type: '=', value: 'm' }], NOW + 15_000, NOW + 30_000)), [
      ['m{"cluster":"c1"}', [NOW + 15_000, NOW + 30_000], [2, 3]],
    ]);
    assert.deepEqual(plain(await head.select([], NOW + 46_000, NOW + 60_000)), []);
  });

  test('keeps the window as it grows, and evict() forgets old samples and empty series', () => {
    const { head, put } = headWith(10 * MINUTE);
    const points: [number, number][] = Array.from({ length: 2000 }, (_, i) => [NOW + i * 1000, i]);
    put('m', { cluster: 'c1' }, points);
    put('m', { cluster: 'old' }, [[NOW, 1]]);
    const [series] = head.selectSync([{ name: 'cluster', type: '=', value: 'c1' }], 0, Infinity);
    // Appending only trims when the arrays are full, so at least the window is kept, and all of
    // it is contiguous and in order.
    assert.ok(series!.ts.length >= 601 && series!.ts.length <= 2000);
    assert.deepEqual([...series!.ts.slice(-3)], [NOW + 1_997_000, NOW + 1_998_000, NOW + 1_999_000]);
    assert.ok(series!.ts.every((t, i) => i === 0 || t === series!.ts[i - 1]! + 1000));
    assert.deepEqual([...series!.values.slice(-1)], [1999]);

    assert.equal(head.evict(NOW + 1_999_000), 1, 'the series with nothing in the window is forgotten');
    assert.equal(head.seriesCount, 1);
    const [kept] = head.selectSync([], 0, Infinity);
    assert.equal(kept!.ts[0], NOW + 1_999_000 - 10 * MINUTE);
    assert.equal(kept!.ts.length, 601);
    assert.equal(head.sampleCount, 601);
  });

  test('evicting series from the middle of a metric keeps every other series of it, and new ones join', () => {
    const { head, put } = headWith(10 * MINUTE);
    for (let i = 0; i < 6; i++) put('m', { cluster: 'c1', n: String(i) }, [[NOW + (i % 2 === 0 ? 0 : 20 * MINUTE), i]]);
    // n=0, 2, 4 are out of the window at NOW + 20 min; 1, 3, 5 are kept.
    assert.equal(head.evict(NOW + 20 * MINUTE), 3);
    put('m', { cluster: 'c1', n: '6' }, [[NOW + 21 * MINUTE, 6]]);
    put('m', { cluster: 'c1', n: '0' }, [[NOW + 21 * MINUTE, 0]]);
    assert.deepEqual(plain(head.selectSync([{ name: '__name__', type: '=', value: 'm' }], 0, Infinity)).map(([k, , v]) => [k, v]), [
      ['m{"cluster":"c1","n":"0"}', [0]],
      ['m{"cluster":"c1","n":"1"}', [1]],
      ['m{"cluster":"c1","n":"3"}', [3]],
      ['m{"cluster":"c1","n":"5"}', [5]],
      ['m{"cluster":"c1","n":"6"}', [6]],
    ]);
    assert.equal(head.evict(NOW + 60 * MINUTE), 5);
    assert.equal(head.seriesCount, 0);
    assert.deepEqual(head.selectSync([], 0, Infinity), []);
  });

  test('ignores a sample at or before the newest of its series', () => {
    const { head, put } = headWith();
    put('m', { cluster: 'c1' }, [[NOW, 1], [NOW, 2], [NOW - 1, 3], [NOW + 1, 4]]);
    assert.deepEqual(plain(head.selectSync([], 0, Infinity)), [['m{"cluster":"c1"}', [NOW, NOW + 1], [1, 4]]]);
  });

  test('refuses an invalid matcher', () => {
    const { head } = headWith();
    assert.throws(() => head.selectSync([{ name: 'a', type: '=~', value: '(' }], 0, 1), (err) => isSluiceError(err, 'SLUICE_ERR_STORE_MATCHER_INVALID'));
    assert.throws(
      () => head.selectSync([{ name: 'a', type: '==' as never, value: 'x' }], 0, 1),
      (err) => isSluiceError(err, 'SLUICE_ERR_STORE_MATCHER_INVALID') && err.path === 'matchers[0]',
    );
  });
});
