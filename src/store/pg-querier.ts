/**
 * The `Querier` over PostgreSQL, for windows older than the head holds (incident review,
 * replay recording, warming the head). Same matcher semantics as the head: `=` and `!=` select
 * in SQL, comparing stored forms (`storedLabelValue`), and regexes are matched here, with RE2 as
 * everywhere else, on the series rows SQL found and their values as written (PostgreSQL's own
 * regexes have other syntax and no linear-time bound).
 */
import { ESCAPED_PREFIX, labelsFromStore, storedLabelValue } from './labels.ts';
import { compileMatchers, matchesSeries } from './matchers.ts';
import { msOf, toTimestamp } from './sql.ts';
import { METRIC_NAME_LABEL, type Matcher, type Querier, type Queryable, type SeriesData } from './types.ts';

/** Series whose samples are fetched per query. */
const SERIES_PER_QUERY = 1000;

/** Reads series from the `series`, `metric` and `samples` tables. */
export class PgQuerier implements Querier {
  constructor(private readonly db: Queryable) {}

  /** `Querier.select`; series come ordered by their id (first seen first). */
  async select(matchers: readonly Matcher[], from: number, to: number): Promise<SeriesData[]> {
    const compiled = compileMatchers(matchers); // the same validation and errors as the head
    const params: unknown[] = [];
    const where = matchers.map((m) => condition(m, params)).filter((c) => c !== undefined);
    // Regexes, and matchers PostgreSQL cannot be given, are checked here on the rows SQL found.
    const recheck = where.length < matchers.length;
    const found = await this.db.query<{ id: number; metric: string; labels: Record<string, string> }>(
      `SELECT se.id, m.name AS metric, se.labels FROM series se JOIN metric m ON m.id = se.metric_id
       ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY se.id`,
      params,
    );
    const rows = found.rows.flatMap((row) => {
      const escaped = Object.values(row.labels).some((v) => v.startsWith(ESCAPED_PREFIX));
      const labels = escaped ? labelsFromStore(row.labels) : row.labels;
      return recheck && !matchesSeries(compiled, row.metric, labels) ? [] : [{ ...row, labels }];
    });
    const out: SeriesData[] = [];
    for (let i = 0; i < rows.length; i += SERIES_PER_QUERY) {
      const chunk = rows.slice(i, i + SERIES_PER_QUERY);
      const samples = await fetchSamples(this.db, chunk.map((row) => row.id), from, to);
      for (const row of chunk) {
        const data = samples.get(row.id);
        if (data !== undefined) out.push({ metric: row.metric, labels: sortedLabels(row.labels), ...data });
      }
    }
    return out;
  }

  /**
   * The labels (with `__name__`) of every stored series that matches and has a sample with
   * `from <= ts <= to`, ordered by id: one index probe per candidate series, no samples read.
   */
  async series(matchers: readonly Matcher[], from: number, to: number): Promise<Readonly<Record<string, string>>[]> {
    const compiled = compileMatchers(matchers);
    const params: unknown[] = [];
    const where = matchers.map((m) => condition(m, params)).filter((c) => c !== undefined);
    const recheck = where.length < matchers.length;
    where.push(`EXISTS (SELECT 1 FROM samples s WHERE s.series_id = se.id AND s.ts >= $${params.push(toTimestamp(from))} AND s.ts <= $${params.push(toTimestamp(to))})`);
    const found = await this.db.query<{ metric: string; labels: Record<string, string> }>(
      `SELECT m.name AS metric, se.labels FROM series se JOIN metric m ON m.id = se.metric_id WHERE ${where.join(' AND ')} ORDER BY se.id`,
      params,
    );
    return found.rows.flatMap((row) => {
      const escaped = Object.values(row.labels).some((v) => v.startsWith(ESCAPED_PREFIX));
      const labels = escaped ? labelsFromStore(row.labels) : row.labels;
      return recheck && !matchesSeries(compiled, row.metric, labels) ? [] : [{ ...labels, [METRIC_NAME_LABEL]: row.metric }];
    });
  }
}

/** The samples of `ids` with from <= ts <= to, per series id. */
export async function fetchSamples(
  db: Queryable,
  ids: readonly number[],
  from: number,
  to: number,
): Promise<Map<number, { ts: Float64Array; values: Float64Array }>> {
  const result = await db.query<{ id: number; ts: number[]; values: number[] }>(
    `SELECT series_id AS id, array_agg(${msOf('ts')} ORDER BY ts) AS ts, array_agg(value ORDER BY ts) AS values
     FROM samples WHERE series_id = ANY($1::int4[]) AND ts >= $2 AND ts <= $3 GROUP BY series_id`,
    [ids, toTimestamp(from), toTimestamp(to)],
  );
  return new Map(result.rows.map((row) => [row.id, { ts: Float64Array.from(row.ts), values: Float64Array.from(row.values) }]));
}

/**
 * SQL for an `=` or `!=` matcher (a missing label reads as ''), comparing stored forms exactly;
 * undefined for a regex, and for a name PostgreSQL cannot be given (one holding U+0000 or a lone
 * surrogate): those are checked in `select`.
 */
function condition(matcher: Matcher, params: unknown[]): string | undefined {
  if (matcher.type === '=~' || matcher.type === '!~' || storedLabelValue(matcher.name) !== matcher.name) return undefined;
  const column = matcher.name === METRIC_NAME_LABEL ? 'm.name' : `coalesce(se.labels ->> $${params.push(matcher.name)}, '')`;
  return `${column} ${matcher.type === '=' ? '=' : '<>'} $${params.push(storedLabelValue(matcher.value))}`;
}

function sortedLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(labels).sort()) out[key] = labels[key]!;
  return Object.freeze(out);
}
