/**
 * The throttle API: current recommendations with reasons and evidence, applying one by id
 * (bearer token), the audit trail, every round's explanation, the per-broker load models and the
 * diagnosis, per cluster.
 */
import * as z from 'zod';
import type { FastifyInstance } from 'fastify';
import { isSluiceError, SluiceError, type ErrorCode } from '../../errors.ts';
import type { DecisionLog } from '../../throttle/decision-log.ts';
import type { ThrottleLoop } from '../../throttle/loop.ts';
import { docSchema, parseInput } from '../input.ts';
import type { AuthHook } from '../auth.ts';

/** The loops the API reads, by cluster, and the audit store they share. */
export interface ThrottleSource {
  readonly loops: ReadonlyMap<string, ThrottleLoop>;
  readonly audit: DecisionLog;
}

const clusterQuery = z.strictObject({ cluster: z.string().min(1).optional() });
const decisionsQuery = z.strictObject({
  cluster: z.string().min(1).optional(),
  entity: z.string().min(1).optional(),
  status: z.enum(['pending', 'applied', 'skipped', 'failed', 'expired']).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(100),
});
const roundsQuery = z.strictObject({
  cluster: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(100),
});
const applyBody = z.strictObject({ id: z.int().positive(), cluster: z.string().min(1).optional() });

/** HTTP status of each refusal of a manual apply. */
const APPLY_STATUS: Partial<Record<ErrorCode, number>> = {
  SLUICE_ERR_THROTTLE_NOT_FOUND: 404,
  SLUICE_ERR_THROTTLE_NOT_PENDING: 409,
  SLUICE_ERR_THROTTLE_EXPIRED: 409,
  SLUICE_ERR_THROTTLE_UNDER_FLOOR: 422,
  SLUICE_ERR_THROTTLE_REFUSED: 502,
};

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
    try {
      return { decision: await loop.apply(body.id, 'api') };
    } catch (err) {
      const status = isSluiceError(err) ? APPLY_STATUS[err.code] : undefined;
      if (status === undefined) throw err;
      return reply.code(status).send({ error: (err as SluiceError).message, code: (err as SluiceError).code, path: 'body.id' });
    }
  });
  app.get('/api/v1/throttle/decisions', { schema: { summary: 'The audit trail of quota decisions, newest first', tags, querystring: docSchema(decisionsQuery) } }, async (request) => {
    const q = parseInput(decisionsQuery, request.query, 'query');
    return { decisions: await source.audit.list({ ...(q.cluster === undefined ? {} : { cluster: q.cluster }), ...(q.entity === undefined ? {} : { entityKey: q.entity }), ...(q.status === undefined ? {} : { status: q.status }), limit: q.limit }) };
  });
  app.get('/api/v1/throttle/rounds', { schema: { summary: 'Every round explained, newest first: runs of rounds that said the same thing are one entry', tags, querystring: docSchema(roundsQuery) } }, async (request) => {
    const q = parseInput(roundsQuery, request.query, 'query');
    const [cluster] = loopOf(source, q.cluster, 'query');
    const runs = await source.audit.rounds(cluster, q.limit);
    return { cluster, rounds: runs.map((r) => ({ firstAt: new Date(r.firstAt).toISOString(), lastAt: new Date(r.lastAt).toISOString(), rounds: r.rounds, state: r.state, explanation: r.explanation })) };
  });
  app.get('/api/v1/throttle/model', { schema: { summary: 'Per-broker load model: coefficients, R², capacity estimate', tags, querystring: docSchema(clusterQuery) } }, async (request) => {
    const [cluster, loop] = loopOf(source, parseInput(clusterQuery, request.query, 'query').cluster, 'query');
    const last = loop.lastRound;
    if (last === undefined) return { cluster, at: null, brokers: [], capacity: null, capacityBound: null };
    return {
      cluster, at: new Date(last.at).toISOString(), capacity: last.plan.capacity, capacityBound: last.plan.capacityBound,
      brokers: [...last.plan.models].map(([broker, m]) => ({ broker, ...m, check: last.plan.modelCheck.find((c) => c.broker === broker) ?? null })),
    };
  });
  app.get('/api/v1/throttle/state', { schema: { summary: 'The diagnosis of the last round', tags, querystring: docSchema(clusterQuery) } }, async (request) => {
    const [cluster, loop] = loopOf(source, parseInput(clusterQuery, request.query, 'query').cluster, 'query');
    const last = loop.lastRound;
    return { cluster, at: last === undefined ? null : new Date(last.at).toISOString(), diagnosis: last?.plan.diagnosis ?? null, metricsStale: last?.plan.metricsStale ?? null, explanation: last?.explanation ?? null };
  });
}
