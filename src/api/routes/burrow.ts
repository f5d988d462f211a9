/**
 * Burrow's HTTP API v3 on Sluice's API port, same paths and JSON as Burrow 1.2, so that tools and
 * dashboards built on Burrow read Sluice unchanged: clusters, a cluster's settings, topics and
 * their log end offsets, consumer groups, a group's commit windows, and its status judged by
 * Burrow's rules (`/status`: partitions not OK; `/lag`: every partition). Statuses are evaluated
 * when asked, at the service clock's now, as Burrow evaluates them on request.
 *
 * Every answer is JSON with Burrow's envelope; a path under /v3 that is not Burrow's answers 404
 * `invalid request type`, as Burrow does. Read-only: Burrow's DELETE of a group and its config
 * and log-level endpoints are not served.
 */
import { hostname } from 'node:os';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { evaluateGroup } from '../../collect/lag/burrow.ts';
import { consumerTopicsJson, errorBody, groupStatusJson, notFoundStatus, type RequestInfo } from '../burrow/json.ts';
import type { BurrowCluster } from '../burrow/source.ts';

/** What the routes read. */
export interface BurrowApiSource {
  /** The clusters, in configuration order. */
  clusters(): readonly BurrowCluster[];
  /** The clock statuses are evaluated at; default the wall clock. */
  readonly now?: () => number;
  /** The `request.host` of every answer; default the machine's host name. */
  readonly host?: string;
}

type Params = { cluster?: string; topic?: string; group?: string };

function decodedPath(url: string): string {
  const path = url.split('?')[0]!;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** Registers /v3/kafka/... . */
export async function burrowRoutes(app: FastifyInstance, source: BurrowApiSource): Promise<void> {
  const host = source.host ?? hostname();
  const now = source.now ?? Date.now;
  // Burrow reports the decoded path (Go's URL.Path).
  const info = (request: FastifyRequest): RequestInfo => ({ url: decodedPath(request.url), host });
  const find = (name: string | undefined): BurrowCluster | undefined => source.clusters().find((c) => c.name === name);
  const missing = (reply: FastifyReply, request: FastifyRequest, message: string) => reply.code(404).send(errorBody(message, info(request)));
  const tags = ['burrow'];
  const schema = (summary: string) => ({ schema: { summary, tags } });

  await app.register(async (v3) => {
    v3.setNotFoundHandler(async (request, reply) => reply.code(404).send({ error: true, message: 'invalid request type', result: {} }));

    v3.get('/kafka', schema('Burrow: the clusters'), async (request) => ({
      error: false, message: 'cluster list returned', clusters: source.clusters().map((c) => c.name), request: info(request),
    }));

    v3.get<{ Params: Params }>('/kafka/:cluster', schema('Burrow: a cluster\'s settings'), async (request, reply) => {
      const c = find(request.params.cluster);
      if (c === undefined) return missing(reply, request, 'cluster module not found');
      const m = c.module;
      return {
        error: false,
        message: 'cluster module detail returned',
        module: {
          'class-name': 'kafka',
          servers: m.servers,
          'client-profile': {
            name: 'sluice', 'client-id': m.clientId, 'kafka-version': '', tls: null,
            sasl: m.saslUsername === undefined ? null : { name: 'sluice', 'handshake-first': true, username: m.saslUsername },
          },
          'topic-refresh': m.refreshSeconds,
          'offset-refresh': m.refreshSeconds,
        },
        request: info(request),
      };
    });

    v3.get<{ Params: Params }>('/kafka/:cluster/topic', schema('Burrow: topics of a cluster'), async (request, reply) => {
      const c = find(request.params.cluster);
      if (c === undefined) return missing(reply, request, 'cluster not found');
      return { error: false, message: 'topic list returned', topics: c.windows.topics(), request: info(request) };
    });

    v3.get<{ Params: Params }>('/kafka/:cluster/topic/:topic', schema('Burrow: log end offset of each partition of a topic'), async (request, reply) => {
      const offsets = find(request.params.cluster)?.windows.latestLogEnds(request.params.topic ?? '');
      if (offsets === undefined) return missing(reply, request, 'cluster or topic not found');
      return { error: false, message: 'topic offsets returned', offsets, request: info(request) };
    });

    v3.get<{ Params: Params }>('/kafka/:cluster/topic/:topic/consumers', schema('Burrow: groups that commit on a topic'), async (request, reply) => {
      const c = find(request.params.cluster);
      if (c === undefined) return missing(reply, request, 'cluster not found');
      return { error: false, message: 'consumers of topic returned', consumers: c.windows.groupsOfTopic(request.params.topic ?? ''), request: info(request) };
    });

    v3.get<{ Params: Params }>('/kafka/:cluster/consumer', schema('Burrow: consumer groups of a cluster'), async (request, reply) => {
      const c = find(request.params.cluster);
      if (c === undefined) return missing(reply, request, 'cluster not found');
      return { error: false, message: 'consumer list returned', consumers: c.windows.groups(), request: info(request) };
    });

    v3.get<{ Params: Params }>('/kafka/:cluster/consumer/:group', schema('Burrow: a group\'s commit windows'), async (request, reply) => {
      const c = find(request.params.cluster);
      const group = request.params.group ?? '';
      const windows = c?.windows.groupWindows(group) ?? [];
      if (c === undefined || windows.length === 0) return missing(reply, request, 'cluster or consumer not found');
      const topics = consumerTopicsJson(windows, (topic, partition) => c.owner(group, topic, partition));
      return { error: false, message: 'consumer detail returned', topics, request: info(request) };
    });

    const status = (showAll: boolean) => async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
      const c = find(request.params.cluster);
      const cluster = request.params.cluster ?? '';
      const group = request.params.group ?? '';
      const windows = c?.windows.groupWindows(group) ?? [];
      if (c === undefined || windows.length === 0) {
        return reply.code(404).send({ error: false, message: 'consumer status returned', status: notFoundStatus(cluster, group), request: info(request) });
      }
      const evaluation = evaluateGroup(windows, now(), c.evaluator);
      const body = groupStatusJson(cluster, group, evaluation, { showAll, source: c.commitSource, owner: (topic, partition) => c.owner(group, topic, partition) });
      return { error: false, message: 'consumer status returned', status: body, request: info(request) };
    };
    v3.get('/kafka/:cluster/consumer/:group/status', schema('Burrow: a group\'s status, with the partitions not OK'), status(false));
    v3.get('/kafka/:cluster/consumer/:group/lag', schema('Burrow: a group\'s status, with every partition'), status(true));
  }, { prefix: '/v3' });
}
