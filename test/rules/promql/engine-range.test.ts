/**
 * A range query carries state from one step to the next (where each selector's series were read
 * up to, and which group each input position fell into): every step of it must still equal the
 * instant query at that time, over the head (its own arrays with bounds) and over a SeriesSet,
 * with series that come and go, gaps, staleness markers, counter resets, offsets, subqueries
 * (which read back in time at every step), steps shorter and much longer than the scrape interval.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine, SeriesSet, STALE_NAN, type Value } from '../../../src/rules/promql/index.ts';
import { Head } from '../../../src/store/head.ts';
import { SeriesCache } from '../../../src/store/series-cache.ts';
import type { Querier } from '../../../src/store/types.ts';

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;
const END = T0 + 60 * MINUTE;

function sources(): { head: Head; set: SeriesSet } {
  const head = new Head({ windowMs: 2 * 60 * MINUTE });
  const cache = new SeriesCache();
  const set = new SeriesSet();
  const add = (labels: Record<string, string>, ts: number, value: number): void => {
    const { __name__, ...rest } = labels;
    head.append(cache.ref(__name__!, rest), ts, value);
    set.add(labels, ts, value);
  };
  for (let k = 0; k <= 60 * 4; k++) {
    const ts = T0 + k * 15_000;
    for (let i = 0; i < 6; i++) {
      const g = `g${i % 3}`;
      // Scraped at its own offset; i = 1 has a 10 min gap, i = 2 starts at 20 min, i = 3 ends
      // with a staleness marker at 40 min, i = 4 resets at 30 min.
      const at = ts + i * 1000;
      if (i === 1 && k >= 60 && k < 100) continue;
      if (i === 2 && k < 80) continue;
      if (i === 3 && k > 160) continue;
      if (i === 3 && k === 160) {
        add({ __name__: 'x', cluster: 'c1', g, i: String(i) }, at, STALE_NAN);
        continue;
      }
      add({ __name__: 'x', cluster: 'c1', g, i: String(i) }, at, ((k * (i + 1)) % 17) + i / 10);
      add({ __name__: 'c', cluster: 'c1', g, i: String(i) }, at, i === 4 && k >= 120 ? (k - 120) * 3 : k * (i + 2));
    }
  }
  return { head, set };
}

const QUERIES = [
  'x',
  'sum by (g) (x)',
  'count without (i) (x)',
  'avg by (g) (x) / on (g) count by (g) (x)',
  'stddev by (g) (x)',
  'topk(2, x)',
  'bottomk(1, x) by (g)',
  'count_values("v", x)',
  'quantile by (g) (0.5, x)',
  'sum by (g) (rate(c[3m]))',
  'increase(c[5m])',
  'x offset 2m - on (i, g) x',
  'x and x offset 7m',
  'max_over_time(x[4m:1m])',
  'sum by (g) (sum_over_time(x[5m:30s]))',
  'timestamp(x)',
  'x @ 1700001800',
];

/** A value's samples by label set, for one time. */
function byLabels(v: Value): Map<string, number> {
  const key = (m: Readonly<Record<string, string>>): string => JSON.stringify(Object.entries(m).sort());
  if (v.kind === 'scalar') return new Map([['{}', v.value]]);
  assert.equal(v.kind, 'vector');
  return new Map(v.kind === 'vector' ? v.samples.map((s) => [key(s.metric), s.value]) : []);
}

async function stepsEqualInstants(source: Querier, query: string, stepMs: number): Promise<number> {
  const engine = new Engine();
  const start = T0 + 3 * MINUTE + 7_000;
  const range = await engine.range(query, start, END, stepMs, source);
  const key = (m: Readonly<Record<string, string>>): string => JSON.stringify(Object.entries(m).sort());
  let points = 0;
  for (let t = start; t <= END; t += stepMs) {
    const want = byLabels(await engine.instant(query, t, source));
    const got = new Map<string, number>();
    for (const s of range) {
      const i = s.ts.indexOf(t);
      if (i >= 0) got.set(key(s.metric), s.values[i]!);
    }
    assert.deepEqual(got, want, `${query} at step ${(t - start) / stepMs}, step ${stepMs / 1000} s`);
    points += got.size;
  }
  return points;
}

for (const name of ['head', 'SeriesSet'] as const) {
  test(`every step of a range query equals the instant query at its time, over the ${name}`, async () => {
    const { head, set } = sources();
    const source = name === 'head' ? head : set;
    for (const query of QUERIES) {
      for (const stepMs of [10_000, 45_000, 7 * MINUTE]) {
        const points = await stepsEqualInstants(source, query, stepMs);
        // Something was compared: every query has results at most steps.
        assert.ok(points > 0, `${query} at ${stepMs / 1000} s steps gave no points`);
      }
    }
  });
}
