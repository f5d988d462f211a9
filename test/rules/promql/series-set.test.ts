import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSluiceError } from '../../../src/errors.ts';
import { isStaleNaN, SeriesSet, STALE_NAN } from '../../../src/rules/promql/index.ts';
import type { Matcher, SeriesData } from '../../../src/store/types.ts';

function plain(series: readonly SeriesData[]) {
  return series.map((s) => [s.metric, s.labels, [...s.ts], [...s.values]] as const).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

const name = (value: string): Matcher => ({ name: '__name__', type: '=', value });

function sample(): SeriesSet {
  return new SeriesSet([
    { metric: 'up', labels: { job: 'api', instance: 'a' }, ts: [0, 10, 20], values: [1, 1, 0] },
    { metric: 'up', labels: { job: 'web', instance: 'b' }, ts: [5, 15], values: [1, 1] },
    { labels: { __name__: 'other', job: 'api' }, ts: [0], values: [7] },
  ]);
}

describe('SeriesSet', () => {
  test('returns matching series with only the samples in [from, to], labels without __name__', async () => {
    assert.deepEqual(plain(await sample().select([name('up')], 10, 20)), [
      ['up', { instance: 'a', job: 'api' }, [10, 20], [1, 0]],
      ['up', { instance: 'b', job: 'web' }, [15], [1]],
    ]);
  });

  test('leaves out series without samples in the range', async () => {
    assert.deepEqual(plain(await sample().select([name('up')], 16, 19)), []);
  });

  test('has the four matcher types, regexes anchored, a missing label reading as empty', async () => {
    const set = sample();
    const jobs = async (...matchers: Matcher[]) => (await set.select(matchers, 0, 100)).map((s) => `${s.metric}/${s.labels.job}`).sort();
    assert.deepEqual(await jobs(name('up'), { name: 'job', type: '=', value: 'api' }), ['up/api']);
    assert.deepEqual(await jobs(name('up'), { name: 'job', type: '!=', value: 'api' }), ['up/web']);
    assert.deepEqual(await jobs({ name: 'job', type: '=~', value: 'ap' }), []);
    assert.deepEqual(await jobs({ name: 'job', type: '=~', value: 'ap.' }), ['other/api', 'up/api']);
    assert.deepEqual(await jobs({ name: '__name__', type: '!~', value: 'u.' }), ['other/api']);
    assert.deepEqual(await jobs({ name: 'instance', type: '=', value: '' }), ['other/api']);
    assert.deepEqual(await jobs(name('up'), { name: 'instance', type: '!=', value: '' }), ['up/api', 'up/web']);
  });

  test('rejects an invalid regex as the store does', async () => {
    await assert.rejects(sample().select([{ name: 'job', type: '=~', value: '(' }], 0, 1), (err: unknown) => isSluiceError(err, 'SLUICE_ERR_STORE_MATCHER_INVALID'));
  });

  test('add() sorts samples by time, the last one added at a time winning', async () => {
    const set = new SeriesSet();
    set.add({ __name__: 'm', a: '1' }, 20, 2);
    set.add({ __name__: 'm', a: '1' }, 10, 1);
    set.add({ __name__: 'm', a: '1' }, 20, 3);
    assert.deepEqual(plain(await set.select([name('m')], 0, 100)), [['m', { a: '1' }, [10, 20], [1, 3]]]);
  });

  test('keeps staleness markers, given as STALE_NAN to add() or as "stale" to the constructor', async () => {
    const set = new SeriesSet([{ metric: 'm', labels: {}, ts: [0, 10], values: [1, 'stale'] }]);
    set.add({ __name__: 'n' }, 0, STALE_NAN);
    set.add({ __name__: 'n' }, 5, NaN);
    const [m] = await set.select([name('m')], 0, 100);
    const [n] = await set.select([name('n')], 0, 100);
    assert.deepEqual([isStaleNaN(m!.values[0]!), isStaleNaN(m!.values[1]!)], [false, true]);
    assert.deepEqual([isStaleNaN(n!.values[0]!), isStaleNaN(n!.values[1]!), Number.isNaN(n!.values[1]!)], [true, false, true]);
  });

  test('empty labels are no labels', async () => {
    const set = new SeriesSet([{ metric: 'm', labels: { a: '' }, ts: [0], values: [1] }]);
    assert.deepEqual(plain(await set.select([name('m')], 0, 0)), [['m', {}, [0], [1]]]);
  });
});

describe('STALE_NAN', () => {
  test('is the NaN with bit pattern 0x7ff0000000000002, and only it is stale', () => {
    const f = new Float64Array(1);
    f[0] = STALE_NAN;
    assert.equal(new BigUint64Array(f.buffer)[0], 0x7ff0000000000002n);
    const quieted = new Float64Array(new BigUint64Array([0x7ff8000000000002n]).buffer)[0]!;
    assert.equal(isStaleNaN(quieted), true);
    assert.equal(isStaleNaN(STALE_NAN), true);
    assert.equal(isStaleNaN(NaN), false);
    assert.equal(isStaleNaN(0), false);
    assert.equal(isStaleNaN(Infinity), false);
  });
});
