import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { VirtualClock } from '../../src/clock.ts';
import { CollectScheduler } from '../../src/collect/scheduler.ts';
import type { Collector } from '../../src/collect/types.ts';
import type { Sample, SampleSink } from '../../src/store/types.ts';
import { advanceBy, sleepOn } from '../helpers/clock.ts';

/** A collector whose cycles take `ms` on `clock` and return one sample. */
function slowCollector(clock: VirtualClock, ms: number): Collector {
  return {
    name: 'slow', cluster: 'c1', intervalMs: 50,
    async collect({ nowMs }) {
      await sleepOn(clock, ms);
      return { samples: [{ metric: 'x', labels: { cluster: 'c1' }, ts: nowMs, value: 1 }], errors: [{ op: 'probe', message: 'half failed' }] };
    },
  };
}

test('a slow cycle never overlaps itself: the ticks it covers are skipped and counted', async () => {
  const written: Sample[] = [];
  const sink: SampleSink = { write: async (batch) => { written.push(...batch); } };
  const registry = new Registry();
  const clock = new VirtualClock(0);
  const scheduler = new CollectScheduler({ collectors: [slowCollector(clock, 180)], sink, registry, jitter: 0, clock });
  scheduler.start();
  await advanceBy(clock, 500, 10);
  // stop waits for the cycle under way, which ends when the clock reaches its end.
  const stopped = scheduler.stop();
  await advanceBy(clock, 200, 10);
  await stopped;
  const stats = scheduler.stats('slow', 'c1')!;
  // Cycles at 0 and ~200 ms (ticks every 50 ms); everything between is skipped.
  assert.ok(stats.samples >= 2 && stats.samples <= 3, JSON.stringify(stats));
  assert.ok(stats.skipped >= 5, JSON.stringify(stats));
  assert.equal(stats.errors, stats.samples);
  const text = await registry.metrics();
  assert.match(text, new RegExp(`sluice_collector_skipped_total\\{collector="slow",cluster="c1"\\} ${stats.skipped}`));
  assert.match(text, new RegExp(`sluice_collector_samples_total\\{collector="slow",cluster="c1"\\} ${stats.samples}`));
  assert.match(text, /sluice_collector_duration_seconds_count\{collector="slow",cluster="c1"\} [23]/);
  const own = written.filter((s) => s.metric === 'sluice_collector_skipped_total');
  assert.equal(own.length, stats.samples);
  assert.deepEqual(own[0]!.labels, { collector: 'slow', cluster: 'c1' });
});

test('a collector that throws counts as one error and the scheduler carries on', async () => {
  const sink: SampleSink = { write: async () => undefined };
  let calls = 0;
  const broken: Collector = { name: 'broken', cluster: 'c1', intervalMs: 30, collect: async () => { calls++; throw new Error('boom'); } };
  const clock = new VirtualClock(0);
  const scheduler = new CollectScheduler({ collectors: [broken], sink, registry: new Registry(), jitter: 0, clock });
  scheduler.start();
  await advanceBy(clock, 120, 10);
  await scheduler.stop();
  assert.ok(calls >= 3);
  assert.equal(scheduler.stats('broken', 'c1')!.errors, calls);
});
