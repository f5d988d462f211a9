/**
 * The balance API, per cluster: stored plans (and making one), executing a plan, an execution's
 * status, and steering it (cancel, pause, resume, throttle). What changes something needs the
 * bearer token.
 */
import * as z from 'zod';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { isSluiceError, SluiceError, type ErrorCode } from '../../errors.ts';
import { PLAN_MODES, type PlanMode } from '../../balance/plan.ts';
import type { BalanceService } from '../../balance/execute/service.ts';
import type { StoredPlan } from '../../balance/execute/store.ts';
import { docSchema, parseInput } from '../input.ts';
import type { AuthHook } from '../auth.ts';

/** The balancing of each cluster. */
export interface BalanceSource {
  readonly services: ReadonlyMap<string, BalanceService>;
}

const cluster = z.string().min(1).optional();
const plansQuery = z.strictObject({ cluster, id: z.coerce.number().int().positive().optional(), limit: z.coerce.number().int().min(1).max(500).default(20) });
const planBody = z.strictObject({
  cluster,
  mode: z.enum(PLAN_MODES as [PlanMode, ...PlanMode[]]).default('full'),
  maxMoves: z.int().min(1).optional(),
  brokers: z.array(z.int().min(0)).optional(),
});
const executeBody = z.strictObject({ cluster, planId: z.int().positive() });
const statusQuery = z.strictObject({ cluster, execution: z.coerce.number().int().positive().optional() });
const steerBody = z.strictObject({ cluster, execution: z.int().positive().optional() });
const throttleBody = z.strictObject({ cluster, execution: z.int().positive().optional(), rate: z.number().positive().nullable() });

/** HTTP status of each refusal. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  SLUICE_ERR_BALANCE_NOT_FOUND: 404,
  SLUICE_ERR_BALANCE_BUSY: 409,
  SLUICE_ERR_BALANCE_STATE: 409,
  SLUICE_ERR_BALANCE_OFF: 409,
};

function serviceOf(source: BalanceSource, name: string | undefined, where: string): BalanceService {
  if (name === undefined) {
    if (source.services.size === 1) return [...source.services.values()][0]!;
    throw new SluiceError('SLUICE_ERR_API_REQUEST', `${where}.cluster: expected one of ${[...source.services.keys()].join(', ')}`, { path: `${where}.cluster` });
  }
  const s = source.services.get(name);
  if (s === undefined) throw new SluiceError('SLUICE_ERR_API_NOT_FOUND', `${where}.cluster: no balancing for cluster "${name}"; clusters are ${[...source.services.keys()].join(', ') || 'none'}`, { path: `${where}.cluster` });
  return s;
}

/** Runs `fn`, answering the balance refusals with their status. */
async function refusals<T>(reply: FastifyReply, fn: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await fn();
  } catch (err) {
    const status = isSluiceError(err) ? STATUS[err.code] : undefined;
    if (status === undefined) throw err;
    return reply.code(status).send({ error: (err as SluiceError).message, code: (err as SluiceError).code });
  }
}

function planView(p: StoredPlan): Record<string, unknown> {
  return { ...p, createdAt: new Date(p.createdAt).toISOString() };
}

/** Registers the balance routes. */
export function balanceRoutes(app: FastifyInstance, source: BalanceSource, auth: AuthHook): void {
  const tags = ['balance'];
  const mutating = { preHandler: auth };
  const security = [{ bearer: [] }];
  app.get('/api/v1/balance/plan', { schema: { summary: 'Stored plans, newest first, or one by id', tags, querystring: docSchema(plansQuery) } }, async (request, reply) => {
    const q = parseInput(plansQuery, request.query, 'query');
    const s = serviceOf(source, q.cluster, 'query');
    if (q.id !== undefined) {
      const p = await s.store.plan(q.id);
      if (p === undefined || p.cluster !== s.cluster) return reply.code(404).send({ error: `query.id: no plan ${q.id} for cluster "${s.cluster}"`, code: 'SLUICE_ERR_BALANCE_NOT_FOUND' });
      return { cluster: s.cluster, plan: planView(p) };
    }
    return { cluster: s.cluster, plans: (await s.store.plans(s.cluster, q.limit)).map(planView) };
  });
  app.post('/api/v1/balance/plan', { ...mutating, schema: { summary: 'Make, explain and store a plan from the recorded load and the current placement (bearer token)', tags, security, body: docSchema(planBody) } }, async (request, reply) => {
    const b = parseInput(planBody, request.body, 'body');
    const s = serviceOf(source, b.cluster, 'body');
    return refusals(reply, async () => {
      try {
        return { cluster: s.cluster, plan: planView(await s.plan({ mode: b.mode, ...(b.maxMoves === undefined ? {} : { maxMoves: b.maxMoves }), ...(b.brokers === undefined ? {} : { brokers: b.brokers }) }, 'api')) };
      } catch (err) {
        if (err instanceof RangeError) throw new SluiceError('SLUICE_ERR_API_REQUEST', `body.${err.message}`);
        throw err;
      }
    });
  });
  app.post('/api/v1/balance/execute', { ...mutating, schema: { summary: 'Execute a stored plan (bearer token)', tags, security, body: docSchema(executeBody) } }, async (request, reply) => {
    const b = parseInput(executeBody, request.body, 'body');
    const s = serviceOf(source, b.cluster, 'body');
    return refusals(reply, async () => ({ cluster: s.cluster, execution: await s.execute(b.planId, 'api') }));
  });
  app.get('/api/v1/balance/status', { schema: { summary: 'An execution (default the newest): state, moves, throttle and its explanation', tags, querystring: docSchema(statusQuery) } }, async (request) => {
    const q = parseInput(statusQuery, request.query, 'query');
    const s = serviceOf(source, q.cluster, 'query');
    return { cluster: s.cluster, mode: s.mode, execution: (await s.status(q.execution)) ?? null };
  });
  for (const what of ['cancel', 'pause', 'resume'] as const) {
    app.post(`/api/v1/balance/${what}`, { ...mutating, schema: { summary: `Ask an execution (default the unfinished one) to ${what} (bearer token)`, tags, security, body: docSchema(steerBody) } }, async (request, reply) => {
      const b = parseInput(steerBody, request.body ?? {}, 'body');
      const s = serviceOf(source, b.cluster, 'body');
      return refusals(reply, async () => ({ cluster: s.cluster, execution: await s.ask(what, b.execution), requested: what }));
    });
  }
  app.post('/api/v1/balance/throttle', { ...mutating, schema: { summary: 'Set the replication throttle of an execution (bytes/s on every broker; null: sized from headroom) (bearer token)', tags, security, body: docSchema(throttleBody) } }, async (request, reply) => {
    const b = parseInput(throttleBody, request.body, 'body');
    const s = serviceOf(source, b.cluster, 'body');
    return refusals(reply, async () => ({ cluster: s.cluster, execution: await s.setThrottle(b.rate, b.execution), rate: b.rate }));
  });
}
