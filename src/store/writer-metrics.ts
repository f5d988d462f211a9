/**
 * What the writer reports about itself: prom-client metrics in the registry it is given, and
 * log lines for dropped samples, summed per reason and written at most every 10 s so that a
 * misbehaving collector cannot flood the log (the first drop of a reason is logged at once).
 */
import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import type { Logger } from '../telemetry/logger.ts';
import type { Sample } from './types.ts';
import { REFUSAL_REASONS, type RefusalReason } from './writer-isolate.ts';

/**
 * Why a sample was not stored:
 * - `buffer_full`: the database was unreachable and the outage buffer was full (newest dropped);
 * - `duplicate` / `out_of_order`: a series got a sample at or before its newest time;
 * - `out_of_range`: older than raw retention or too far in the future;
 * - `invalid`: a batch rejected by `write` (e.g. no `cluster` label);
 * - `rejected`: the database refused these samples or their series for a reason a retry cannot
 *   fix (also counted by cluster and reason in `sluice_store_samples_refused_total`);
 * - `shutdown`: still queued when `close` gave up waiting for the database.
 */
export type DropReason = 'buffer_full' | 'duplicate' | 'out_of_order' | 'out_of_range' | 'invalid' | 'rejected' | 'shutdown';

/** Every drop reason, for reports. */
export const DROP_REASONS: readonly DropReason[] = ['buffer_full', 'duplicate', 'out_of_order', 'out_of_range', 'invalid', 'rejected', 'shutdown'];

const LOG_INTERVAL_MS = 10_000;

/** Returns the metric already registered under `name`, or registers the one `create` makes. */
function shared<M extends Metric<string>>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

/** The writer's counters, gauges and drop log. */
export class WriterMetrics {
  /** Dropped samples by reason, since this writer started. */
  readonly droppedByReason: Record<DropReason, number> = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
  private readonly droppedTotal: Counter<'reason'>;
  private readonly writtenTotal: Counter;
  private readonly failuresTotal: Counter;
  private readonly refusedTotal: Counter<'cluster' | 'reason'>;
  /** Refused samples by cluster, then reason, since this writer started. */
  readonly refusedByCluster = new Map<string, Record<RefusalReason, number>>();
  private readonly queuedGauge: Gauge;
  private readonly bufferingGauge: Gauge;
  private readonly unlogged = new Map<DropReason, number>();
  private logTimer: NodeJS.Timeout | undefined;

  constructor(
    registry: Registry,
    private readonly logger: Logger,
  ) {
    const registers = [registry];
    this.droppedTotal = shared(registry, 'sluice_samples_dropped_total', () =>
      new Counter({ name: 'sluice_samples_dropped_total', help: 'Samples not stored, by reason', labelNames: ['reason'], registers }),
    );
    this.writtenTotal = shared(registry, 'sluice_samples_written_total', () =>
      new Counter({ name: 'sluice_samples_written_total', help: 'Samples written to the database', registers }),
    );
    this.failuresTotal = shared(registry, 'sluice_store_write_failures_total', () =>
      new Counter({ name: 'sluice_store_write_failures_total', help: 'Failed attempts to write a batch (each is retried or counted as dropped)', registers }),
    );
    this.refusedTotal = shared(registry, 'sluice_store_samples_refused_total', () =>
      new Counter({ name: 'sluice_store_samples_refused_total', help: 'Samples the database refused (they or their series), by cluster and reason; the rest of their batch was stored', labelNames: ['cluster', 'reason'], registers }),
    );
    this.queuedGauge = shared(registry, 'sluice_store_queued_samples', () =>
      new Gauge({ name: 'sluice_store_queued_samples', help: 'Samples accepted and not yet written', registers }),
    );
    this.bufferingGauge = shared(registry, 'sluice_store_buffering', () =>
      new Gauge({ name: 'sluice_store_buffering', help: '1 while the database is unreachable and samples are buffered in memory', registers }),
    );
  }

  /** Counts `n` dropped samples and schedules the log line that reports them. */
  dropped(reason: DropReason, n: number): void {
    if (n <= 0) return;
    this.droppedByReason[reason] += n;
    this.droppedTotal.inc({ reason }, n);
    const first = this.droppedByReason[reason] === n;
    this.unlogged.set(reason, (this.unlogged.get(reason) ?? 0) + n);
    if (first) this.logDrops();
    else this.logTimer ??= setTimeout(() => this.logDrops(), LOG_INTERVAL_MS).unref();
  }

  /** Writes the pending drop counts to the log now (also called on close). */
  logDrops(): void {
    if (this.logTimer !== undefined) clearTimeout(this.logTimer);
    this.logTimer = undefined;
    for (const [reason, count] of this.unlogged) {
      this.logger.warn({ reason, dropped: count, droppedTotal: this.droppedByReason[reason] }, `dropped ${count} samples: ${reason.replace('_', ' ')}`);
    }
    this.unlogged.clear();
  }

  /** Counts `n` samples stored. */
  written(n: number): void {
    this.writtenTotal.inc(n);
  }

  /** Counts `n` samples of `cluster` refused by the database for `reason` (and dropped as `rejected`). */
  refused(cluster: string, reason: RefusalReason, n: number): void {
    if (n <= 0) return;
    let counts = this.refusedByCluster.get(cluster);
    if (counts === undefined) this.refusedByCluster.set(cluster, (counts = Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0])) as Record<RefusalReason, number>));
    counts[reason] += n;
    this.refusedTotal.inc({ cluster, reason }, n);
    this.dropped('rejected', n);
  }

  /** Counts one failed write attempt. */
  failed(): void {
    this.failuresTotal.inc();
  }

  /** Sets the queue gauges. */
  state(queued: number, buffering: boolean): void {
    this.queuedGauge.set(queued);
    this.bufferingGauge.set(buffering ? 1 : 0);
  }
}

/** What the writer reports about itself into the store, per cluster whose samples it writes. */
export interface SelfReport {
  readonly ts: number;
  readonly clusters: Iterable<string>;
  /** True while the newest write attempt failed. */
  readonly failing: boolean;
  readonly failures: number;
  readonly refused: ReadonlyMap<string, Readonly<Record<RefusalReason, number>>>;
}

/**
 * The writer's own series, so that the shipped rules (rules/sluice-collectors.yaml) can watch it:
 * `sluice_store_write_failing`, `sluice_store_write_failures_total` and
 * `sluice_store_samples_refused_total{reason}` (every reason, 0 included), each with `cluster`.
 */
export function selfSamples(report: SelfReport): Sample[] {
  const out: Sample[] = [];
  const { ts } = report;
  for (const cluster of report.clusters) {
    out.push({ metric: 'sluice_store_write_failing', labels: { cluster }, ts, value: report.failing ? 1 : 0 });
    out.push({ metric: 'sluice_store_write_failures_total', labels: { cluster }, ts, value: report.failures });
    const refused = report.refused.get(cluster);
    for (const reason of REFUSAL_REASONS) out.push({ metric: 'sluice_store_samples_refused_total', labels: { cluster, reason }, ts, value: refused?.[reason] ?? 0 });
  }
  return out;
}
