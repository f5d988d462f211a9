/**
 * Warming the head at start: the last window of every series is read back from PostgreSQL, so
 * that rules see a full window right after a restart and the writer knows each series' newest
 * sample (a sample re-sent after a restart is then dropped as a duplicate, not stored twice).
 * Values are read as stored bytes (`float8send`): as text, a staleness marker would come back as
 * a plain NaN and an ended series would look alive for five more minutes.
 */
import type { Logger } from '../telemetry/logger.ts';
import type { Head } from './head.ts';
import { labelsFromStore } from './labels.ts';
import type { SeriesCache } from './series-cache.ts';
import { msOf, toTimestamp } from './sql.ts';
import type { Queryable } from './types.ts';

/** Series ids read per query. */
const ID_SPAN = 2000;

/** What warming loaded. */
export interface WarmResult {
  readonly series: number;
  readonly samples: number;
}

/** Loads samples with `now - head.windowMs <= ts <= now` into the head and their series into the cache. */
export async function warmHead(db: Queryable, head: Head, cache: SeriesCache, now: number, logger?: Logger): Promise<WarmResult> {
  const from = toTimestamp(now - head.windowMs);
  const until = toTimestamp(now);
  const max = await db.query<{ max: number | null }>('SELECT max(id)::int4 AS max FROM series');
  let series = 0;
  let samples = 0;
  for (let lo = 0; lo < (max.rows[0]?.max ?? 0); lo += ID_SPAN) {
    const result = await db.query<{ id: number; metric: string; labels: Record<string, string>; ts: number[]; values: Uint8Array }>(
      `SELECT a.series_id AS id, m.name AS metric, se.labels, a.ts, a.values FROM (
         SELECT series_id, array_agg(${msOf('ts')} ORDER BY ts) AS ts, string_agg(float8send(value), ''::bytea ORDER BY ts) AS values
         FROM samples WHERE ts >= $1 AND ts <= $2 AND series_id > $3 AND series_id <= $4 GROUP BY series_id
       ) a JOIN series se ON se.id = a.series_id JOIN metric m ON m.id = se.metric_id`,
      [from, until, lo, lo + ID_SPAN],
    );
    for (const row of result.rows) {
      let ref;
      try {
        ref = cache.adopt(row.id, row.metric, labelsFromStore(row.labels));
      } catch (err) {
        logger?.warn({ err, seriesId: row.id }, 'stored series is not valid any more; not loaded into the head');
        continue;
      }
      head.load(ref, row.ts, float8s(row.values));
      ref.lastTs = Math.max(ref.lastTs, row.ts.at(-1) ?? -Infinity);
      series++;
      samples += row.ts.length;
    }
  }
  logger?.info({ series, samples }, 'head warmed from the database');
  return { series, samples };
}

/** Values from `float8send` bytes (big-endian), bit for bit: a staleness marker stays one. */
function float8s(bytes: Uint8Array): Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(bytes.byteLength / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8);
  return out;
}
