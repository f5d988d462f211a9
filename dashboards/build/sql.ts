/**
 * SQL of the dashboards' panels, written once here so that every panel reads the store the same
 * way (schema: src/store/migrations/001_schema.sql):
 *
 * - a panel names its series by metric name and label conditions (`sel`), never by series id;
 * - over short ranges it reads raw `samples`, over longer ones the rollups: `samples_1m` up to
 *   RAW_MAX < range <= MINUTE_MAX, `samples_1h` beyond. Each tier is a branch of a UNION ALL
 *   guarded by a condition on the dashboard range alone, so PostgreSQL drops the branches that
 *   do not apply before reading anything;
 * - NaN values are left out: the rules engine writes NaN as Prometheus's staleness marker when a
 *   series ends (ALERTS of a resolved alert, a recording rule's vanished series);
 * - gauges read a sample's value (raw) or a bucket's `avg` (rollups); counters read the value
 *   (raw) or the bucket's `max` (the counter's last value when it did not reset) and become
 *   per-second rates between consecutive points, a reset counting from zero as Prometheus does;
 * - each series is averaged within a `$__interval` bucket first (or its min or max, for states and
 *   codes, so that a bucket shows a state that was seen, not a mean of two), then series sharing a legend are
 *   combined (`sum`, `max`, `avg`, ...), so a legend's value does not depend on how many samples
 *   each series had in the bucket.
 *
 * Grafana's PostgreSQL macros ($__timeFilter, $__timeFrom, $__timeTo, $__timeGroup,
 * $__timeGroupAlias) and template variables are expanded by Grafana before the query runs
 * (https://grafana.com/docs/grafana/latest/datasources/postgres/query-editor/#macros).
 */

/** Widest range read from raw samples. */
export const RAW_MAX = '6 hours';
/** Widest range read from the 1-minute rollup; wider ranges read the 1-hour rollup. */
export const MINUTE_MAX = '7 days';
/** How far back from the end of the range a "latest value" looks. */
export const LATEST_WINDOW = '10 minutes';

/** The dashboard range as an interval. */
const SPAN = '($__timeTo()::timestamptz - $__timeFrom()::timestamptz)';

/** A label's value of series `s` ('' when the series has no such label). */
export function label(name: string, alias = 's'): string {
  return `coalesce(${alias}.labels->>${lit(name)}, '')`;
}

/** What a variable's All stands for (its custom all value, inserted as it is): a literal no value equals. */
export const ALL = `'__all'`;

/**
 * `expr` is one of the variable's selected values, or All is selected. All is the literal ALL
 * rather than every option listed: a fleet has tens of thousands of topics, and a variable with
 * no options would leave `IN ()`.
 */
export function oneOf(expr: string, variable: string): string {
  return `(${expr} IN ($${variable}) OR ${ALL} IN ($${variable}))`;
}

/**
 * The series' topic is not one of Kafka's internal topics (`__consumer_offsets`,
 * `__transaction_state`): the topic variable and the panels it filters leave them out.
 */
export const NOT_INTERNAL_TOPIC = `${label('topic')} !~ '^__'`;

/** The series' label is one of the variable's selected values (or All). */
export function inVar(labelName: string, variable: string, alias = 's'): string {
  return oneOf(label(labelName, alias), variable);
}

/** A SQL string literal. */
export function lit(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Which series a panel reads: metric names, label conditions on `s.labels`, and a legend. */
export interface Selection {
  /** One metric, or several whose series combine under their legends (e.g. produce + replication bytes). */
  readonly metric: string | readonly string[];
  /** SQL conditions on `s` (a `series` row), ANDed. */
  readonly where?: readonly string[];
  /** SQL expression on `s` naming the series' legend (the `metric` column Grafana reads). */
  readonly legend: string;
}

/** `m.name = …` or `m.name IN (…)`. */
function nameIs(metric: string | readonly string[]): string {
  return typeof metric === 'string' ? `m.name = ${lit(metric)}` : `m.name IN (${metric.map(lit).join(', ')})`;
}

/** The `sel` CTE: ids and legends of the selected series. */
function selCte(sel: Selection): string {
  const where = [nameIs(sel.metric), ...(sel.where ?? [])].join('\n    AND ');
  return `sel AS (
  SELECT s.id, ${sel.legend} AS legend
  FROM series s JOIN metric m ON m.id = s.metric_id
  WHERE ${where}
)`;
}

/** The `pts` CTE: (series_id, t, v) of the selected series from the tier the range calls for. */
function ptsCte(kind: 'gauge' | 'counter'): string {
  const rollup = kind === 'gauge' ? 'avg' : 'max';
  return `pts AS (
  SELECT series_id, ts AS t, value AS v FROM samples
  WHERE series_id IN (SELECT id FROM sel) AND $__timeFilter(ts) AND ${SPAN} <= interval '${RAW_MAX}' AND value <> 'NaN'
  UNION ALL
  SELECT series_id, bucket, ${rollup} FROM samples_1m
  WHERE series_id IN (SELECT id FROM sel) AND $__timeFilter(bucket) AND ${SPAN} > interval '${RAW_MAX}' AND ${SPAN} <= interval '${MINUTE_MAX}' AND ${rollup} <> 'NaN'
  UNION ALL
  SELECT series_id, bucket, ${rollup} FROM samples_1h
  WHERE series_id IN (SELECT id FROM sel) AND $__timeFilter(bucket) AND ${SPAN} > interval '${MINUTE_MAX}' AND ${rollup} <> 'NaN'
)`;
}

/** The `vals` CTE: gauge values as they are, counters as per-second rates between consecutive points. */
function valsCte(kind: 'gauge' | 'counter'): string {
  if (kind === 'gauge') return 'vals AS (SELECT series_id, t, v FROM pts)';
  return `vals AS (
  -- rate of a counter between consecutive points; a reset starts again from zero
  SELECT series_id, t, (CASE WHEN v >= pv THEN v - pv ELSE v END) / extract(epoch FROM t - pt) AS v
  FROM (SELECT series_id, t, v, lag(v) OVER w AS pv, lag(t) OVER w AS pt FROM pts WINDOW w AS (PARTITION BY series_id ORDER BY t)) x
  WHERE pt IS NOT NULL AND t > pt
)`;
}

/** How series sharing a legend combine within a bucket. */
export type Combine = 'sum' | 'max' | 'min' | 'avg' | 'count';

/** Options of a time series query. */
export interface SeriesQuery extends Selection {
  readonly kind?: 'gauge' | 'counter';
  /** How one series' values within a bucket become one (default `avg`; `min`/`max` for states and codes). */
  readonly within?: 'avg' | 'min' | 'max';
  readonly combine?: Combine;
  /** SQL applied to each combined value, `$v` standing for it (e.g. `$v * 8`). */
  readonly scale?: string;
}

/** The CTEs that turn a selection into per-series, per-bucket values: `sel`, `pts`, `vals`, `per`. */
export function bucketed(q: SeriesQuery): string {
  const kind = q.kind ?? 'gauge';
  return `WITH ${selCte(q)},
${ptsCte(kind)},
${valsCte(kind)},
per AS (
  SELECT $__timeGroup(t, $__interval) AS bucket, series_id, ${q.within ?? 'avg'}(v) AS v FROM vals GROUP BY 1, 2
)`;
}

/** A time series query: `time`, `metric` (the legend), `value`, one row per legend and bucket. */
export function series(q: SeriesQuery): string {
  const combine = q.combine ?? 'sum';
  const value = (q.scale ?? '$v').replace('$v', combine === 'count' ? 'count(*)' : `${combine}(per.v)`);
  return `${bucketed(q)}
SELECT per.bucket AS "time", sel.legend AS metric, ${value} AS value
FROM per JOIN sel ON sel.id = per.series_id
GROUP BY 1, 2
ORDER BY 1, 2`;
}

/**
 * Several selections combined per legend and bucket: `time`, `metric`, `value` = `expr`, where
 * `$name` stands for the value of side `name`. The first side decides which legends and buckets
 * there are; the others join to it and are NULL where they have no value (so `greatest` and
 * `coalesce` in `expr` can do without them). Buckets whose value comes out NULL are left out.
 */
export function combine(sides: Readonly<Record<string, SeriesQuery>>, expr: string): string {
  const names = Object.keys(sides);
  const ctes = names.map((name) => {
    const q = sides[name]!;
    const inner = bucketed(q).replace(/^WITH /, '');
    return `side_${name} AS (
  WITH ${inner}
  SELECT per.bucket, sel.legend, ${q.combine ?? 'sum'}(per.v) AS v FROM per JOIN sel ON sel.id = per.series_id GROUP BY 1, 2
)`;
  });
  const [first, ...rest] = names as [string, ...string[]];
  const joins = rest.map((n) => `LEFT JOIN side_${n} ON side_${n}.bucket = side_${first}.bucket AND side_${n}.legend = side_${first}.legend`).join('\n');
  const value = expr.replace(/\$(\w+)/g, (_, n: string) => {
    if (!names.includes(n)) throw new Error(`combine: no side named ${n}`);
    return `side_${n}.v`;
  });
  return `WITH ${ctes.join(',\n')}
SELECT * FROM (
  SELECT side_${first}.bucket AS "time", side_${first}.legend AS metric, ${value} AS value
  FROM side_${first}
  ${joins.replace(/\n/g, '\n  ')}
) combined
WHERE value IS NOT NULL
ORDER BY 1, 2`;
}

/** `a` over `b` (or another `expr` of `$a` and `$b`) per legend and bucket. */
export function ratio(a: SeriesQuery, b: SeriesQuery, expr = '$a / nullif($b, 0)'): string {
  return combine({ a, b }, expr);
}

/**
 * Broker utilization as the quota loop computes it (src/throttle/signals.ts): the largest of
 * 1 - request handler idle, (bytes in + replication in) / network-in capacity and (bytes out +
 * replication out) / network-out capacity, per legend of the broker series selected by `where`.
 */
export function utilization(where: readonly string[], legend: string): string {
  const traffic = (direction: 'in' | 'out'): SeriesQuery => ({
    metric: [`kafka_server_brokertopicmetrics_bytes${direction}_total`, `kafka_server_brokertopicmetrics_replicationbytes${direction}_total`],
    where: [...where, `NOT s.labels ? 'topic'`], legend, kind: 'counter',
  });
  const capacity = (direction: 'in' | 'out'): SeriesQuery => ({
    metric: 'sluice_broker_network_capacity_bytes_per_second', where: [...where, `${label('direction')} = ${lit(direction)}`], legend, combine: 'max',
  });
  return combine({
    idle: { metric: 'kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent', where, legend, combine: 'avg' },
    bytes_in: traffic('in'), capacity_in: capacity('in'), bytes_out: traffic('out'), capacity_out: capacity('out'),
  }, 'greatest(1 - $idle, $bytes_in / nullif($capacity_in, 0), $bytes_out / nullif($capacity_out, 0))');
}

/** Options of a latest-value query. */
export interface LatestQuery extends Selection {
  readonly combine?: Combine;
  /** Column name of the value (default `value`). */
  readonly as?: string;
}

/** The CTEs `sel` and `l` (series_id, v): the newest raw value of each selected series in the last LATEST_WINDOW of the range. */
export function latestCtes(q: Selection): string {
  // A series whose newest value is a staleness marker has ended: it is left out.
  return `WITH ${selCte(q)},
newest AS (
  SELECT DISTINCT ON (series_id) series_id, value AS v FROM samples
  WHERE series_id IN (SELECT id FROM sel)
    AND ts BETWEEN greatest($__timeFrom()::timestamptz, $__timeTo()::timestamptz - interval '${LATEST_WINDOW}') AND $__timeTo()::timestamptz
  ORDER BY series_id, ts DESC
),
l AS (SELECT series_id, v FROM newest WHERE v <> 'NaN')`;
}

/**
 * The newest value of each selected series in the last LATEST_WINDOW of the range (raw samples),
 * combined per legend: `metric`, `value`, for stat panels and tables.
 */
export function latest(q: LatestQuery): string {
  const combine = q.combine ?? 'sum';
  const value = combine === 'count' ? 'count(*)' : `${combine}(l.v)`;
  return `${latestCtes(q)}
SELECT sel.legend AS metric, ${value} AS ${q.as ?? 'value'}
FROM l JOIN sel ON sel.id = l.series_id
GROUP BY 1
ORDER BY 1`;
}

/** A latest-value CTE named `name` with columns (key, v): one row per key, for joining several metrics in a table (ended series left out). */
export function latestCte(name: string, q: Selection & { readonly combine?: Combine }): string {
  const combine = q.combine ?? 'sum';
  const where = [nameIs(q.metric), ...(q.where ?? [])].join(' AND ');
  return `${name} AS (
  SELECT k.key, ${combine === 'count' ? 'count(*)' : `${combine}(k.v)`} AS v FROM (
    SELECT DISTINCT ON (x.series_id) x.series_id, ${q.legend} AS key, x.value AS v
    FROM samples x JOIN series s ON s.id = x.series_id JOIN metric m ON m.id = s.metric_id
    WHERE ${where}
      AND x.ts BETWEEN greatest($__timeFrom()::timestamptz, $__timeTo()::timestamptz - interval '${LATEST_WINDOW}') AND $__timeTo()::timestamptz
    ORDER BY x.series_id, x.ts DESC
  ) k WHERE k.v <> 'NaN' GROUP BY 1
)`;
}

/** A variable's query: distinct values of `labelName` over the series of `metrics`, filtered by `where`. */
export function labelValues(labelName: string, metrics: readonly string[], where: readonly string[] = [], options: { readonly orNone?: boolean } = {}): string {
  const from = `FROM series s JOIN metric m ON m.id = s.metric_id`;
  if (options.orNone === true) {
    // Series without the label (e.g. clients without a user) are picked as '' and shown as (none).
    const conds = [`m.name IN (${metrics.map(lit).join(', ')})`, ...where].join(' AND ');
    return `SELECT DISTINCT ${label(labelName)} AS "__value", coalesce(s.labels->>${lit(labelName)}, '(none)') AS "__text" ${from} WHERE ${conds} ORDER BY 1`;
  }
  const conds = [`m.name IN (${metrics.map(lit).join(', ')})`, `s.labels ? ${lit(labelName)}`, ...where].join(' AND ');
  return `SELECT DISTINCT s.labels->>${lit(labelName)} AS "__value" ${from} WHERE ${conds} ORDER BY 1`;
}
