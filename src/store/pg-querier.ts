/**
 * The `Querier` over PostgreSQL, for windows older than the head holds (incident review,
 * replay recording, warming the head). Same matcher semantics as the head, with one caveat:
 * regexes run as PostgreSQL regular expressions (POSIX ARE), which agree with JavaScript's on
 * the usual syntax (classes, alternation, groups, quantifiers) but not on every extension.
 * Label values are compared in their stored form (`storedLabelValue`); a regex cannot be, so a
 * series with an escaped value is checked again here, on its own values, as the head does.
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
    const recheckAll = where.length < matchers.length;
    const found = await this.db.query<{ id: number; metric: string; labels: Record<string, string> }>(
      `SELECT se.id, m.name AS metric, se.labels FROM series se JOIN metric m ON m.id = se.metric_id
       ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY se.id`,
      params,
    );
    const rows = found.rows.flatMap((row) => {
      const escaped = Object.values(row.labels).some((v) => v.startsWith(ESCAPED_PREFIX));
      const labels = escaped ? labelsFromStore(row.labels) : row.labels;
      return (escaped || recheckAll) && !matchesSeries(compiled, row.metric, labels) ? [] : [{ ...row, labels }];
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
 * The SQL condition of one matcher. Equality compares stored forms, exactly; a regex also lets
 * through every escaped value (checked again in `select`), and a name or regex PostgreSQL cannot
 * be given (one holding U+0000 or a lone surrogate) has no condition here: undefined.
 */
function condition(matcher: Matcher, params: unknown[]): string | undefined {
  const regex = matcher.type === '=~' || matcher.type === '!~';
  if (storedLabelValue(matcher.name) !== matcher.name || (regex && storedLabelValue(matcher.value) !== matcher.value)) return undefined;
  const column = matcher.name === METRIC_NAME_LABEL ? 'm.name' : `coalesce(se.labels ->> $${params.push(matcher.name)}, '')`;
  const value = `$${params.push(regex ? `^(?:${matcher.value})$` : storedLabelValue(matcher.value))}`;
  const op = { '=': '=', '!=': '<>', '=~': '~', '!~': '!~' }[matcher.type];
  return regex ? `(${column} ${op} ${value} OR ${column} LIKE '${ESCAPED_PREFIX}%')` : `${column} ${op} ${value}`;
}

function sortedLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(labels).sort()) out[key] = labels[key]!;
  return Object.freeze(out);
}
