/**
 * The service's HTTP API, built without listening (`buildApi`), so that tests drive it with
 * `inject()` and the service listens in one place (`listenApi`). One plugin per resource under
 * routes/; request bodies and queries are checked with zod (errors name the field path), and the
 * same schemas document the routes in the OpenAPI document at `/api/v1/openapi.json`.
 *
 * Mutating endpoints require `Authorization: Bearer <api.token>`; with no token configured they
 * are disabled (403), never open.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { Registry } from 'prom-client';
import { isSluiceError, SluiceError } from '../errors.ts';
import type { Logger } from '../telemetry/logger.ts';
import { bearerAuth, type AuthHook } from './auth.ts';
import type { AlertsSource, ReadinessSource, RulesSource, SilencesSource } from './types.ts';
import { healthRoutes } from './routes/health.ts';
import { alertRoutes } from './routes/alerts.ts';
import { silenceRoutes } from './routes/silences.ts';
import { ruleRoutes } from './routes/rules.ts';
import { statusPageRoutes } from './routes/status-page.ts';
import type { StatusSource } from './status-page/view.ts';

/** The hook handed to plugins, for those that build them beside the server. */
export type { AuthHook } from './auth.ts';

/** What the API serves; a resource left out answers 404 (`/api/v1/...` not served here). */
export interface ApiOptions {
  /** Registry served at /metrics. */
  readonly registry: Registry;
  /** Bearer token of mutating endpoints; none: they are disabled. */
  readonly token?: string | undefined;
  readonly readiness: ReadinessSource;
  readonly alerts?: AlertsSource;
  readonly silences?: SilencesSource;
  readonly rules?: RulesSource;
  /** What the status page at `/` shows; without it there is no page. */
  readonly status?: StatusSource;
  /** Extra plugins (e.g. the throttle API), registered after the built-in ones. */
  readonly plugins?: readonly ((app: FastifyInstance, auth: AuthHook) => Promise<void> | void)[];
  readonly logger?: Logger;
}

/** HTTP status of each API error code. */
const STATUS: Partial<Record<string, number>> = {
  SLUICE_ERR_API_REQUEST: 400,
  SLUICE_ERR_SILENCE_INVALID: 400,
  SLUICE_ERR_PROMQL_PARSE: 400,
  SLUICE_ERR_RULES_FILE: 400,
  SLUICE_ERR_API_UNAUTHORIZED: 401,
  SLUICE_ERR_API_NOT_FOUND: 404,
  // As Prometheus answers a query that ran out of time.
  SLUICE_ERR_REPLAY_TIMEOUT: 503,
};

/** Builds the API (not listening). */
export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, ajv: { customOptions: { strict: false } } });
  // Schemas document the routes; zod checks the input in the handlers, with our own wording.
  app.setValidatorCompiler(() => (value) => ({ value }));
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Sluice API', version: '1', description: 'Alerts, silences, rules and quota recommendations of a Sluice service.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  app.setErrorHandler(async (err: unknown, request, reply) => {
    if (isSluiceError(err)) {
      const status = STATUS[err.code] ?? (err.canRetry ? 503 : 500);
      return reply.code(status).send({ error: err.message, code: err.code, ...(err.path === undefined ? {} : { path: err.path }) });
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return reply.code(status).send({ error: (err as Error).message, code: 'SLUICE_ERR_API_REQUEST' });
    options.logger?.error({ err, url: request.url }, 'API request failed');
    return reply.code(500).send({ error: 'internal error', code: 'SLUICE_ERR_API_INTERNAL' });
  });
  app.setNotFoundHandler(async (request, reply) => reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}`, code: 'SLUICE_ERR_API_NOT_FOUND' }));

  const auth = bearerAuth(options.token);
  await app.register(async (scope) => healthRoutes(scope, options));
  if (options.alerts) {
    const alerts = options.alerts;
    await app.register(async (scope) => alertRoutes(scope, alerts));
  }
  if (options.silences) {
    const silences = options.silences;
    await app.register(async (scope) => silenceRoutes(scope, silences, auth));
  }
  if (options.rules) {
    const rules = options.rules;
    await app.register(async (scope) => ruleRoutes(scope, rules));
  }
  if (options.status) {
    const status = options.status;
    await app.register(async (scope) => statusPageRoutes(scope, status));
  }
  for (const plugin of options.plugins ?? []) await app.register(async (scope) => plugin(scope, auth));
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.ready();
  return app;
}

/** Listens on `port` (0: a free one) at `host`; resolves with the URL. */
export async function listenApi(app: FastifyInstance, port: number, host = '127.0.0.1'): Promise<string> {
  try {
    return await app.listen({ port, host });
  } catch (err) {
    throw new SluiceError('SLUICE_ERR_API_LISTEN', `the HTTP API could not listen on ${host}:${port}: ${(err as Error).message}`, { cause: err });
  }
}
