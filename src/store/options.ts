/**
 * The store's settings, as the service configuration carries them: validated once (unknown keys
 * are errors), defaults applied, frozen. Times are in ms or days, sizes in samples.
 */
import * as z from 'zod';
import { deepFreeze, validate, type DeepReadonly, type ValidateOptions } from '../config/index.ts';

const positiveInt = z.int().min(1);

/** The schema of the `store` settings; the config module embeds it. */
export const storeOptionsSchema = z.strictObject({
  /** PostgreSQL URL; when absent, embedded PGlite is used. */
  url: z.string().min(1).optional(),
  /** PGlite data directory, or `memory`. */
  dataDir: z.string().min(1).optional(),
  /** Schema to keep Sluice's tables in (created if missing). */
  schema: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'expected a lower-case SQL name').optional(),
  maxConnections: z.int().min(1).max(100).optional(),
  /** The head's window, ms; default 2 h. */
  headWindowMs: z.int().min(60_000).optional(),
  /** Days each table keeps data. */
  retention: z
    .strictObject({ rawDays: positiveInt.optional(), minuteDays: positiveInt.optional(), hourDays: positiveInt.optional() })
    .optional(),
  /** Days of partitions created ahead; default 2. */
  partitionsAheadDays: z.int().min(1).max(31).optional(),
  /** Time between maintenance runs (partitions, rollups, retention), ms; default 60 s. */
  maintenanceIntervalMs: z.int().min(1000).optional(),
  writer: z
    .strictObject({
      batchSamples: positiveInt.optional(),
      flushIntervalMs: positiveInt.optional(),
      maxQueuedSamples: positiveInt.optional(),
      maxBufferedSamples: z.int().min(0).optional(),
      bufferSeconds: positiveInt.optional(),
      retryMinMs: positiveInt.optional(),
      retryMaxMs: positiveInt.optional(),
    })
    .optional(),
});

/** Store settings as written. */
export type StoreOptions = z.output<typeof storeOptionsSchema>;

/** Checks store settings; throws SLUICE_ERR_CONFIG_INVALID naming each bad path. No I/O. */
export function parseStoreOptions(input: unknown, options: ValidateOptions = {}): DeepReadonly<StoreOptions> {
  return deepFreeze(validate(storeOptionsSchema, input, options));
}
