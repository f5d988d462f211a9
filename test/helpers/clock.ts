/**
 * Clocks for tests: a `VirtualClock` moved in steps while the promises it releases run, and a
 * clock that reads a given time while its timers run on real time (for a part whose timers the
 * test does not drive).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { wallClock, type Clock, type VirtualClock } from '../../src/clock.ts';

/** A clock whose `now` is `now` (a fixed ms value or a function) and whose timers are the wall clock's. */
export function timeAt(now: number | (() => number)): Clock {
  const read = typeof now === 'number' ? () => now : now;
  return { now: read, setTimeout: (fn, ms) => wallClock.setTimeout(fn, ms) };
}

/** Lets pending promise callbacks and I/O callbacks run: `turns` turns of the event loop. */
export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await nextTurn();
}

/**
 * Moves `clock` forward by `ms` in steps of `stepMs`, letting the work released by each step's
 * timers run before the next step.
 */
export async function advanceBy(clock: VirtualClock, ms: number, stepMs: number): Promise<void> {
  const end = clock.now() + ms;
  while (clock.now() < end) {
    clock.advanceTo(Math.min(end, clock.now() + stepMs));
    await settle();
  }
}

/** A sleep of `ms` on `clock` (resolves when the clock passes it). */
export function sleepOn(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
