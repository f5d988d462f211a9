/**
 * Liveness, readiness and the service's own metrics: `/healthz` answers while the process runs,
 * `/readyz` is 200 only when every readiness check passes (503 listing the failing ones), and
 * `/metrics` is the prom-client registry in Prometheus text format.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { ReadinessSource } from '../types.ts';

/** Registers /healthz, /readyz and /metrics. */
export function healthRoutes(app: FastifyInstance, options: { registry: Registry; readiness: ReadinessSource }): void {
  app.get('/healthz', { schema: { summary: 'The process is running', tags: ['health'] } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { summary: 'Database reachable, collectors running, rules loaded', tags: ['health'] } }, async (_request, reply) => {
    const checks = await options.readiness.checks();
    const ready = checks.every((c) => c.ok);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
  app.get('/metrics', { schema: { summary: 'The service\'s own metrics (Prometheus text format)', tags: ['health'] } }, async (_request, reply) => {
    const text = await options.registry.metrics();
    return reply.header('content-type', options.registry.contentType).send(text);
  });
}
