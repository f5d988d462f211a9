/**
 * `GET /federate?match[]=<selector>…`: Prometheus's federation endpoint. Serves the newest sample
 * (within the 5 min lookback) of every stored series matching any selector, in the text format
 * with explicit timestamps, so that a Prometheus server scrapes Sluice's series as it would
 * scrape another Prometheus (`honor_labels: true` keeps their labels, `cluster` included).
 * https://prometheus.io/docs/prometheus/latest/federation/
 *
 * Unlike Prometheus, which answers an empty 200 to a request without `match[]`, Sluice answers
 * 400 naming the parameter: such a scrape job can only be a mistake.
 */
import type { FastifyInstance } from 'fastify';
import type { Querier } from '../../store/types.ts';
import { EXPOSITION_CONTENT_TYPE, writeExposition } from '../federate/exposition.ts';
import { DEFAULT_LOOKBACK_MS, latestSamples } from '../federate/latest.ts';
import { parseSeriesSelectors } from '../selectors.ts';

/** What `/federate` reads. */
export interface FederateSource {
  /** The store's querier (the head for the lookback window). */
  readonly querier: Querier;
  /** Default the wall clock. */
  readonly now?: () => number;
  /** Default 5 min, as Prometheus's `--query.lookback-delta`. */
  readonly lookbackMs?: number;
  /** Added to every series that lacks them, as Prometheus adds its external labels. */
  readonly externalLabels?: Readonly<Record<string, string>>;
}

/** Registers GET /federate. */
export function federateRoutes(app: FastifyInstance, source: FederateSource): void {
  const now = source.now ?? Date.now;
  // An empty `instance` keeps a scraper with honor_labels from adding its own, as in Prometheus.
  const extraLabels = Object.freeze({ instance: '', ...source.externalLabels });
  app.get('/federate', {
    schema: {
      summary: 'The newest sample of every series matching a selector, in Prometheus text format (federation)',
      tags: ['prometheus'],
      querystring: {
        type: 'object',
        properties: { 'match[]': { type: 'array', items: { type: 'string' }, description: 'series selectors, e.g. {__name__=~"kafka_.*"}; repeatable' } },
        required: ['match[]'],
      },
    },
  }, async (request, reply) => {
    const selectors = parseSeriesSelectors((request.query as Record<string, unknown>)['match[]'], 'query.match[]');
    const samples = await latestSamples(source.querier, selectors, now(), source.lookbackMs ?? DEFAULT_LOOKBACK_MS);
    return reply.header('content-type', EXPOSITION_CONTENT_TYPE).header('cache-control', 'no-store').send(writeExposition(samples, extraLabels));
  });
}
