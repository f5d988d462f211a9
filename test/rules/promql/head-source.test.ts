/**
 * The engine over the store's head (which hands out its own arrays with bounds) gives exactly
 * what it gives over a SeriesSet of the same samples: instant selection with lookback and
 * staleness, range functions, aggregation, subqueries, offsets, and series that were compacted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine, SeriesSet, STALE_NAN } from '../../../src/rules/promql/index.ts';
import { Head } from '../../../src/store/head.ts';
import { SeriesCache } from '../../../src/store/series-cache.ts';

const T0 = 1_700_000_000_000;
const STEP = 15_000;

function sources(): { head: Head; set: SeriesSet } {
  const head = new Head({ windowMs: 20 * 60_000 });
  const cache = new SeriesCache();
  const set = new SeriesSet();
  const add = (labels: Record<string, string>, i: number, value: number): void => {
    const { __name__, ...rest } = labels;
    head.append(cache.ref(__name__!, rest), T0 + i * STEP, value);
    set.add(labels, T0 + i * STEP, value);
  };
  // 40 min of samples: the head keeps 20, so its arrays have been compacted on the way.
  for (let i = 0; i < 160; i++) {
    for (const pod of ['a', 'b', 'c']) {
      add({ __name__: 'requests_total', cluster: 'east', pod }, i, i * (pod === 'a' ? 10 : 3) + (i > 100 && pod === 'b' ? -200 : 0));
      if (pod !== 'c' || i < 150) add({ __name__: 'queue', cluster: 'east', pod }, i, (i % 7) + (pod === 'a' ? 1 : 0));
    }
    if (i === 150) add({ __name__: 'queue', cluster: 'east', pod: 'c' }, i, STALE_NAN);
    // Ends without a marker: exactly the lookback old at step 150, past it at 159.
    if (i <= 130) add({ __name__: 'gone', cluster: 'east', pod: 'x' }, i, i);
  }
  return { head, set };
}

test('results over the head equal results over a SeriesSet of the same samples', async () => {
  const { head, set } = sources();
  const engine = new Engine();
  const at = T0 + 159 * STEP;
  const exprs = [
    'queue', 'queue offset 2m', 'rate(requests_total[5m])', 'sum by (cluster) (increase(requests_total[10m]))',
    'max_over_time(queue[3m])', 'avg_over_time(rate(requests_total[1m])[5m:30s])', 'resets(requests_total[15m])',
    'queue > 3', 'count(queue)', 'absent(queue{pod="c"})',
    // Instant selectors read at one time are fetched as their answer; these read one selector
    // twice at one time, at two times, as instant and range, and with @.
    'timestamp(queue)', 'queue and queue', 'queue - queue offset 1m', 'queue + on (pod) max_over_time(queue[2m])',
    `queue @ ${(T0 + 150 * STEP) / 1000}`, 'sum(queue{pod!="a"}) by (cluster)', 'gone',
  ];
  // Now; in the past between two samples (the newest sample is after the evaluation time); and
  // exactly at pod c's staleness marker.
  for (const t of [at, at - 37_000, T0 + 150 * STEP]) {
    for (const expr of exprs) {
      // The SeriesSet keeps everything; compare only inside what the head still holds.
      const fromHead = await engine.instant(expr, t, head);
      const fromSet = await engine.instant(expr, t, set);
      assert.deepEqual(fromHead, fromSet, `${expr} at ${t}`);
    }
  }
  const range = await engine.range('sum(rate(requests_total[2m]))', at - 5 * 60_000, at, 60_000, head);
  const rangeSet = await engine.range('sum(rate(requests_total[2m]))', at - 5 * 60_000, at, 60_000, set);
  assert.deepEqual(range, rangeSet);
  // Staleness: pod c's queue ended with a marker, so it is gone from the instant vector.
  const q = await engine.instant('queue', at, head);
  assert.deepEqual(q.kind === 'vector' ? q.samples.map((s) => s.metric.pod).sort() : [], ['a', 'b']);
  // A series that stopped is found for the lookback (5 min, inclusive) and not after.
  assert.deepEqual(await engine.instant('gone', T0 + 150 * STEP, head), { kind: 'vector', samples: [{ metric: { __name__: 'gone', cluster: 'east', pod: 'x' }, value: 130 }] });
  assert.deepEqual(await engine.instant('gone', T0 + 150 * STEP + 1, head), { kind: 'vector', samples: [] });
});
