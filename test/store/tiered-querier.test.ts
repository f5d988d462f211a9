/**
 * Rules read the head for the recent window and PostgreSQL for what is older: a range or an
 * offset reaching past the head is answered over the whole window, stitched per series, and
 * a selection inside the head never touches the database.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../src/rules/promql/index.ts';
import { Head } from '../../src/store/head.ts';
import { PgQuerier } from '../../src/store/pg-querier.ts';
import { TieredQuerier } from '../../src/store/tiered-querier.ts';
import type { Matcher, Querier, Sample } from '../../src/store/types.ts';
import { Writer } from '../../src/store/writer.ts';
import { forEachBackend, HOUR, MINUTE, NOW } from './support.ts';
import { VirtualClock } from '../../src/clock.ts';

// 3 hours of one sample a minute, value = minutes since the start, for two series; a third
// series exists only in the last 10 minutes (new since the head's window began).
const START = NOW - 3 * HOUR;
const SAMPLES: Sample[] = [
  ...['a', 'b'].flatMap((pod) => Array.from({ length: 181 }, (_, k) => ({ metric: 'jobs_total', labels: { cluster: 'c1', pod }, ts: START + k * MINUTE, value: k }))),
  ...Array.from({ length: 11 }, (_, k) => ({ metric: 'jobs_total', labels: { cluster: 'c1', pod: 'new' }, ts: NOW - 10 * MINUTE + k * MINUTE, value: 1000 + k })),
];

/** A Querier that counts the selections it answers. */
function counting(inner: Querier): Querier & { calls: number } {
  const q = { calls: 0, select: (m: readonly Matcher[], from: number, to: number) => (q.calls++, inner.select(m, from, to)) };
  return q;
}

const values = (v: Awaited<ReturnType<Engine['instant']>>) =>
  v.kind === 'vector' ? v.samples.map((s) => [s.metric.pod, s.value] as const).sort() : [];

forEachBackend((backend) => {
  test('a window older than the head is read from PostgreSQL and joined to the head per series', async () => {
    const db = await backend.fresh();
    // The head keeps 1 hour; everything is written to the database.
    const head = new Head({ windowMs: HOUR });
    const writer = new Writer({ db, head, clock: new VirtualClock(NOW) });
    await writer.write(SAMPLES);
    await writer.close();
    const history = counting(new PgQuerier(db));
    const querier = new TieredQuerier(head, history, () => NOW);
    const engine = new Engine();

    // Inside the head: no database query.
    assert.deepEqual(values(await engine.instant('count_over_time(jobs_total[30m])', NOW, querier)), [['a', 31], ['b', 31], ['new', 11]]);
    assert.deepEqual(values(await engine.instant('jobs_total', NOW, querier)), [['a', 180], ['b', 180], ['new', 1010]]);
    assert.equal(history.calls, 0);

    // Three hours: 181 samples each for a and b, 120 of them only in the database; the new
    // series only in the head.
    assert.deepEqual(values(await engine.instant('count_over_time(jobs_total[3h])', NOW, querier)), [['a', 181], ['b', 181], ['new', 11]]);
    assert.deepEqual(values(await engine.instant('min_over_time(jobs_total[3h])', NOW, querier)), [['a', 0], ['b', 0], ['new', 1000]]);
    // A rate across the join sees one steady counter: 1 per minute (the new series' 10 minutes,
    // extrapolated by half an interval at its start, as Prometheus does: 10.5 over 2 h).
    assert.deepEqual(values(await engine.instant('rate(jobs_total[2h])', NOW, querier)), [['a', 1 / 60], ['b', 1 / 60], ['new', 10.5 / 7200]]);
    // Wholly before the head.
    assert.deepEqual(values(await engine.instant('jobs_total offset 150m', NOW, querier)), [['a', 30], ['b', 30]]);
    assert.ok(history.calls >= 4);

    // The head alone would have answered from part of the window (it keeps at least its hour).
    for (const [, n] of values(await engine.instant('count_over_time(jobs_total{pod!="new"}[3h])', NOW, head))) assert.ok(n >= 61 && n < 181, `${n} samples`);
  });

  test('when the database fails, a selection older than the head fails and one inside it still answers', async () => {
    const head = new Head({ windowMs: HOUR });
    const writer = new Writer({ db: await backend.fresh(), head, clock: new VirtualClock(NOW) });
    await writer.write(SAMPLES);
    await writer.close();
    const down: Querier = { select: async () => { throw new Error('connection refused'); } };
    const querier = new TieredQuerier(head, down, () => NOW);
    const engine = new Engine();
    await assert.rejects(engine.instant('count_over_time(jobs_total[3h])', NOW, querier), /connection refused/);
    assert.deepEqual(values(await engine.instant('count_over_time(jobs_total[30m])', NOW, querier)), [['a', 31], ['b', 31], ['new', 11]]);
  });

  test('series look-ups: the label sets with a sample in the range, from the head and the database, no samples read', async () => {
    const db = await backend.fresh();
    const head = new Head({ windowMs: HOUR });
    const writer = new Writer({ db, head, clock: new VirtualClock(NOW) });
    await writer.write(SAMPLES);
    await writer.close();
    head.evict(NOW);
    const pg = new PgQuerier(db);
    const history = { ...counting(pg), series: pg.series.bind(pg) };
    const querier = new TieredQuerier(head, history, () => NOW);
    const pods = async (q: TieredQuerier, matchers: Matcher[], from: number, to: number) => (await q.series(matchers, from, to)).map((l) => `${l.__name__}/${l.cluster}/${l.pod}`).sort();
    const jobs: Matcher = { name: '__name__', type: '=', value: 'jobs_total' };
    // Two to three hours ago: only in the database; the new series had no sample then.
    assert.deepEqual(await pods(querier, [jobs, { name: 'pod', type: '=~', value: 'a|new' }], NOW - 3 * HOUR, NOW - 2 * HOUR), ['jobs_total/c1/a']);
    assert.deepEqual(await pods(querier, [jobs], -Infinity, Infinity), ['jobs_total/c1/a', 'jobs_total/c1/b', 'jobs_total/c1/new']);
    assert.deepEqual(await pods(querier, [jobs], NOW - 5 * MINUTE, NOW), ['jobs_total/c1/a', 'jobs_total/c1/b', 'jobs_total/c1/new']);
    assert.equal(history.calls, 0);
    // A history without series look-ups answers them by selecting.
    const plain = counting(pg);
    assert.deepEqual(await pods(new TieredQuerier(head, plain, () => NOW), [jobs], NOW - 3 * HOUR, NOW - 2 * HOUR), ['jobs_total/c1/a', 'jobs_total/c1/b']);
    assert.equal(plain.calls, 1);
  });
});
