/**
 * The queries the bench times, as Grafana sends them (form-encoded POST to /api/v1/query or
 * /api/v1/query_range), each at a place in the data set:
 *
 * - `head`: the query's whole range (selector look-back included) lies in the head's window; Sluice
 *   answers it from memory (its `head` instance, whose window holds the whole set).
 * - `beyond`: Sluice's `tiered` instance (the service's default head window): the 6 h range reads
 *   all but the head's window from PostgreSQL; the instant and 1 h queries are placed 15 min
 *   before the head's window starts, so that they read PostgreSQL only.
 *
 * Pure: the data set's times in, requests out.
 */
import { type DataSet, LAG_METRIC } from './data.ts';

const MIN_MS = 60_000;
const HOUR_MS = 3_600_000;

/** Grafana-typical queries of the issue. */
export const QUERIES = {
  rateByTopic: 'sum by (topic) (rate(kafka_server_brokertopicmetrics_bytesin_total[5m]))',
  topkTopics: 'topk(10, sum by (topic) (rate(kafka_server_brokertopicmetrics_bytesin_total[5m])))',
  topkLag: `topk(10, ${LAG_METRIC})`,
  lagByGroup: `sum by (group) (${LAG_METRIC})`,
} as const;

/** Where a query reads in Sluice. */
export type Window = 'head' | 'beyond';

/** One timed query. */
export interface QueryCase {
  /** Short name for the table. */
  readonly name: string;
  readonly window: Window;
  /** What the window means for this query, for the table. */
  readonly where: string;
  /** Which Sluice instance answers it. */
  readonly instance: 'head' | 'tiered';
  readonly path: '/api/v1/query' | '/api/v1/query_range';
  /** The form body's parameters. */
  readonly params: Readonly<Record<string, string>>;
  /** Sluice's time over Prometheus's must be at most this. */
  readonly goal: number;
}

/** The goal ratio inside the head window and beyond it (issue 16). */
export const GOALS: Readonly<Record<Window, number>> = { head: 1.5, beyond: 3 };

const s = (ms: number): string => String(ms / 1000);
const h = (ms: number): string => (ms % HOUR_MS === 0 ? `${ms / HOUR_MS} h` : `${(ms / HOUR_MS).toFixed(2)} h`);

/**
 * The cases for `set`, with Sluice's tiered head holding `headWindowMs`. A `beyond` case the set
 * is too short for (less than the head window plus 1 h 20 min) is left out.
 */
export function queryCases(set: DataSet, headWindowMs: number): QueryCase[] {
  const end = set.endMs;
  const span = end - set.startMs;
  const cases: QueryCase[] = [];
  const add = (name: string, window: Window, where: string, query: string, at: { time: number } | { start: number; end: number; stepS: number }): void => {
    const params: Record<string, string> = 'time' in at
      ? { query, time: s(at.time) }
      : { query, start: s(at.start), end: s(at.end), step: String(at.stepS) };
    cases.push({ name, window, where, instance: window === 'head' ? 'head' : 'tiered', path: 'time' in at ? '/api/v1/query' : '/api/v1/query_range', params, goal: GOALS[window] });
  };
  // Before the tiered head's window, with room for a 1 h range and the 5 min look-back.
  const older = end - headWindowMs - 15 * MIN_MS;
  const olderFits = older - HOUR_MS - 5 * MIN_MS >= set.startMs;
  const olderWhere = `at end - ${h(end - older)}: PostgreSQL only`;

  add(`rate by topic, ${h(span)} @30s`, 'head', 'all in memory', QUERIES.rateByTopic, { start: end - span, end, stepS: 30 });
  if (span > headWindowMs) {
    add(`rate by topic, ${h(span)} @30s`, 'beyond', `${h(span - headWindowMs)} +5m PostgreSQL, ${h(headWindowMs)} head`, QUERIES.rateByTopic, { start: end - span, end, stepS: 30 });
  }
  add('topk(10) topics by rate, instant', 'head', 'at end', QUERIES.topkTopics, { time: end });
  if (olderFits) add('topk(10) topics by rate, instant', 'beyond', olderWhere, QUERIES.topkTopics, { time: older });
  add('topk(10) partition lag, instant', 'head', 'at end', QUERIES.topkLag, { time: end });
  if (olderFits) add('topk(10) partition lag, instant', 'beyond', olderWhere, QUERIES.topkLag, { time: older });
  add('lag sum by group, 1 h @15s', 'head', 'last hour', QUERIES.lagByGroup, { start: end - HOUR_MS, end, stepS: 15 });
  if (olderFits) add('lag sum by group, 1 h @15s', 'beyond', olderWhere, QUERIES.lagByGroup, { start: older - HOUR_MS, end: older, stepS: 15 });
  return cases;
}
