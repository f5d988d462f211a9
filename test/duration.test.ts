/** The two duration syntaxes stay apart: each reads exactly what its files have always held. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, formatShortDuration, parseDuration, parseSimpleDuration, simpleDurationRule } from '../src/duration.ts';

test("Prometheus durations: whole numbers, units largest first, '0' alone", () => {
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1y2w3d4h5m6s7ms'), 365 * 86_400_000 + 14 * 86_400_000 + 3 * 86_400_000 + 4 * 3_600_000 + 5 * 60_000 + 6000 + 7);
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('0s'), 0);
  for (const bad of ['', '1.5s', '30', '30m1h', ' 5m', '5 m', '-5m', '1mo']) assert.equal(parseDuration(bad), undefined, bad);
  assert.equal(parseDuration('99999999999999999y'), undefined);
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(-3_600_500), '-1h500ms');
});

test('simple durations: one unit with decimals, or a bare number of seconds', () => {
  assert.equal(parseSimpleDuration('1.5s'), 1500);
  assert.equal(parseSimpleDuration(' 2 h '), 7_200_000);
  assert.equal(parseSimpleDuration('30'), 30_000);
  assert.equal(parseSimpleDuration(0.25), 250);
  assert.equal(parseSimpleDuration('1d'), 86_400_000);
  for (const bad of ['1h30m', '1y', '-5s', -1, Infinity, null, '']) assert.equal(parseSimpleDuration(bad), undefined, String(bad));
  assert.equal(formatShortDuration(750), '750ms');
  assert.equal(formatShortDuration(90_000), '1m30s');
  assert.equal(simpleDurationRule(true), 'expected a positive duration such as 500ms, 30s, 5m or 2h, or a number of seconds');
});
