/** The virtual clock fires timers in time order, never early, never once cancelled. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock, wallClock } from '../src/clock.ts';

test('timers fire in time order (ties in order set), at their time, including ones set while advancing', () => {
  const clock = new VirtualClock(1000);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
  clock.setTimeout(() => {
    fired.push(`a@${clock.now()}`);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 5);
  }, 10);
  clock.setTimeout(() => fired.push(`b2@${clock.now()}`), 20);
  const cancelled = clock.setTimeout(() => fired.push('never'), 15);
  cancelled.cancel();
  clock.advance(9);
  assert.deepEqual(fired, []);
  clock.advance(100);
  assert.deepEqual(fired, ['a@1010', 'c@1015', 'b@1020', 'b2@1020']);
  assert.equal(clock.now(), 1109);
  assert.equal(clock.timers, 0);
  assert.throws(() => clock.advanceTo(1000), /cannot go back/);
});

test('the wall clock reads Date.now and fires its timers', async () => {
  const before = Date.now();
  assert.ok(Math.abs(wallClock.now() - before) < 50);
  // Its timers are unref'd: something else must keep the process alive while the test waits.
  const keepAlive = setTimeout(() => undefined, 1000);
  const firedAt = await new Promise<number>((resolve) => wallClock.setTimeout(() => resolve(Date.now()), 20));
  clearTimeout(keepAlive);
  assert.ok(firedAt - before >= 19, `fired after ${firedAt - before} ms`);
});
