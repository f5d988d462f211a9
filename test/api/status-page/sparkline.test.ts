/**
 * The status page's sparklines: the line spans the frame's lowest to highest value, both
 * written beside it, the frame's ends written under it with date and UTC offset; gaps break the
 * line, points outside the frame and values that are not finite are left out, and the label is
 * escaped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sparkline } from '../../../src/api/status-page/sparkline.ts';
import { formatCount } from '../../../src/api/status-page/format.ts';

const T0 = Date.UTC(2026, 0, 15, 11, 55, 0);
const frame = { from: T0, to: T0 + 200_000, format: formatCount };

function polylines(html: string): string[] {
  return [...html.matchAll(/<polyline vector-effect="non-scaling-stroke" points="([^"]*)"\/>/g)].map((m) => m[1]!);
}

test('the line from the lowest (bottom) to the highest value (top), with both and the frame written out', () => {
  const html = sparkline([[T0, 100], [T0 + 100_000, 1100], [T0 + 200_000, 600]], { ...frame, label: 'billing lag' });
  assert.deepEqual(polylines(html), ['0,37 100,3 200,20']);
  assert.match(html, /<span class="spark-max" title="highest">1,100<\/span><span class="spark-min" title="lowest">100<\/span>/);
  assert.match(html, /<time class="spark-from" datetime="2026-01-15T11:55:00.000Z">2026-01-15 11:55:00 \+00:00<\/time><time class="spark-to" datetime="2026-01-15T11:58:20.000Z">2026-01-15 11:58:20 \+00:00<\/time>/);
  assert.match(html, /aria-label="billing lag from 2026-01-15 11:55:00 \+00:00 to 2026-01-15 11:58:20 \+00:00: lowest 100, highest 1,100"/);
});

test('a gap longer than gapMs breaks the line; a lone point is a short dash; outside points and NaN are left out', () => {
  const points = [[T0 - 50_000, 9999], [T0, 0], [T0 + 10_000, 10], [T0 + 100_000, 5], [T0 + 110_000, Number.NaN], [T0 + 120_000, 10]] as const;
  assert.deepEqual(polylines(sparkline(points, { ...frame, label: 'x', gapMs: 15_000 })), ['0,37 10,3', '99,20 101,20', '119,3 121,3']);
  assert.deepEqual(polylines(sparkline(points, { ...frame, label: 'x' })), ['0,37 10,3 100,20', '119,3 121,3']);
});

test('a flat line sits in the middle; no point in the frame says "no data"; the label is escaped', () => {
  assert.deepEqual(polylines(sparkline([[T0, 7], [T0 + 200_000, 7]], { ...frame, label: 'x' })), ['0,20 200,20']);
  const empty = sparkline([[T0 - 1, 3]], { ...frame, label: '<b>"x"</b>' });
  assert.deepEqual(polylines(empty), []);
  assert.match(empty, /aria-label="&lt;b&gt;&quot;x&quot;&lt;\/b&gt;: no data from 2026-01-15 11:55:00 \+00:00 to 2026-01-15 11:58:20 \+00:00"/);
  assert.match(empty, /<span class="spark-empty">no data<\/span>/);
});
