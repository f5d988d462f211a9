/**
 * The `Querier` over PostgreSQL, for windows older than the head holds (incident review,
 * replay recording, warming the head). Same matcher semantics as the head: `=` and `!=` select
 * in SQL, comparing stored forms (`storedLabelValue`), and regexes are matched here, with RE2 as
 * everywhere else, on the series rows SQL found and their values as written (PostgreSQL's own
 * regexes have other syntax and no linear-time bound).
 */
import { readCopyRows } from './copy-binary.ts';
import { ESCAPED_PREFIX, labelsFromStore, storedLabelValue } from './labels.ts';
import { compileMatchers, matchesSeries } from './matchers.ts';
import { toTimestamp } from './sql.ts';
import { METRIC_NAME_LABEL, type Db, type Matcher, type Querier, type SeriesData } from './types.ts';

/** Series whose samples are fetched per query. */
const SERIES_PER_QUERY = 1000;
/** Sample queries one select has running at once (connections of the pool). */
const QUERIES_IN_FLIGHT = 2;

/** Series rows a querier keeps at most, by default. */
const KNOWN_SERIES_MAX = 200_000;

/** A series as stored: its id, metric name and labels (sorted by name, frozen). */
interface SeriesRow {
  readonly id: number;
  readonly metric: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Reads series from the `series`, `metric` and `samples` tables. */
export class PgQuerier implements Querier {
  /** `knownSeriesMax`: series rows kept at most (default 200,000: a few hundred bytes each). */
  constructor(
    private readonly db: Db,
    private readonly options: { readonly knownSeriesMax?: number } = {},
  ) {}

  /**
   * Series rows already read: id → name and sorted labels. A series row never changes once
   * written (ids are never reused), so a select asks PostgreSQL only for the ids that match and
   * reads labels (jsonb, the costly part of the answer) for ids it has not seen.
   */
  private readonly known = new Map<number, SeriesRow>();

  /** `Querier.select`; series come ordered by their id (first seen first). */
  async select(matchers: readonly Matcher[], from: number, to: number): Promise<SeriesData[]> {
    const rows = await this.matching(matchers);
    const chunks: (typeof rows)[] = [];
    for (let i = 0; i < rows.length; i += SERIES_PER_QUERY) chunks.push(rows.slice(i, i + SERIES_PER_QUERY));
    // QUERIES_IN_FLIGHT chunks at a time: the server reads one while this process decodes another.
    const fetched: Map<number, { ts: Float64Array; values: Float64Array }>[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chunks.length) {
        const i = next++;
        try {
          fetched[i] = await fetchSamples(this.db, chunks[i]!.map((row) => row.id), from, to);
        } catch (err) {
          next = chunks.length; // the select fails: ask for no more
          throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(QUERIES_IN_FLIGHT, chunks.length) }, worker));
    const out: SeriesData[] = [];
    for (const [i, chunk] of chunks.entries()) {
      for (const row of chunk) {
        const data = fetched[i]!.get(row.id);
        if (data !== undefined) out.push({ metric: row.metric, labels: row.labels, ...data });
      }
    }
    return out;
  }

  /**
   * The rows of the series that match, ordered by id; with `sampled`, only those with a sample
   * in [from, to] (one index probe per candidate series). `=` and `!=` select in SQL; regexes, and
   * matchers PostgreSQL cannot be given, are checked here on the rows SQL found.
   */
  private async matching(matchers: readonly Matcher[], sampled?: { readonly from: number; readonly to: number }): Promise<SeriesRow[]> {
    const compiled = compileMatchers(matchers); // the same validation and errors as the head
    const params: unknown[] = [];
    const where = matchers.map((m) => condition(m, params)).filter((c) => c !== undefined);
    const recheck = where.length < matchers.length;
    if (sampled !== undefined) {
      where.push(`EXISTS (SELECT 1 FROM samples s WHERE s.series_id = se.id AND s.ts >= $${params.push(toTimestamp(sampled.from))} AND s.ts <= $${params.push(toTimestamp(sampled.to))})`);
    }
    const found = await this.db.query<{ id: number }>(
      `SELECT se.id FROM series se JOIN metric m ON m.id = se.metric_id
       ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY se.id`,
      params,
    );
    const rows = await this.rows(found.rows.map((r) => r.id));
    return recheck ? rows.filter((row) => matchesSeries(compiled, row.metric, row.labels)) : rows;
  }

  /** The rows of `ids` (in that order), reading the ones not seen before. */
  private async rows(ids: readonly number[]): Promise<SeriesRow[]> {
    let missing = ids.filter((id) => !this.known.has(id));
    if (missing.length > 0) {
      // Bounded: a fleet's every series is not kept; the ones a query reads again are.
      if (this.known.size + missing.length > (this.options.knownSeriesMax ?? KNOWN_SERIES_MAX)) {
        this.known.clear();
        missing = [...ids];
      }
      const read = await this.db.query<{ id: number; metric: string; labels: Record<string, string> }>(
        'SELECT se.id, m.name AS metric, se.labels FROM series se JOIN metric m ON m.id = se.metric_id WHERE se.id = ANY($1::int4[])',
        [missing],
      );
      for (const row of read.rows) {
        const escaped = Object.values(row.labels).some((v) => v.startsWith(ESCAPED_PREFIX));
        this.known.set(row.id, { id: row.id, metric: row.metric, labels: sortedLabels(escaped ? labelsFromStore(row.labels) : row.labels) });
      }
    }
    const out: SeriesRow[] = [];
    for (const id of ids) {
      const row = this.known.get(id);
      if (row !== undefined) out.push(row);
    }
    return out;
  }

  /**
   * The labels (with `__name__`) of every stored series that matches and has a sample with
   * `from <= ts <= to`, ordered by id: one index probe per candidate series, no samples read.
   */
  async series(matchers: readonly Matcher[], from: number, to: number): Promise<Readonly<Record<string, string>>[]> {
    const rows = await this.matching(matchers, { from, to });
    return rows.map((row) => ({ ...row.labels, [METRIC_NAME_LABEL]: row.metric }));
  }
}

/**
 * The samples of `ids` with from <= ts <= to, per series id. Each series' times and values come as
 * one bytea each (`timestamptz_send`: µs since 2000-01-01, and `float8send`, big-endian), which
 * costs a fraction of what parsing float8[] text does, and without an aggregate ORDER BY, which
 * sorts every group again: the rows come in index order, which `decodeSamples` checks (and puts
 * right, should a plan ever read them otherwise). Both aggregates of a group see its rows in the
 * same order, so times and values stay paired. The rows travel in binary COPY format
 * (`Db.copyOut`): as query results the bytea would come as hex text, twice the bytes, each
 * decoded from a string; COPY takes no parameters, so the ids (checked to be int4) and times
 * (ISO text) are written into the statement.
 */
export async function fetchSamples(
  db: Pick<Db, 'copyOut'>,
  ids: readonly number[],
  from: number,
  to: number,
): Promise<Map<number, { ts: Float64Array; values: Float64Array }>> {
  for (const id of ids) if (!(Number.isInteger(id) && id >= 0 && id <= 2_147_483_647)) throw new Error(`fetchSamples: series id ${id} is not an int4 id`);
  const data = await db.copyOut(
    `SELECT series_id, string_agg(timestamptz_send(ts), ''::bytea), string_agg(float8send(value), ''::bytea)
     FROM samples WHERE series_id = ANY('{${ids.join(',')}}'::int4[]) AND ts >= '${toTimestamp(from)}' AND ts <= '${toTimestamp(to)}' GROUP BY series_id`,
  );
  const out = new Map<number, { ts: Float64Array; values: Float64Array }>();
  for (const [id, ts, values] of readCopyRows(data)) {
    const view = new DataView(id!.buffer, id!.byteOffset, 4);
    out.set(view.getInt32(0), decodeSamples(ts!, values!));
  }
  return out;
}

/** PostgreSQL's epoch (2000-01-01) in µs since the Unix epoch. */
const PG_EPOCH_US = 946_684_800_000_000;

/**
 * One series' samples from `timestamptz_send` and `float8send` bytes, in time order: times in ms
 * (µs / 1000, as `msOf` reads them), values as stored.
 */
export function decodeSamples(tsBytes: Uint8Array, valueBytes: Uint8Array): { ts: Float64Array; values: Float64Array } {
  const n = tsBytes.byteLength / 8;
  const tsView = new DataView(tsBytes.buffer, tsBytes.byteOffset, tsBytes.byteLength);
  const valueView = new DataView(valueBytes.buffer, valueBytes.byteOffset, valueBytes.byteLength);
  const ts = new Float64Array(n);
  const values = new Float64Array(n);
  let ordered = true;
  for (let i = 0; i < n; i++) {
    // The int64 in two halves: exact while |µs| < 2^53 (until the year 287,396).
    const us = tsView.getInt32(i * 8) * 4_294_967_296 + tsView.getUint32(i * 8 + 4);
    ts[i] = (us + PG_EPOCH_US) / 1000;
    values[i] = valueView.getFloat64(i * 8);
    if (i > 0 && ts[i]! < ts[i - 1]!) ordered = false;
  }
  if (ordered) return { ts, values };
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => ts[a]! - ts[b]!);
  return { ts: Float64Array.from(order, (i) => ts[i]!), values: Float64Array.from(order, (i) => values[i]!) };
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
