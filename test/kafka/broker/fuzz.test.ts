/**
 * Hostile bytes over raw TCP. Property: whatever a connection sends — random bytes, a valid size
 * prefix around garbage, valid headers with random api keys and versions, real requests (recorded
 * from kafkajs) truncated, bit-flipped or read under another version, absurd array lengths,
 * negative and oversized size prefixes — the broker answers only with well-formed responses to
 * requests that were sent, or closes that connection; it keeps serving new connections, and a
 * kafkajs producer on its own connection keeps producing throughout.
 *
 * A size prefix above maxFrameBytes must be refused as soon as the 4 bytes arrive (Kafka's
 * socket.request.max.bytes check), without waiting for a body.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import kafkajs from 'kafkajs';
import type { RunningBroker } from '../../../src/kafka/broker/options.ts';
import {
  RawConnection,
  assertReceived,
  makeMessages,
  startTestBroker,
  waitFor,
  type ReceivedMessage,
  type TestMessage,
} from '../../helpers/broker.ts';

const { Kafka, CompressionTypes, Partitioners, logLevel } = kafkajs;

const MAX_FRAME_BYTES = 1024 * 1024;
const MIN_FRAMES = 10_000;
const RUNS = 1000;
const HEALTHY_TOPIC = 'fuzz-healthy';
const SEED_TOPIC = 'fuzz-seed';
const API_VERSIONS = 18;

/** A request frame recorded from a real client, with its api key and version. */
interface Seed {
  readonly apiKey: number;
  readonly apiVersion: number;
  /** Size prefix included. */
  readonly frame: Buffer;
}

function int32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(value);
  return b;
}

function sized(body: Uint8Array): Buffer {
  return Buffer.concat([int32(body.length), body]);
}

/** Splits a byte stream into size-prefixed frames, stopping at an incomplete one. */
function splitFrames(stream: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let at = 0;
  while (at + 4 <= stream.length) {
    const size = stream.readInt32BE(at);
    if (size < 0 || at + 4 + size > stream.length) break;
    frames.push(stream.subarray(at, at + 4 + size));
    at += 4 + size;
  }
  return frames;
}

/**
 * The correlation ids of the requests the broker can see in `stream`, in order: frames are read
 * as the broker reads them, until a size prefix is negative or above the limit or a frame is
 * incomplete. A frame too short to hold a correlation id yields undefined.
 */
function correlationIdsSeen(stream: Buffer): Array<number | undefined> {
  const ids: Array<number | undefined> = [];
  let at = 0;
  while (at + 4 <= stream.length) {
    const size = stream.readInt32BE(at);
    if (size < 0 || size > MAX_FRAME_BYTES || at + 4 + size > stream.length) break;
    ids.push(size >= 8 ? stream.readInt32BE(at + 8) : undefined);
    at += 4 + size;
  }
  return ids;
}

/**
 * Records every request frame a kafkajs session sends (admin, producer with gzip, a consumer
 * group that joins, fetches, commits and leaves) through a socket factory that copies writes.
 */
async function recordSeeds(broker: RunningBroker): Promise<Seed[]> {
  const streams: Buffer[][] = [];
  const kafka = new Kafka({
    clientId: 'fuzz-seed',
    brokers: [broker.bootstrap],
    logLevel: logLevel.NOTHING,
    socketFactory: ({ host, port, onConnect }) => {
      const socket = connect({ host, port }, onConnect);
      const chunks: Buffer[] = [];
      streams.push(chunks);
      const write = socket.write.bind(socket) as (chunk: Uint8Array, ...rest: unknown[]) => boolean;
      socket.write = ((chunk: Uint8Array | string, ...rest: unknown[]) => {
        chunks.push(Buffer.from(chunk as Uint8Array));
        return write(chunk as Uint8Array, ...rest);
      }) as typeof socket.write;
      return socket;
    },
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.describeCluster();
  await admin.fetchTopicMetadata({ topics: [SEED_TOPIC] });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const messages = makeMessages(20, { prefix: 'seed' });
  await producer.send({ topic: SEED_TOPIC, compression: CompressionTypes.GZIP, messages: messages.map((m) => ({ key: m.key, value: m.value })) });
  await producer.send({ topic: SEED_TOPIC, messages: messages.map((m) => ({ key: m.key, value: m.value, headers: Object.fromEntries(m.headers) })) });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: 'fuzz-seed-group', maxWaitTimeInMs: 50, heartbeatInterval: 200 });
  let read = 0;
  await consumer.connect();
  await consumer.subscribe({ topics: [SEED_TOPIC], fromBeginning: true });
  await consumer.run({ eachMessage: async () => void read++ });
  await waitFor(() => read >= 40, 15_000, 'the seed consumer to read 40 messages');
  await consumer.disconnect();
  await admin.fetchTopicOffsets(SEED_TOPIC);
  await admin.fetchOffsets({ groupId: 'fuzz-seed-group', topics: [SEED_TOPIC] });
  await admin.listGroups();
  await admin.describeGroups(['fuzz-seed-group']);
  await admin.disconnect();

  const seeds: Seed[] = [];
  const perVersion = new Map<string, number>();
  for (const chunks of streams) {
    for (const frame of splitFrames(Buffer.concat(chunks))) {
      if (frame.length < 12) continue;
      const apiKey = frame.readInt16BE(4);
      const apiVersion = frame.readInt16BE(6);
      const key = `${apiKey}:${apiVersion}`;
      const count = perVersion.get(key) ?? 0;
      if (count >= 4) continue;
      perVersion.set(key, count + 1);
      seeds.push({ apiKey, apiVersion, frame: Buffer.from(frame) });
    }
  }
  return seeds;
}

/** Arbitrary hostile frames; `seeds` are real requests to mutate. */
function hostileFrame(seeds: readonly Seed[]): fc.Arbitrary<Buffer> {
  const seed = fc.constantFrom(...seeds);
  const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((b) => Buffer.from(b));
  const int16 = fc.integer({ min: -0x8000, max: 0x7fff });
  const int32Arb = fc.integer({ min: -0x80000000, max: 0x7fffffff });

  const randomBytes = fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b));
  const sizedGarbage = bytes(256).map(sized);
  const randomHeader = fc
    .record({
      apiKey: fc.oneof(fc.integer({ min: -1, max: 80 }), int16),
      apiVersion: fc.oneof(fc.integer({ min: -1, max: 20 }), int16),
      correlationId: int32Arb,
      clientIdLength: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 24 }), fc.constant(0x7fff)),
      body: bytes(128),
    })
    .map(({ apiKey, apiVersion, correlationId, clientIdLength, body }) => {
      const header = Buffer.alloc(10);
      header.writeInt16BE(apiKey, 0);
      header.writeInt16BE(apiVersion, 2);
      header.writeInt32BE(correlationId, 4);
      header.writeInt16BE(clientIdLength, 8);
      const clientId = Buffer.alloc(Math.min(Math.max(clientIdLength, 0), 24), 'c');
      return sized(Buffer.concat([header, clientId, body]));
    });
  // A real request cut short, its size prefix matching what is left.
  const truncatedSeed = fc
    .tuple(seed, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }))
    .map(([s, f]) => sized(s.frame.subarray(4, 4 + Math.floor((s.frame.length - 5) * f) + 1)));
  // A real request whose size prefix promises more than is sent before the connection ends.
  const shortSeed = fc
    .tuple(seed, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }))
    .map(([s, f]) => s.frame.subarray(0, 4 + Math.floor((s.frame.length - 5) * f)));
  const flippedSeed = fc
    .tuple(seed, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }))
    .map(([s, flips]) => {
      const frame = Buffer.from(s.frame);
      for (const [at, mask] of flips) {
        const i = 8 + (at % Math.max(frame.length - 8, 1));
        if (i < frame.length) frame[i] = (frame[i] as number) ^ mask;
      }
      return frame;
    });
  const otherVersionSeed = fc.tuple(seed, int16).map(([s, version]) => {
    const frame = Buffer.from(s.frame);
    frame.writeInt16BE(version, 6);
    return frame;
  });
  // A known request header followed by absurd array/string/varint lengths.
  const hostileLengths = fc
    .tuple(
      seed,
      fc.array(
        fc.oneof(
          fc.constantFrom(int32(0x7fffffff), int32(-2), int32(0x10000000), Buffer.from([0x7f, 0xff]), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])),
          int32Arb.map(int32),
        ),
        { minLength: 1, maxLength: 6 },
      ),
      bytes(16),
    )
    .map(([s, lengths, tail]) => {
      const clientIdLength = s.frame.readInt16BE(12);
      const headerEnd = 14 + Math.max(clientIdLength, 0);
      // A 0 byte: the tagged-field count ending a flexible request header, else one more body byte.
      return sized(Buffer.concat([s.frame.subarray(4, headerEnd), Buffer.from([0]), ...lengths, tail]));
    });
  const badSize = fc
    .tuple(
      fc.oneof(fc.integer({ min: -0x80000000, max: -1 }), fc.integer({ min: MAX_FRAME_BYTES + 1, max: 0x7fffffff })),
      bytes(16),
    )
    .map(([size, tail]) => Buffer.concat([int32(size), tail]));

  return fc.oneof(
    randomBytes,
    sizedGarbage,
    randomHeader,
    truncatedSeed,
    shortSeed,
    flippedSeed,
    otherVersionSeed,
    hostileLengths,
    badSize,
  );
}

/** What one hostile connection got back. */
interface Outcome {
  readonly responses: Buffer;
  readonly closed: boolean;
}

/** Writes `stream`, half-closes, and collects what comes back until the broker closes. */
function hostileConnection(broker: RunningBroker, stream: Buffer, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: broker.host, port: broker.port });
    const received: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ responses: Buffer.concat(received), closed: false });
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // The broker may reset a connection it refuses while we are still writing.
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') {
        clearTimeout(timer);
        reject(err);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ responses: Buffer.concat(received), closed: true });
    });
    socket.once('connect', () => socket.end(stream));
  });
}

/** Asserts responses are whole frames whose correlation ids follow the requests seen, in order. */
function assertResponsesMatch(stream: Buffer, outcome: Outcome): number {
  assert.ok(outcome.closed, 'the broker closes a connection once the client has ended it');
  const expected = correlationIdsSeen(stream);
  const frames = splitFrames(outcome.responses);
  const whole = frames.reduce((n, f) => n + f.length, 0);
  assert.equal(whole, outcome.responses.length, `response bytes end inside a frame: ${outcome.responses.toString('hex')}`);
  let next = 0;
  for (const frame of frames) {
    assert.ok(frame.length >= 8, 'a response frame holds a correlation id');
    const id = frame.readInt32BE(4);
    while (next < expected.length && expected[next] !== id) next++;
    assert.ok(next < expected.length, `response with correlation id ${id} to no request sent (requests: ${expected.join(',')})`);
    next++;
  }
  return frames.length;
}

/** ApiVersions v0 on a fresh connection: error_code 0 and ApiVersions itself listed. */
async function assertServing(broker: RunningBroker): Promise<void> {
  const conn = await RawConnection.open(broker);
  try {
    const body = await conn.request(API_VERSIONS, 0, Buffer.alloc(0));
    assert.equal(body.readInt16BE(0), 0, 'ApiVersions error_code');
    const count = body.readInt32BE(2);
    const keys = Array.from({ length: count }, (_, i) => body.readInt16BE(6 + i * 6));
    assert.ok(keys.includes(API_VERSIONS), 'ApiVersions lists itself');
  } finally {
    conn.close();
  }
}

describe('broker under hostile frames', () => {
  let broker: RunningBroker;

  before(async () => {
    broker = await startTestBroker({
      maxFrameBytes: MAX_FRAME_BYTES,
      topics: [
        { name: HEALTHY_TOPIC, partitions: 2 },
        { name: SEED_TOPIC, partitions: 2 },
      ],
    });
  });

  after(async () => {
    await broker?.stop();
  });

  test(`a frame whose size prefix exceeds maxFrameBytes (${MAX_FRAME_BYTES}) is refused right after its 4 bytes`, async () => {
    for (const size of [MAX_FRAME_BYTES + 1, 64 * 1024 * 1024, 0x7fffffff]) {
      const conn = await RawConnection.open(broker);
      try {
        conn.socket.write(int32(size));
        assert.equal(await conn.closesWithin(2000), true, `size ${size}: connection closed without the body being sent`);
        assert.equal(conn.socket.bytesWritten, 4);
        assert.equal(conn.socket.bytesRead, 0, `size ${size}: nothing is answered`);
      } finally {
        conn.close();
      }
    }
    for (const size of [-1, -0x80000000]) {
      const conn = await RawConnection.open(broker);
      try {
        conn.socket.write(int32(size));
        assert.equal(await conn.closesWithin(2000), true, `negative size ${size}: connection closed`);
      } finally {
        conn.close();
      }
    }
    // Exactly the limit is allowed: the broker waits for the body.
    const atLimit = await RawConnection.open(broker);
    try {
      atLimit.socket.write(int32(MAX_FRAME_BYTES));
      assert.equal(await atLimit.closesWithin(500), false, 'a size prefix equal to maxFrameBytes is accepted');
    } finally {
      atLimit.close();
    }
    await assertServing(broker);
  });

  test('an empty frame (size prefix 0) closes the connection without an exception escaping', async () => {
    const escaped: unknown[] = [];
    const onUncaught = (err: unknown) => escaped.push(err);
    process.on('uncaughtException', onUncaught);
    const conn = await RawConnection.open(broker);
    try {
      conn.socket.write(int32(0));
      assert.equal(await conn.closesWithin(2000), true, 'connection closed after an empty frame');
      assert.equal(conn.socket.bytesRead, 0);
      assert.deepEqual(escaped, [], 'no exception escapes the broker');
    } finally {
      process.off('uncaughtException', onUncaught);
      conn.close();
    }
    await assertServing(broker);
  });

  test(`at least ${MIN_FRAMES} hostile frames: no crash, only the bad connection closes, a producer keeps producing`, async (t) => {
    const seeds = await recordSeeds(broker);
    const apiKeys = new Set(seeds.map((s) => s.apiKey));
    assert.ok(apiKeys.size >= 10, `recorded requests of ${apiKeys.size} APIs: ${[...apiKeys].join(',')}`);

    // The healthy producer: its own connections, acks=all, no retries, all through the fuzzing.
    const healthy = new Kafka({ clientId: 'fuzz-healthy', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const producer = healthy.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const acked: TestMessage[] = [];
    const producerErrors: unknown[] = [];
    let producing = true;
    const producerLoop = (async () => {
      for (let seq = 0; producing; seq += 50) {
        const batch = makeMessages(50, { prefix: 'healthy', start: seq });
        try {
          await producer.send({
            topic: HEALTHY_TOPIC,
            acks: -1,
            messages: batch.map((m) => ({ key: m.key, value: m.value, headers: Object.fromEntries(m.headers) })),
          });
          acked.push(...batch);
        } catch (err) {
          producerErrors.push(err);
        }
        await sleep(5);
      }
    })();

    // An exception escaping the broker would surface here rather than crash the process.
    const escaped: unknown[] = [];
    const onUncaught = (err: unknown) => escaped.push(err);
    process.on('uncaughtException', onUncaught);
    let frames = 0;
    let responses = 0;
    let connections = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(hostileFrame(seeds), { minLength: 1, maxLength: 12 }), { minLength: 4, maxLength: 8 }),
          async (batches) => {
            const streams = batches.map((batch) => Buffer.concat(batch));
            const outcomes = await Promise.all(streams.map((stream) => hostileConnection(broker, stream, 5000)));
            assert.deepEqual(escaped, [], 'no exception escapes the broker');
            outcomes.forEach((outcome, i) => (responses += assertResponsesMatch(streams[i] as Buffer, outcome)));
            frames += batches.reduce((n, batch) => n + batch.length, 0);
            connections += batches.length;
            await assertServing(broker);
          },
        ),
        { numRuns: RUNS, endOnFailure: true },
      );
    } finally {
      process.off('uncaughtException', onUncaught);
      producing = false;
      await producerLoop;
      await producer.disconnect();
    }
    t.diagnostic(`${frames} hostile frames on ${connections} connections, ${responses} error responses`);
    assert.ok(frames >= MIN_FRAMES, `${frames} hostile frames sent`);
    assert.deepEqual(producerErrors, [], 'the healthy producer never failed');
    assert.ok(acked.length >= 500, `the healthy producer kept producing (${acked.length} messages acked)`);

    const got: ReceivedMessage[] = [];
    const consumer = healthy.consumer({ groupId: 'fuzz-healthy-check', maxWaitTimeInMs: 100 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [HEALTHY_TOPIC], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          const headers = Object.entries(message.headers ?? {}).map(([n, v]) => [n, v as Buffer] as const);
          got.push({ partition, offset: BigInt(message.offset), key: message.key, value: message.value, headers });
        },
      });
      await waitFor(() => got.length >= acked.length, 20_000, `${acked.length} healthy messages read back`);
      await sleep(200);
    } finally {
      await consumer.disconnect();
    }
    assertReceived(got, acked);
  });
});
