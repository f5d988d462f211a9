/**
 * Prometheus's query endpoints (https://prometheus.io/docs/prometheus/2.42/querying/api/):
 * /api/v1/query, /api/v1/query_range, /api/v1/query_exemplars (Sluice keeps no exemplars) and
 * /api/v1/format_query, GET or form-encoded POST, with Prometheus 2.42's parameters, checks and
 * error wording. Queries read through the SeriesSource over any range (the head, and PostgreSQL
 * for older data), run under a deadline (the `timeout` parameter, never more than the server's
 * maximum) and the engine's sample budget, and a range query hands the event loop back between
 * steps, so that a heavy query delays neither collection nor health checks.
 */
import type { FastifyInstance } from 'fastify';
import { formatExpr, selectorsOf, typeOf, type Engine, type Expr, type MatrixSeries, type Value } from '../../../rules/promql/index.ts';
import type { Logger } from '../../../telemetry/logger.ts';
import type { SeriesSource } from '../../types.ts';
import { compareLabels, goJson, matrixResultJson, PromApiError, resultJson, seriesJson } from './format.ts';
import { durationParam, goQuote, invalidParam, limitParam, parseQuery, requiredTimeParam, timeParam, type Form } from './params.ts';
import { promRoute, storageGuarded, type Answer } from './reply.ts';

/** Points one series of a range query may have, as in Prometheus. */
export const MAX_POINTS_PER_SERIES = 11_000;

/** Warning added when `limit` cut a result short. */
export const TRUNCATED_WARNING = 'results truncated due to limit';

/** What the query routes need. */
export interface QueryRoutesOptions {
  readonly engine: Engine;
  readonly source: SeriesSource;
  /** The time of a query without `time`, ms. */
  readonly now: () => number;
  /** The longest any query may run, ms; a `timeout` parameter can only shorten it. */
  readonly maxTimeoutMs: number;
  /** How long a range query evaluates before it hands the event loop back, ms. */
  readonly yieldAfterMs: number;
  /** The longest evaluation may go without handing the event loop back (a whole instant query, one range step), ms. */
  readonly maxBlockMs: number;
  readonly logger?: Logger | undefined;
}

/** Registers the query routes. */
export function queryRoutes(app: FastifyInstance, o: QueryRoutesOptions): void {
  const source = storageGuarded(o.source);

  /** The deadline of a query starting now: `timeout` when given and shorter than the server's maximum. */
  const deadline = (form: Form): number => {
    const timeout = form.get('timeout') === '' ? o.maxTimeoutMs : Math.min(durationParam(form, 'timeout'), o.maxTimeoutMs);
    return Date.now() + timeout;
  };

  const instant = async (form: Form): Promise<Answer> => {
    const limit = limitParam(form);
    const time = timeParam(form, 'time', Math.floor(o.now()));
    if (!Number.isFinite(time)) throw invalidParam('time', `Invalid time value for 'time': cannot parse ${goQuote(form.get('time'))} to a valid timestamp`);
    const until = deadline(form);
    let expr: Expr;
    try {
      expr = parseQuery(form.get('query'));
    } catch (err) {
      throw invalidParam('query', (err as Error).message);
    }
    const value = await o.engine.instant(expr, time, source, { deadline: until, maxBlockMs: o.maxBlockMs });
    const [ordered, truncated] = truncate(order(value, expr), limit);
    return { data: resultJson(ordered, time), warnings: truncated ? [TRUNCATED_WARNING] : [] };
  };

  const range = async (form: Form): Promise<Answer> => {
    const limit = limitParam(form);
    const start = requiredTimeParam(form, 'start');
    const end = requiredTimeParam(form, 'end');
    if (end < start) throw invalidParam('end', 'end timestamp must not be before start time');
    const step = durationParam(form, 'step');
    if (step <= 0) throw invalidParam('step', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
    // For safety, as Prometheus: 60 s resolution for a week, or 1 h for a year.
    if (!(Math.floor((end - start) / step) <= MAX_POINTS_PER_SERIES)) {
      throw new PromApiError('bad_data', 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
    }
    // Steps are whole milliseconds, as Prometheus evaluates them.
    const stepMs = Math.trunc(step);
    if (stepMs < 1) throw invalidParam('step', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
    const until = deadline(form);
    const expr = parseQuery(form.get('query'));
    const type = typeOf(expr);
    if (type !== 'vector' && type !== 'scalar') {
      throw new PromApiError('bad_data', `invalid expression type "${type === 'matrix' ? 'range vector' : type}" for range query, must be Scalar or instant Vector`);
    }
    const series = await o.engine.range(expr, start, end, stepMs, source, { deadline: until, yieldAfterMs: o.yieldAfterMs, maxBlockMs: o.maxBlockMs });
    series.sort((a, b) => compareLabels(a.metric, b.metric));
    const truncated = limit > 0 && series.length > limit;
    // Written series by series, handing the event loop back as evaluation does: a large answer
    // (11,000 points of hundreds of series) takes a while to write.
    const written: string[] = [];
    let sliceStart = Date.now();
    for (const s of truncated ? series.slice(0, limit) : series) {
      written.push(seriesJson(s));
      if (Date.now() - sliceStart >= o.yieldAfterMs) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = Date.now();
      }
    }
    return { data: matrixResultJson(written), warnings: truncated ? [TRUNCATED_WARNING] : [] };
  };

  const exemplars = async (form: Form): Promise<Answer> => {
    const start = timeParam(form, 'start', -Infinity);
    const end = timeParam(form, 'end', Infinity);
    if (end < start) throw new PromApiError('bad_data', 'end timestamp must not be before start timestamp');
    const expr = parseQuery(form.get('query'));
    // No selector: nothing to look up, and Prometheus answers 204.
    return { data: selectorsOf(expr).length > 0 ? '[]' : undefined };
  };

  const format = async (form: Form): Promise<Answer> => {
    let expr: Expr;
    try {
      expr = parseQuery(form.get('query'));
    } catch (err) {
      throw invalidParam('query', (err as Error).message);
    }
    return { data: goJson(formatExpr(expr)) };
  };

  promRoute(app, ['GET', 'POST'], '/api/v1/query', 'PromQL instant query (Prometheus API)', instant, o.logger);
  promRoute(app, ['GET', 'POST'], '/api/v1/query_range', 'PromQL range query (Prometheus API)', range, o.logger);
  promRoute(app, ['GET', 'POST'], '/api/v1/query_exemplars', 'Exemplars of a query: always none (Prometheus API)', exemplars, o.logger);
  promRoute(app, ['GET', 'POST'], '/api/v1/format_query', 'A query in canonical form (Prometheus API)', format, o.logger);
}

/**
 * The result in Prometheus's order: series sorted by labels, as its storage hands them out, except
 * where the query itself orders them (sort, sort_desc, topk, bottomk at the top).
 */
function order(value: Value, expr: Expr): Value {
  if (value.kind === 'matrix') return { kind: 'matrix', series: [...value.series].sort((a, b) => compareLabels(a.metric, b.metric)) };
  if (value.kind !== 'vector' || ordersItself(expr)) return value;
  return { kind: 'vector', samples: [...value.samples].sort((a, b) => compareLabels(a.metric, b.metric)) };
}

function ordersItself(expr: Expr): boolean {
  if (expr.type === 'paren') return ordersItself(expr.expr);
  if (expr.type === 'call') return expr.name === 'sort' || expr.name === 'sort_desc';
  return expr.type === 'aggregate' && (expr.op === 'topk' || expr.op === 'bottomk');
}

/** At most `limit` series (0: all), and whether some were left out. */
function truncate(value: Value, limit: number): [Value, boolean] {
  if (limit === 0) return [value, false];
  if (value.kind === 'vector' && value.samples.length > limit) return [{ kind: 'vector', samples: value.samples.slice(0, limit) }, true];
  if (value.kind === 'matrix' && value.series.length > limit) return [{ kind: 'matrix', series: value.series.slice(0, limit) as MatrixSeries[] }, true];
  return [value, false];
}
