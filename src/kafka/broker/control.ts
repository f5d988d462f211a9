/**
 * Fault control of the bundled cluster: a small JSON API over HTTP, served by the broker process,
 * that stops and starts brokers, adds latency, cuts replication and changes capacity, so that
 * tests, demos and operators can make the cluster misbehave on purpose and watch what follows.
 *
 *   GET  /brokers                      every broker's state
 *   GET  /brokers/{id}                 one broker's state
 *   POST /brokers/{id}/stop            stop it (its leaderships move)
 *   POST /brokers/{id}/start           start it again; {"wipe": true} = empty logs (replaced disk)
 *   POST /brokers/{id}/latency         {"ms": 50} added to each response; 0 clears
 *   POST /brokers/{id}/replication     {"enabled": false} stops its followers fetching
 *   POST /brokers/{id}/capacity        any of networkInBytesPerSec, networkOutBytesPerSec,
 *                                      requestHandlers, logDirBytes
 *
 * A POST answers with the broker's new state. Errors are `{ "error": "<path>: <expected>" }`
 * with 400 (bad body), 404 (unknown broker or route), 405 (wrong method) or 413 (body too big).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Logger } from 'pino';
import { pino } from 'pino';
import * as z from 'zod';
import { describeIssues, formatPath, sluiceErrorMap } from '../../config/index.ts';
import { SluiceError } from '../../errors.ts';
import type { Cluster } from './cluster.ts';
import type { BrokerNode } from './node.ts';
import type { BrokerCapacity } from './options.ts';

/** One broker as the control API shows it. */
export interface BrokerState {
  readonly id: number;
  readonly alive: boolean;
  readonly port: number;
  /** Whether it is the active controller (the live broker with the lowest id). */
  readonly controller: boolean;
  readonly latencyMs: number;
  readonly replicationCut: boolean;
  readonly capacity: Required<BrokerCapacity>;
}

/** An answer of the control API: status, JSON body and, for 405, the allowed method. */
export interface ControlReply {
  readonly status: number;
  readonly body: unknown;
  readonly allow?: string;
}

/** A started control API. */
export interface RunningControl {
  readonly port: number;
  /** Base URL, e.g. http://127.0.0.1:9099 */
  readonly url: string;
  /** Closes the listener and its connections; idempotent. */
  stop(): Promise<void>;
}

/** Largest request body read; fault commands are a few bytes. */
export const MAX_CONTROL_BODY_BYTES = 64 * 1024;
/** Largest injected latency, so that a typo cannot hang clients for hours. */
export const MAX_LATENCY_MS = 60_000;
/** Largest request handler pool the capacity model is given. */
export const MAX_REQUEST_HANDLERS = 1024;

const CAPACITY_KEYS = ['networkInBytesPerSec', 'networkOutBytesPerSec', 'requestHandlers', 'logDirBytes'] as const;
const emptyBody = z.strictObject({});
const BODIES = {
  stop: emptyBody,
  start: z.strictObject({ wipe: z.boolean().optional() }),
  latency: z.strictObject({ ms: z.number().min(0).max(MAX_LATENCY_MS) }),
  replication: z.strictObject({ enabled: z.boolean() }),
  capacity: z
    .strictObject({
      networkInBytesPerSec: z.number().positive().optional(),
      networkOutBytesPerSec: z.number().positive().optional(),
      requestHandlers: z.int().min(1).max(MAX_REQUEST_HANDLERS).optional(),
      logDirBytes: z.int().positive().optional(),
    })
    .refine((c) => CAPACITY_KEYS.some((k) => c[k] !== undefined), { message: `expected at least one of ${CAPACITY_KEYS.join(', ')}` }),
};
type Action = keyof typeof BODIES;
/** Actions whose body may be left out. */
const OPTIONAL_BODY = new Set<Action>(['stop', 'start']);
const ROUTES = `GET /brokers, GET /brokers/{id}, POST /brokers/{id}/{${Object.keys(BODIES).join('|')}}`;

/** A broker's state as the API shows it. */
export function brokerState(cluster: Cluster, node: BrokerNode): BrokerState {
  return {
    id: node.nodeId,
    alive: node.alive,
    port: node.port,
    controller: cluster.controllerId === node.nodeId,
    latencyMs: node.latencyMs,
    replicationCut: node.replicationCut,
    capacity: { ...node.capacity },
  };
}

/**
 * The control API without a listener: method, path and body text in, a reply out. Changes run
 * one at a time, so that a stop and a start of the same broker cannot interleave.
 */
export function createControlApi(cluster: Cluster, logger: Logger): (method: string, path: string, body: string) => Promise<ControlReply> {
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn);
    chain = run.catch(() => {});
    return run;
  };
  const nodes = (): BrokerNode[] => cluster.nodes.filter((n) => n !== undefined);

  return async (method, rawPath, text) => {
    const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;
    const parts = path.split('/').slice(1);
    if (parts[0] !== 'brokers' || parts.length > 3) return error(404, `no route ${path}; routes are ${ROUTES}`);
    const action = parts[2];
    if (action !== undefined && !Object.hasOwn(BODIES, action)) return error(404, `no route ${path}; routes are ${ROUTES}`);
    const allow = action === undefined ? 'GET' : 'POST';
    if (method !== allow) return { ...error(405, `method ${method} not allowed on ${path}; use ${allow}`), allow };
    if (parts.length === 1) return { status: 200, body: nodes().map((n) => brokerState(cluster, n)) };
    const id = parts[1]!;
    const node = /^\d+$/.test(id) ? cluster.nodes[Number(id)] : undefined;
    if (!node) return error(404, `broker ${JSON.stringify(id)} not found; brokers are ${nodes().map((n) => n.nodeId).join(', ')}`);
    if (action === undefined) return { status: 200, body: brokerState(cluster, node) };
    const parsed = parseBody(action as Action, text);
    if (!parsed.ok) return error(400, parsed.problem);
    return serial(async () => {
      await apply(cluster, node, parsed.value, logger);
      return { status: 200, body: brokerState(cluster, node) };
    });
  };
}

type Change = { [A in Action]: { action: A; body: z.output<(typeof BODIES)[A]> } }[Action];

function parseBody(action: Action, text: string): { ok: true; value: Change } | { ok: false; problem: string } {
  let input: unknown = undefined;
  if (text.trim() !== '') {
    try {
      input = JSON.parse(text);
    } catch {
      return { ok: false, problem: 'body: expected JSON, got text that is not JSON' };
    }
  } else if (OPTIONAL_BODY.has(action)) {
    input = {};
  }
  const result = BODIES[action].safeParse(input, { error: sluiceErrorMap, reportInput: true });
  if (result.success) return { ok: true, value: { action, body: result.data } as Change };
  const label = (p: readonly (string | number)[]): string => (p.length === 0 ? 'body' : formatPath(p));
  const lines = describeIssues(result.error.issues, { label }).map((p) => `${p.label}: ${p.message}`);
  return { ok: false, problem: [...new Set(lines)].join('; ') };
}

async function apply(cluster: Cluster, node: BrokerNode, change: Change, logger: Logger): Promise<void> {
  const broker = node.nodeId;
  switch (change.action) {
    case 'stop':
      await cluster.stopBroker(broker);
      logger.info({ broker, action: 'stop' }, `fault control: broker ${broker} stopped`);
      return;
    case 'start': {
      const wipe = change.body.wipe === true;
      await cluster.startBroker(broker, wipe);
      logger.info({ broker, action: 'start', wipe }, `fault control: broker ${broker} started${wipe ? ' with empty logs' : ''}`);
      return;
    }
    case 'latency':
      node.latencyMs = change.body.ms;
      logger.info({ broker, action: 'latency', ms: change.body.ms }, `fault control: broker ${broker} latency ${change.body.ms} ms`);
      return;
    case 'replication':
      node.replicationCut = !change.body.enabled;
      logger.info({ broker, action: 'replication', enabled: change.body.enabled }, `fault control: broker ${broker} replication ${change.body.enabled ? 'restored' : 'cut'}`);
      return;
    case 'capacity': {
      const capacity = Object.fromEntries(Object.entries(change.body).filter(([, v]) => v !== undefined)) as BrokerCapacity;
      node.setCapacity(capacity);
      logger.info({ broker, action: 'capacity', capacity }, `fault control: broker ${broker} capacity changed`);
      return;
    }
  }
}

function error(status: number, message: string): ControlReply {
  return { status, body: { error: message } };
}

/** Starts the control API of `cluster` on host:port (0 picks a free port). */
export async function startControlServer(cluster: Cluster, opts: { host: string; port: number; logger?: Logger }): Promise<RunningControl> {
  const logger = opts.logger ?? pino({ level: 'silent' });
  const api = createControlApi(cluster, logger);
  const server: Server = createServer((req, res) => {
    void (async () => {
      let reply: ControlReply;
      try {
        const body = await readBody(req);
        reply = body === null ? error(413, `body: expected at most ${MAX_CONTROL_BODY_BYTES} bytes`) : await api(req.method ?? 'GET', new URL(req.url ?? '/', 'http://control').pathname, body);
      } catch (err) {
        logger.error({ err }, 'fault control request failed');
        reply = error(500, err instanceof Error ? err.message : String(err));
      }
      res.writeHead(reply.status, { 'content-type': 'application/json', ...(reply.allow ? { allow: reply.allow } : {}) });
      res.end(`${JSON.stringify(reply.body)}\n`);
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new SluiceError('SLUICE_ERR_BROKER_LISTEN', `control API could not listen on ${opts.host}:${opts.port}: ${err.message}`, { cause: err })));
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  const port = address !== null && typeof address === 'object' ? address.port : opts.port;
  const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
  logger.info({ url }, 'fault control listening');
  let stopping: Promise<void> | null = null;
  return {
    port,
    url,
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

/** The request body as text, or null when it is larger than MAX_CONTROL_BODY_BYTES. */
async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_CONTROL_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
