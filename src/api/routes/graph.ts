/**
 * `GET /graph?g0.expr=…&g0.tab=…&g0.range_input=…`: the page alerts' `generatorURL` opens, as
 * Prometheus's expression browser takes these parameters. The expression's result now is shown
 * as a table and its last hour (or `g0.range_input`) as a plot, rendered on the server (works
 * without JavaScript). A bad expression or range is shown on the page with status 400, an
 * expression that cannot be evaluated with 422 (Prometheus's `execution` status), a query that
 * runs out of time with 503.
 */
import type { FastifyInstance } from 'fastify';
import { isSluiceError, SluiceError } from '../../errors.ts';
import { formatValue } from '../../rules/promql/aggregate.ts';
import { type Engine, type MatrixSeries, parseExpr, typeOf, type Value } from '../../rules/promql/index.ts';
import { parseDuration } from '../../duration.ts';
import type { Querier } from '../../store/types.ts';
import { graphPage, type GraphView, type TableRow } from '../graph/page.ts';
import { formatTime, plotSvg } from '../graph/plot.ts';

/** What the page reads. */
export interface GraphSource {
  readonly engine: Engine;
  /** The store's querier: the head, and PostgreSQL past it. */
  readonly querier: Querier;
  /** Default the wall clock. */
  readonly now?: () => number;
  /** Most series plotted; default 20. */
  readonly maxLines?: number;
  /** Most table rows; default 1000. */
  readonly maxRows?: number;
  /** How long both queries of a page may take together, ms; default 30 s. */
  readonly timeoutMs?: number;
}

const DEFAULT_RANGE = '1h';
const MAX_RANGE_MS = 31 * 86_400_000;
/** Samples of a range vector listed per series, the newest. */
const MAX_RANGE_SAMPLES = 100;
/** Points per line, as Prometheus's graph picks its step: range / 250, at least 1 s. */
const POINTS = 250;

/** Status of each query error shown on the page. */
const STATUS: Partial<Record<string, number>> = {
  SLUICE_ERR_API_REQUEST: 400,
  SLUICE_ERR_PROMQL_PARSE: 400,
  SLUICE_ERR_PROMQL_EVAL: 422,
  SLUICE_ERR_PROMQL_TIMEOUT: 503,
};

/** Registers GET /graph. */
export function graphRoutes(app: FastifyInstance, source: GraphSource): void {
  const now = source.now ?? Date.now;
  app.get('/graph', { schema: { hide: true } }, async (request, reply) => {
    const atMs = now();
    const query = request.query as Record<string, unknown>;
    let view: GraphView = { expr: '', tab: 1, rangeInput: DEFAULT_RANGE, atMs };
    let status = 200;
    try {
      const expr = single(query, 'g0.expr') ?? '';
      const tabText = single(query, 'g0.tab') ?? '1';
      const rangeInput = single(query, 'g0.range_input') ?? DEFAULT_RANGE;
      view = { expr, tab: tabText === '0' ? 0 : 1, rangeInput, atMs };
      if (tabText !== '0' && tabText !== '1') throw badRequest('g0.tab', `expected 0 (graph first) or 1 (table first), got ${JSON.stringify(tabText)}`);
      const rangeMs = parseDuration(rangeInput);
      if (rangeMs === undefined || rangeMs <= 0 || rangeMs > MAX_RANGE_MS) throw badRequest('g0.range_input', `expected a duration from 1s to 31d such as 1h, 30m or 1d, got ${JSON.stringify(rangeInput)}`);
      if (expr.trim() !== '') view = { ...view, ...(await evaluate(source, expr, atMs, rangeMs)) };
    } catch (err) {
      const code = isSluiceError(err) ? STATUS[err.code] : undefined;
      if (code === undefined) throw err;
      status = code;
      view = { ...view, error: isSluiceError(err, 'SLUICE_ERR_PROMQL_PARSE') ? `query.g0.expr: ${err.message}` : (err as Error).message };
    }
    return reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(graphPage(view));
  });
}

/** The table and the plot of `expr` at `atMs` and over the `rangeMs` before it. */
async function evaluate(source: GraphSource, text: string, atMs: number, rangeMs: number): Promise<Pick<GraphView, 'table' | 'graph'>> {
  const expr = parseExpr(text);
  const bounds = { deadline: Date.now() + (source.timeoutMs ?? 30_000), yieldAfterMs: 20 };
  const value = await source.engine.instant(expr, atMs, source.querier, bounds);
  const table = tableOf(value, source.maxRows ?? 1000);
  const type = typeOf(expr);
  if (type !== 'vector' && type !== 'scalar') return { table, graph: { note: `a ${type === 'matrix' ? 'range vector' : type} has no graph: only an instant vector or a scalar can be drawn over time` } };
  const stepMs = Math.max(Math.floor(rangeMs / POINTS / 1000), 1) * 1000;
  const startMs = atMs - rangeMs;
  const series = sortBySeries(await source.engine.range(expr, startMs, atMs, stepMs, source.querier, bounds), (s) => s.metric);
  const lines = series.slice(0, source.maxLines ?? 20);
  if (series.length === 0) return { table, graph: { note: `no data from ${formatTime(startMs)} to ${formatTime(atMs)}` } };
  return {
    table,
    graph: {
      svg: plotSvg(lines.map((s) => ({ label: seriesText(s.metric), ts: s.ts, values: s.values })), { startMs, endMs: atMs, stepMs }),
      legend: lines.map((s) => seriesText(s.metric)),
      total: series.length,
    },
  };
}

function tableOf(value: Value, maxRows: number): NonNullable<GraphView['table']> {
  switch (value.kind) {
    case 'scalar':
      return { resultType: 'scalar', rows: [{ series: 'scalar', values: [formatValue(value.value)] }], total: 1 };
    case 'string':
      return { resultType: 'string', rows: [{ series: 'string', values: [value.value] }], total: 1 };
    case 'vector': {
      const samples = sortBySeries([...value.samples], (s) => s.metric);
      return { resultType: 'instant vector', rows: samples.slice(0, maxRows).map((s): TableRow => ({ series: seriesText(s.metric), values: [formatValue(s.value)] })), total: samples.length };
    }
    case 'matrix': {
      const series = sortBySeries([...value.series], (s: MatrixSeries) => s.metric);
      const rows = series.slice(0, maxRows).map((s): TableRow => {
        // A long range shows its newest samples: the page stays small whatever the range.
        const from = Math.max(0, s.ts.length - MAX_RANGE_SAMPLES);
        const values = Array.from(s.ts.subarray(from), (t, i) => `${formatValue(s.values[from + i]!)} @${formatTime(t)}`);
        return { series: seriesText(s.metric), values: from === 0 ? values : [`… ${from} earlier samples`, ...values] };
      });
      return { resultType: 'range vector', rows, total: series.length };
    }
  }
}

/** A series as PromQL writes it: `name{a="x", b="y"}`. */
export function seriesText(metric: Readonly<Record<string, string>>): string {
  const name = metric.__name__ ?? '';
  const labels = Object.keys(metric).filter((k) => k !== '__name__').sort().map((k) => `${k}=${JSON.stringify(metric[k])}`);
  return labels.length === 0 && name !== '' ? name : `${name}{${labels.join(', ')}}`;
}

function sortBySeries<T>(items: T[], metricOf: (item: T) => Readonly<Record<string, string>>): T[] {
  const keyed = items.map((item) => ({ item, key: seriesText(metricOf(item)) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((k) => k.item);
}

/** A parameter given at most once; SLUICE_ERR_API_REQUEST when repeated. */
function single(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || typeof value === 'string') return value;
  throw badRequest(name, 'expected one value');
}

function badRequest(name: string, message: string): SluiceError {
  return new SluiceError('SLUICE_ERR_API_REQUEST', `query.${name}: ${message}`, { path: `query.${name}` });
}
