import assert from 'node:assert/strict';
import { test } from 'node:test';
import { progressBar } from '../../src/cli/commands/replay.ts';
import { parseTimeArg } from '../../src/replay/time.ts';

test('times on the command line: ISO 8601, Unix seconds, now-2h, +10m from a base; others name the flag', () => {
  const now = Date.UTC(2026, 11, 1, 12);
  assert.equal(parseTimeArg('2026-12-01T10:00:00Z', '--from', { now }), Date.UTC(2026, 11, 1, 10));
  assert.equal(parseTimeArg('1764583200', '--from', { now }), 1_764_583_200_000);
  assert.equal(parseTimeArg('now', '--to', { now }), now);
  assert.equal(parseTimeArg('now-2h', '--from', { now }), now - 7_200_000);
  assert.equal(parseTimeArg('+10m', '--from', { now, base: 1000 }), 601_000);
  assert.throws(() => parseTimeArg('+10m', '--from', { now }), { message: '--from: "+10m": an offset needs a base time; give an ISO 8601 time' });
  assert.throws(() => parseTimeArg('now-soon', '--to', { now }), { code: 'SLUICE_ERR_CLI_ARGUMENT', message: '--to: "now-soon": expected an ISO 8601 time (2026-12-01T10:00:00Z), Unix seconds, now, now-2h or +10m' });
});

test('the progress bar redraws once per whole percent and ends its line', () => {
  const out: string[] = [];
  const bar = progressBar((t) => out.push(t), 'replay x');
  bar.update(0, 1000);
  bar.update(1, 1000);
  bar.update(500, 1000);
  bar.update(1000, 1000);
  bar.end();
  assert.deepEqual(out, [
    `\rreplay x [${'.'.repeat(30)}]   0%`,
    `\rreplay x [${'#'.repeat(15)}${'.'.repeat(15)}]  50%`,
    `\rreplay x [${'#'.repeat(30)}] 100%`,
    '\n',
  ]);
});
