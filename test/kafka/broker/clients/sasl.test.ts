/**
 * SASL/PLAIN on the bundled broker's SASL_PLAINTEXT listener: on the wire, a wrong password gets
 * SASL_AUTHENTICATION_FAILED (58) and the connection is closed; each client surfaces that
 * refusal its own way; with the right password each client produces and reads back messages.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { Admin, Consumer, ProduceAcks, Producer, type Message } from '@platformatic/kafka';
import {
  KCAT_DELIMITER_BYTES,
  RawConnection,
  assertReceived,
  kafkaBytes,
  kafkaString,
  makeMessages,
  waitFor,
  type Header,
  type ReceivedMessage,
} from '../../../helpers/broker.ts';
import { startCheckedBroker, type CheckedBroker } from '../../../helpers/wire-proxy.ts';
import { KCAT_FORMAT, kcatProduce, parseKcatOutput, runKcat } from '../../../helpers/kcat.ts';

const { Kafka, KafkaJSSASLAuthenticationError, logLevel } = kafkajs;

const USER = 'alice';
const PASSWORD = 'secret';
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;
const METADATA = 3;
const SASL_AUTHENTICATION_FAILED = 58;

/** PLAIN's initial response: authzid NUL authcid NUL password (RFC 4616). */
const plain = (user: string, password: string) => Buffer.from(`\0${user}\0${password}`);

/** librdkafka properties for this listener. */
const kcatSasl = (password: string) => [
  '-X', 'security.protocol=SASL_PLAINTEXT',
  '-X', 'sasl.mechanisms=PLAIN',
  '-X', `sasl.username=${USER}`,
  '-X', `sasl.password=${password}`,
];

/** Every error reachable from `err` through `cause` and AggregateError-style `errors`. */
function errorChain(err: unknown): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const visit = (e: unknown) => {
    if (typeof e !== 'object' || e === null || out.includes(e as Record<string, unknown>)) return;
    const record = e as Record<string, unknown>;
    out.push(record);
    visit(record.cause);
    if (Array.isArray(record.errors)) for (const inner of record.errors) visit(inner);
  };
  visit(err);
  return out;
}

describe('SASL/PLAIN on the bundled broker', () => {
  let broker: CheckedBroker;

  before(async () => {
    broker = await startCheckedBroker({
      saslUsers: { [USER]: PASSWORD },
      topics: ['kafkajs', 'platformatic', 'kcat'].map((name) => ({ name: `sasl-${name}`, partitions: 1 })),
    });
  });

  after(async () => {
    await broker?.stop();
  });

  test('on the wire: PLAIN is offered, a wrong password gets error 58 and a close, the right one works', async () => {
    const wrong = await RawConnection.open(broker);
    try {
      const handshake = await wrong.request(SASL_HANDSHAKE, 1, kafkaString('PLAIN'));
      assert.equal(handshake.readInt16BE(0), 0, 'SaslHandshake error_code');
      assert.equal(handshake.readInt32BE(2), 1, 'one mechanism');
      assert.equal(handshake.subarray(8, 8 + handshake.readInt16BE(6)).toString(), 'PLAIN');
      const auth = await wrong.request(SASL_AUTHENTICATE, 1, kafkaBytes(plain(USER, 'wrong')));
      assert.equal(auth.readInt16BE(0), SASL_AUTHENTICATION_FAILED, 'SaslAuthenticate error_code');
      assert.equal(await wrong.closesWithin(2000), true, 'the broker closes the connection after a failed authentication');
    } finally {
      wrong.close();
    }

    const right = await RawConnection.open(broker);
    try {
      await right.request(SASL_HANDSHAKE, 1, kafkaString('PLAIN'));
      const auth = await right.request(SASL_AUTHENTICATE, 1, kafkaBytes(plain(USER, PASSWORD)));
      assert.equal(auth.readInt16BE(0), 0, 'SaslAuthenticate error_code');
      // Metadata v1 with a null topic list: brokers[0] is node 0 at the listener's address.
      const metadata = await right.request(METADATA, 1, Buffer.from([0xff, 0xff, 0xff, 0xff]));
      assert.equal(metadata.readInt32BE(0), 1, 'one broker');
      assert.equal(metadata.readInt32BE(4), 0, 'node id');
      const hostLength = metadata.readInt16BE(8);
      assert.equal(metadata.subarray(10, 10 + hostLength).toString(), broker.host);
      assert.equal(metadata.readInt32BE(10 + hostLength), broker.port);
    } finally {
      right.close();
    }

    const unauthenticated = await RawConnection.open(broker);
    try {
      await assert.rejects(unauthenticated.request(METADATA, 1, Buffer.from([0xff, 0xff, 0xff, 0xff]), 2000), /connection closed before the response/);
    } finally {
      unauthenticated.close();
    }
  });

  test('kafkajs: a wrong password throws KafkaJSSASLAuthenticationError; the right one produces and consumes', async () => {
    const bad = new Kafka({
      clientId: 'sluice-sasl-kafkajs',
      brokers: [broker.bootstrap],
      sasl: { mechanism: 'plain', username: USER, password: 'wrong' },
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
    const badProducer = bad.producer();
    await assert.rejects(badProducer.connect(), (err: unknown) => {
      assert.ok(err instanceof KafkaJSSASLAuthenticationError, `got ${String(err)}`);
      // kafkajs quotes the broker's error_message only for error code 58; Kafka's text is this one.
      assert.equal(err.message, 'SASL PLAIN authentication failed: Authentication failed: Invalid username or password');
      return true;
    });
    await badProducer.disconnect();

    const kafka = new Kafka({
      clientId: 'sluice-sasl-kafkajs',
      brokers: [broker.bootstrap],
      sasl: { mechanism: 'plain', username: USER, password: PASSWORD },
      logLevel: logLevel.NOTHING,
    });
    const topic = 'sasl-kafkajs';
    const sent = makeMessages(5, { prefix: 'sasl-kafkajs' });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: sent.map((m) => ({ key: m.key, value: m.value, headers: Object.fromEntries(m.headers) })),
    });
    await producer.disconnect();
    const got: ReceivedMessage[] = [];
    const consumer = kafka.consumer({ groupId: 'sasl-kafkajs-group', maxWaitTimeInMs: 100, heartbeatInterval: 300 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          const headers: Header[] = Object.entries(message.headers ?? {}).map(([n, v]) => [n, Buffer.from(v as Buffer)] as const);
          got.push({ partition, offset: BigInt(message.offset), key: message.key, value: message.value, headers });
        },
      });
      await waitFor(() => got.length >= 5, 15_000, 'kafkajs to read 5 messages');
      await sleep(100);
    } finally {
      await consumer.disconnect();
    }
    assertReceived(got, sent);
  });

  test('@platformatic/kafka: a wrong password fails with PLT_KFK_AUTHENTICATION caused by SASL_AUTHENTICATION_FAILED (58); the right one produces and consumes', async () => {
    const bad = new Admin({
      clientId: 'sluice-sasl-platformatic',
      bootstrapBrokers: [broker.bootstrap],
      sasl: { mechanism: 'PLAIN', username: USER, password: 'wrong' },
      retries: 0,
    });
    try {
      await assert.rejects(bad.metadata({ topics: [] }), (err: unknown) => {
        const chain = errorChain(err);
        assert.ok(chain.some((e) => e.code === 'PLT_KFK_AUTHENTICATION'), `no AuthenticationError in ${String(err)}`);
        const protocolError = chain.find((e) => e.code === 'PLT_KFK_PROTOCOL');
        assert.ok(protocolError !== undefined, 'no ProtocolError in the chain');
        assert.deepEqual(
          { apiId: protocolError.apiId, apiCode: protocolError.apiCode },
          { apiId: 'SASL_AUTHENTICATION_FAILED', apiCode: SASL_AUTHENTICATION_FAILED },
        );
        return true;
      });
    } finally {
      await bad.close();
    }

    const sasl = { mechanism: 'PLAIN' as const, username: USER, password: PASSWORD };
    const topic = 'sasl-platformatic';
    const sent = makeMessages(5, { prefix: 'sasl-platformatic' });
    const producer = new Producer({ clientId: 'sluice-sasl-platformatic', bootstrapBrokers: [broker.bootstrap], sasl, acks: ProduceAcks.ALL });
    try {
      await producer.send({
        messages: sent.map((m) => ({
          topic,
          key: m.key,
          value: m.value,
          headers: new Map(m.headers.map(([n, v]) => [Buffer.from(n), v])),
        })),
      });
    } finally {
      await producer.close();
    }
    const got: ReceivedMessage[] = [];
    const consumer = new Consumer({
      clientId: 'sluice-sasl-platformatic',
      bootstrapBrokers: [broker.bootstrap],
      sasl,
      groupId: 'sasl-platformatic-group',
      maxWaitTime: 100,
      autocommit: false,
    });
    try {
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 100 });
      stream.on('data', (m: Message) => {
        got.push({
          partition: m.partition,
          offset: m.offset,
          key: m.key ?? null,
          value: m.value ?? null,
          headers: [...m.headers].map(([n, v]) => [n.toString('latin1'), v] as const),
        });
      });
      await waitFor(() => got.length >= 5, 15_000, '@platformatic/kafka to read 5 messages');
      await sleep(100);
      await stream.close();
    } finally {
      await consumer.close();
    }
    assertReceived(got, sent);
  });

  test('kcat: a wrong password exits non-zero with an authentication error; the right one produces and consumes', async () => {
    const refused = await runKcat(['-b', broker.bootstrap, '-L', '-m', '3', ...kcatSasl('wrong')], 20_000);
    assert.equal(refused.code, 1, refused.stderr);
    // librdkafka logs the broker's SaslAuthenticate error_message; Kafka's text is this one.
    assert.match(refused.stderr, /SASL authentication error: Authentication failed: Invalid username or password/);
    assert.match(refused.stderr, /Failed to acquire metadata/);

    const topic = 'sasl-kcat';
    const headers: Header[] = [['origin', Buffer.from('kcat')]];
    const sent = makeMessages(5, { prefix: 'sasl-kcat', fixedHeaders: headers, avoidBytes: KCAT_DELIMITER_BYTES });
    await kcatProduce(broker.bootstrap, topic, sent, { headers, extraArgs: kcatSasl(PASSWORD) });
    const read = await runKcat(['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-f', KCAT_FORMAT, ...kcatSasl(PASSWORD)], 20_000);
    assert.equal(read.code, 0, read.stderr);
    assertReceived(parseKcatOutput(read.stdout), sent);
  });

  test('every response the broker sent decodes with Kafka\'s definition of its API and version', () => {
    assert.deepEqual(broker.wire.problems, []);
    // The requests this suite's clients are known to send (heartbeats depend on timing).
    assert.deepEqual(broker.wire.missing([
      'Produce v7', 'Produce v11', 'Fetch v11', 'Fetch v17', 'ListOffsets v2', 'ListOffsets v3',
      'ListOffsets v9', 'Metadata v1', 'Metadata v4', 'Metadata v6', 'Metadata v12', 'OffsetCommit v5',
      'OffsetFetch v4', 'FindCoordinator v2', 'FindCoordinator v6', 'JoinGroup v5', 'JoinGroup v9',
      'LeaveGroup v3', 'LeaveGroup v5', 'SyncGroup v3', 'SyncGroup v5', 'SaslHandshake v1',
      'ApiVersions v2', 'ApiVersions v3', 'SaslAuthenticate v0', 'SaslAuthenticate v1',
      'SaslAuthenticate v2',
    ]), []);
  });
});
