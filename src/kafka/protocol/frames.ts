import { decode, encode, type Message } from './codec.ts';
import { Reader } from './reader.ts';
import { Writer } from './writer.ts';
import { APIS, requestHeaderVersion, responseHeaderVersion, schema, type ApiSchemas } from './messages.ts';

const REQUEST_HEADER = schema('RequestHeader');
const RESPONSE_HEADER = schema('ResponseHeader');

/** The fixed start of every request: enough to route it before its body is understood. */
export interface RequestPrefix {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
}

/** Reads api key, version and correlation id (the part common to all header versions). */
export function readRequestPrefix(frame: Buffer): RequestPrefix | null {
  if (frame.length < 8) return null;
  return { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2), correlationId: frame.readInt32BE(4) };
}

/** A decoded request: header fields plus a reader positioned at the body. */
export interface DecodedHeader extends RequestPrefix {
  readonly clientId: string | null;
  readonly body: Reader;
}

/** Decodes the request header of a frame (without the 4-byte size) for a known API. */
export function decodeRequestHeader(api: ApiSchemas, frame: Buffer): DecodedHeader {
  const r = new Reader(frame);
  const h = decode(REQUEST_HEADER, requestHeaderVersion(api, frame.readInt16BE(2)), r);
  return { apiKey: h.requestApiKey, apiVersion: h.requestApiVersion, correlationId: h.correlationId, clientId: h.clientId ?? null, body: r };
}

/** Encodes a request frame, size prefix included (used by tests and internal clients). */
export function encodeRequest(apiKey: number, apiVersion: number, correlationId: number, clientId: string | null, body: Message): Buffer {
  const api = APIS.get(apiKey);
  if (!api) throw new Error(`unknown api key ${apiKey}`);
  const w = new Writer();
  w.int32(0);
  encode(REQUEST_HEADER, requestHeaderVersion(api, apiVersion), { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId }, w);
  encode(api.request, apiVersion, body, w);
  const buf = w.toBuffer();
  buf.writeInt32BE(buf.length - 4, 0);
  return buf;
}

/** Encodes a response frame as a list of chunks (size prefix first) ready for writev. */
export function encodeResponse(api: ApiSchemas, apiVersion: number, correlationId: number, body: Message): Buffer[] {
  const w = new Writer();
  w.int32(0);
  encode(RESPONSE_HEADER, responseHeaderVersion(api, apiVersion), { correlationId }, w);
  encode(api.response, apiVersion, body, w);
  const chunks = w.toBuffers();
  chunks[0]!.writeInt32BE(w.length - 4, 0);
  return chunks;
}

/** Decodes a response frame body (after the size) for a known API and version (tests, internal clients). */
export function decodeResponse(apiKey: number, apiVersion: number, frame: Buffer): { correlationId: number; body: Message } {
  const api = APIS.get(apiKey);
  if (!api) throw new Error(`unknown api key ${apiKey}`);
  const r = new Reader(frame);
  const h = decode(RESPONSE_HEADER, responseHeaderVersion(api, apiVersion), r);
  return { correlationId: h.correlationId, body: decode(api.response, apiVersion, r) };
}
