/**
 * The bearer-token check of mutating endpoints: `Authorization: Bearer <api.token>`, compared in
 * constant time. With no token configured they are disabled (403), never open. Route plugins
 * take the hook; server.ts builds it once.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** A preHandler that lets a request through only with the configured bearer token. */
export type AuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** Builds the bearer-token check; without a token every mutating request is refused with 403. */
export function bearerAuth(token: string | undefined): AuthHook {
  const expected = token === undefined || token === '' ? undefined : Buffer.from(token);
  return async (request, reply) => {
    if (expected === undefined) {
      await reply.code(403).send({ error: 'mutating endpoints are disabled: no api.token is configured', code: 'SLUICE_ERR_API_UNAUTHORIZED' });
      return reply;
    }
    const header = request.headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'a valid bearer token is required (Authorization: Bearer <api.token>)', code: 'SLUICE_ERR_API_UNAUTHORIZED' });
      return reply;
    }
  };
}
