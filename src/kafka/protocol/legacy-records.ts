import { gunzipSync } from 'node:zlib';
import { crc32 } from '@node-rs/crc32';
import { KafkaError } from './error-codes.ts';
import { BATCH, Compression, InvalidRecordsError, buildBatch, compressionOf, decodeRecords, isControlBatch, type BatchInfo, type RecordInput } from './records.ts';
import { Reader } from './reader.ts';
import { Writer } from './writer.ts';

/**
 * Message sets, the record format before batches (magic 0 and 1,
 * https://kafka.apache.org/documentation/#messageset). Produce v0–2 carry them and Fetch v0–3
 * clients read them. The broker stores magic-2 batches only: like Kafka, it converts a legacy
 * produce up to one batch and a stored batch down to the magic the fetch version reads.
 *
 *   MessageSet => [offset:int64 message_size:int32 message]
 *   Message    => crc:uint32 magic:int8 attributes:int8 [timestamp:int64, magic 1] key:bytes value:bytes
 *
 * The CRC is CRC-32 (IEEE) over magic..value. A compressed message (a wrapper) carries a whole
 * inner message set, compressed, as its value. gzip and uncompressed sets are read; other codecs
 * are refused with UNSUPPORTED_COMPRESSION_TYPE.
 */

/** Timestamp type bit of the attributes (magic 1): set for LogAppendTime. */
const TIMESTAMP_TYPE_LOG_APPEND = 0x08;
/** Largest message set a gzip wrapper may inflate to: a small wrapper must not take the broker's memory. */
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;
/** The smallest message: crc, magic, attributes and the lengths of a key and a value. */
const MIN_MESSAGE_SIZE = 4 + 1 + 1 + 4 + 4;

/** One legacy message, decompressed. */
export interface LegacyMessage {
  readonly magic: number;
  readonly timestamp: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** The magic of the first entry of a records blob (same byte position in both formats). */
export function recordsMagic(buf: Buffer): number {
  return buf.length > BATCH.MAGIC ? buf.readInt8(BATCH.MAGIC) : -1;
}

/** Reads a message set; throws InvalidRecordsError with the Kafka error for bad input. */
export function parseMessageSet(buf: Buffer, inner = false): { messages: LegacyMessage[]; gzip: boolean } {
  const messages: LegacyMessage[] = [];
  let gzip = false;
  const r = new Reader(buf);
  while (r.remaining > 0) {
    const start = r.offset;
    if (r.remaining < 12) throw corrupt(`truncated message header at byte ${start}`);
    r.int64(); // offset: the broker assigns offsets
    const size = r.int32();
    if (size < MIN_MESSAGE_SIZE || size > r.remaining) throw corrupt(`message at byte ${start}: size ${size} does not fit the ${r.remaining} bytes left`);
    const body = r.raw(size, 'message');
    const magic = body.readInt8(4);
    if (magic !== 0 && magic !== 1) throw corrupt(`entry at byte ${start} has magic ${magic}: batches (magic 2) and messages do not mix`);
    const crc = body.readUInt32BE(0);
    const actual = crc32(body.subarray(4)) >>> 0;
    if (crc !== actual) throw corrupt(`message at byte ${start} has CRC ${crc.toString(16)}, computed ${actual.toString(16)}`);
    const m = new Reader(body, 5);
    try {
      const attributes = m.int8();
      const timestamp = magic === 1 ? m.int64() : -1n;
      const key = m.bytes(false);
      const value = m.bytes(false);
      if (m.remaining !== 0) throw corrupt(`${m.remaining} bytes after the value of a message`);
      const codec = compressionOf(attributes);
      if (codec === Compression.none) {
        messages.push({ magic, timestamp, key, value });
        continue;
      }
      if (inner) throw corrupt('a compressed message inside a compressed message');
      if (codec !== Compression.gzip) {
        throw new InvalidRecordsError(KafkaError.UNSUPPORTED_COMPRESSION_TYPE, `message sets compressed with codec ${codec} are not supported (only none and gzip); produce with v3 or later`);
      }
      gzip = true;
      const wrapped = parseMessageSet(inflate(value ?? Buffer.alloc(0), start), true).messages;
      // A LogAppendTime wrapper's timestamp is the one of every message it holds.
      const logAppend = magic === 1 && (attributes & TIMESTAMP_TYPE_LOG_APPEND) !== 0;
      for (const w of wrapped) messages.push(logAppend ? { ...w, timestamp } : w);
    } catch (err) {
      if (err instanceof InvalidRecordsError) throw err;
      throw corrupt(`malformed message: ${(err as Error).message}`);
    }
  }
  return { messages, gzip };
}

/**
 * Converts a legacy produce's records to one magic-2 batch, keeping the producer's gzip
 * compression (Kafka's compression.type=producer); batches (magic 2) pass unchanged.
 */
export function upConvert(buf: Buffer): Buffer {
  if (recordsMagic(buf) === 2) return buf;
  const { messages, gzip } = parseMessageSet(buf);
  if (messages.length === 0) throw corrupt('a message set without messages');
  const records: RecordInput[] = messages.map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp }));
  return buildBatch(records, { compression: gzip ? 'gzip' : 'none' });
}

/**
 * Converts a stored batch to an uncompressed message set of `magic` (0 or 1) for Fetch v0–3,
 * leaving out records below `fromOffset` and transaction markers, and dropping headers (messages
 * have none). Returns null when the batch's codec cannot be read here.
 */
export function downConvert(batch: BatchInfo, magic: 0 | 1, fromOffset: bigint): Buffer | null {
  if (isControlBatch(batch.attributes)) return Buffer.alloc(0);
  const records = decodeRecords(batch);
  if (records === null) return null;
  const logAppend = (batch.attributes & TIMESTAMP_TYPE_LOG_APPEND) !== 0;
  const w = new Writer();
  for (const rec of records) {
    if (rec.offset < fromOffset) continue;
    const body = new Writer(64);
    body.int8(magic).int8(magic === 1 && logAppend ? TIMESTAMP_TYPE_LOG_APPEND : 0);
    if (magic === 1) body.int64(logAppend ? batch.maxTimestamp : rec.timestamp);
    body.bytes(rec.key, false).bytes(rec.value, false);
    const bytes = body.toBuffer();
    w.int64(rec.offset).int32(4 + bytes.length).uint32(crc32(bytes) >>> 0).raw(bytes);
  }
  return w.toBuffer();
}

/** The message magic a Fetch version reads: 0 for v0–1, 1 for v2–3, batches (2) from v4. */
export function fetchMagic(fetchVersion: number): 0 | 1 | 2 {
  return fetchVersion <= 1 ? 0 : fetchVersion <= 3 ? 1 : 2;
}

function inflate(value: Buffer, at: number): Buffer {
  try {
    return gunzipSync(value, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new InvalidRecordsError(KafkaError.MESSAGE_TOO_LARGE, `the gzip message at byte ${at} inflates to more than ${MAX_INFLATED_BYTES} bytes`);
    }
    throw corrupt(`the gzip message at byte ${at} does not inflate: ${(err as Error).message}`);
  }
}

function corrupt(message: string): InvalidRecordsError {
  return new InvalidRecordsError(KafkaError.CORRUPT_MESSAGE, message);
}
