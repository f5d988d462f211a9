/**
 * The store's seams, as DESIGN.md names them: `Db` (SQL and bulk load against PostgreSQL or
 * PGlite), `SampleSink` (where collectors hand their samples) and `Querier` (series matching
 * selectors over a time range). Everything else in src/store implements or uses these.
 */

/** One observation of one series, as a collector produces it. */
export interface Sample {
  /** Metric name, e.g. `kafka_server_brokertopicmetrics_bytesin_total`. */
  readonly metric: string;
  /** Label names to values; must include `cluster`. Labels with an empty value are ignored. */
  readonly labels: Readonly<Record<string, string>>;
  /** Milliseconds since the Unix epoch. */
  readonly ts: number;
  readonly value: number;
}

/**
 * Where samples go. The contract:
 * - `write` resolves once the batch is accepted (queued for PostgreSQL and visible in the head),
 *   not once it is stored; it waits while the write queue is full (backpressure).
 * - It rejects only for a batch that can never be stored (e.g. a sample without `cluster`);
 *   nothing from a rejected batch is accepted.
 * - Accepted samples are stored once each, in order, even across database outages, or counted in
 *   `sluice_samples_dropped_total` and logged with the reason.
 */
export interface SampleSink {
  write(batch: readonly Sample[]): Promise<void>;
}

/** How a matcher compares a label's value; regexes are anchored at both ends, as in PromQL. */
export type MatchType = '=' | '!=' | '=~' | '!~';

/** One label selector; `name` `__name__` selects on the metric name. A missing label reads as ''. */
export interface Matcher {
  readonly name: string;
  readonly type: MatchType;
  readonly value: string;
}

/** The label name that stands for the metric name in matchers. */
export const METRIC_NAME_LABEL = '__name__';

/** One series and its samples inside a queried range, oldest first. */
export interface SeriesData {
  readonly metric: string;
  /** Labels without the metric name, keys sorted. */
  readonly labels: Readonly<Record<string, string>>;
  /** Sample times in ms since the epoch, ascending. May be a view into the querier's own storage: never modify it. */
  readonly ts: Float64Array;
  readonly values: Float64Array;
}

/**
 * Reads series. `select` returns every series that matches all matchers and has at least one
 * sample with `from <= ts <= to` (both in ms), each with only those samples.
 */
export interface Querier {
  select(matchers: readonly Matcher[], from: number, to: number): Promise<SeriesData[]>;
}

/**
 * A series' samples inside a queried range as [lo, hi) of arrays that may hold more. `metric`
 * holds every label, the metric name as `__name__` included. The object is the caller's (it may
 * add fields to it); the arrays are not.
 */
export interface SeriesWindow {
  readonly metric: Readonly<Record<string, string>>;
  readonly ts: Float64Array;
  readonly values: Float64Array;
  readonly lo: number;
  readonly hi: number;
}

/**
 * A Querier that can also hand out its own arrays with bounds instead of views of them (the head
 * does): rule evaluation selects most of the head every round, and a view costs an allocation.
 * The arrays must not be modified, and only [start, end) may be read.
 */
export interface WindowQuerier extends Querier {
  /** True when selections from `from` on are answered from memory by the two methods below; else use `select`. */
  holds(from: number): boolean;
  selectWindows(matchers: readonly Matcher[], from: number, to: number): SeriesWindow[];
  /**
   * An instant selector's answer in one pass: for every matching series, its newest sample with
   * `from <= ts <= to` (metric with `__name__`, value), that sample's time pushed to `times` at
   * the same index. Staleness markers are returned like any value.
   */
  selectLatest(matchers: readonly Matcher[], from: number, to: number, times: number[]): { readonly metric: Readonly<Record<string, string>>; readonly value: number }[];
}

/** True when `q` can hand out windows. */
export function isWindowQuerier(q: Querier): q is WindowQuerier {
  return typeof (q as Partial<WindowQuerier>).selectWindows === 'function';
}

/** What a query returns: rows as objects keyed by column name. */
export interface QueryResult<R> {
  readonly rows: R[];
  /** Rows returned or affected. */
  readonly rowCount: number;
}

/** Something SQL can be sent to: the database itself or an open transaction. */
export interface Queryable {
  /** One statement with `$1…` parameters. Integers come back as numbers only when cast to int4. */
  query<R extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** A script of several statements without parameters (migrations, DDL). */
  exec(sql: string): Promise<void>;
}

/** Rows for `samples`, column by column; all three arrays have the same length. */
export interface SampleColumns {
  readonly seriesIds: Int32Array;
  /** Milliseconds since the epoch. */
  readonly ts: Float64Array;
  readonly values: Float64Array;
}

/** How `Db.copySamples` loads rows. */
export interface CopyOptions {
  /**
   * Skip rows whose (series_id, ts) is already stored instead of failing: used when a batch is
   * retried after an attempt whose outcome is unknown. Slower (staging table + ON CONFLICT).
   */
  readonly idempotent?: boolean;
  /** Give up (and drop the connection) after this long; the outcome is then unknown. */
  readonly timeoutMs?: number;
}

/** Which engine a `Db` talks to. */
export type DbKind = 'postgres' | 'pglite';

/**
 * The database seam. `query`/`exec` outside `tx` may run on any pooled connection; `tx` runs
 * `fn` in one transaction, committed when `fn` resolves and rolled back when it throws.
 */
export interface Db extends Queryable {
  readonly kind: DbKind;
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /**
   * Bulk-loads rows into `samples` in one statement (all or nothing) and returns how many were
   * inserted. The partitions for the rows' days must exist.
   */
  copySamples(rows: SampleColumns, options?: CopyOptions): Promise<number>;
  /**
   * The rows of `select` (a query without parameters: COPY takes none) in PostgreSQL's binary
   * COPY format, as the server sends them: for reads too large to pay for text (bytea as hex
   * text, each field a string) on either side. Read with `copy-binary.ts`' `readCopyRows`.
   */
  copyOut(select: string): Promise<Uint8Array>;
  /** Closes every connection; the Db is unusable afterwards. */
  close(): Promise<void>;
}
