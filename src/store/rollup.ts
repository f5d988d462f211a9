/**
 * Rollups for dashboards: `samples_1m` from raw samples and `samples_1h` from `samples_1m`, each
 * row the avg/min/max/count of one series over one bucket. Buckets are aligned to the Unix epoch
 * in UTC (`date_bin`), so they never shift with the session time zone. Every function upserts,
 * so recomputing a range (e.g. after late samples arrive) is safe and gives the same rows.
 */
import { PartitionKeeper } from './partitions.ts';
import { toTimestamp } from './sql.ts';
import type { Queryable } from './types.ts';

/** Width of a `samples_1m` bucket. */
export const MINUTE_MS = 60_000;
/** Width of a `samples_1h` bucket. */
export const HOUR_MS = 3_600_000;

/** `ms` rounded down to a multiple of `unit`. */
export function floorTo(unit: number, ms: number): number {
  return Math.floor(ms / unit) * unit;
}

/** `ms` rounded up to a multiple of `unit`. */
export function ceilTo(unit: number, ms: number): number {
  return Math.ceil(ms / unit) * unit;
}

const UPSERT = 'ON CONFLICT (series_id, bucket) DO UPDATE SET avg = excluded.avg, min = excluded.min, max = excluded.max, count = excluded.count';

/**
 * Recomputes the 1-minute buckets in [from, to) (both multiples of a minute) from raw samples;
 * returns the number of rows written. The `samples_1m` partitions must exist. NaN samples (the
 * staleness markers written when a series ends) are not values: they are left out, and a bucket
 * holding nothing else has no row.
 */
export async function rollupMinutes(db: Queryable, from: number, to: number): Promise<number> {
  const result = await db.query(
    `INSERT INTO samples_1m (series_id, bucket, avg, min, max, count)
     SELECT series_id, date_bin('1 minute', ts, timestamptz '1970-01-01 00:00:00Z') AS b, avg(value), min(value), max(value), count(*)::int4
     FROM samples WHERE ts >= $1 AND ts < $2 AND value <> 'NaN'::float8 GROUP BY series_id, b
     ${UPSERT}`,
    [toTimestamp(from), toTimestamp(to)],
  );
  return result.rowCount;
}

/**
 * Recomputes the 1-hour buckets in [from, to) (both multiples of an hour) from the 1-minute
 * rollups: avg weighted by count, min of mins, max of maxes, sum of counts. Returns the number of
 * rows written. The `samples_1h` partitions must exist.
 */
export async function rollupHours(db: Queryable, from: number, to: number): Promise<number> {
  const result = await db.query(
    `INSERT INTO samples_1h (series_id, bucket, avg, min, max, count)
     SELECT series_id, date_bin('1 hour', bucket, timestamptz '1970-01-01 00:00:00Z') AS b,
            sum(avg * count) / sum(count), min(min), max(max), sum(count)::int4
     FROM samples_1m WHERE bucket >= $1 AND bucket < $2 GROUP BY series_id, b
     ${UPSERT}`,
    [toTimestamp(from), toTimestamp(to)],
  );
  return result.rowCount;
}

/** Rows written by `rollup`, per table. */
export interface RollupResult {
  readonly minutes: number;
  readonly hours: number;
}

/**
 * Rolls up raw samples in [from, to): the 1-minute buckets overlapping the range, then the
 * 1-hour buckets overlapping it (from all their 1-minute rows). Creates the rollup partitions
 * it needs. Idempotent.
 */
export async function rollup(db: Queryable, from: number, to: number, keeper: PartitionKeeper = new PartitionKeeper(db)): Promise<RollupResult> {
  const m0 = floorTo(MINUTE_MS, from);
  const m1 = Math.max(ceilTo(MINUTE_MS, to), m0 + MINUTE_MS);
  const h0 = floorTo(HOUR_MS, from);
  const h1 = Math.max(ceilTo(HOUR_MS, to), h0 + HOUR_MS);
  await keeper.ensureRange('samples_1m', m0, m1 - 1);
  await keeper.ensureRange('samples_1h', h0, h1 - 1);
  const minutes = await rollupMinutes(db, m0, m1);
  const hours = await rollupHours(db, h0, h1);
  return { minutes, hours };
}
