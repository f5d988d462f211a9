/**
 * The store assembled: database, schema, partitions, series cache, head (warmed), writer and
 * the maintenance job, opened in that order and closed in reverse. This is what the service and
 * the demo use; the parts stay usable on their own for tests and tools.
 */
import { Registry } from 'prom-client';
import { wallClock, type Clock } from '../clock.ts';
import { silentLogger, type Logger } from '../telemetry/logger.ts';
import type { DeepReadonly } from '../config/index.ts';
import { openDb } from './db.ts';
import { Head } from './head.ts';
import { Maintenance } from './maintenance.ts';
import { migrate } from './migrate.ts';
import type { StoreOptions } from './options.ts';
import { DEFAULT_RETENTION, ensurePartitions, PartitionKeeper, type Retention } from './partitions.ts';
import { PgQuerier } from './pg-querier.ts';
import { TieredQuerier } from './tiered-querier.ts';
import { SeriesCache } from './series-cache.ts';
import type { Db } from './types.ts';
import { warmHead } from './warm.ts';
import { Writer } from './writer.ts';

const DAY_MS = 86_400_000;

/** What `openStore` needs besides settings. */
export interface StoreDeps {
  /** Registry for the writer's metrics (`sluice_samples_dropped_total`, …). */
  readonly registry?: Registry;
  readonly logger?: Logger;
  /** Time and timers of the writer and the maintenance job; default the wall clock. */
  readonly clock?: Clock;
}

/** An open store. */
export interface Store {
  readonly db: Db;
  /** The `SampleSink` collectors write to. */
  readonly writer: Writer;
  /** The `Querier` for the recent window (rules). */
  readonly head: Head;
  /** The `Querier` over everything stored (older windows). */
  readonly history: PgQuerier;
  /** The `Querier` rules and the throttle loop read: the head, and PostgreSQL for what is older than it holds. */
  readonly querier: TieredQuerier;
  readonly cache: SeriesCache;
  readonly maintenance: Maintenance;
  /** Stops the job, writes what is queued (waiting up to `timeoutMs`, default 30 s), closes the database. */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

/** Retention in ms from settings in days. */
export function retentionOf(options: DeepReadonly<StoreOptions>): Retention {
  const r = options.retention;
  return {
    samples: r?.rawDays === undefined ? DEFAULT_RETENTION.samples : r.rawDays * DAY_MS,
    samples_1m: r?.minuteDays === undefined ? DEFAULT_RETENTION.samples_1m : r.minuteDays * DAY_MS,
    samples_1h: r?.hourDays === undefined ? DEFAULT_RETENTION.samples_1h : r.hourDays * DAY_MS,
  };
}

/**
 * Opens the database, migrates it, creates partitions ahead, warms the head and starts the
 * writer and the maintenance job. Throws SLUICE_ERR_STORE_UNREACHABLE, _SCHEMA_NEWER or
 * _MIGRATION; nothing is left open when it throws.
 */
export async function openStore(options: DeepReadonly<StoreOptions> = {}, deps: StoreDeps = {}): Promise<Store> {
  const logger = deps.logger ?? silentLogger();
  const clock = deps.clock ?? wallClock;
  const now = (): number => clock.now();
  const db = await openDb({
    ...(options.url === undefined ? {} : { url: options.url }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    logger,
  });
  try {
    const retention = retentionOf(options);
    const aheadDays = options.partitionsAheadDays ?? 2;
    await migrate(db, { logger });
    await ensurePartitions(db, now(), { aheadDays });
    const cache = new SeriesCache();
    const head = new Head(options.headWindowMs === undefined ? {} : { windowMs: options.headWindowMs });
    await warmHead(db, head, cache, now(), logger);
    const partitions = new PartitionKeeper(db);
    const w = options.writer ?? {};
    const writer = new Writer({
      db,
      cache,
      head,
      partitions,
      registry: deps.registry ?? new Registry(),
      logger,
      clock,
      retentionMs: retention.samples,
      // From the first failed write or refused sample on, the writer's own series go into the
      // store, where the shipped rules (rules/sluice-collectors.yaml) watch them.
      reportIntervalMs: 15_000,
      ...w,
    });
    const maintenance = new Maintenance({
      db,
      written: writer,
      head,
      partitions,
      retention,
      aheadDays,
      clock,
      logger,
      ...(options.maintenanceIntervalMs === undefined ? {} : { intervalMs: options.maintenanceIntervalMs }),
    });
    maintenance.start();
    const history = new PgQuerier(db);
    return {
      db,
      writer,
      head,
      history,
      querier: new TieredQuerier(head, history, now),
      cache,
      maintenance,
      async close(closeOptions = {}) {
        await maintenance.stop();
        await writer.close(closeOptions);
        await db.close();
      },
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}
