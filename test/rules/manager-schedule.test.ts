/**
 * Evaluation times are the schedule's, not the timers': a clock whose timers fire late (as the
 * wall clock's do, by a few ms, and by much more when the event loop is held up) moves neither
 * the evaluation timestamps nor an alert's `for`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { VirtualClock, type Clock } from '../../src/clock.ts';
import { RuleManager } from '../../src/rules/manager.ts';
import type { Querier, SampleSink } from '../../src/store/types.ts';

const START = Date.UTC(2026, 11, 6, 12, 0, 0);

/** The virtual clock, with every timer firing `lateMs` after its time. */
function lateClock(clock: VirtualClock, lateMs: () => number): Clock {
  return { now: () => clock.now(), setTimeout: (fn, ms) => clock.setTimeout(fn, ms + lateMs()) };
}

const querier: Querier = { select: async () => [] } as unknown as Querier;
const sink: SampleSink = { write: () => undefined } as unknown as SampleSink;

async function run(lateMs: () => number, advanceMs: number): Promise<{ manager: RuleManager; registry: Registry }> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-rules-schedule-'));
  const file = join(dir, 'rules.yaml');
  await writeFile(file, 'groups:\n  - name: always\n    interval: 1s\n    rules:\n      - alert: Always\n        expr: vector(1) > 0\n        for: 2s\n');
  const clock = new VirtualClock(START);
  const registry = new Registry();
  const manager = new RuleManager({ querier, sink, clock: lateClock(clock, lateMs), registry });
  await manager.reload([file]);
  manager.start();
  for (let t = 0; t < advanceMs; t += 1) {
    clock.advance(1);
    await manager.idle();
  }
  await manager.stop();
  await rm(dir, { recursive: true, force: true });
  return { manager, registry };
}

test('timers 7 ms late: every evaluation is stamped on the 1 s grid and for: 2s fires at the third', async () => {
  const { manager } = await run(() => 7, 2_100);
  const [group] = manager.groups();
  assert.equal(group!.lastEvaluation, new Date(START + 2_000).toISOString());
  const [alert] = manager.alerts();
  assert.equal(alert!.state, 'firing');
  assert.equal(alert!.activeAt, new Date(START).toISOString());
  assert.equal(alert!.firedAt, new Date(START + 2_000).toISOString());
});

test('a timer held up past whole intervals: the evaluations it missed are counted and the next is on the grid', async () => {
  // The second timer fires 2.5 s late; the others on time.
  let timers = 0;
  const { manager, registry } = await run(() => (++timers === 2 ? 2_500 : 0), 4_100);
  const [group] = manager.groups();
  // Due at +1 s, fired at +3.5 s: +1 s and +2 s are missed, +3 s is evaluated, then +4 s.
  assert.equal(group!.lastEvaluation, new Date(START + 4_000).toISOString());
  const missed = (await registry.getSingleMetric('sluice_rule_group_iterations_missed_total')!.get()).values.reduce((n, v) => n + v.value, 0);
  assert.equal(missed, 2);
});
