/**
 * Prometheus's HTTP API, served by Sluice (https://prometheus.io/docs/prometheus/2.42/querying/api/):
 * the same paths, parameters (query string, or a form-encoded POST body), envelope, error types
 * and HTTP statuses as Prometheus 2.42, so that Grafana's Prometheus data source, promtool and
 * other Prometheus clients read Sluice's series as they read a Prometheus server's. Registered as
 * one plugin: the form-body parser and the error handler below apply to these routes only.
 *
 * /api/v1/status/buildinfo says version 2.42.0 (the Prometheus API Sluice follows: clients such
 * as Grafana choose their requests by it) and gives Sluice's own version in `sluiceVersion`.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { Engine } from '../../../rules/promql/index.ts';
import type { Logger } from '../../../telemetry/logger.ts';
import type { RulesSource, SeriesSource } from '../../types.ts';
import { ERROR_STATUS, errorBody, goJson } from './format.ts';
import { queryRoutes } from './query.ts';
import { promRoute, send } from './reply.ts';
import { ruleRoutes } from './rules.ts';
import { seriesRoutes } from './series.ts';

/** The longest a query may run unless configured otherwise: Prometheus's default `query.timeout`. */
export const DEFAULT_QUERY_TIMEOUT_MS = 120_000;

/** The Prometheus version whose API Sluice follows, as /api/v1/status/buildinfo reports it. */
export const PROMETHEUS_API_VERSION = '2.42.0';

/** How long a range query evaluates before it lets other work run, ms. */
const YIELD_AFTER_MS = 10;

/**
 * The longest one evaluation step (a whole instant query) may hold the event loop, ms: well under
 * the shortest default collection interval (15 s), whatever the query's timeout.
 */
export const MAX_BLOCK_MS = 5_000;

/** A form body is read up to Go's limit for one (10 MiB). */
const FORM_BODY_LIMIT = 10 << 20;

const SLUICE_VERSION = (JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** What the Prometheus API serves. */
export interface PrometheusApiOptions {
  /** Series over any time range: the service hands in the store's querier (head and PostgreSQL). */
  readonly source: SeriesSource;
  /** Rule groups and their alerts; without them /api/v1/rules and /api/v1/alerts are not served. */
  readonly rules?: RulesSource | undefined;
  /** The longest a query may run, ms (default 2 min); a request's `timeout` can only shorten it. */
  readonly maxTimeoutMs?: number | undefined;
  /** Most samples one query may hold at once (default 50,000,000, as Prometheus's `query.max-samples`). */
  readonly maxSamples?: number | undefined;
  /** The longest one evaluation step may hold the event loop, ms (default 5 s). */
  readonly maxBlockMs?: number | undefined;
  /** The time of a query without `time`, ms; default the wall clock. */
  readonly now?: (() => number) | undefined;
  readonly logger?: Logger | undefined;
}

/** Registers the Prometheus API routes on `app` (a plugin scope of their own). */
export function prometheusRoutes(app: FastifyInstance, options: PrometheusApiOptions): void {
  // In this scope only: bodies other than forms (JSON included) carry no parameters, as for
  // Prometheus, which reads only form bodies.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_request, body, done) => {
    done(null, new URLSearchParams(body as string));
  });
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: FORM_BODY_LIMIT }, (_request, _body, done) => done(null, undefined));
  app.setErrorHandler(async (err: unknown, _request, reply) => {
    // What fails before a handler runs is the request itself: a body too large or malformed.
    const message = (err as Error)?.message ?? String(err);
    return send(reply, ERROR_STATUS.bad_data, errorBody('bad_data', `error parsing form values: ${message}`));
  });

  const engine = new Engine(options.maxSamples === undefined ? {} : { maxSamples: options.maxSamples });
  queryRoutes(app, {
    engine,
    source: options.source,
    now: options.now ?? Date.now,
    maxTimeoutMs: options.maxTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
    yieldAfterMs: YIELD_AFTER_MS,
    maxBlockMs: options.maxBlockMs ?? MAX_BLOCK_MS,
    logger: options.logger,
  });
  seriesRoutes(app, options.source, options.logger);
  if (options.rules !== undefined) ruleRoutes(app, options.rules, options.logger);
  promRoute(app, ['GET'], '/api/v1/status/buildinfo', 'Build information: the Prometheus API version followed, and Sluice\'s own (Prometheus API)', async () => ({
    data: goJson({ version: PROMETHEUS_API_VERSION, revision: `sluice-${SLUICE_VERSION}`, branch: 'sluice', buildUser: 'sluice', buildDate: '', goVersion: 'none', sluiceVersion: SLUICE_VERSION }),
  }), options.logger);
}
