import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { gzipSync, crc32 } from 'node:zlib';
import { buildBatch, parseBatches, decodeRecords, batchInfo, compressionOf, Compression, InvalidRecordsError, BATCH } from '../../../src/kafka/protocol/records.ts';
import { downConvert, fetchMagic, parseMessageSet, upConvert } from '../../../src/kafka/protocol/legacy-records.ts';
import { KafkaError } from '../../../src/kafka/protocol/error-codes.ts';

const require = createRequire(import.meta.url);
// An independent implementation of the same formats, from a Kafka client library.
const kafkajsMessageSet = require('kafkajs/src/protocol/messageSet/index.js');
const kafkajsDecodeMessageSet = require('kafkajs/src/protocol/messageSet/decoder.js');
const KafkajsDecoder = require('kafkajs/src/protocol/decoder.js');

const T0 = 1_700_000_000_000;
const entries = [
  { key: 'k0', value: 'v0', timestamp: T0 },
  { key: null, value: 'only value', timestamp: T0 + 5 },
  { key: 'k2', value: null, timestamp: T0 + 9 },
];

function messageSet(messageVersion: 0 | 1, list = entries): Buffer {
  return kafkajsMessageSet({ messageVersion, compression: 0, entries: list }).buffer as Buffer;
}

/** A gzip-compressed wrapper message holding `list`, as kafkajs's Produce v2 sends it. */
function gzipMessageSet(list = entries): Buffer {
  const inner = kafkajsMessageSet({ messageVersion: 1, compression: 1, entries: list }).buffer as Buffer;
  return kafkajsMessageSet({ messageVersion: 1, compression: 0, entries: [{ compression: 1, timestamp: T0, value: gzipSync(inner) }] }).buffer as Buffer;
}

function recordsOf(batch: Buffer) {
  return parseBatches(batch).flatMap((b) => decodeRecords(b)!).map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null]);
}

async function kafkajsRead(set: Buffer) {
  const messages = await kafkajsDecodeMessageSet(new KafkajsDecoder(set), set.length);
  return messages.map((m: any) => [m.offset, m.magicByte, m.timestamp ?? null, m.key?.toString() ?? null, m.value?.toString() ?? null]);
}

test('a magic-1 message set from an independent encoder becomes one batch with its keys, values and timestamps', () => {
  const batch = upConvert(messageSet(1));
  assert.equal(parseBatches(batch).length, 1);
  assert.equal(compressionOf(batchInfo(batch).attributes), Compression.none);
  assert.deepEqual(recordsOf(batch), [
    [0n, BigInt(T0), 'k0', 'v0'],
    [1n, BigInt(T0 + 5), null, 'only value'],
    [2n, BigInt(T0 + 9), 'k2', null],
  ]);
});

test('magic-0 messages carry no timestamp: their records have -1, as Kafka up-converts them', () => {
  assert.deepEqual(recordsOf(upConvert(messageSet(0))).map((r) => r[1]), [-1n, -1n, -1n]);
});

test('a gzip wrapper is unpacked and its messages stored as one gzip batch', () => {
  const batch = upConvert(gzipMessageSet());
  assert.equal(compressionOf(batchInfo(batch).attributes), Compression.gzip);
  assert.deepEqual(recordsOf(batch).map((r) => r.slice(2)), [['k0', 'v0'], [null, 'only value'], ['k2', null]]);
});

test('batches (magic 2) pass through unchanged', () => {
  const batch = buildBatch([{ value: 'x' }]);
  assert.equal(upConvert(batch), batch);
});

test('bad message sets are refused with the Kafka error a producer can act on', () => {
  const refused = (buf: Buffer, code: number, message: RegExp) =>
    assert.throws(() => upConvert(buf), (e: unknown) => e instanceof InvalidRecordsError && e.errorCode === code && message.test(e.message));
  const flipped = Buffer.from(messageSet(1));
  const second = 12 + flipped.readInt32BE(8);
  flipped[second - 1] ^= 0xff; // the last byte of the first message's value
  refused(flipped, KafkaError.CORRUPT_MESSAGE, /^message at byte 0 has CRC/);
  const full = messageSet(1);
  refused(full.subarray(0, full.length - 3), KafkaError.CORRUPT_MESSAGE, new RegExp(`^message at byte ${second + 12 + full.readInt32BE(second + 8)}: size \\d+ does not fit`));
  const snappy = kafkajsMessageSet({ messageVersion: 1, compression: 0, entries: [{ compression: 2, timestamp: T0, value: Buffer.from('not read') }] }).buffer as Buffer;
  const notGzip = kafkajsMessageSet({ messageVersion: 1, compression: 0, entries: [{ compression: 1, timestamp: T0, value: Buffer.from('not gzip') }] }).buffer as Buffer;
  refused(notGzip, KafkaError.CORRUPT_MESSAGE, /^the gzip message at byte 0 does not inflate/);
  refused(snappy, KafkaError.UNSUPPORTED_COMPRESSION_TYPE, /codec 2 are not supported \(only none and gzip\)/);
  refused(Buffer.concat([messageSet(1), buildBatch([{ value: 'x' }])]), KafkaError.CORRUPT_MESSAGE, /^entry at byte 118 has magic 2: batches \(magic 2\) and messages do not mix/);
  assert.deepEqual(parseMessageSet(Buffer.alloc(0)).messages, []);
  refused(Buffer.alloc(0), KafkaError.CORRUPT_MESSAGE, /without messages/);
});

test('a stored batch reads as magic-1 messages an independent decoder accepts, byte for byte as it would encode them', async () => {
  const batch = buildBatch(entries.map((e) => ({ ...e, timestamp: BigInt(e.timestamp), headers: [['h', 'dropped']] })), { baseOffset: 40n });
  const set = downConvert(batchInfo(batch), 1, 0n)!;
  assert.deepEqual(await kafkajsRead(set), [
    ['40', 1, String(T0), 'k0', 'v0'],
    ['41', 1, String(T0 + 5), null, 'only value'],
    ['42', 1, String(T0 + 9), 'k2', null],
  ]);
  // kafkajs writes offset -1 in what it produces; with the broker's offsets the bytes are the same.
  const expected = Buffer.from(messageSet(1));
  for (let at = 0, i = 0; at < expected.length; i++) {
    expected.writeBigInt64BE(40n + BigInt(i), at);
    at += 12 + expected.readInt32BE(at + 8);
  }
  assert.deepEqual(set, expected);
  // The CRC is CRC-32 (IEEE) over magic..value.
  assert.equal(set.readUInt32BE(12), crc32(set.subarray(16, 12 + set.readInt32BE(8))));
});

test('magic 0 for Fetch v0–1: no timestamps; records below the fetch offset and transaction markers left out', async () => {
  const batch = buildBatch(entries.map((e) => ({ ...e, timestamp: BigInt(e.timestamp) })), { baseOffset: 10n });
  const set = downConvert(batchInfo(batch), 0, 11n)!;
  assert.deepEqual(await kafkajsRead(set), [['11', 0, null, null, 'only value'], ['12', 0, null, 'k2', null]]);
  const marker = Buffer.from(buildBatch([{ value: 'commit marker' }]));
  marker.writeInt16BE(0x20, BATCH.ATTRIBUTES);
  assert.equal(downConvert(batchInfo(marker), 1, 0n)!.length, 0);
  assert.deepEqual([0, 1, 2, 3, 4, 17].map(fetchMagic), [0, 0, 1, 1, 2, 2]);
});

test('a gzip batch is converted; a codec the broker cannot read is reported as null', () => {
  const gz = buildBatch([{ value: 'zipped', timestamp: 5n }], { compression: 'gzip' });
  const set = downConvert(batchInfo(gz), 1, 0n)!;
  assert.equal(set.readInt8(16), 1);
  const lz4 = Buffer.from(buildBatch([{ value: 'x' }]));
  lz4.writeInt16BE(Compression.lz4, BATCH.ATTRIBUTES);
  assert.equal(downConvert(batchInfo(lz4), 1, 0n), null);
});
