import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../../src/kafka/broker/index.ts';
import { encodeRequest } from '../../../src/kafka/protocol/frames.ts';
import { KafkaError } from '../../../src/kafka/protocol/error-codes.ts';
import { Reader } from '../../../src/kafka/protocol/reader.ts';
import { RawClient } from '../../helpers/raw-client.ts';

let broker: Awaited<ReturnType<typeof startBroker>>;
let sasl: Awaited<ReturnType<typeof startBroker>>;

before(async () => {
  broker = await startBroker({ port: 0, maxFrameBytes: 1024 * 1024, topics: [{ name: 't', partitions: 1 }] });
  sasl = await startBroker({ port: 0, saslUsers: { alice: 'secret' } });
});
after(async () => {
  await broker.stop();
  await sasl.stop();
});

function header(apiKey: number, version: number, corr: number): Buffer {
  const b = Buffer.alloc(4 + 10);
  b.writeInt32BE(10, 0);
  b.writeInt16BE(apiKey, 4);
  b.writeInt16BE(version, 6);
  b.writeInt32BE(corr, 8);
  b.writeInt16BE(-1, 12); // null client id
  return b;
}

test('an unknown API key closes the connection, as Kafka does; other connections go on', async () => {
  const c = await RawClient.connect(broker.port);
  const other = await RawClient.connect(broker.port);
  c.write(header(999, 0, 77));
  await c.waitClosed(2000);
  const meta = await other.request(3, 1, { topics: null });
  assert.deepEqual(meta.topics.map((t: any) => t.name), ['t']);
  other.close();
});

test('a version of a served API that Kafka does not define closes the connection (no response could have its format)', async () => {
  const c = await RawClient.connect(broker.port);
  c.write(header(3, 99, 5));
  await c.waitClosed(2000);
  const again = await RawClient.connect(broker.port);
  assert.equal((await again.request(18, 0, {})).errorCode, 0);
  again.close();
});

test('ApiVersions at an unknown version is answered in v0 format with the supported keys (KIP-511)', async () => {
  const c = await RawClient.connect(broker.port);
  const frame = c.nextFrame();
  c.write(header(18, 42, 9));
  const r = new Reader(await frame);
  assert.equal(r.int32(), 9);
  assert.equal(r.int16(), KafkaError.UNSUPPORTED_VERSION);
  const n = r.int32();
  const keys: [number, number, number][] = [];
  for (let i = 0; i < n; i++) keys.push([r.int16(), r.int16(), r.int16()]);
  assert.equal(r.remaining, 0);
  assert.deepEqual(keys.find((k) => k[0] === 18), [18, 0, 4]);
  assert.deepEqual(keys.find((k) => k[0] === 1), [1, 0, 17]);
  assert.deepEqual(keys.find((k) => k[0] === 0), [0, 0, 11]);
  assert.deepEqual(keys.find((k) => k[0] === 8), [8, 0, 9]);
  assert.ok(keys.length >= 30);
  c.close();
});

test('a frame above the size limit is refused from its size prefix alone: the connection closes', async () => {
  const c = await RawClient.connect(broker.port);
  const size = Buffer.alloc(4);
  size.writeInt32BE(1024 * 1024 + 1, 0);
  c.write(size);
  await c.waitClosed(2000);
  const ok = await RawClient.connect(broker.port);
  assert.equal((await ok.request(18, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' })).errorCode, 0);
  ok.close();
});

test('a malformed body closes only that connection', async () => {
  const bad = await RawClient.connect(broker.port);
  const good = await RawClient.connect(broker.port);
  const frame = encodeRequest(3, 9, 1, 'x', { topics: [{ name: 't' }], allowAutoTopicCreation: false });
  frame.writeInt32BE(frame.length - 4 - 3, 0);
  bad.write(frame.subarray(0, frame.length - 3));
  await bad.waitClosed(2000);
  assert.equal((await good.request(3, 9, { topics: [{ name: 't' }], allowAutoTopicCreation: false })).topics[0].errorCode, 0);
  good.close();
});

test('SASL listener: requests before authentication close the connection', async () => {
  const c = await RawClient.connect(sasl.port);
  c.write(encodeRequest(3, 1, 1, 'x', { topics: null }));
  await c.waitClosed(2000);
});

test('SASL/PLAIN via SaslAuthenticate: wrong password → SASL_AUTHENTICATION_FAILED then close; right one → access', async () => {
  const bad = await RawClient.connect(sasl.port);
  assert.deepEqual(await bad.request(17, 1, { mechanism: 'PLAIN' }), { errorCode: 0, mechanisms: ['PLAIN'] });
  const refused = await bad.request(36, 2, { authBytes: Buffer.from('\0alice\0wrong') });
  assert.equal(refused.errorCode, KafkaError.SASL_AUTHENTICATION_FAILED);
  assert.equal(refused.errorMessage, 'Authentication failed: Invalid username or password');
  await bad.waitClosed(2000);

  const good = await RawClient.connect(sasl.port);
  assert.equal((await good.request(17, 1, { mechanism: 'SCRAM-SHA-256' })).errorCode, KafkaError.UNSUPPORTED_SASL_MECHANISM);
  await good.request(17, 1, { mechanism: 'PLAIN' });
  assert.equal((await good.request(36, 2, { authBytes: Buffer.from('\0alice\0secret') })).errorCode, 0);
  assert.equal((await good.request(3, 1, { topics: null })).brokers[0].port, sasl.port);
  good.close();
});

test('SASL/PLAIN after SaslHandshake v0: raw token frames, empty reply on success', async () => {
  const c = await RawClient.connect(sasl.port);
  await c.request(17, 0, { mechanism: 'PLAIN' });
  const token = Buffer.from('\0alice\0secret');
  const size = Buffer.alloc(4);
  size.writeInt32BE(token.length, 0);
  const reply = c.nextFrame();
  c.write(Buffer.concat([size, token]));
  assert.equal((await reply).length, 0);
  assert.equal((await c.request(18, 0, {})).errorCode, 0);
  assert.equal((await c.request(3, 4, { topics: null, allowAutoTopicCreation: false })).clusterId, 'sluice-bundled-cluster');
  c.close();
});
