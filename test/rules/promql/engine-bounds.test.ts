/**
 * The bounds of a query from outside (QueryBounds): a deadline checked while evaluating, not
 * only before, including inside subqueries of expressions without selectors; a range query that
 * hands the event loop back between steps; and subquery points counted against the sample
 * budget. Time is a clock that ticks once each time it is read, so nothing depends on speed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSluiceError } from '../../../src/errors.ts';
import { Engine } from '../../../src/rules/promql/index.ts';
import { inputSeriesSet } from './data.ts';

const MINUTE = 60_000;

/** A clock that reads 1, 2, 3, … */
function ticking(): { now: () => number; reads: () => number } {
  let t = 0;
  return { now: () => ++t, reads: () => t };
}

const timedOut = (err: unknown) => isSluiceError(err, 'SLUICE_ERR_PROMQL_TIMEOUT') && (err as Error).message === 'query timed out in expression evaluation';

describe('query bounds', () => {
  test('a range query stops at its deadline, midway', async () => {
    const clock = ticking();
    await assert.rejects(new Engine().range('sum(rate(http_requests_total[5m]))', 0, 1000 * MINUTE, MINUTE, inputSeriesSet(), { deadline: 50, now: clock.now }), timedOut);
    // Stopped on the 50th reading, far short of the 1001 steps.
    assert.equal(clock.reads(), 50);
  });

  test('a deadline that is not reached changes nothing', async () => {
    const engine = new Engine();
    const bounded = await engine.range('sum by (job) (rate(http_requests_total[5m]))', 0, 10 * MINUTE, MINUTE, inputSeriesSet(), { deadline: 1e9, now: ticking().now, yieldAfterMs: 3 });
    const free = await engine.range('sum by (job) (rate(http_requests_total[5m]))', 0, 10 * MINUTE, MINUTE, inputSeriesSet());
    assert.deepEqual(bounded, free);
    assert.equal(free.length, 2);
  });

  test('an instant query stops inside a subquery that reads no samples', async () => {
    const clock = ticking();
    // 8.64 million inner steps without the deadline.
    await assert.rejects(new Engine({ maxSamples: 1e12 }).instant('sum_over_time(vector(1)[100d:1s])', 0, inputSeriesSet(), { deadline: 100, now: clock.now }), timedOut);
    assert.equal(clock.reads(), 100);
  });

  test('evaluation may not hold the event loop longer than maxBlockMs at a stretch, whatever the deadline', async () => {
    const held = (err: unknown) => isSluiceError(err, 'SLUICE_ERR_PROMQL_TIMEOUT')
      && (err as Error).message === 'query timed out in expression evaluation: evaluation ran 30ms without a break, the most one step of a query may; shorten its subquery ranges or lengthen their steps';
    await assert.rejects(new Engine({ maxSamples: 1e12 }).instant('sum_over_time(vector(1)[100d:1s])', 0, inputSeriesSet(), { deadline: 1e9, maxBlockMs: 30, now: ticking().now }), held);
    // A range query that hands the event loop back starts a new stretch each time; one that does not, does not.
    const query = 'sum(rate(http_requests_total[5m]))';
    const series = await new Engine().range(query, 0, 1000 * MINUTE, MINUTE, inputSeriesSet(), { maxBlockMs: 30, yieldAfterMs: 5, now: ticking().now });
    assert.deepEqual(series, await new Engine().range(query, 0, 1000 * MINUTE, MINUTE, inputSeriesSet()));
    await assert.rejects(new Engine().range(query, 0, 1000 * MINUTE, MINUTE, inputSeriesSet(), { maxBlockMs: 30, now: ticking().now }), held);
  });

  test('a deadline already passed stops the query before it evaluates', async () => {
    await assert.rejects(new Engine().instant('vector(1)', 0, inputSeriesSet(), { deadline: 5, now: () => 5 }), timedOut);
  });

  test('a range query lets other work run between its steps', async () => {
    const turnsDuring = async (bounds: { yieldAfterMs?: number; now?: () => number }): Promise<number> => {
      let turns = 0;
      let done = false;
      const spin = () => {
        if (done) return;
        turns++;
        setImmediate(spin);
      };
      setImmediate(spin);
      await new Engine().range('gauge', 0, 10 * MINUTE, MINUTE, inputSeriesSet(), bounds);
      done = true;
      return turns;
    };
    assert.equal(await turnsDuring({}), 0);
    // The clock ticks at every reading: a 1 ms slice ends before each of the 11 steps.
    assert.equal(await turnsDuring({ yieldAfterMs: 1, now: ticking().now }), 11);
  });

  test('the points a subquery holds count against the sample budget', async () => {
    // [10m:1m] at 10m holds the 11 points from 0 to 10m.
    const engine = new Engine({ maxSamples: 11 });
    assert.deepEqual(await engine.instant('count_over_time(vector(1)[10m:1m])', 10 * MINUTE, inputSeriesSet()), { kind: 'vector', samples: [{ metric: {}, value: 11 }] });
    await assert.rejects(engine.instant('count_over_time(vector(1)[20m:1m])', 20 * MINUTE, inputSeriesSet()), (err: unknown) => isSluiceError(err, 'SLUICE_ERR_PROMQL_EVAL'));
  });
});
