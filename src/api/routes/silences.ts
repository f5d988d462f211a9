/**
 * Silences, in Alertmanager's v2 shape: list, get, create (token), expire (token). A silence is
 * checked by the silence store, whose errors name the field (`body.endsAt: must be after
 * startsAt`); nothing is stored from a refused request.
 */
import * as z from 'zod';
import type { FastifyInstance } from 'fastify';
import { SluiceError } from '../../errors.ts';
import { docSchema, parseInput } from '../input.ts';
import type { AuthHook } from '../auth.ts';
import type { SilencesSource } from '../types.ts';

const matcherSchema = z.strictObject({
  name: z.string().min(1),
  value: z.string(),
  isRegex: z.boolean().default(false),
  isEqual: z.boolean().default(true),
});

/** The body of POST /api/v1/silences. */
export const newSilenceSchema = z.strictObject({
  matchers: z.array(matcherSchema).min(1),
  startsAt: z.iso.datetime({ offset: true }).optional(),
  endsAt: z.iso.datetime({ offset: true }),
  createdBy: z.string().min(1),
  comment: z.string().min(1),
});

const idParams = z.strictObject({ id: z.string().min(1) });

/** Registers the silence routes. */
export function silenceRoutes(app: FastifyInstance, silences: SilencesSource, auth: AuthHook): void {
  app.get('/api/v1/silences', { schema: { summary: 'Every silence, newest first', tags: ['silences'] } }, async () => ({ silences: await silences.list() }));
  app.get('/api/v1/silences/:id', { schema: { summary: 'One silence', tags: ['silences'], params: docSchema(idParams) } }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'params');
    const found = await silences.get(id);
    if (found === undefined) throw new SluiceError('SLUICE_ERR_API_NOT_FOUND', `no silence ${JSON.stringify(id)}`, { path: 'params.id' });
    return found;
  });
  app.post('/api/v1/silences', {
    preHandler: auth,
    schema: { summary: 'Create a silence (bearer token)', tags: ['silences'], security: [{ bearer: [] }], body: docSchema(newSilenceSchema) },
  }, async (request, reply) => {
    const body = parseInput(newSilenceSchema, request.body, 'body');
    const id = await silences.create({ ...body, startsAt: body.startsAt ?? new Date().toISOString() });
    return reply.code(201).send({ silenceID: id });
  });
  app.delete('/api/v1/silences/:id', {
    preHandler: auth,
    schema: { summary: 'Expire a silence now (bearer token)', tags: ['silences'], security: [{ bearer: [] }], params: docSchema(idParams) },
  }, async (request, reply) => {
    const { id } = parseInput(idParams, request.params, 'params');
    if (!(await silences.expire(id))) throw new SluiceError('SLUICE_ERR_API_NOT_FOUND', `no silence ${JSON.stringify(id)}`, { path: 'params.id' });
    return reply.code(200).send({ expired: id });
  });
}
