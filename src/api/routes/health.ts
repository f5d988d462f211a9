/**
 * Liveness, readiness and the service's own metrics: `/healthz` answers while the process runs,
 * `/readyz` is 200 `ready` when every readiness check passes, 200 `degraded` when only checks the
 * service serves through fail (a cluster unreachable, writes failing), 503 `not ready` when any
 * other fails (database unreachable, collectors stopped, no rules), listing the checks; and
 * `/metrics` is the prom-client registry in Prometheus text format.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { ReadinessSource } from '../types.ts';

/** Registers /healthz, /readyz and /metrics. */
export function healthRoutes(app: FastifyInstance, options: { registry: Registry; readiness: ReadinessSource }): void {
  app.get('/healthz', { schema: { summary: 'The process is running', tags: ['health'] } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { summary: 'Database reachable, collectors running, rules loaded; degraded while a cluster is unreachable or writes fail', tags: ['health'] } }, async (_request, reply) => {
    const checks = await options.readiness.checks();
    const failing = checks.filter((c) => !c.ok);
    if (failing.some((c) => c.degraded !== true)) return reply.code(503).send({ status: 'not ready', checks });
    return reply.code(200).send({ status: failing.length === 0 ? 'ready' : 'degraded', checks });
  });
  app.get('/metrics', { schema: { summary: 'The service\'s own metrics (Prometheus text format)', tags: ['health'] } }, async (_request, reply) => {
    const text = await options.registry.metrics();
    return reply.header('content-type', options.registry.contentType).send(text);
  });
}
