/**
 * Warming the head at start: the last window of every series is read back from PostgreSQL, so
 * that rules see a full window right after a restart and the writer knows each series' newest
 * sample (a sample re-sent after a restart is then dropped as a duplicate, not stored twice).
 * Samples are read as stored bytes, decoded as the PostgreSQL querier decodes them
 * (`decodeSamples`): as text, a staleness marker would come back as a plain NaN and an ended
 * series would look alive for five more minutes.
 */
import type { Logger } from '../telemetry/logger.ts';
import type { Head } from './head.ts';
import { labelsFromStore } from './labels.ts';
import type { SeriesCache } from './series-cache.ts';
import { decodeSamples } from './pg-querier.ts';
import { toTimestamp } from './sql.ts';
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
    const result = await db.query<{ id: number; metric: string; labels: Record<string, string>; ts: Uint8Array; values: Uint8Array }>(
      `SELECT a.series_id AS id, m.name AS metric, se.labels, a.ts, a.values FROM (
         SELECT series_id, string_agg(timestamptz_send(ts), ''::bytea) AS ts, string_agg(float8send(value), ''::bytea) AS values
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
      const { ts, values } = decodeSamples(row.ts, row.values);
      head.load(ref, ts, values);
      ref.lastTs = Math.max(ref.lastTs, ts.at(-1) ?? -Infinity);
      series++;
      samples += ts.length;
    }
  }
  logger?.info({ series, samples }, 'head warmed from the database');
  return { series, samples };
}
