/**
 * The throttle API: current recommendations with reasons and evidence, applying one by id
 * (bearer token), the audit trail, the per-broker load models and the diagnosis, per cluster.
 */
import * as z from 'zod';
import type { FastifyInstance } from 'fastify';
import { SluiceError } from '../../errors.ts';
import type { DecisionStore } from '../../throttle/audit.ts';
import type { ThrottleLoop } from '../../throttle/loop.ts';
import { docSchema, parseInput } from '../input.ts';
import type { AuthHook } from '../auth.ts';

/** The loops the API reads, by cluster, and the audit store they share. */
export interface ThrottleSource {
  readonly loops: ReadonlyMap<string, ThrottleLoop>;
  readonly audit: DecisionStore;
}

const clusterQuery = z.strictObject({ cluster: z.string().min(1).optional() });
const decisionsQuery = z.strictObject({
  cluster: z.string().min(1).optional(),
  entity: z.string().min(1).optional(),
  status: z.enum(['pending', 'applied', 'skipped', 'failed', 'expired']).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(100),
});
const applyBody = z.strictObject({ id: z.int().positive(), cluster: z.string().min(1).optional() });

function loopOf(source: ThrottleSource, cluster: string | undefined, where: string): [string, ThrottleLoop] {
  if (cluster === undefined) {
    if (source.loops.size === 1) return [...source.loops][0]!;
    throw new SluiceError('SLUICE_ERR_API_REQUEST', `${where}.cluster: expected one of ${[...source.loops.keys()].join(', ')}`, { path: `${where}.cluster` });
  }
  const loop = source.loops.get(cluster);
  if (loop === undefined) throw new SluiceError('SLUICE_ERR_API_NOT_FOUND', `${where}.cluster: no throttle loop for cluster "${cluster}"; clusters are ${[...source.loops.keys()].join(', ') || 'none'}`, { path: `${where}.cluster` });
  return [cluster, loop];
}

/** Registers the throttle routes. */
export function throttleRoutes(app: FastifyInstance, source: ThrottleSource, auth: AuthHook): void {
  const tags = ['throttle'];
  app.get('/api/v1/throttle/recommendations', { schema: { summary: 'Current recommendation per entity, with reason and evidence', tags, querystring: docSchema(clusterQuery) } }, async (request) => {
    const [cluster] = loopOf(source, parseInput(clusterQuery, request.query, 'query').cluster, 'query');
    return { cluster, recommendations: await source.audit.list({ cluster, status: 'pending' }) };
  });
  app.post('/api/v1/throttle/apply', {
    preHandler: auth,
    schema: { summary: 'Apply a pending recommendation by id (bearer token)', tags, security: [{ bearer: [] }], body: docSchema(applyBody) },
  }, async (request, reply) => {
    const body = parseInput(applyBody, request.body, 'body');
    const [, loop] = loopOf(source, body.cluster, 'body');
    const result = await loop.apply(body.id, 'api');
    if (!result.ok) return reply.code(result.status).send({ error: result.error, code: result.status === 404 ? 'SLUICE_ERR_API_NOT_FOUND' : 'SLUICE_ERR_API_REQUEST', path: 'body.id' });
    return { decision: result.decision };
  });
  app.get('/api/v1/throttle/decisions', { schema: { summary: 'The audit trail of quota decisions, newest first', tags, querystring: docSchema(decisionsQuery) } }, async (request) => {
    const q = parseInput(decisionsQuery, request.query, 'query');
    return { decisions: await source.audit.list({ ...(q.cluster === undefined ? {} : { cluster: q.cluster }), ...(q.entity === undefined ? {} : { entityKey: q.entity }), ...(q.status === undefined ? {} : { status: q.status }), limit: q.limit }) };
  });
  app.get('/api/v1/throttle/model', { schema: { summary: 'Per-broker load model: coefficients, R², capacity estimate', tags, querystring: docSchema(clusterQuery) } }, async (request) => {
    const [cluster, loop] = loopOf(source, parseInput(clusterQuery, request.query, 'query').cluster, 'query');
    const last = loop.lastRound;
    if (last === undefined) return { cluster, at: null, brokers: [], capacity: null };
    return {
      cluster, at: new Date(last.at).toISOString(), capacity: last.plan.capacity,
      brokers: [...last.plan.models].map(([broker, m]) => ({ broker, ...m })),
    };
  });
  app.get('/api/v1/throttle/state', { schema: { summary: 'The diagnosis of the last round', tags, querystring: docSchema(clusterQuery) } }, async (request) => {
    const [cluster, loop] = loopOf(source, parseInput(clusterQuery, request.query, 'query').cluster, 'query');
    const last = loop.lastRound;
    return { cluster, at: last === undefined ? null : new Date(last.at).toISOString(), diagnosis: last?.plan.diagnosis ?? null, metricsStale: last?.plan.metricsStale ?? null };
  });
}
