/**
 * The pure parts of reading consumer groups for the status page: the newest finite sample of a
 * series (a staleness marker is no value), sparkline points thinned to one a step (the newest
 * of each step ending at the frame's end), and the order groups are listed in.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareGroups, newest, statusName, thin } from '../../../src/api/status-page/groups-view.ts';
import type { ConsumerGroupStatus } from '../../../src/api/status-page/model.ts';
import { STALE_NAN } from '../../../src/rules/promql/index.ts';

const series = (points: [number, number][]) => ({ metric: 'm', labels: {}, ts: Float64Array.from(points.map((p) => p[0])), values: Float64Array.from(points.map((p) => p[1])) });

test('the newest finite sample; staleness markers and NaN are skipped', () => {
  assert.deepEqual(newest(series([[1000, 5], [2000, 6], [3000, STALE_NAN]])), { ts: 2000, value: 6 });
  assert.equal(newest(series([[1000, Number.NaN]])), undefined);
  assert.equal(newest(undefined), undefined);
});

test('thinned to the newest sample of each step ending at the frame\'s end, at its own time; outside the frame left out', () => {
  const s = series([[0, 1], [1000, 2], [2000, 3], [4000, 4], [5000, 5], [5500, 6], [9000, 7], [10_000, 8], [11_000, 9]]);
  // Steps of 2 s ending at 10 s: (8, 10], (6, 8], (4, 6], (2, 4], (0, 2], and 1 s in [1, 10].
  assert.deepEqual(thin(s, { from: 1000, to: 10_000, stepMs: 2000 }), [[2000, 3], [4000, 4], [5500, 6], [10_000, 8]]);
  assert.deepEqual(thin(series([[1000, 1], [2000, STALE_NAN], [3000, 3]]), { from: 0, to: 3000, stepMs: 1000 }), [[1000, 1], [3000, 3]]);
});

test('groups worst first: current before gone, then ERR, WARN, OK, NOTFOUND, unknown, then by lag and name', () => {
  const g = (name: string, status: string, lag: number | null, current = true): ConsumerGroupStatus => ({ name, status, lag, current, members: 1, lagSeconds: null, seenAt: '', series: [] });
  const groups = [g('a', 'OK', 5), g('b', 'ERR', 1), g('c', '', 9), g('d', 'OK', 50), g('e', 'ERR', 3, false), g('f', 'NOTFOUND', null), g('g', 'WARN', 0), g('h', 'OK', 5)];
  assert.deepEqual(groups.sort(compareGroups).map((x) => x.name), ['b', 'g', 'd', 'a', 'h', 'f', 'c', 'e']);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, undefined].map(statusName), ['NOTFOUND', 'OK', 'WARN', 'ERR', 'STOP', 'STALL', 'REWIND', '', '']);
});
