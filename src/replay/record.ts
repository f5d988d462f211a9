/**
 * Recording: a window of one cluster's stored series and events (the `Querier` over PostgreSQL
 * and the events table) turned into a fixture. What the rules engine wrote back (`ALERTS`,
 * `ALERTS_FOR_STATE` and recorded series, whose names hold a `:` by Prometheus's convention) is
 * left out unless asked for: replay computes it again from the collected series.
 */
import { SluiceError } from '../errors.ts';
import { parseExpr, PromQLError } from '../rules/promql/index.ts';
import { listEvents } from '../store/events.ts';
import { PgQuerier } from '../store/pg-querier.ts';
import { METRIC_NAME_LABEL, type Db, type Matcher, type Querier, type Queryable } from '../store/types.ts';
import { seriesKey, sortSeries, type Fixture, type FixtureEvent, type FixtureSeries, type FixtureSource } from './format.ts';

/** What to record. */
export interface RecordOptions {
  readonly cluster: string;
  readonly from: number;
  readonly to: number;
  /** PromQL series selectors (`kafka_server_brokertopicmetrics_bytesin_total{topic="orders"}`); none: every series of the cluster. */
  readonly selectors?: readonly string[];
  readonly name: string;
  readonly description?: string;
  /** When the incident began; default `from`. */
  readonly incidentStart?: number;
  /** Seconds between samples; default the median spacing of the recorded samples. */
  readonly scrapeIntervalSeconds?: number;
  /** Keep ALERTS, ALERTS_FOR_STATE and recorded (`a:b:c`) series. */
  readonly includeRuleOutputs?: boolean;
  readonly source?: Omit<FixtureSource, 'kind'>;
  /** The time written as `recordedAt`; default now. */
  readonly now?: number;
}

/** The matchers of one series selector, or an error naming it. */
export function selectorMatchers(text: string): Matcher[] {
  let expr;
  try {
    expr = parseExpr(text);
  } catch (err) {
    const message = err instanceof PromQLError ? err.message : (err as Error).message;
    throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', `--match ${JSON.stringify(text)}: ${message}`, { cause: err });
  }
  if (expr.type !== 'vector') {
    throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', `--match ${JSON.stringify(text)}: expected a series selector such as up{job="kafka"}, got an expression`);
  }
  return [...expr.matchers];
}

/** True for series the rules engine writes. */
export function isRuleOutput(metric: string): boolean {
  return metric === 'ALERTS' || metric === 'ALERTS_FOR_STATE' || metric.includes(':');
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  values.sort((a, b) => a - b);
  return values[values.length >> 1]!;
}

/** The median spacing of samples, seconds (rounded to 0.1 s), or 10 when there are not two samples. */
export function scrapeIntervalOf(series: readonly FixtureSeries[]): number {
  const gaps: number[] = [];
  for (const s of series) for (let i = 1; i < s.ts.length && gaps.length < 200_000; i++) gaps.push(s.ts[i]! - s.ts[i - 1]!);
  const m = median(gaps);
  return Number.isFinite(m) ? Math.max(0.1, Math.round(m / 100) / 10) : 10;
}

/** Reads the window through `querier` (and the events through `db`) into a fixture. */
export async function recordFixture(querier: Querier, db: Queryable | undefined, options: RecordOptions): Promise<Fixture> {
  const { cluster, from, to } = options;
  if (!(to >= from)) throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', `--to ${new Date(to).toISOString()} is before --from ${new Date(from).toISOString()}`);
  const clusterMatcher: Matcher = { name: 'cluster', type: '=', value: cluster };
  const selectors = options.selectors ?? [];
  const queries = selectors.length === 0 ? [[clusterMatcher]] : selectors.map((s) => [...selectorMatchers(s).filter((m) => m.name !== 'cluster'), clusterMatcher]);
  const byKey = new Map<string, FixtureSeries>();
  for (const matchers of queries) {
    for (const s of await querier.select(matchers, from, to)) {
      if (!options.includeRuleOutputs && isRuleOutput(s.metric)) continue;
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(s.labels)) if (k !== METRIC_NAME_LABEL && v !== '') labels[k] = v;
      byKey.set(seriesKey(s.metric, labels), { metric: s.metric, labels, ts: Float64Array.from(s.ts), values: Float64Array.from(s.values) });
    }
  }
  const series = sortSeries([...byKey.values()]);
  const events: FixtureEvent[] = db === undefined ? [] : (await listEvents(db, { from, to, cluster })).map((e) => ({ ts: e.ts, kind: e.kind, subject: e.subject, details: e.details }));
  return {
    meta: {
      version: 1, name: options.name, cluster, from, to, incidentStart: options.incidentStart ?? from,
      scrapeIntervalSeconds: options.scrapeIntervalSeconds ?? scrapeIntervalOf(series),
      description: options.description ?? '',
      source: { kind: 'recorded', recordedAt: new Date(options.now ?? Date.now()).toISOString(), ...options.source },
      seriesCount: series.length, sampleCount: series.reduce((n, s) => n + s.ts.length, 0),
    },
    series,
    events,
  };
}

/** Records from the store in `db` (PostgreSQL or PGlite). */
export function recordFromDb(db: Db, options: RecordOptions): Promise<Fixture> {
  return recordFixture(new PgQuerier(db), db, options);
}
