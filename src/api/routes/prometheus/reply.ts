/**
 * How every Prometheus-compatible route answers: its parameters read into a `Form`, its answer
 * (JSON text already written) wrapped in Prometheus's envelope, and any error turned into
 * Prometheus's error type and HTTP status: bad input is `bad_data` (400), a query that ran out of
 * time `timeout` (503), one Prometheus would refuse while evaluating `execution` (422), a failing
 * database `internal` (500). A bad query never answers 500.
 */
import type { FastifyInstance, FastifyReply, HTTPMethods } from 'fastify';
import { isSluiceError } from '../../../errors.ts';
import { PromQLError } from '../../../rules/promql/index.ts';
import { isWindowQuerier, type Querier, type WindowQuerier } from '../../../store/types.ts';
import type { Logger } from '../../../telemetry/logger.ts';
import { ERROR_STATUS, errorBody, PromApiError, successBody } from './format.ts';
import { Form, parseErrorText } from './params.ts';

/** What a route answers: its `data` as JSON text, and warnings; undefined data answers 204 as Prometheus does. */
export interface Answer {
  readonly data: string | undefined;
  readonly warnings?: readonly string[];
}

/** A route's work: the request's parameters and path parameters in, its answer out. */
export type PromHandler = (form: Form, params: Readonly<Record<string, string>>) => Promise<Answer>;

/** Registers `handler` at `url` for `methods`, answering in Prometheus's envelope. */
export function promRoute(app: FastifyInstance, methods: HTTPMethods[], url: string, summary: string, handler: PromHandler, logger: Logger | undefined): void {
  app.route({
    method: methods,
    url,
    schema: { summary, tags: ['prometheus'] },
    handler: async (request, reply) => {
      try {
        const answer = await handler(new Form(request.url, request.body), (request.params ?? {}) as Record<string, string>);
        if (answer.data === undefined) return await reply.code(204).send();
        return await send(reply, 200, successBody(answer.data, answer.warnings));
      } catch (err) {
        const apiError = toApiError(err);
        if (apiError.type === 'internal' || !(err instanceof PromApiError || isSluiceError(err))) logger?.error({ err, url: request.url }, 'Prometheus API request failed');
        return await send(reply, ERROR_STATUS[apiError.type], errorBody(apiError.type, apiError.message));
      }
    },
  });
}

/** Sends JSON text with Prometheus's content type (as bytes: a string would get `; charset=utf-8` added). */
export function send(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(Buffer.from(body));
}

/** A failure of the database behind a Querier (not of the query): the API answers `internal`. */
export class StorageError extends Error {
  constructor(cause: unknown) {
    super((cause as Error)?.message ?? String(cause), { cause });
    this.name = 'StorageError';
  }
}

/** `source` with its database failures told apart from evaluation errors (as StorageError). */
export function storageGuarded(source: Querier): Querier {
  const select: Querier['select'] = (matchers, from, to) => source.select(matchers, from, to).catch((err: unknown) => { throw new StorageError(err); });
  if (!isWindowQuerier(source)) return { select };
  const windows: WindowQuerier = {
    select,
    holds: (from) => source.holds(from),
    selectWindows: (matchers, from, to) => source.selectWindows(matchers, from, to),
    selectLatest: (matchers, from, to, times) => source.selectLatest(matchers, from, to, times),
  };
  return windows;
}

/** Any error as the API error it answers with. */
export function toApiError(err: unknown): PromApiError {
  if (err instanceof PromApiError) return err;
  if (err instanceof PromQLError) return new PromApiError('bad_data', parseErrorText(err), { cause: err });
  if (err instanceof StorageError) {
    const cause = err.cause;
    if (isSluiceError(cause) && cause.code === 'SLUICE_ERR_STORE_MATCHER_INVALID') return new PromApiError('bad_data', cause.message, { cause });
    return new PromApiError('internal', `error reading stored series: ${err.message}`, { cause });
  }
  if (isSluiceError(err)) {
    switch (err.code) {
      case 'SLUICE_ERR_PROMQL_TIMEOUT':
        return new PromApiError('timeout', err.message, { cause: err });
      case 'SLUICE_ERR_PROMQL_PARSE':
      case 'SLUICE_ERR_STORE_MATCHER_INVALID':
        return new PromApiError('bad_data', err.message, { cause: err });
      default:
        return new PromApiError(err.code.startsWith('SLUICE_ERR_STORE_') ? 'internal' : 'execution', err.message, { cause: err });
    }
  }
  return new PromApiError('execution', (err as Error)?.message ?? String(err), { cause: err });
}
