/**
 * Checks responses against Kafka's message definitions: every response frame is decoded with the
 * generated schema of its request's API key and version, and any frame that cannot be decoded,
 * leaves bytes over, answers out of order or carries the wrong correlation id is a problem.
 * Pure: it sees frames (without their size prefix) and keeps a log; wire-proxy.ts feeds it.
 */
import { decode, encode, type Message } from '../../src/kafka/protocol/codec.ts';
import { decodeRequestHeader, readRequestPrefix } from '../../src/kafka/protocol/frames.ts';
import { APIS, ApiKey, responseHeaderVersion, schema, type ApiSchemas } from '../../src/kafka/protocol/messages.ts';
import { Reader } from '../../src/kafka/protocol/reader.ts';
import { Writer } from '../../src/kafka/protocol/writer.ts';
import { KafkaError } from '../../src/kafka/protocol/error-codes.ts';

const RESPONSE_HEADER = schema('ResponseHeader');

/** One response that does not match the definition of its API and version. */
export interface WireProblem {
  readonly broker: number;
  readonly api: string;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly problem: string;
}

/** What the checks saw over all connections. */
export class WireLog {
  readonly problems: WireProblem[] = [];
  /** Responses decoded cleanly, by "Api vN". */
  readonly decoded = new Map<string, number>();

  /** Those of `expected` ("Api vN") that no clean response answered: empty once all were seen. */
  missing(expected: readonly string[]): string[] {
    return expected.filter((e) => !this.decoded.has(e));
  }

  /** "Api vN" of every response decoded cleanly, sorted by API key then version. */
  apiVersions(): string[] {
    const order = (s: string): number => {
      const [name, v] = s.split(' v');
      const key = [...APIS.values()].find((a) => a.name === name)?.apiKey ?? 999;
      return key * 1000 + Number(v);
    };
    return [...this.decoded.keys()].sort((a, b) => order(a) - order(b));
  }
}

/** A request whose response is still to come on a connection. */
interface Pending {
  readonly api: ApiSchemas | undefined;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  /** A SASL token sent without a Kafka header after SaslHandshake v0: answered raw. */
  readonly raw: boolean;
}

/** A decoded response, for callers that rewrite it (broker addresses). */
export interface CheckedResponse {
  readonly api: ApiSchemas;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly body: Message;
}

/** The checks of one client connection to one broker. */
export class ConnectionCheck {
  private readonly pending: Pending[] = [];
  private rawNext = false;

  constructor(private readonly log: WireLog, private readonly broker: number) {}

  /** Notes a request frame; requests that get no response (acks=0 produce) are not expected. */
  onRequest(frame: Buffer): void {
    if (this.rawNext) {
      this.rawNext = false;
      this.pending.push({ api: undefined, apiKey: -1, apiVersion: -1, correlationId: -1, raw: true });
      return;
    }
    const prefix = readRequestPrefix(frame);
    if (prefix === null) return;
    const api = APIS.get(prefix.apiKey);
    if (api !== undefined && prefix.apiKey === ApiKey.Produce && this.producesWithoutAcks(api, frame)) return;
    if (prefix.apiKey === ApiKey.SaslHandshake && prefix.apiVersion === 0) this.rawNext = true;
    this.pending.push({ api, ...prefix, raw: false });
  }

  /** Checks a response frame; returns it decoded when it is a Kafka response that checked clean. */
  onResponse(frame: Buffer): CheckedResponse | null {
    const req = this.pending.shift();
    if (req === undefined) {
      this.problem({ name: '?' }, -1, frame.length >= 4 ? frame.readInt32BE(0) : -1, 'a response to no outstanding request');
      return null;
    }
    if (req.raw) return null;
    const where = req.api ?? { name: `api ${req.apiKey}` };
    if (req.api === undefined) {
      this.problem(where, req.apiVersion, req.correlationId, 'a response to an API key Kafka does not define');
      return null;
    }
    const checked = decodeFrame(req.api, req.apiVersion, req.correlationId, frame);
    if (typeof checked !== 'string') {
      const key = `${req.api.name} v${req.apiVersion}`;
      this.log.decoded.set(key, (this.log.decoded.get(key) ?? 0) + 1);
      return { api: req.api, apiVersion: req.apiVersion, correlationId: req.correlationId, body: checked };
    }
    // KIP-511: an ApiVersions request at a version the broker does not know is answered in v0.
    if (req.apiKey === ApiKey.ApiVersions) {
      const v0 = decodeFrame(req.api, 0, req.correlationId, frame);
      if (typeof v0 !== 'string' && v0.errorCode === KafkaError.UNSUPPORTED_VERSION) return null;
    }
    this.problem(where, req.apiVersion, req.correlationId, checked);
    return null;
  }

  private producesWithoutAcks(api: ApiSchemas, frame: Buffer): boolean {
    try {
      const header = decodeRequestHeader(api, frame);
      return decode(api.request, header.apiVersion, header.body).acks === 0;
    } catch {
      return false;
    }
  }

  private problem(api: { name: string }, apiVersion: number, correlationId: number, problem: string): void {
    this.log.problems.push({ broker: this.broker, api: api.name, apiVersion, correlationId, problem });
  }
}

/** Why a response frame is not `api` at `version` with `correlationId`, or null when it is. */
export function checkFrame(api: ApiSchemas, version: number, correlationId: number, frame: Buffer): string | null {
  const checked = decodeFrame(api, version, correlationId, frame);
  return typeof checked === 'string' ? checked : null;
}

/** The body of a response frame that is `api` at `version` with `correlationId`, or why it is not. */
function decodeFrame(api: ApiSchemas, version: number, correlationId: number, frame: Buffer): Message | string {
  const r = new Reader(frame);
  let body: Message;
  try {
    const header = decode(RESPONSE_HEADER, responseHeaderVersion(api, version), r);
    if (header.correlationId !== correlationId) {
      return `correlation id ${header.correlationId} where ${correlationId} was next`;
    }
    body = decode(api.response, version, r);
  } catch (err) {
    return `${frame.length}-byte frame does not decode: ${(err as Error).message}`;
  }
  if (r.remaining !== 0) return `${r.remaining} bytes left after the ${frame.length - r.remaining} the definition describes`;
  return body;
}

/** Encodes a response frame (without its size prefix), e.g. after rewriting broker addresses. */
export function encodeFrame(res: CheckedResponse): Buffer {
  const w = new Writer();
  encode(RESPONSE_HEADER, responseHeaderVersion(res.api, res.apiVersion), { correlationId: res.correlationId }, w);
  encode(res.api.response, res.apiVersion, res.body, w);
  return w.toBuffer();
}

/**
 * Replaces every broker port in a decoded response (Metadata brokers, FindCoordinator,
 * DescribeCluster) that `ports` maps; returns whether anything changed.
 */
export function rewritePorts(value: unknown, ports: ReadonlyMap<number, number>): boolean {
  if (Array.isArray(value)) {
    let changed = false;
    for (const item of value) changed = rewritePorts(item, ports) || changed;
    return changed;
  }
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return false;
  const obj = value as Record<string, unknown>;
  let changed = false;
  if (typeof obj.host === 'string' && typeof obj.port === 'number' && ports.has(obj.port)) {
    obj.port = ports.get(obj.port);
    changed = true;
  }
  for (const v of Object.values(obj)) changed = rewritePorts(v, ports) || changed;
  return changed;
}
