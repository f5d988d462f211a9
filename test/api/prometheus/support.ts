/**
 * A store with known series for the Prometheus API tests, and the API over it. The head keeps
 * one minute: everything older is read back from the database (PGlite, or PostgreSQL at
 * DATABASE_URL), so a query over the last hours reads both. One series lives only in the head,
 * as samples do before the writer has stored them.
 *
 * Series (cluster c1), every 15 s from `start` to `now`:
 * - kafka_server_brokertopicmetrics_bytesin_total{topic="orders"}: 10 per second from 0;
 *   {topic="payments"}: 20 per second from 0
 * - kafka_consumergroup_lag{group="billing", topic="orders", partition="0"}: 5, {partition="1"}: 7
 * - sluice_request_seconds_bucket{le="0.1"|"+Inf"}, _sum, _count (a histogram family), and
 *   kafka_request_latency{quantile="0.99"}, _sum, _count (a summary family), at `now` only
 * - sluice_head_only{cluster="c1"}: 1, at now - 10 s, in the head only
 */
import { Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../../src/api/server.ts';
import { prometheusRoutes, type PrometheusApiOptions } from '../../../src/api/routes/prometheus/index.ts';
import { openStore, type Sample, type Store } from '../../../src/store/index.ts';
import { storeLocation, type BackendName } from '../../helpers/backends.ts';
import { timeAt } from '../../helpers/clock.ts';

/** The tests' "now": 2024-01-01T12:00:00Z. */
export const NOW = Date.UTC(2024, 0, 1, 12);
export const MINUTE = 60_000;
/** `NOW` as the API writes it, in seconds. */
export const NOW_S = NOW / 1000;

/** Writes the series described above from `start` to `now`, stores them, then keeps only the last minute in the head. */
export async function openFixtureStore(backend: BackendName, now = NOW, start = now - 2 * 60 * MINUTE): Promise<Store> {
  const location = storeLocation(backend);
  const opened = await openStore({ ...location, headWindowMs: MINUTE }, { clock: timeAt(now), registry: new Registry() });
  // A schema of its own on PostgreSQL, dropped at close.
  const store: Store = {
    ...opened,
    close: async (options) => {
      if ('schema' in location) await opened.db.exec(`DROP SCHEMA IF EXISTS ${location.schema} CASCADE`);
      await opened.close(options);
    },
  };
  const c = 'c1';
  const samples: Sample[] = [];
  for (let t = start; t <= now; t += 15_000) {
    const s = (t - start) / 1000;
    samples.push({ metric: 'kafka_server_brokertopicmetrics_bytesin_total', labels: { cluster: c, topic: 'orders' }, ts: t, value: 10 * s });
    samples.push({ metric: 'kafka_server_brokertopicmetrics_bytesin_total', labels: { cluster: c, topic: 'payments' }, ts: t, value: 20 * s });
    samples.push({ metric: 'kafka_consumergroup_lag', labels: { cluster: c, group: 'billing', topic: 'orders', partition: '0' }, ts: t, value: 5 });
    samples.push({ metric: 'kafka_consumergroup_lag', labels: { cluster: c, group: 'billing', topic: 'orders', partition: '1' }, ts: t, value: 7 });
  }
  for (const [metric, labels, value] of [
    ['sluice_request_seconds_bucket', { le: '0.1' }, 3],
    ['sluice_request_seconds_bucket', { le: '+Inf' }, 4],
    ['sluice_request_seconds_sum', {}, 0.5],
    ['sluice_request_seconds_count', {}, 4],
    ['kafka_request_latency', { quantile: '0.99' }, 0.2],
    ['kafka_request_latency_sum', {}, 1],
    ['kafka_request_latency_count', {}, 10],
  ] as const) samples.push({ metric, labels: { cluster: c, ...labels }, ts: now, value });
  await store.writer.write(samples);
  await store.writer.flush();
  store.head.evict(now);
  store.head.append(store.cache.ref('sluice_head_only', { cluster: c }), now - 10_000, 1);
  return store;
}

/** The API with only the Prometheus routes, over `options.source`. */
export function prometheusApi(options: PrometheusApiOptions): Promise<FastifyInstance> {
  return buildApi({ registry: new Registry(), readiness: { checks: async () => [] }, plugins: [(app) => prometheusRoutes(app, options)] });
}

/** A form-encoded POST body. */
export function form(params: Record<string, string | readonly string[]>): { headers: Record<string, string>; payload: string } {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of typeof v === 'string' ? [v] : v) body.append(k, one);
  return { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: body.toString() };
}

/** A query string. */
export function qs(params: Record<string, string | readonly string[]>): string {
  return form(params).payload;
}
