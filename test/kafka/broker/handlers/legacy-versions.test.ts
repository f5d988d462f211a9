/**
 * The oldest versions Kafka's message definitions list, which pre-0.11 clients (and sarama
 * configured for them) send: Produce v0–2 with message sets, Fetch v0–3 reading message sets
 * converted from the stored batches, ListOffsets v0, OffsetCommit v0–1 and OffsetFetch v0.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { startBroker } from '../../../../src/kafka/broker/index.ts';
import { buildBatch, parseBatches, decodeRecords, BATCH, Compression } from '../../../../src/kafka/protocol/records.ts';
import { crc32c } from '../../../../src/kafka/protocol/crc32c.ts';
import { KafkaError } from '../../../../src/kafka/protocol/error-codes.ts';
import { RawClient } from '../../../helpers/raw-client.ts';

const require = createRequire(import.meta.url);
// Message sets as an independent client library encodes and decodes them.
const kafkajsMessageSet = require('kafkajs/src/protocol/messageSet/index.js');
const kafkajsDecodeMessageSet = require('kafkajs/src/protocol/messageSet/decoder.js');
const KafkajsDecoder = require('kafkajs/src/protocol/decoder.js');

let broker: Awaited<ReturnType<typeof startBroker>>;
let client: RawClient;
const T0 = 1_700_000_000_000;

before(async () => {
  broker = await startBroker({ port: 0, topics: [{ name: 'legacy', partitions: 1 }, { name: 'lz4', partitions: 1 }] });
  client = await RawClient.connect(broker.port);
});
after(async () => {
  client.close();
  await broker.stop();
});

function messageSet(messageVersion: 0 | 1, entries: { key?: string; value: string; timestamp?: number }[]): Buffer {
  return kafkajsMessageSet({ messageVersion, compression: 0, entries }).buffer as Buffer;
}

const produce = (version: number, topic: string, records: Buffer) =>
  client.request(0, version, { acks: 1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });

const fetch = (version: number, topic: string, fetchOffset: bigint) =>
  client.request(1, version, {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset, partitionMaxBytes: 1 << 20 }] }],
  });

async function messagesOf(records: Buffer) {
  const messages = await kafkajsDecodeMessageSet(new KafkajsDecoder(records), records.length);
  return messages.map((m: any) => [m.offset, m.magicByte, m.timestamp ?? null, m.key?.toString() ?? null, m.value.toString()]);
}

test('Produce v0 (magic 0) and v2 (magic 1, gzip) are stored; Fetch v0, v3 and v4 read them in their own format', async () => {
  const v0 = await produce(0, 'legacy', messageSet(0, [{ key: 'a', value: 'first' }, { value: 'second' }]));
  assert.deepEqual(v0, { responses: [{ name: 'legacy', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 0n }] }] });
  const inner = kafkajsMessageSet({ messageVersion: 1, compression: 1, entries: [{ key: 'c', value: 'third', timestamp: T0 }] }).buffer as Buffer;
  const wrapper = kafkajsMessageSet({ messageVersion: 1, compression: 0, entries: [{ compression: 1, timestamp: T0, value: gzipSync(inner) }] }).buffer as Buffer;
  const v2 = await produce(2, 'legacy', wrapper);
  assert.deepEqual(v2, { throttleTimeMs: 0, responses: [{ name: 'legacy', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 2n, logAppendTimeMs: -1n }] }] });

  const f0 = (await fetch(0, 'legacy', 0n)).responses[0].partitions[0];
  assert.deepEqual([f0.partitionIndex, f0.errorCode, f0.highWatermark], [0, 0, 3n]);
  assert.deepEqual(await messagesOf(f0.records), [['0', 0, null, 'a', 'first'], ['1', 0, null, null, 'second'], ['2', 0, null, 'c', 'third']]);
  const f3 = (await fetch(3, 'legacy', 1n)).responses[0].partitions[0];
  // Magic-0 messages have no timestamp (-1); the fetch offset cuts the records below it.
  assert.deepEqual(await messagesOf(f3.records), [['1', 1, '-1', null, 'second'], ['2', 1, String(T0), 'c', 'third']]);
  const f4 = (await fetch(4, 'legacy', 0n)).responses[0].partitions[0];
  const batches = parseBatches(f4.records);
  assert.deepEqual(batches.map((b) => b.attributes & 0x07), [Compression.none, Compression.gzip]);
  assert.deepEqual(batches.flatMap((b) => decodeRecords(b)!.map((r) => [r.offset, r.value!.toString()])), [[0n, 'first'], [1n, 'second'], [2n, 'third']]);
});

test('a message set with a bad CRC is refused with CORRUPT_MESSAGE and nothing is stored', async () => {
  const set = Buffer.from(messageSet(1, [{ value: 'x', timestamp: T0 }]));
  set[set.length - 1] ^= 0xff;
  const res = await produce(1, 'legacy', set);
  assert.equal(res.responses[0].partitionResponses[0].errorCode, KafkaError.CORRUPT_MESSAGE);
  assert.equal((await fetch(4, 'legacy', 0n)).responses[0].partitions[0].highWatermark, 3n);
});

test('Fetch v0–3 of a batch compressed with a codec the broker cannot convert answers UNSUPPORTED_COMPRESSION_TYPE', async () => {
  const batch = Buffer.from(buildBatch([{ value: 'x' }]));
  batch.writeInt16BE(Compression.lz4, BATCH.ATTRIBUTES);
  batch.writeUInt32BE(crc32c(batch.subarray(BATCH.ATTRIBUTES)), BATCH.CRC);
  assert.equal((await produce(3, 'lz4', batch)).responses[0].partitionResponses[0].errorCode, 0);
  const old = (await fetch(2, 'lz4', 0n)).responses[0].partitions[0];
  assert.deepEqual([old.errorCode, old.highWatermark, old.records], [KafkaError.UNSUPPORTED_COMPRESSION_TYPE, 1n, null]);
  assert.equal((await fetch(4, 'lz4', 0n)).responses[0].partitions[0].records.length, batch.length);
});

test('ListOffsets v0 answers the offsets before a time (one segment), highest first, at most max_num_offsets', async () => {
  const ask = async (timestamp: bigint, maxNumOffsets: number) =>
    (await client.request(2, 0, { replicaId: -1, topics: [{ name: 'legacy', partitions: [{ partitionIndex: 0, timestamp, maxNumOffsets }] }] })).topics[0].partitions[0];
  assert.deepEqual(await ask(-1n, 10), { partitionIndex: 0, errorCode: 0, oldStyleOffsets: [3n, 0n] });
  assert.deepEqual((await ask(-1n, 1)).oldStyleOffsets, [3n]);
  assert.deepEqual((await ask(-2n, 10)).oldStyleOffsets, [0n]);
  assert.deepEqual((await ask(BigInt(Date.now() + 60_000), 10)).oldStyleOffsets, [3n, 0n]);
  await sleep(5);
  // The segment was last written before now - 2 ms: its start offset; nothing was written before 1970.
  assert.deepEqual((await ask(BigInt(Date.now() - 2), 10)).oldStyleOffsets, [0n]);
  assert.deepEqual((await ask(1n, 10)).oldStyleOffsets, []);
});

test('OffsetCommit v0 and v1 (simple commits) are read back by OffsetFetch v0 and v1', async () => {
  const commit0 = await client.request(8, 0, { groupId: 'old-group', topics: [{ name: 'legacy', partitions: [{ partitionIndex: 0, committedOffset: 2n, committedMetadata: 'v0 commit' }] }] });
  assert.deepEqual(commit0, { topics: [{ name: 'legacy', partitions: [{ partitionIndex: 0, errorCode: 0 }] }] });
  const fetch0 = await client.request(9, 0, { groupId: 'old-group', topics: [{ name: 'legacy', partitionIndexes: [0] }] });
  assert.deepEqual(fetch0, { topics: [{ name: 'legacy', partitions: [{ partitionIndex: 0, committedOffset: 2n, metadata: 'v0 commit', errorCode: 0 }] }] });
  const commit1 = await client.request(8, 1, {
    groupId: 'old-group', generationIdOrMemberEpoch: -1, memberId: '',
    topics: [{ name: 'legacy', partitions: [{ partitionIndex: 0, committedOffset: 3n, commitTimestamp: -1n, committedMetadata: null }] }],
  });
  assert.equal(commit1.topics[0].partitions[0].errorCode, 0);
  const fetch1 = await client.request(9, 1, { groupId: 'old-group', topics: [{ name: 'legacy', partitionIndexes: [0] }] });
  assert.deepEqual(fetch1.topics[0].partitions[0], { partitionIndex: 0, committedOffset: 3n, metadata: '', errorCode: 0 });
});
