import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../../../src/kafka/broker/index.ts';
import { buildBatch, BATCH } from '../../../../src/kafka/protocol/records.ts';
import { KafkaError } from '../../../../src/kafka/protocol/error-codes.ts';
import { RawClient } from '../../../helpers/raw-client.ts';

let broker: Awaited<ReturnType<typeof startBroker>>;
let client: RawClient;

before(async () => {
  broker = await startBroker({ port: 0, topics: [{ name: 't', partitions: 2 }, { name: 'small', partitions: 1, configs: { 'max.message.bytes': '200' } }] });
  client = await RawClient.connect(broker.port);
});
after(async () => {
  client.close();
  await broker.stop();
});

function produceBody(records: Buffer | null, acks = 1, topic = 't', partition = 0) {
  return { transactionalId: null, acks, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] };
}

function partitionResult(res: any) {
  return res.responses[0].partitionResponses[0];
}

test('offsets are assigned by the broker, batch by batch, and the bytes are kept as sent', async () => {
  const b1 = buildBatch([{ key: 'a', value: '1' }, { key: 'b', value: '2' }], { baseOffset: 999n });
  const b2 = buildBatch([{ key: 'c', value: '3' }]);
  const r1 = partitionResult(await client.request(0, 7, produceBody(b1, 1, 't', 1)));
  const r2 = partitionResult(await client.request(0, 9, produceBody(b2, -1, 't', 1)));
  assert.deepEqual([r1.errorCode, r1.baseOffset, r2.errorCode, r2.baseOffset], [0, 0n, 0, 2n]);
  const fetched = await client.request(1, 11, {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: 't', partitions: [{ partition: 1, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: '',
  });
  const records: Buffer = fetched.responses[0].partitions[0].records;
  assert.equal(fetched.responses[0].partitions[0].highWatermark, 3n);
  assert.equal(records.length, b1.length + b2.length);
  // Only the base offset (outside the CRC) differs from what was produced.
  const expected1 = Buffer.from(b1);
  expected1.writeBigInt64BE(0n, BATCH.BASE_OFFSET);
  const expected2 = Buffer.from(b2);
  expected2.writeBigInt64BE(2n, BATCH.BASE_OFFSET);
  assert.deepEqual(records, Buffer.concat([expected1, expected2]));
});

test('a corrupt CRC is refused with CORRUPT_MESSAGE and nothing is appended', async () => {
  const b = buildBatch([{ value: 'x' }]);
  b[b.length - 1] ^= 0xff;
  const r = partitionResult(await client.request(0, 7, produceBody(b)));
  assert.equal(r.errorCode, KafkaError.CORRUPT_MESSAGE);
  const good = partitionResult(await client.request(0, 7, produceBody(buildBatch([{ value: 'y' }]))));
  assert.equal(good.baseOffset, 0n);
});

test('older record formats (magic 0/1) are refused with UNSUPPORTED_FOR_MESSAGE_FORMAT', async () => {
  const b = buildBatch([{ value: 'x' }]);
  b.writeInt8(1, BATCH.MAGIC);
  const r = partitionResult(await client.request(0, 7, produceBody(b)));
  assert.equal(r.errorCode, KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT);
});

test('a truncated batch is CORRUPT_MESSAGE; an oversized one MESSAGE_TOO_LARGE', async () => {
  const b = buildBatch([{ value: 'x'.repeat(50) }]);
  assert.equal(partitionResult(await client.request(0, 7, produceBody(b.subarray(0, b.length - 3)))).errorCode, KafkaError.CORRUPT_MESSAGE);
  const big = buildBatch([{ value: 'x'.repeat(300) }]);
  assert.equal(partitionResult(await client.request(0, 7, produceBody(big, 1, 'small'))).errorCode, KafkaError.MESSAGE_TOO_LARGE);
});

test('unknown topic or partition, and invalid acks, are per-partition errors', async () => {
  const b = buildBatch([{ value: 'x' }]);
  assert.equal(partitionResult(await client.request(0, 7, produceBody(b, 1, 'nope'))).errorCode, KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(partitionResult(await client.request(0, 7, produceBody(b, 1, 't', 7))).errorCode, KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(partitionResult(await client.request(0, 7, produceBody(b, 2))).errorCode, KafkaError.INVALID_REQUIRED_ACKS);
});

test('idempotent producer: a retried batch is acknowledged with its first offset and not written twice; a gap is refused', async () => {
  const init = await client.request(22, 1, { transactionalId: null, transactionTimeoutMs: 60000 });
  assert.equal(init.errorCode, 0);
  const pid: bigint = init.producerId;
  const batch = (seq: number, n: number) => buildBatch(Array.from({ length: n }, (_, i) => ({ value: `m${seq + i}` })), { producerId: pid, producerEpoch: 0, baseSequence: seq });
  const p = 1;
  const before = partitionResult(await client.request(0, 7, produceBody(buildBatch([{ value: 'plain' }]), 1, 't', p))).baseOffset as bigint;
  const first = partitionResult(await client.request(0, 7, produceBody(batch(0, 3), -1, 't', p)));
  const retry = partitionResult(await client.request(0, 7, produceBody(batch(0, 3), -1, 't', p)));
  assert.deepEqual([first.errorCode, retry.errorCode], [0, 0]);
  assert.equal(first.baseOffset, before + 1n);
  assert.equal(retry.baseOffset, first.baseOffset);
  const next = partitionResult(await client.request(0, 7, produceBody(batch(3, 2), -1, 't', p)));
  assert.equal(next.baseOffset, first.baseOffset + 3n);
  const gap = partitionResult(await client.request(0, 7, produceBody(batch(9, 1), -1, 't', p)));
  assert.equal(gap.errorCode, KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER);
  const offsets = await client.request(2, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: 't', partitions: [{ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n }] }] });
  assert.equal(offsets.topics[0].partitions[0].offset, first.baseOffset + 5n);
});

test('acks=0 gets no response; the next request on the connection is answered normally', async () => {
  client.write((await import('../../../../src/kafka/protocol/frames.ts')).encodeRequest(0, 7, 9999, 'x', produceBody(buildBatch([{ value: 'fire-and-forget' }]), 0)));
  const meta = await client.request(3, 1, { topics: [{ name: 't' }] });
  assert.equal(meta.topics[0].name, 't');
});
