/**
 * What one client produces, the two others read back byte for byte: keys, values (binary,
 * every byte value) and headers, uncompressed and gzip-compressed. Producers: kcat, kafkajs,
 * @platformatic/kafka; each topic is read by the two other clients.
 *
 * kcat reads its input split on delimiter bytes, so the values it produces avoid 0x1e and 0x1f,
 * and its `-H` gives every message the same headers; kafkajs and @platformatic/kafka produce
 * values covering all 256 byte values and per-message headers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Kafka as KafkaClient } from 'kafkajs';
import { Consumer, ProduceAcks, Producer, type Message } from '@platformatic/kafka';
import type { RunningBroker } from '../../../../src/kafka/broker/options.ts';
import {
  KCAT_DELIMITER_BYTES,
  assertReceived,
  makeMessages,
  uniqueName,
  waitFor,
  type Header,
  type ReceivedMessage,
  type TestMessage,
} from '../../../helpers/broker.ts';
import { startCheckedBroker, type CheckedBroker } from '../../../helpers/wire-proxy.ts';
import { KCAT_FORMAT, kcatProduce, parseKcatOutput, runKcat } from '../../../helpers/kcat.ts';

const { Kafka, CompressionTypes, Partitioners, logLevel } = kafkajs;

const COUNT = 1_000;
const CODECS = ['none', 'gzip'] as const;
const CLIENTS = ['kcat', 'kafkajs', 'platformatic'] as const;
type Codec = (typeof CODECS)[number];
type ClientName = (typeof CLIENTS)[number];
const topicOf = (producer: ClientName, codec: Codec) => `cross-${producer}-${codec}`;

/** Every byte value once, as a value no client should alter. */
function allBytes(except: readonly number[] = []): Buffer {
  return Buffer.from([...Array(256).keys()].filter((b) => !except.includes(b)));
}

/** The messages `producer` sends: deterministic ones plus one holding every byte value. */
function messagesFor(producer: ClientName, codec: Codec): TestMessage[] {
  const prefix = `${producer}-${codec}`;
  if (producer === 'kcat') {
    const headers: Header[] = [['origin', Buffer.from('kcat')], ['codec', Buffer.from(codec)]];
    const messages = makeMessages(COUNT - 1, { prefix, fixedHeaders: headers, avoidBytes: KCAT_DELIMITER_BYTES });
    return [...messages, { seq: COUNT - 1, key: Buffer.from(`${prefix}-all-bytes`), value: allBytes(KCAT_DELIMITER_BYTES), headers }];
  }
  const messages = makeMessages(COUNT - 1, { prefix });
  return [
    ...messages,
    {
      seq: COUNT - 1,
      key: Buffer.from(`${prefix}-all-bytes`),
      value: allBytes(),
      headers: [['seq', Buffer.from(String(COUNT - 1))], ['empty', Buffer.alloc(0)], ['utf8', Buffer.from('ünïcødé ✓')]],
    },
  ];
}

async function produceWith(producer: ClientName, broker: RunningBroker, kafka: KafkaClient, topic: string, codec: Codec, messages: TestMessage[]) {
  if (producer === 'kcat') {
    await kcatProduce(broker.bootstrap, topic, messages, { compression: codec, headers: messages[0]!.headers });
    return;
  }
  if (producer === 'kafkajs') {
    const p = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await p.connect();
    try {
      await p.send({
        topic,
        acks: -1,
        compression: codec === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        messages: messages.map((m) => ({ key: m.key, value: m.value, headers: Object.fromEntries(m.headers) })),
      });
    } finally {
      await p.disconnect();
    }
    return;
  }
  const p = new Producer({ clientId: 'sluice-cross', bootstrapBrokers: [broker.bootstrap], compression: codec, acks: ProduceAcks.ALL });
  try {
    await p.send({
      messages: messages.map((m) => ({
        topic,
        key: m.key,
        value: m.value,
        headers: new Map(m.headers.map(([name, value]) => [Buffer.from(name), value])),
      })),
    });
  } finally {
    await p.close();
  }
}

async function consumeWith(consumer: ClientName, broker: RunningBroker, kafka: KafkaClient, topic: string, count: number): Promise<ReceivedMessage[]> {
  if (consumer === 'kcat') {
    const result = await runKcat(['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-f', KCAT_FORMAT], 20_000);
    assert.equal(result.code, 0, result.stderr);
    return parseKcatOutput(result.stdout);
  }
  if (consumer === 'kafkajs') {
    const messages: ReceivedMessage[] = [];
    const c = kafka.consumer({ groupId: uniqueName('cross-kafkajs'), maxWaitTimeInMs: 100, heartbeatInterval: 300 });
    await c.connect();
    try {
      await c.subscribe({ topics: [topic], fromBeginning: true });
      await c.run({
        eachMessage: async ({ partition, message }) => {
          const headers: Header[] = Object.entries(message.headers ?? {}).flatMap(([name, value]) =>
            (Array.isArray(value) ? value : [value]).map((v) => [name, Buffer.from(v ?? '')] as const),
          );
          messages.push({ partition, offset: BigInt(message.offset), key: message.key, value: message.value, headers });
        },
      });
      await waitFor(() => messages.length >= count, 20_000, `kafkajs to read ${count} messages`);
      await sleep(200);
    } finally {
      await c.disconnect();
    }
    return messages;
  }
  const messages: ReceivedMessage[] = [];
  const c = new Consumer({ clientId: 'sluice-cross', bootstrapBrokers: [broker.bootstrap], groupId: uniqueName('cross-platformatic'), maxWaitTime: 100, autocommit: false });
  try {
    const stream = await c.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 100 });
    stream.on('data', (m: Message) => {
      messages.push({
        partition: m.partition,
        offset: m.offset,
        key: m.key ?? null,
        value: m.value ?? null,
        headers: [...m.headers].map(([name, value]) => [name.toString('latin1'), value] as const),
      });
    });
    await waitFor(() => messages.length >= count, 20_000, `@platformatic/kafka to read ${count} messages`);
    await sleep(200);
    await stream.close();
  } finally {
    await c.close();
  }
  return messages;
}

describe('cross-client byte identity through the bundled broker', () => {
  let broker: CheckedBroker;
  let kafka: KafkaClient;

  before(async () => {
    broker = await startCheckedBroker({
      topics: CLIENTS.flatMap((producer) => CODECS.map((codec) => ({ name: topicOf(producer, codec), partitions: 4 }))),
    });
    kafka = new Kafka({ clientId: 'sluice-cross', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  });

  after(async () => {
    await broker?.stop();
  });

  for (const producer of CLIENTS) {
    for (const codec of CODECS) {
      const readers = CLIENTS.filter((c) => c !== producer);
      test(`${producer} → ${readers.join(' and ')} (${codec})`, async () => {
        const topic = topicOf(producer, codec);
        const sent = messagesFor(producer, codec);
        await produceWith(producer, broker, kafka, topic, codec, sent);
        for (const reader of readers) {
          const got = await consumeWith(reader, broker, kafka, topic, sent.length);
          try {
            assertReceived(got, sent);
          } catch (err) {
            throw new Error(`${reader} reading what ${producer} produced: ${(err as Error).message}`, { cause: err });
          }
        }
      });
    }
  }

  test('every response the broker sent decodes with Kafka\'s definition of its API and version', () => {
    assert.deepEqual(broker.wire.problems, []);
    // The requests this suite's clients are known to send (heartbeats depend on timing).
    assert.deepEqual(broker.wire.missing([
      'Produce v7', 'Produce v11', 'Fetch v11', 'Fetch v17', 'ListOffsets v2', 'ListOffsets v3',
      'ListOffsets v9', 'Metadata v4', 'Metadata v6', 'Metadata v12', 'OffsetCommit v5',
      'OffsetFetch v4', 'FindCoordinator v2', 'FindCoordinator v6', 'JoinGroup v5', 'JoinGroup v9',
      'LeaveGroup v3', 'LeaveGroup v5', 'SyncGroup v3', 'SyncGroup v5', 'ApiVersions v2',
      'ApiVersions v3',
    ]), []);
  });
});
