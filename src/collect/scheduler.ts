/**
 * Runs collectors on their intervals and hands their samples on. Each collector runs at a fixed
 * rate from a random start within its first interval (so that collectors of many clusters do not
 * fire together); a tick that finds the previous cycle still running is skipped and counted,
 * never queued. Each cycle's own duration, sample count, errors and skips are prom-client
 * metrics in the registry given and `sluice_collector_*` samples beside the collector's own.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import pino from 'pino';
import type { Sample, SampleSink } from '../store/types.ts';
import type { CollectResult, Collector, EventSink } from './types.ts';
import { traced } from '../telemetry/tracing.ts';
import { wallClock, type Clock, type ClockTimer } from '../clock.ts';

/** What the scheduler needs. */
export interface SchedulerOptions {
  readonly collectors: readonly Collector[];
  readonly sink: SampleSink;
  readonly events?: EventSink;
  /** Registry for the `sluice_collector_*` metrics. */
  readonly registry: Registry;
  readonly logger?: Logger;
  /** Times the cycles and stamps their own samples; default the wall clock. */
  readonly clock?: Clock;
  /** Fraction of an interval the first cycle is delayed by at most (default 1; 0 = start at once). */
  readonly jitter?: number;
}

interface Slot {
  readonly collector: Collector;
  running: Promise<CollectResult | undefined> | null;
  timer: ClockTimer | null;
  cycles: number;
  samples: number;
  errors: number;
  skipped: number;
}

/** The collectors' scheduler. */
export class CollectScheduler {
  private readonly slots: Slot[];
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly duration: Histogram<'collector' | 'cluster'>;
  private readonly samplesTotal: Counter<'collector' | 'cluster'>;
  private readonly errorsTotal: Counter<'collector' | 'cluster'>;
  private readonly skippedTotal: Counter<'collector' | 'cluster'>;
  private started = false;

  constructor(private readonly options: SchedulerOptions) {
    this.slots = options.collectors.map((collector) => ({ collector, running: null, timer: null, cycles: 0, samples: 0, errors: 0, skipped: 0 }));
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.clock = options.clock ?? wallClock;
    const registers = [options.registry];
    const labelNames = ['collector', 'cluster'] as const;
    this.duration = new Histogram({ name: 'sluice_collector_duration_seconds', help: 'Duration of collection cycles', labelNames, registers, buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
    this.samplesTotal = new Counter({ name: 'sluice_collector_samples_total', help: 'Samples produced by collectors', labelNames, registers });
    this.errorsTotal = new Counter({ name: 'sluice_collector_errors_total', help: 'Errors met by collectors (partial cycles included)', labelNames, registers });
    this.skippedTotal = new Counter({ name: 'sluice_collector_skipped_total', help: 'Cycles skipped because the previous cycle was still running', labelNames, registers });
  }

  /** Whether the timers are running (between `start` and `stop`). */
  get running(): boolean {
    return this.started;
  }

  /** Starts every collector's timer; returns at once. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const jitter = this.options.jitter ?? 1;
    for (const slot of this.slots) {
      const interval = slot.collector.intervalMs;
      const tick = (): void => {
        if (!this.started) return;
        slot.timer = this.clock.setTimeout(tick, interval);
        void this.runSlot(slot);
      };
      slot.timer = this.clock.setTimeout(tick, Math.floor(Math.random() * jitter * interval));
    }
  }

  /** Stops the timers, waits for running cycles, closes the collectors. */
  async stop(): Promise<void> {
    this.started = false;
    for (const slot of this.slots) slot.timer?.cancel();
    await Promise.all(this.slots.map((s) => s.running));
    await Promise.all(this.slots.map((s) => s.collector.close?.().catch((err: unknown) => this.logger.warn({ err }, 'collector close failed'))));
  }

  /**
   * Runs every collector (or those named) once, concurrently, as the timers would, and returns
   * each one's result and duration; a collector still running is skipped (undefined result).
   */
  async runOnce(names?: readonly string[]): Promise<{ collector: Collector; result: CollectResult | undefined; seconds: number }[]> {
    const slots = this.slots.filter((s) => names === undefined || names.includes(s.collector.name));
    return Promise.all(slots.map(async (slot) => {
      const started = performance.now();
      const result = await this.runSlot(slot);
      return { collector: slot.collector, result, seconds: (performance.now() - started) / 1000 };
    }));
  }

  /** Counts of one collector so far. */
  stats(name: string, cluster: string): { cycles: number; samples: number; errors: number; skipped: number } | undefined {
    const s = this.slots.find((x) => x.collector.name === name && x.collector.cluster === cluster);
    return s && { cycles: s.cycles, samples: s.samples, errors: s.errors, skipped: s.skipped };
  }

  private runSlot(slot: Slot): Promise<CollectResult | undefined> {
    const { collector } = slot;
    const labels = { collector: collector.name, cluster: collector.cluster };
    if (slot.running) {
      slot.skipped++;
      this.skippedTotal.inc(labels);
      this.logger.warn(labels, 'collection cycle skipped: the previous one is still running');
      return Promise.resolve(undefined);
    }
    const run = this.cycle(slot, labels).finally(() => { slot.running = null; });
    slot.running = run;
    return run;
  }

  /** One collection cycle, traced as a span. */
  private cycle(slot: Slot, labels: { collector: string; cluster: string }): Promise<CollectResult> {
    return traced('sluice.collect.cycle', { 'sluice.collector': labels.collector, 'sluice.cluster': labels.cluster }, async (span) => {
      const result = await this.collectAndWrite(slot, labels);
      span.setAttributes({ 'sluice.samples': result.samples.length, 'sluice.errors': result.errors.length });
      return result;
    });
  }

  private async collectAndWrite(slot: Slot, labels: { collector: string; cluster: string }): Promise<CollectResult> {
    const { collector } = slot;
    const nowMs = this.clock.now();
    const started = performance.now();
    let result: CollectResult;
    try {
      result = await collector.collect({ nowMs });
    } catch (err) {
      // A collector should not throw; if it does, the cycle counts as one error and nothing else.
      result = { samples: [], errors: [{ op: 'collect', message: (err as Error).message ?? String(err) }] };
    }
    const seconds = (performance.now() - started) / 1000;
    slot.cycles++;
    slot.samples += result.samples.length;
    slot.errors += result.errors.length;
    this.duration.observe(labels, seconds);
    this.samplesTotal.inc(labels, result.samples.length);
    if (result.errors.length > 0) {
      this.errorsTotal.inc(labels, result.errors.length);
      this.logger.warn({ ...labels, errors: result.errors.slice(0, 20), count: result.errors.length }, 'collection cycle had errors');
    }
    const own: Sample[] = [
      { metric: 'sluice_collector_duration_seconds', labels, ts: nowMs, value: seconds },
      { metric: 'sluice_collector_samples_total', labels, ts: nowMs, value: slot.samples },
      { metric: 'sluice_collector_errors_total', labels, ts: nowMs, value: slot.errors },
      { metric: 'sluice_collector_skipped_total', labels, ts: nowMs, value: slot.skipped },
    ];
    try {
      await this.options.sink.write(result.samples.length === 0 ? own : result.samples.concat(own));
    } catch (err) {
      this.errorsTotal.inc(labels);
      slot.errors++;
      this.logger.error({ ...labels, err }, 'samples refused by the store');
    }
    if (result.events && result.events.length > 0 && this.options.events) {
      try {
        await this.options.events.record(result.events);
      } catch (err) {
        this.logger.error({ ...labels, err, events: result.events.length }, 'events could not be recorded');
      }
    }
    return result;
  }
}
