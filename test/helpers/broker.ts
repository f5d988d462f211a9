/**
 * Shared fixtures for tests that talk to a real bundled broker over real sockets: start and stop
 * a broker on a free port, build deterministic messages, compare what a client read back with
 * what was sent, poll for a condition, and speak the wire protocol directly (RawConnection).
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { mulberry32 } from './random.ts';
import { startBroker } from '../../src/kafka/broker/index.ts';
import type { BrokerOptions, RunningBroker } from '../../src/kafka/broker/options.ts';

/** Broker options a test may set; host and port are always 127.0.0.1 and a free port. */
export type TestBrokerOptions = Omit<BrokerOptions, 'host' | 'port' | 'logger'>;

/**
 * Starts a broker on 127.0.0.1 and a free port. It logs nothing unless SLUICE_TEST_BROKER_LOG
 * names a pino level (e.g. `debug`), which helps when a client test fails.
 */
export async function startTestBroker(options: TestBrokerOptions = {}): Promise<RunningBroker> {
  const level = process.env.SLUICE_TEST_BROKER_LOG ?? 'silent';
  return startBroker({ ...options, host: '127.0.0.1', port: 0, logger: pino({ level }) });
}

/** Runs `fn` against a fresh broker and stops the broker afterwards, whatever `fn` did. */
export async function withBroker<T>(
  options: TestBrokerOptions,
  fn: (broker: RunningBroker) => Promise<T>,
): Promise<T> {
  const broker = await startTestBroker(options);
  try {
    return await fn(broker);
  } finally {
    await broker.stop();
  }
}

/** Polls `predicate` every 20 ms until it holds; throws once `timeoutMs` has passed. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * `work`, or an error naming `what` once `timeoutMs` has passed without it settling, so that a
 * step that stalls fails under its own name instead of its whole suite being cancelled.
 */
export async function within<T>(what: string, timeoutMs: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  work.catch(() => undefined); // failing after the deadline: the deadline was the answer
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * How long a test waits after a rebalance before producing what the new assignment must read.
 * A fetch a member sent before the rebalance may still be parked (long poll) and hand back new
 * records that the member then reads again from its committed offset: at-least-once delivery,
 * legal for any Kafka client. Waiting out the clients' fetch wait (100 ms) keeps counts exact.
 */
export const REBALANCE_SETTLE_MS = 500;

/** A header as it travels on the wire: a string name and a byte value, order kept. */
export type Header = readonly [name: string, value: Buffer];

/** A message a test produces; `seq` is its position in what one producer sent. */
export interface TestMessage {
  readonly seq: number;
  readonly key: Buffer;
  readonly value: Buffer;
  readonly headers: readonly Header[];
}

/** A message as a client read it back, reduced to what every client can report. */
export interface ReceivedMessage {
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly Header[];
}

/** How makeMessages shapes its output. */
export interface MakeMessagesOptions {
  /** Distinguishes batches: keys are `${prefix}-${seq}`. Default 'm'. */
  readonly prefix?: string;
  /** First seq; default 0. */
  readonly start?: number;
  /**
   * Headers every message carries instead of the per-message ones (kcat's `-H` sets the same
   * headers on every message it produces).
   */
  readonly fixedHeaders?: readonly Header[];
  /** Bytes never used in values (e.g. the delimiter bytes of a kcat input file). */
  readonly avoidBytes?: readonly number[];
}

/** Bytes kcat.ts uses as input delimiters; values meant for kcat input avoid them. */
export const KCAT_DELIMITER_BYTES: readonly number[] = [0x1e, 0x1f];

/**
 * Builds `n` deterministic messages: unique ASCII keys, values that start with `v<seq>:` and go
 * on with 8 to 71 pseudo-random bytes covering the whole byte range, and two headers.
 */
export function makeMessages(n: number, options: MakeMessagesOptions = {}): TestMessage[] {
  const prefix = options.prefix ?? 'm';
  const start = options.start ?? 0;
  const avoid = new Set(options.avoidBytes ?? []);
  const messages: TestMessage[] = [];
  for (let seq = start; seq < start + n; seq++) {
    const random = mulberry32(seq * 7919 + 17);
    const tail = Buffer.alloc(8 + Math.floor(random() * 64));
    for (let i = 0; i < tail.length; i++) {
      let byte = Math.floor(random() * 256);
      while (avoid.has(byte)) byte = (byte + 1) & 0xff;
      tail[i] = byte;
    }
    messages.push({
      seq,
      key: Buffer.from(`${prefix}-${seq}`),
      value: Buffer.concat([Buffer.from(`v${seq}:`), tail]),
      headers: options.fixedHeaders ?? [
        ['seq', Buffer.from(String(seq))],
        ['origin', Buffer.from(`${prefix}.producer`)],
      ],
    });
  }
  return messages;
}

/** How assertReceived checks offsets. */
export interface ExpectedOffsets {
  /** First offset expected on each partition that has messages; default 0 on every partition. */
  readonly firstOffsets?: ReadonlyMap<number, bigint>;
}

/**
 * Asserts that `received` holds each of `sent` exactly once with identical key, value and
 * headers, and that on every partition offsets are contiguous from the expected first offset and
 * messages come in the order they were produced (increasing seq).
 * Returns how many messages each partition held.
 */
export function assertReceived(
  received: readonly ReceivedMessage[],
  sent: readonly TestMessage[],
  expected: ExpectedOffsets = {},
): Map<number, number> {
  const byKey = new Map<string, TestMessage>();
  for (const m of sent) byKey.set(m.key.toString('latin1'), m);
  const seen = new Set<string>();
  const byPartition = new Map<number, ReceivedMessage[]>();
  for (const r of received) {
    const list = byPartition.get(r.partition) ?? [];
    list.push(r);
    byPartition.set(r.partition, list);
  }
  for (const [partition, list] of byPartition) {
    list.sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
    let nextOffset = expected.firstOffsets?.get(partition) ?? 0n;
    let lastSeq = -1;
    for (const r of list) {
      const where = `partition ${partition} offset ${r.offset}`;
      assert.equal(r.offset, nextOffset, `${where}: offsets must be contiguous (expected ${nextOffset})`);
      nextOffset++;
      assert.ok(r.key !== null, `${where}: key is null`);
      const keyText = r.key.toString('latin1');
      const m = byKey.get(keyText);
      assert.ok(m !== undefined, `${where}: unexpected key ${JSON.stringify(keyText)}`);
      assert.ok(!seen.has(keyText), `${where}: key ${keyText} received twice`);
      seen.add(keyText);
      assert.ok(m.seq > lastSeq, `${where}: seq ${m.seq} after ${lastSeq}: partition order broken`);
      lastSeq = m.seq;
      assert.ok(r.value !== null && r.value.equals(m.value), `${where}: value of ${keyText} differs`);
      assert.deepEqual(headersText(r.headers), headersText(m.headers), `${where}: headers of ${keyText} differ`);
    }
  }
  assert.equal(received.length, sent.length, `received ${received.length} messages, sent ${sent.length}`);
  assert.equal(seen.size, sent.length);
  return new Map([...byPartition].map(([p, list]) => [p, list.length]));
}

/** Headers as [name, hex] pairs, so that assertion diffs are readable. */
export function headersText(headers: readonly Header[]): Array<[string, string]> {
  return headers.map(([name, value]) => [name, value.toString('hex')]);
}

/** A topic or group name unique within this process. */
export function uniqueName(prefix: string): string {
  uniqueCounter++;
  return `${prefix}-${process.pid}-${uniqueCounter}`;
}
let uniqueCounter = 0;

/** Per-partition counts as a sorted array of [partition, count] for exact comparisons. */
export function countsByPartition(received: readonly ReceivedMessage[]): Array<[number, number]> {
  const counts = new Map<number, number>();
  for (const r of received) counts.set(r.partition, (counts.get(r.partition) ?? 0) + 1);
  return [...counts].sort((a, b) => a[0] - b[0]);
}

/**
 * Encodes a request frame with request header v1 (api key, api version, correlation id, client
 * id): what every API version without flexible fields uses.
 */
export function requestFrame(apiKey: number, apiVersion: number, correlationId: number, body: Buffer, clientId = 'sluice-raw'): Buffer {
  const client = Buffer.from(clientId);
  const header = Buffer.alloc(10);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(client.length, 8);
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + client.length + body.length);
  return Buffer.concat([size, header, client, body]);
}

/** Kafka STRING: int16 length and UTF-8 bytes. */
export function kafkaString(text: string): Buffer {
  const bytes = Buffer.from(text);
  const length = Buffer.alloc(2);
  length.writeInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** Kafka BYTES: int32 length and the bytes. */
export function kafkaBytes(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/**
 * A bare TCP connection to a broker that sends request frames and matches response frames to
 * them by correlation id; what a client library would hide.
 */
export class RawConnection {
  /** Resolves when the broker (or we) closed the connection. */
  readonly closed: Promise<void>;
  #isClosed = false;
  #nextCorrelationId = 1;
  #buffer = Buffer.alloc(0);
  readonly #waiting = new Map<number, (body: Buffer) => void>();

  private constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.closed.then(() => (this.#isClosed = true));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
  }

  static open(broker: { readonly host: string; readonly port: number }): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: broker.host, port: broker.port });
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Sends one request and resolves with its response body (after the correlation id). */
  request(apiKey: number, apiVersion: number, body: Buffer, timeoutMs = 5000): Promise<Buffer> {
    const correlationId = this.#nextCorrelationId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(correlationId);
        reject(new Error(`no response to api ${apiKey} v${apiVersion} within ${timeoutMs} ms (closed: ${this.#isClosed})`));
      }, timeoutMs);
      this.#waiting.set(correlationId, (response) => {
        clearTimeout(timer);
        resolve(response);
      });
      void this.closed.then(() => {
        if (!this.#waiting.delete(correlationId)) return;
        clearTimeout(timer);
        reject(new Error(`connection closed before the response to api ${apiKey} v${apiVersion}`));
      });
      this.socket.write(requestFrame(apiKey, apiVersion, correlationId, body));
    });
  }

  /** Resolves true if the connection closes within `timeoutMs`, false otherwise. */
  async closesWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([this.closed.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    while (this.#buffer.length >= 4) {
      const size = this.#buffer.readInt32BE(0);
      if (this.#buffer.length < 4 + size) return;
      const frame = this.#buffer.subarray(4, 4 + size);
      this.#buffer = this.#buffer.subarray(4 + size);
      const correlationId = frame.readInt32BE(0);
      const waiter = this.#waiting.get(correlationId);
      this.#waiting.delete(correlationId);
      waiter?.(Buffer.from(frame.subarray(4)));
    }
  }
}
