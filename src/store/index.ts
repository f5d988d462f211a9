/**
 * The metrics store: `Db` backends (PostgreSQL, PGlite), migrations, partitions, series ids,
 * the batched writer (`SampleSink`), the in-memory head and PostgreSQL `Querier`s, rollups,
 * retention and events. `openStore` assembles them.
 */
export { openDb, type DbOptions } from './db.ts';
export { listEvents, recordEvents, deleteEventsBefore, type EventKind, type StoreEvent, type StoredEvent } from './events.ts';
export { DEFAULT_HEAD_WINDOW_MS, Head } from './head.ts';
export { canonicalSeries, CLUSTER_LABEL, seriesHash } from './labels.ts';
export { Maintenance, type MaintenanceOptions } from './maintenance.ts';
export { compileMatchers, matchesSeries, type CompiledMatcher } from './matchers.ts';
export { loadMigrations, migrate, MIGRATIONS_DIR, schemaVersion, type MigrateResult, type Migration } from './migrate.ts';
export { parseStoreOptions, storeOptionsSchema, type StoreOptions } from './options.ts';
export {
  DEFAULT_RETENTION,
  dropExpiredPartitions,
  ensurePartitions,
  listPartitions,
  PartitionKeeper,
  type Partition,
  type Retention,
} from './partitions.ts';
export { PgQuerier } from './pg-querier.ts';
export { HOUR_MS, MINUTE_MS, rollup, rollupHours, rollupMinutes, type RollupResult } from './rollup.ts';
export { SeriesCache, type SeriesRef } from './series-cache.ts';
export { isTransientDbError } from './sql.ts';
export { openStore, retentionOf, type Store, type StoreDeps } from './store.ts';
export * from './types.ts';
export { warmHead, type WarmResult } from './warm.ts';
export { Writer, type WriterOptions, type WriterStats } from './writer.ts';
export { DROP_REASONS, type DropReason } from './writer-metrics.ts';
