/**
 * The store's `SampleSink`: samples go to the head at once and to PostgreSQL in batches.
 *
 * - Backpressure: `write` resolves when its samples are queued; while the queue holds
 *   `maxQueuedSamples` it waits, in call order.
 * - Outage: when the database is unreachable, `write` never waits; samples are buffered up to
 *   `maxBufferedSamples` (default: `bufferSeconds` × the observed rate) and the newest beyond the
 *   bound are dropped and counted. The failed batch is retried with exponential backoff, then
 *   the buffer is written in order.
 * - Exactly once: a batch is first loaded with plain COPY (the fast path). A batch retried after
 *   a failure whose outcome is unknown (it may have committed) is loaded idempotently (staging
 *   table + ON CONFLICT DO NOTHING on the unique (series_id, ts) index), so nothing is stored
 *   twice. Within the process, a sample at or before its series' newest time is dropped.
 * - Refusals: a batch the database refuses for a reason a retry cannot fix is written again in
 *   parts to find the series or samples it refuses (writer-isolate.ts); the rest is stored, the
 *   refused ones are counted by reason and logged, and a refused series is not sent again.
 */
import { Registry } from 'prom-client';
import { wallClock, type Clock } from '../clock.ts';
import { SluiceError } from '../errors.ts';
import { silentLogger, type Logger } from '../telemetry/logger.ts';
import type { Head } from './head.ts';
import { DEFAULT_RETENTION, PartitionKeeper, partitionName, periodEnd, periodStart } from './partitions.ts';
import { SampleQueue, type SampleBatch, type SampleChunk } from './queue.ts';
import { SeriesCache } from './series-cache.ts';
import { CHECK_VIOLATION, isTransientDbError, sqlState, UNIQUE_VIOLATION } from './sql.ts';
import type { Db, Sample, SampleSink } from './types.ts';
import { isRowRefusal, Isolation, refusedSeries, type RefusalReason } from './writer-isolate.ts';
import { selfSamples, WriterMetrics, type DropReason } from './writer-metrics.ts';
import { intake } from './writer-intake.ts';
import { RateMeter, Signal, sleepOn, withTimeout } from './writer-support.ts';

/** Writer settings; every one has a default. */
export interface WriterOptions {
  readonly db: Db;
  readonly cache?: SeriesCache;
  /** Receives every accepted sample before the database does. */
  readonly head?: Head;
  readonly partitions?: PartitionKeeper;
  /** Where `sluice_samples_dropped_total` and the other writer metrics are registered. */
  readonly registry?: Registry;
  readonly logger?: Logger;
  /**
   * Time of samples' range checks and reports, and timer of batch flushes and retry delays;
   * default the wall clock. The attempt and close time limits stay on real time (they bound I/O).
   */
  readonly clock?: Clock;
  /** Samples per database write; default 50,000. */
  readonly batchSamples?: number;
  /** Longest a sample waits for a batch to fill; default 1000 ms. */
  readonly flushIntervalMs?: number;
  /** Queue bound while the database is reachable (beyond it `write` waits); default 200,000. */
  readonly maxQueuedSamples?: number;
  /** Outage buffer bound; default `bufferSeconds` × observed samples/s, at least maxQueuedSamples. */
  readonly maxBufferedSamples?: number;
  /** Seconds of data the default outage buffer holds; default 600. */
  readonly bufferSeconds?: number;
  /** First and longest delay between retries; default 250 ms and 10 s. */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /**
   * Once a write has failed or a sample was refused, the writer's own series (`selfSamples`) are
   * written every this many ms, so that rules can watch it; default: never.
   */
  readonly reportIntervalMs?: number;
  /** A write attempt still unanswered after this long counts as failed; default 60 s. */
  readonly attemptTimeoutMs?: number;
  /** Samples older than this (ms before now) are dropped: raw retention, default 7 days. */
  readonly retentionMs?: number;
  /** Samples newer than now + this are dropped; default 1 day. */
  readonly futureMs?: number;
}

/** A snapshot of the writer, for health checks and tests. */
export interface WriterStats {
  /** Samples written to the database. */
  readonly written: number;
  /** Samples accepted and not yet written. */
  readonly queued: number;
  /** True while the database is unreachable or the outage backlog is being written. */
  readonly buffering: boolean;
  /** The outage buffer bound in force now. */
  readonly bufferLimit: number;
  readonly dropped: Readonly<Record<DropReason, number>>;
  /** Failed write attempts so far. */
  readonly failures: number;
}

/** Whether writes are failing now, for the readiness check. */
export interface WriterHealth {
  /** When the batch being written first failed (ms); undefined while writes succeed. */
  readonly failingSince?: number;
  /** The newest failure's message, while failing. */
  readonly lastError?: string;
}

interface Waiter {
  readonly chunk: SampleChunk;
  readonly resolve: () => void;
}

/** Batches samples into the database; see the file comment for the guarantees. */
export class Writer implements SampleSink {
  readonly cache: SeriesCache;
  private readonly db: Db;
  private readonly head: Head | undefined;
  private readonly partitions: PartitionKeeper;
  private readonly metrics: WriterMetrics;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly o: Required<Omit<WriterOptions, 'db' | 'cache' | 'head' | 'partitions' | 'registry' | 'logger' | 'clock' | 'maxBufferedSamples' | 'reportIntervalMs'>>;
  private readonly reportIntervalMs: number | undefined;
  private readonly maxBuffered: number | undefined;
  private readonly queue = new SampleQueue();
  private readonly waiters: Waiter[] = [];
  private readonly flushWaiters: { target: number; resolve: () => void }[] = [];
  private readonly rate = new RateMeter();
  private readonly signal: Signal;
  private readonly abort = new AbortController();
  private readonly loop: Promise<void>;
  private inFlight = 0;
  private enqueued = 0;
  private done = 0;
  private written = 0;
  private failures = 0;
  private buffering = false;
  /** True from a transient failure until the batch that failed is written. */
  private retrying = false;
  private closing = false;
  private idle = false;
  private range: { from: number; to: number } | undefined;
  private failingSince: number | undefined;
  private lastError: string | undefined;
  private refusedCount = 0;
  /** Clusters whose samples this writer has written or tried to; set from the first report on. */
  private readonly clusters = new Set<string>();
  /** Time of the last self report; undefined until the first failure or refusal. */
  private reportedAt: number | undefined;

  constructor(options: WriterOptions) {
    this.db = options.db;
    this.cache = options.cache ?? new SeriesCache();
    this.head = options.head;
    this.partitions = options.partitions ?? new PartitionKeeper(options.db);
    this.logger = options.logger ?? silentLogger();
    this.metrics = new WriterMetrics(options.registry ?? new Registry(), this.logger);
    this.clock = options.clock ?? wallClock;
    this.signal = new Signal(this.clock);
    this.maxBuffered = options.maxBufferedSamples;
    this.reportIntervalMs = options.reportIntervalMs;
    this.o = {
      batchSamples: options.batchSamples ?? 50_000,
      flushIntervalMs: options.flushIntervalMs ?? 1000,
      maxQueuedSamples: options.maxQueuedSamples ?? 200_000,
      bufferSeconds: options.bufferSeconds ?? 600,
      retryMinMs: options.retryMinMs ?? 250,
      retryMaxMs: options.retryMaxMs ?? 10_000,
      attemptTimeoutMs: options.attemptTimeoutMs ?? 60_000,
      retentionMs: options.retentionMs ?? DEFAULT_RETENTION.samples,
      futureMs: options.futureMs ?? 86_400_000,
    };
    this.loop = this.run();
  }

  /** `SampleSink.write`: see the file comment. Rejects (accepting nothing) for an invalid sample. */
  write(batch: readonly Sample[]): Promise<void> {
    if (this.closing) return Promise.reject(new SluiceError('SLUICE_ERR_STORE_CLOSED', 'the store writer is closed and accepts no more samples'));
    const now = this.clock.now();
    let taken;
    try {
      taken = intake(batch, this.cache, this.head, now - this.o.retentionMs, now + this.o.futureMs);
    } catch (err) {
      this.metrics.dropped('invalid', batch.length);
      return Promise.reject(err);
    }
    this.metrics.dropped('out_of_range', taken.outOfRange);
    this.metrics.dropped('duplicate', taken.duplicate);
    this.metrics.dropped('out_of_order', taken.outOfOrder);
    this.rate.add(taken.chunk.refs.length, now);
    return taken.chunk.refs.length === 0 ? Promise.resolve() : this.admit(taken.chunk);
  }

  /** Resolves once every sample accepted (or waiting to be) before the call is written or dropped. */
  flush(): Promise<void> {
    const target = this.enqueued + this.waiters.reduce((sum, w) => sum + w.chunk.refs.length, 0);
    if (this.done >= target) return Promise.resolve();
    return new Promise((resolve) => {
      this.flushWaiters.push({ target, resolve });
      this.signal.notify();
    });
  }

  /**
   * Stops accepting samples and writes what is queued. If the database is still unreachable
   * after `timeoutMs` (default 30 s), what remains is dropped as `shutdown`, counted and logged.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      for (const waiter of this.waiters.splice(0)) this.enqueue(waiter.chunk, waiter.resolve);
      this.signal.notify();
    }
    // Real time, not the writer's clock: this bounds how long shutdown waits on the database.
    const timer = setTimeout(() => this.abort.abort(), options.timeoutMs ?? 30_000);
    await this.loop;
    clearTimeout(timer);
    this.metrics.logDrops();
  }

  /** The span of sample times written since the last call (for the rollup job), if any. */
  takeWrittenRange(): { from: number; to: number } | undefined {
    const range = this.range;
    this.range = undefined;
    return range;
  }

  /** Counts so far and the state of the queue. */
  stats(): WriterStats {
    return {
      written: this.written,
      queued: this.pending,
      buffering: this.buffering,
      bufferLimit: this.bufferLimit(),
      dropped: { ...this.metrics.droppedByReason },
      failures: this.failures,
    };
  }

  /** Whether writes are failing now (see WriterHealth). */
  health(): WriterHealth {
    return this.failingSince === undefined ? {} : { failingSince: this.failingSince, lastError: this.lastError ?? 'unknown error' };
  }

  /** Refused samples by cluster and reason, since this writer started. */
  refused(): ReadonlyMap<string, Readonly<Record<RefusalReason, number>>> {
    return this.metrics.refusedByCluster;
  }

  private get pending(): number {
    return this.queue.size + this.inFlight;
  }

  private bufferLimit(): number {
    if (this.maxBuffered !== undefined) return this.maxBuffered;
    return Math.max(this.o.maxQueuedSamples, Math.ceil(this.rate.perSecond(this.clock.now()) * this.o.bufferSeconds));
  }

  private admit(chunk: SampleChunk): Promise<void> {
    if (this.buffering) {
      this.enqueueBounded(chunk);
      return Promise.resolve();
    }
    if (this.waiters.length === 0 && (this.pending === 0 || this.pending + chunk.refs.length <= this.o.maxQueuedSamples)) {
      this.enqueue(chunk);
      // A full batch is waiting: let the event loop run before the caller writes more, so the
      // database write starts now and overlaps with the caller's next cycle.
      return this.queue.size >= this.o.batchSamples ? new Promise((resolve) => setImmediate(resolve)) : Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push({ chunk, resolve }));
  }

  /** Lets waiting writes in, in order, as far as the queue bound (or outage buffer) allows. */
  private admitWaiters(): void {
    while (this.waiters.length > 0) {
      const { chunk, resolve } = this.waiters[0]!;
      if (!this.buffering && this.pending > 0 && this.pending + chunk.refs.length > this.o.maxQueuedSamples) return;
      this.waiters.shift();
      if (this.buffering) this.enqueueBounded(chunk);
      else this.enqueue(chunk);
      resolve();
    }
  }

  /** Outage mode: keeps what fits under the buffer bound and drops the newest rest. */
  private enqueueBounded(chunk: SampleChunk): void {
    const room = Math.max(0, this.bufferLimit() - this.pending);
    const n = chunk.refs.length;
    if (n <= room) return this.enqueue(chunk);
    this.metrics.dropped('buffer_full', n - room);
    this.enqueue({ refs: chunk.refs.slice(0, room), ts: chunk.ts.subarray(0, room), values: chunk.values.subarray(0, room) });
  }

  private enqueue(chunk: SampleChunk, then?: () => void): void {
    this.queue.push(chunk);
    this.enqueued += chunk.refs.length;
    this.metrics.state(this.pending, this.buffering);
    if (this.idle || this.queue.size >= this.o.batchSamples) this.signal.notify();
    then?.();
  }

  private async run(): Promise<void> {
    for (;;) {
      if (this.abort.signal.aborted) return this.dropRemaining();
      if (this.queue.size === 0) {
        if (this.closing) return;
        this.idle = true;
        await this.signal.wait();
        this.idle = false;
        continue;
      }
      if (this.queue.size < this.o.batchSamples && !this.closing && this.flushWaiters.length === 0) {
        await this.signal.wait(this.o.flushIntervalMs);
      }
      const batch = this.queue.take(this.o.batchSamples);
      this.inFlight = batch.refs.length;
      await this.writeBatch(batch);
      this.done += batch.refs.length;
      this.inFlight = 0;
      // The outage is over once its backlog fits the normal queue bound again.
      if (this.buffering && !this.retrying && this.pending <= this.o.maxQueuedSamples) this.buffering = false;
      this.metrics.state(this.pending, this.buffering);
      this.admitWaiters();
      this.settleFlushes();
    }
  }

  /** Writes one batch, retrying while the database is unreachable; see the file comment. */
  private async writeBatch(whole: SampleBatch): Promise<void> {
    if (this.reportedAt !== undefined) for (const ref of whole.refs) this.clusters.add(ref.labels.cluster!);
    const batch = this.refusedCount === 0 ? whole : this.withoutRefused(whole);
    if (batch.refs.length === 0) return;
    let idempotent = false;
    let partitionsChecked = false;
    let isolation: Isolation<SampleBatch> | undefined;
    let delay = this.o.retryMinMs;
    for (;;) {
      try {
        if (isolation !== undefined) await this.attemptIsolating(isolation);
        else await this.attempt(batch, idempotent);
        if (this.retrying) this.logger.info({ backlog: this.pending - batch.refs.length }, 'database reachable again; writing buffered samples');
        this.retrying = false;
        this.failingSince = undefined;
        this.lastError = undefined;
        this.report();
        return;
      } catch (err) {
        this.failures++;
        this.metrics.failed();
        this.failingSince ??= this.clock.now();
        this.lastError = (err as Error)?.message ?? String(err);
        this.report(batch);
        if (this.abort.signal.aborted) return this.metrics.dropped('shutdown', batch.refs.length);
        if (isTransientDbError(err)) {
          if (!this.retrying) this.logger.warn({ err, retryInMs: delay }, 'database unreachable; buffering samples in memory and retrying');
          this.retrying = true;
          this.buffering = true;
          this.admitWaiters();
          idempotent = true; // the failed attempt may have committed
          try {
            await sleepOn(this.clock, delay, this.abort.signal);
          } catch {
            return this.metrics.dropped('shutdown', batch.refs.length);
          }
          delay = Math.min(delay * 2, this.o.retryMaxMs);
          continue;
        }
        const state = sqlState(err);
        if (state === UNIQUE_VIOLATION && !idempotent) {
          idempotent = true; // some of these samples were stored before (e.g. before a restart)
          continue;
        }
        if (state === CHECK_VIOLATION && !partitionsChecked) {
          partitionsChecked = true; // a partition was dropped under us: forget and create it again
          this.partitions.forget(this.partitionNames(batch));
          continue;
        }
        if (isolation === undefined && isRowRefusal(err)) {
          // Find what the database refuses and store the rest (writer-isolate.ts).
          this.logger.warn({ err, samples: batch.refs.length }, 'database refused a batch of samples; writing it in parts to store all but the rows it refuses');
          isolation = new Isolation(batch);
          continue;
        }
        const left = isolation?.remaining ?? batch.refs.length;
        this.logger.error({ err, samples: left }, 'database refused a batch of samples; dropping it');
        if (isolation !== undefined) this.range = { from: Math.min(this.range?.from ?? Infinity, batch.minTs), to: Math.max(this.range?.to ?? -Infinity, batch.maxTs) };
        return this.metrics.dropped('rejected', left);
      }
    }
  }

  private async attempt(batch: SampleBatch, idempotent: boolean): Promise<void> {
    await withTimeout(this.o.attemptTimeoutMs, async () => {
      await this.cache.resolve(this.db, batch.refs);
      await this.partitions.ensureRange('samples', batch.minTs, batch.maxTs);
      const ids = new Int32Array(batch.refs.length);
      for (let i = 0; i < ids.length; i++) ids[i] = batch.refs[i]!.id;
      await this.db.copySamples({ seriesIds: ids, ts: batch.ts, values: batch.values }, { idempotent, timeoutMs: this.o.attemptTimeoutMs });
    });
    this.written += batch.refs.length;
    this.metrics.written(batch.refs.length);
    this.range = { from: Math.min(this.range?.from ?? Infinity, batch.minTs), to: Math.max(this.range?.to ?? -Infinity, batch.maxTs) };
  }

  /** A refused write, again in parts: everything but the refused series and samples is stored. */
  private async attemptIsolating(isolation: Isolation<SampleBatch>): Promise<void> {
    const { minTs, maxTs } = isolation.batch;
    // Not a row's problem when it fails: thrown, so the batch is retried or dropped as a whole.
    await withTimeout(this.o.attemptTimeoutMs, async () => {
      await this.partitions.ensureRange('samples', minTs, maxTs);
    });
    await isolation.run({
      resolve: (refs) => withTimeout(this.o.attemptTimeoutMs, () => this.cache.resolve(this.db, refs)),
      copy: async (chunk) => {
        let inserted = 0;
        await withTimeout(this.o.attemptTimeoutMs, async () => {
          const ids = Int32Array.from(chunk.refs, (ref) => ref.id);
          inserted = await this.db.copySamples({ seriesIds: ids, ts: chunk.ts, values: chunk.values }, { idempotent: true, timeoutMs: this.o.attemptTimeoutMs });
        });
        return inserted;
      },
      refusedSeries: (ref, reason, err) => {
        this.refusedCount++;
        this.logger.error({ err, reason, series: ref.key.slice(0, 500) }, 'database refused a series; its samples are counted as refused and not sent again');
      },
      refusedSamples: (ref, reason, n, err) => {
        if (err !== undefined) this.logger.error({ err, reason, series: ref.key.slice(0, 500) }, 'database refused a sample; it is dropped');
        this.refuse(ref, reason, n);
      },
      stored: (inserted) => {
        this.written += inserted;
        this.metrics.written(inserted);
      },
    });
    this.range = { from: Math.min(this.range?.from ?? Infinity, minTs), to: Math.max(this.range?.to ?? -Infinity, maxTs) };
  }

  /** Counts refused samples and starts the self reports if they had not started. */
  private refuse(ref: { labels: Readonly<Record<string, string>> }, reason: RefusalReason, n: number): void {
    this.metrics.refused(ref.labels.cluster!, reason, n);
    this.clusters.add(ref.labels.cluster!);
  }

  /** The batch without the samples of series the database refused before (counted as refused). */
  private withoutRefused(batch: SampleBatch): SampleBatch {
    const keep: number[] = [];
    batch.refs.forEach((ref, i) => {
      const reason = refusedSeries.get(ref);
      if (reason === undefined) keep.push(i);
      else this.refuse(ref, reason, 1);
    });
    if (keep.length === batch.refs.length) return batch;
    return {
      refs: keep.map((i) => batch.refs[i]!),
      ts: Float64Array.from(keep, (i) => batch.ts[i]!),
      values: Float64Array.from(keep, (i) => batch.values[i]!),
      minTs: batch.minTs,
      maxTs: batch.maxTs,
    };
  }

  /**
   * Writes the writer's own series (`selfSamples`) through itself, so they reach the head at once
   * (rules see them even while the database is down): from the first failure or refusal on, at
   * most every `reportIntervalMs`. `failed`, when given, is the batch whose write just failed.
   */
  private report(failed?: SampleBatch): void {
    if (this.reportIntervalMs === undefined || this.closing) return;
    const now = this.clock.now();
    if (this.reportedAt === undefined) {
      if (failed === undefined && this.clusters.size === 0) return;
      for (const ref of failed?.refs ?? []) this.clusters.add(ref.labels.cluster!);
    } else if (now - this.reportedAt < this.reportIntervalMs) return;
    this.reportedAt = now;
    const samples = selfSamples({ ts: now, clusters: this.clusters, failing: this.failingSince !== undefined, failures: this.failures, refused: this.metrics.refusedByCluster });
    this.write(samples).catch((err: unknown) => this.logger.warn({ err }, 'the store writer could not record its own series'));
  }

  private partitionNames(batch: SampleBatch): string[] {
    const names: string[] = [];
    for (let day = periodStart('day', batch.minTs); day <= batch.maxTs; day = periodEnd('day', day)) names.push(partitionName('samples', day));
    return names;
  }

  private settleFlushes(): void {
    for (let i = this.flushWaiters.length - 1; i >= 0; i--) {
      const waiter = this.flushWaiters[i]!;
      if (this.done >= waiter.target) {
        this.flushWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  private dropRemaining(): void {
    const left = this.queue.clear() + this.waiters.splice(0).reduce((sum, w) => (w.resolve(), sum + w.chunk.refs.length), 0);
    this.metrics.dropped('shutdown', left);
    if (left > 0) this.logger.error({ dropped: left }, 'closed before the database could take the remaining samples');
    for (const waiter of this.flushWaiters.splice(0)) waiter.resolve();
  }
}
