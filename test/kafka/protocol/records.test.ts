import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { buildBatch, parseBatches, decodeRecords, InvalidRecordsError, BATCH, Compression } from '../../../src/kafka/protocol/records.ts';
import { crc32c } from '../../../src/kafka/protocol/crc32c.ts';
import { KafkaError } from '../../../src/kafka/protocol/error-codes.ts';

const require = createRequire(import.meta.url);
// An independent implementation of the same format, from a Kafka client library.
const kafkajsRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/index.js').RecordBatch;
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js');
const Long = require('kafkajs/src/utils/long.js');

test('CRC-32C: the standard check value and agreement with an independent implementation', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  for (let n = 0; n < 2000; n += 37) {
    const data = Buffer.alloc(n, 0).map((_, i) => (i * 131 + n) & 0xff);
    assert.equal(crc32c(data), kafkajsCrc32c(data) >>> 0, `length ${n}`);
  }
});

test('buildBatch writes the same bytes as an independent encoder of record batch v2', async () => {
  const ts = 1_700_000_000_000;
  const inputs = [
    { key: 'k0', value: 'v0', headers: { h: 'x' } },
    { key: null, value: 'only value', headers: {} },
    { key: 'k2', value: null, headers: { a: '1', b: '2' } },
  ];
  const records = inputs.map((r, i) => kafkajsRecord({
    offsetDelta: i, timestampDelta: i * 5,
    key: r.key === null ? null : Buffer.from(r.key), value: r.value === null ? null : Buffer.from(r.value), headers: r.headers,
  }));
  const theirs: Buffer = (await kafkajsRecordBatch({
    firstOffset: Long.fromInt(0), firstTimestamp: ts, maxTimestamp: ts + 10, lastOffsetDelta: 2, producerEpoch: 0, firstSequence: 0, records,
  })).buffer;
  const ours = buildBatch(inputs.map((r, i) => ({
    key: r.key, value: r.value, headers: Object.entries(r.headers), timestamp: BigInt(ts + i * 5),
  })), { producerEpoch: 0, baseSequence: 0 });
  assert.equal(ours.toString('hex'), theirs.toString('hex'));
});

test('parse → decode round trip, with gzip', () => {
  const input = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: Buffer.from([i, 255 - i]), headers: [['n', `${i}`]] as [string, string][] }));
  for (const compression of ['none', 'gzip'] as const) {
    const batch = buildBatch(input, { baseOffset: 100n, timestamp: 5n, compression });
    const [info] = parseBatches(batch);
    assert.equal(info!.attributes & 7, compression === 'gzip' ? Compression.gzip : Compression.none);
    assert.deepEqual([info!.baseOffset, info!.lastOffsetDelta, info!.recordsCount], [100n, 49, 50]);
    const decoded = decodeRecords(info!)!;
    assert.deepEqual(decoded.map((r) => [r.offset, r.key!.toString(), [...r.value!], r.headers[0]![1]!.toString()]),
      input.map((r, i) => [100n + BigInt(i), r.key, [i, 255 - i], `${i}`]));
  }
});

test('several batches in one blob are split; a bad one names its byte position', () => {
  const a = buildBatch([{ value: 'a' }]);
  const b = buildBatch([{ value: 'b' }, { value: 'c' }]);
  assert.deepEqual(parseBatches(Buffer.concat([a, b])).map((x) => x.recordsCount), [1, 2]);
  const corrupt = Buffer.concat([a, b]);
  corrupt[a.length + BATCH.HEADER_SIZE] ^= 1;
  assert.throws(() => parseBatches(corrupt), (e: unknown) => e instanceof InvalidRecordsError && e.errorCode === KafkaError.CORRUPT_MESSAGE && e.message.startsWith(`batch at byte ${a.length} has CRC`));
  assert.throws(() => parseBatches(Buffer.concat([a, b.subarray(0, 30)])), (e: unknown) => e instanceof InvalidRecordsError && /truncated batch header|does not fit/.test(e.message));
});
