/**
 * The store's scheduled job, once a minute by default: create partitions ahead, roll up what the
 * writer stored since the last run, drop partitions and events past retention (hourly), and
 * evict the head. A run never overlaps the previous one; a failed run is logged and the next
 * one tries again (the rollup range it missed is kept).
 *
 * Rollups are incremental: the 1-minute buckets touched by newly written samples are
 * recomputed at every run (late samples from an outage included); an hour is rolled up into
 * `samples_1h` once it has ended. `rollup_state` records how far both rollups are complete, so a
 * restarted service catches up from there.
 */
import { wallClock, type Clock, type ClockTimer } from '../clock.ts';
import type { Logger } from '../telemetry/logger.ts';
import { silentLogger } from '../telemetry/logger.ts';
import { deleteEventsBefore } from './events.ts';
import type { Head } from './head.ts';
import { DEFAULT_RETENTION, dropExpiredPartitions, ensurePartitions, PartitionKeeper, type Retention } from './partitions.ts';
import { floorTo, HOUR_MS, MINUTE_MS, rollupHours, rollupMinutes } from './rollup.ts';
import { msOf, toTimestamp } from './sql.ts';
import type { Db } from './types.ts';

/** What the job needs. */
export interface MaintenanceOptions {
  readonly db: Db;
  /** Source of the time span written since the last run (the store's writer). */
  readonly written?: { takeWrittenRange(): { from: number; to: number } | undefined };
  readonly head?: Head;
  readonly partitions?: PartitionKeeper;
  readonly retention?: Retention;
  /** Days of partitions created ahead; default 2. */
  readonly aheadDays?: number;
  /** Time between runs; default 60 s. */
  readonly intervalMs?: number;
  /** Time of a run and timer of the schedule; default the wall clock. */
  readonly clock?: Clock;
  readonly logger?: Logger;
}

const STATE_NAME = 'rollup';

/** The scheduled store job; `runOnce` is the whole of one run, for tests and the CLI. */
export class Maintenance {
  private readonly db: Db;
  private readonly keeper: PartitionKeeper;
  private readonly retention: Retention;
  private readonly clock: Clock;
  private readonly logger: Logger;
  /** Starts of hours with 1-minute rollups newer than their 1-hour rollup. */
  private readonly dirtyHours = new Set<number>();
  private pendingRange: { from: number; to: number } | undefined;
  private lastRetention = -Infinity;
  private caughtUp = false;
  private timer: ClockTimer | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: MaintenanceOptions) {
    this.db = options.db;
    this.keeper = options.partitions ?? new PartitionKeeper(options.db);
    this.retention = options.retention ?? DEFAULT_RETENTION;
    this.clock = options.clock ?? wallClock;
    this.logger = options.logger ?? silentLogger();
  }

  /** Schedules runs every `intervalMs`, the first one after the first interval. Returns at once. */
  start(): void {
    const interval = this.options.intervalMs ?? 60_000;
    const schedule = () => {
      this.timer = this.clock.setTimeout(() => {
        this.running = this.runOnce()
          .catch((err: unknown) => this.logger.error({ err }, 'store maintenance failed; retrying at the next run'))
          .finally(() => {
            this.running = undefined;
            if (this.timer !== undefined) schedule();
          });
      }, interval);
    };
    schedule();
  }

  /** Cancels future runs and waits for a run in progress. */
  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    await this.running;
  }

  /** One run: partitions, rollups, retention (at most hourly), head eviction. */
  async runOnce(): Promise<void> {
    const now = this.clock.now();
    await ensurePartitions(this.db, now, { aheadDays: this.options.aheadDays ?? 2 });
    await this.rollUp(now);
    if (now - this.lastRetention >= HOUR_MS) {
      const dropped = await dropExpiredPartitions(this.db, now, this.retention, this.logger);
      this.keeper.forget(dropped);
      await deleteEventsBefore(this.db, now - this.retention.samples_1h);
      this.lastRetention = now;
    }
    this.options.head?.evict(now);
  }

  private async rollUp(now: number): Promise<void> {
    if (!this.caughtUp) {
      const state = await this.db.query<{ until: number }>(`SELECT ${msOf('done_until')} AS until FROM rollup_state WHERE name = $1`, [STATE_NAME]);
      const until = state.rows[0]?.until;
      if (until !== undefined && until < now) this.widen({ from: until, to: now });
      this.caughtUp = true;
    }
    const written = this.options.written?.takeWrittenRange();
    if (written !== undefined) this.widen(written);
    const range = this.pendingRange;
    if (range !== undefined) {
      const from = floorTo(MINUTE_MS, range.from);
      const to = floorTo(MINUTE_MS, range.to) + MINUTE_MS;
      await this.keeper.ensureRange('samples_1m', from, to - 1);
      await rollupMinutes(this.db, from, to);
      for (let hour = floorTo(HOUR_MS, from); hour < to; hour += HOUR_MS) this.dirtyHours.add(hour);
      this.pendingRange = undefined;
    }
    const currentHour = floorTo(HOUR_MS, now);
    for (const hour of [...this.dirtyHours].sort((a, b) => a - b)) {
      if (hour >= currentHour) continue; // not over yet: rolled up once it has ended
      await this.keeper.ensureRange('samples_1h', hour, hour);
      await rollupHours(this.db, hour, hour + HOUR_MS);
      this.dirtyHours.delete(hour);
    }
    const doneUntil = Math.min(currentHour, ...this.dirtyHours);
    await this.db.query(
      `INSERT INTO rollup_state (name, done_until) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET done_until = excluded.done_until`,
      [STATE_NAME, toTimestamp(doneUntil)],
    );
  }

  private widen(range: { from: number; to: number }): void {
    const p = this.pendingRange;
    this.pendingRange = p === undefined ? range : { from: Math.min(p.from, range.from), to: Math.max(p.to, range.to) };
  }
}
