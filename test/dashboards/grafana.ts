/**
 * What Grafana does to a PostgreSQL panel's SQL before it runs it, so that the dashboard tests
 * run the very text Grafana would send:
 *
 * 1. the frontend interpolates template variables (`$var`, `${var}`, `[[var]]`) and the built-in
 *    `$__interval` / `$__interval_ms` of the panel. A multi-value or include-All variable becomes
 *    its values each quoted as a SQL literal, joined by commas; a single-value variable is only
 *    escaped (https://grafana.com/docs/grafana/latest/datasources/postgres/template-variables/);
 *    All without a custom all value stands for every option of the variable;
 * 2. `$__interval` is computed from the range and the panel's max data points, rounded to
 *    Grafana's steps and never below the data source's min interval (`timeInterval`);
 * 3. the data source expands its macros: `$__timeFilter(c)` → `c BETWEEN '<from>' AND '<to>'`
 *    (UTC, RFC 3339 with the fraction trimmed), `$__timeFrom()` / `$__timeTo()` → the quoted
 *    times, `$__timeGroup(c, interval)` → `floor(extract(epoch from c)/<s>)*<s>`,
 *    `$__timeGroupAlias` the same `AS "time"` (as is `$__timeGroup` directly followed by a comma),
 *    `$__unixEpochFilter(c)` on epoch seconds. A macro's
 *    arguments end at the first `)`, as Grafana's pattern has it: a macro cannot take a call.
 *    (https://grafana.com/docs/grafana/latest/datasources/postgres/query-editor/#macros)
 */

import type { Dashboard, Panel, VariableModel } from '@grafana/schema';

/** A time range, ms since the epoch. */
export interface TimeRange {
  readonly from: number;
  readonly to: number;
}

/** A variable as the interpolation sees it. */
export interface VariableValue {
  readonly multi: boolean;
  readonly includeAll: boolean;
  /** Selected values; `['$__all']` for All. */
  readonly current: readonly string[];
  /** Every option the variable's query gave (for All). */
  readonly options: readonly string[];
  readonly allValue?: string;
}

/** A SQL string literal, as Grafana's PostgreSQL query model quotes a value. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function formatVariable(v: VariableValue): string {
  const all = v.current.length === 1 && v.current[0] === '$__all';
  if (all && v.allValue !== undefined && v.allValue !== '') return v.allValue;
  const values = all ? v.options : v.current;
  if (v.multi || v.includeAll) return values.map(quoteLiteral).join(',');
  return (values[0] ?? '').replace(/'/g, "''");
}

/** Replaces template variables and the panel's `$__interval`, `$__interval_ms`; unknown names stay. */
export function interpolateVariables(sql: string, variables: ReadonlyMap<string, VariableValue>, interval: { text: string; ms: number }): string {
  return sql.replace(/\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}/g, (whole: string, a?: string, b?: string, _bf?: string, c?: string) => {
    const name = a ?? b ?? c!;
    if (name === '__interval') return interval.text;
    if (name === '__interval_ms') return String(interval.ms);
    const v = variables.get(name);
    return v === undefined ? whole : formatVariable(v);
  });
}

/** Grafana's interval steps: a raw interval (ms) rounded to a step people read easily. */
export function roundInterval(ms: number): number {
  const steps: [number, number][] = [
    [15, 10], [35, 20], [75, 50], [150, 100], [350, 200], [750, 500], [1500, 1000], [3500, 2000], [7500, 5000], [12500, 10000],
    [17500, 15000], [25000, 20000], [45000, 30000], [90000, 60000], [210000, 120000], [450000, 300000], [750000, 600000],
    [1050000, 900000], [1500000, 1200000], [2700000, 1800000], [5400000, 3600000], [9000000, 7200000], [16200000, 10800000],
    [27000000, 21600000], [86400000, 43200000], [604800000, 86400000], [1814400000, 604800000], [3628800000, 2592000000],
  ];
  for (const [below, step] of steps) if (ms < below) return step;
  return 31536000000;
}

/** Seconds as Grafana writes an interval: the largest whole unit (`1y`, `7d`, `1h`, `30s`, `500ms`). */
export function secondsToHms(seconds: number): string {
  const units: [number, string][] = [[31536000, 'y'], [86400, 'd'], [3600, 'h'], [60, 'm'], [1, 's']];
  let rest = seconds;
  for (const [size, unit] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) return `${n}${unit}`;
    rest %= size;
  }
  const ms = Math.floor(seconds * 1000);
  return ms > 0 ? `${ms}ms` : 'less than a millisecond';
}

/** An interval like `15s` or `1m` in ms (Grafana's `ms|s|m|h|d|w|M|y` units). */
export function parseInterval(text: string, now = Date.now()): number {
  const m = /^(\d+)(ms|s|m|h|d|w|M|y)$/.exec(text.trim());
  if (m === null) throw new Error(`not an interval: ${text}`);
  const n = Number(m[1]);
  const unit = m[2]!;
  if (unit === 'M' || unit === 'y') {
    // Calendar units count from now, as Grafana's Go side does.
    const d = new Date(now);
    if (unit === 'M') d.setUTCMonth(d.getUTCMonth() + n);
    else d.setUTCFullYear(d.getUTCFullYear() + n);
    return d.getTime() - now;
  }
  const size: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
  return n * size[unit]!;
}

/** A panel's `$__interval`: range over max data points, rounded, at least the min interval. */
export function panelInterval(range: TimeRange, maxDataPoints: number, minInterval?: string): { text: string; ms: number } {
  let ms = roundInterval((range.to - range.from) / maxDataPoints);
  if (minInterval !== undefined) ms = Math.max(ms, parseInterval(minInterval, range.to));
  return { text: secondsToHms(ms / 1000), ms };
}

/** A time as Go's RFC3339Nano writes it in UTC: fraction without trailing zeros, none when zero. */
export function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d*?)0*Z$/, (_, f: string) => (f === '' ? 'Z' : `.${f}Z`));
}

/** A float as Go's `%v` prints it (strconv 'g', shortest): exponent form below 1e-4 and from 1e6 up, e.g. `2.592e+06`. */
export function goFloat(v: number): string {
  if (v === 0) return '0';
  const [mantissa, exp] = v.toExponential().split('e') as [string, string];
  const e = Number(exp);
  if (e < -4 || e >= 6) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return String(v);
}

/** Expands the PostgreSQL data source's macros as Grafana does. Throws on an unknown macro or bad arguments. */
export function expandMacros(sql: string, range: TimeRange): string {
  const from = rfc3339Nano(range.from);
  const to = rfc3339Nano(range.to);
  const group = (args: string[]): string => {
    // A third argument (NULL, previous or a value) sets how Grafana fills gaps in the result; the SQL is the same.
    if (args.length < 2) throw new Error('$__timeGroup needs a time column and an interval');
    const seconds = goFloat(parseInterval(args[1]!.replace(/'/g, ''), range.to) / 1000);
    return `floor(extract(epoch from ${args[0]})/${seconds})*${seconds}`;
  };
  return sql.replace(/\$([_a-zA-Z0-9]+)\(([^)]*)\)/g, (whole: string, macro: string, rawArgs: string) => {
    const args = rawArgs.split(',').map((a) => a.trim());
    // Before Grafana 5.3 $__timeGroup added the alias itself: directly followed by a comma (at the
    // macro's first occurrence in the query), it still does.
    const first = sql.indexOf(whole);
    const name = macro === '__timeGroup' && first >= 0 && sql[first + whole.length] === ',' ? '__timeGroupAlias' : macro;
    const column = (): string => {
      if (args[0] === undefined || args[0] === '') throw new Error(`missing time column argument for macro ${name}`);
      return args[0];
    };
    switch (name) {
      case '__time': return `${column()} AS "time"`;
      case '__timeEpoch': return `extract(epoch from ${column()}) as "time"`;
      case '__timeFilter': return `${column()} BETWEEN '${from}' AND '${to}'`;
      case '__timeFrom': return `'${from}'`;
      case '__timeTo': return `'${to}'`;
      case '__timeGroup': return group(args);
      case '__timeGroupAlias': return `${group(args)} AS "time"`;
      case '__unixEpochFilter': return `${column()} >= ${Math.floor(range.from / 1000)} AND ${column()} <= ${Math.floor(range.to / 1000)}`;
      default: throw new Error(`unknown macro "${name}"`);
    }
  });
}

/** Everything Grafana does to a query's text, in its order. */
export function grafanaSql(
  sql: string,
  range: TimeRange,
  variables: ReadonlyMap<string, VariableValue>,
  panel: { maxDataPoints: number; minInterval?: string },
): string {
  const interval = panelInterval(range, panel.maxDataPoints, panel.minInterval);
  return expandMacros(interpolateVariables(sql, variables, interval), range);
}

/** Browser width the panels are drawn at: Grafana's max data points is the panel's width in pixels. */
export const SCREEN_PX = 1600;

/** What the board queries run on: a `pg` client, or anything that answers as one. */
export interface SqlClient {
  query(sql: string): Promise<{ fields: readonly { name: string }[]; rows: unknown[] }>;
}

/** The values of a board's variables, each query run with the variables before it set to All. */
export async function boardVariables(client: SqlClient, board: Dashboard, range: TimeRange, minInterval: string): Promise<Map<string, VariableValue>> {
  const values = new Map<string, VariableValue>();
  for (const v of (board.templating?.list ?? []) as VariableModel[]) {
    const result = await client.query(grafanaSql(String(v.query), range, values, { maxDataPoints: SCREEN_PX, minInterval }));
    const column = result.fields.some((f) => f.name === '__value') ? '__value' : result.fields[0]!.name;
    const options = (result.rows as Record<string, unknown>[]).map((r) => String(r[column]));
    values.set(v.name, { multi: v.multi === true, includeAll: v.includeAll === true, current: ['$__all'], options, ...(v.allValue === undefined ? {} : { allValue: v.allValue }) });
  }
  return values;
}

/** The SQL Grafana sends for a panel's target with raw SQL `rawSql`. */
export function panelSql(panel: Panel, rawSql: string, range: TimeRange, variables: ReadonlyMap<string, VariableValue>, minInterval: string): string {
  return grafanaSql(rawSql, range, variables, { maxDataPoints: panel.maxDataPoints ?? Math.round((panel.gridPos!.w / 24) * SCREEN_PX), minInterval: panel.interval ?? minInterval });
}
