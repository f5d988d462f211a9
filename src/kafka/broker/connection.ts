import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { APIS, ApiKey } from '../protocol/messages.ts';
import { decode } from '../protocol/codec.ts';
import { decodeRequestHeader, encodeResponse, readRequestPrefix } from '../protocol/frames.ts';
import type { Message } from '../protocol/codec.ts';

/** Per-connection state a handler may read or change. */
export interface ConnectionState {
  readonly id: number;
  readonly clientHost: string;
  /** SASL mechanism chosen by SaslHandshake, if any. */
  saslMechanism: string | null;
  /** SaslHandshake v0: the next frame is a raw SASL token without a Kafka header. */
  rawSaslNext: boolean;
  /** Authenticated principal ("User:alice"), or "User:ANONYMOUS" on a PLAINTEXT listener. */
  principal: string | null;
  /** Close the connection once the current response is written (failed authentication). */
  closeAfterResponse: boolean;
}

/** What a handler sees of one request. */
export interface RequestContext {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string;
  readonly conn: ConnectionState;
  /** Size of the request frame. */
  readonly frameBytes: number;
  /** Bytes of record data the response carries (set by Fetch), for the capacity model. */
  responseBytes: number;
}

/** Handles a decoded request; null means "send no response" (acks=0 produce). */
export type RequestDispatcher = (ctx: RequestContext, req: Message) => Message | null | Promise<Message | null>;

/** The node-level hooks a connection needs. */
export interface ConnectionHost {
  readonly maxFrameBytes: number;
  readonly saslRequired: boolean;
  readonly logger: Logger;
  /** Supported [min, max] version of an API key, or undefined when not served. */
  supported(apiKey: number): readonly [number, number] | undefined;
  dispatch: RequestDispatcher;
  /** Handles a raw SASL token (after SaslHandshake v0); returns the raw reply or null to close. */
  rawSasl(conn: ConnectionState, token: Buffer): Buffer | null;
  /** Called for every response frame with the API key (metrics hooks later). */
  onClose(conn: Connection): void;
}

const PRE_AUTH_APIS = new Set<number>([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);
/** Stop reading a connection whose unsent responses exceed this many bytes (slow reader). */
const MAX_PENDING_WRITE = 64 * 1024 * 1024;

let nextConnectionId = 1;

/**
 * One client connection: frames the byte stream (4-byte size prefix, refused above the frame
 * limit before the body is read), decodes headers and handles one request at a time, as Kafka's
 * network layer does: after a request is read the channel is muted until its response is sent
 * (or, for a request without one, until it is handled), so requests a client pipelines wait in
 * the socket, and a throttled response's mute (KIP-219) holds back every request behind it.
 * Handling them concurrently would let a client's pipelined produce requests through its quota
 * while the first one's throttle is being worked out.
 */
export class Connection {
  readonly state: ConnectionState;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private expected = -1;
  /** Responses in request order; a slot is filled when its handler finishes. */
  private queue: { chunks: Buffer[] | null; done: boolean; close: boolean; muteMs?: number }[] = [];
  /** Until when reading is paused because a response was throttled (KIP-219). */
  private mutedUntil = 0;
  private muteTimer: NodeJS.Timeout | null = null;
  /** A request is being handled: the next is not read until its response is written. */
  private handling = false;
  /** Inside onData's loop (so that a response written meanwhile does not re-enter it). */
  private reading = false;
  private closed = false;

  constructor(readonly socket: Socket, private readonly host: ConnectionHost) {
    this.state = {
      id: nextConnectionId++,
      clientHost: socket.remoteAddress ?? 'unknown',
      saslMechanism: null,
      rawSaslNext: false,
      principal: host.saslRequired ? null : 'User:ANONYMOUS',
      closeAfterResponse: false,
    };
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (err) => host.logger.debug({ err, conn: this.state.id }, 'connection error'));
    socket.on('close', () => {
      this.closed = true;
      host.onClose(this);
    });
    socket.on('drain', () => {
      if (this.mutedUntil === 0) socket.resume();
    });
  }

  /** Closes the socket at once. */
  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private onData(data: Buffer): void {
    if (data.length > 0) {
      this.chunks.push(data);
      this.buffered += data.length;
    }
    this.reading = true;
    try {
      this.readFrames();
    } finally {
      this.reading = false;
    }
  }

  private readFrames(): void {
    for (;;) {
      if (this.closed || this.mutedUntil > 0 || this.handling) return;
      if (this.expected < 0) {
        if (this.buffered < 4) return;
        const size = this.take(4).readInt32BE(0);
        if (size < 0 || size > this.host.maxFrameBytes) {
          this.host.logger.warn({ conn: this.state.id, size, limit: this.host.maxFrameBytes }, 'refusing frame: size outside limits; closing connection');
          this.destroy();
          return;
        }
        this.expected = size;
      }
      if (this.buffered < this.expected) return;
      const frame = this.take(this.expected);
      this.expected = -1;
      this.handling = true;
      this.onFrame(frame);
    }
  }

  /** Removes and returns the next n buffered bytes (a view when they sit in one chunk). */
  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }

  private onFrame(frame: Buffer): void {
    if (this.state.rawSaslNext) {
      this.state.rawSaslNext = false;
      const reply = this.host.rawSasl(this.state, frame);
      const slot = { chunks: null as Buffer[] | null, done: true, close: reply === null };
      if (reply) {
        const size = Buffer.alloc(4);
        size.writeInt32BE(reply.length, 0);
        slot.chunks = [size, reply];
      }
      this.queue.push(slot);
      this.flush();
      return;
    }
    const prefix = readRequestPrefix(frame);
    if (!prefix) {
      this.host.logger.debug({ conn: this.state.id, bytes: frame.length }, 'frame shorter than a request header; closing');
      this.destroy();
      return;
    }
    const { apiKey, apiVersion, correlationId } = prefix;
    const api = APIS.get(apiKey);
    const range = this.host.supported(apiKey);
    if (apiKey === ApiKey.ApiVersions && range && (apiVersion < range[0] || apiVersion > range[1])) {
      // KIP-511: answer an unknown ApiVersions version in v0 format, listing what is supported.
      this.respond(correlationId, apiKey, 0, this.host.dispatch({ apiKey, apiVersion: 0, correlationId, clientId: '', conn: this.state, frameBytes: frame.length, responseBytes: 0 }, { unsupported: true }));
      return;
    }
    if (!api || !range || apiVersion < range[0] || apiVersion > range[1]) {
      // No response could have the format the client expects for a version the broker does not
      // know; Kafka closes the connection, and so does the bundled broker.
      this.host.logger.info({ conn: this.state.id, apiKey, apiVersion, supported: range ?? null }, 'request for an API key or version the broker does not serve; closing connection');
      this.destroy();
      return;
    }
    if (this.state.principal === null && !PRE_AUTH_APIS.has(apiKey)) {
      this.host.logger.info({ conn: this.state.id, apiKey }, 'request before SASL authentication; closing');
      this.destroy();
      return;
    }
    let req: Message;
    let clientId: string;
    try {
      const header = decodeRequestHeader(api, frame);
      clientId = header.clientId ?? '';
      req = decode(api.request, apiVersion, header.body);
    } catch (err) {
      this.host.logger.debug({ err, conn: this.state.id, api: api.name, apiVersion }, 'malformed request; closing connection');
      this.destroy();
      return;
    }
    const ctx: RequestContext = { apiKey, apiVersion, correlationId, clientId, conn: this.state, frameBytes: frame.length + 4, responseBytes: 0 };
    let result: Message | null | Promise<Message | null>;
    try {
      result = this.host.dispatch(ctx, req);
    } catch (err) {
      this.host.logger.error({ err, api: api.name, apiVersion }, 'handler failed; closing connection');
      this.destroy();
      return;
    }
    this.respond(correlationId, apiKey, apiVersion, result);
  }

  private respond(correlationId: number, apiKey: number, apiVersion: number, result: Message | null | Promise<Message | null>): void {
    const api = APIS.get(apiKey)!;
    const slot = { chunks: null as Buffer[] | null, done: false, close: false, muteMs: 0 };
    this.queue.push(slot);
    const finish = (body: Message | null): void => {
      if (body !== null) {
        if (typeof body.throttleTimeMs === 'number' && body.throttleTimeMs > 0) slot.muteMs = body.throttleTimeMs;
        try {
          slot.chunks = encodeResponse(api, apiVersion, correlationId, body);
        } catch (err) {
          this.host.logger.error({ err, api: api.name, apiVersion }, 'response could not be encoded; closing connection');
          slot.close = true;
        }
      }
      slot.close ||= this.state.closeAfterResponse;
      slot.done = true;
      this.flush();
    };
    if (result instanceof Promise) {
      result.then(finish, (err: unknown) => {
        this.host.logger.error({ err, api: api.name, apiVersion }, 'handler failed; closing connection');
        slot.done = true;
        slot.close = true;
        this.flush();
      });
    } else finish(result);
  }

  /** Stops reading requests for `ms` after a throttled response, as Kafka mutes the channel. */
  private mute(ms: number): void {
    const until = Date.now() + ms;
    if (until <= this.mutedUntil) return;
    this.mutedUntil = until;
    this.socket.pause();
    if (this.muteTimer) clearTimeout(this.muteTimer);
    this.muteTimer = setTimeout(() => {
      this.muteTimer = null;
      this.mutedUntil = 0;
      if (this.closed) return;
      if (this.socket.writableLength <= MAX_PENDING_WRITE) this.socket.resume();
      this.onData(Buffer.alloc(0));
    }, ms);
    this.muteTimer.unref();
  }

  private flush(): void {
    if (this.closed) return;
    let wrote = false;
    while (this.queue.length > 0 && this.queue[0]!.done) {
      const slot = this.queue.shift()!;
      if (slot.chunks) {
        if (!wrote) this.socket.cork();
        wrote = true;
        for (const c of slot.chunks) this.socket.write(c);
      }
      if (slot.close) {
        if (wrote) this.socket.uncork();
        this.socket.end();
        this.closed = true;
        return;
      }
      if (slot.muteMs) this.mute(slot.muteMs);
    }
    if (wrote) {
      this.socket.uncork();
      if (this.socket.writableLength > MAX_PENDING_WRITE) this.socket.pause();
    }
    if (this.handling && this.queue.length === 0) {
      this.handling = false;
      // Answered later than it was read (a handler that waited): read what the client sent meanwhile.
      if (!this.reading) this.onData(Buffer.alloc(0));
    }
  }
}
