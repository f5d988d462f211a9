import { gunzipSync, gzipSync } from 'node:zlib';
import { crc32c } from './crc32c.ts';
import { Reader } from './reader.ts';
import { Writer } from './writer.ts';
import { KafkaError } from './error-codes.ts';

/**
 * Record batches, magic v2 (https://kafka.apache.org/documentation/#recordbatch).
 * The broker keeps batches exactly as producers sent them: it only rewrites baseOffset and
 * partitionLeaderEpoch, which sit outside the CRC, and never recompresses.
 */

/** Byte offsets of the batch header fields. */
export const BATCH = {
  BASE_OFFSET: 0,
  LENGTH: 8,
  LEADER_EPOCH: 12,
  MAGIC: 16,
  CRC: 17,
  ATTRIBUTES: 21,
  LAST_OFFSET_DELTA: 23,
  BASE_TIMESTAMP: 27,
  MAX_TIMESTAMP: 35,
  PRODUCER_ID: 43,
  PRODUCER_EPOCH: 51,
  BASE_SEQUENCE: 53,
  RECORDS_COUNT: 57,
  HEADER_SIZE: 61,
  /** baseOffset + batchLength: the part not counted by batchLength. */
  LOG_OVERHEAD: 12,
} as const;

/** Compression codecs by attribute value. */
export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

/** The header of one batch plus a view of its bytes. */
export interface BatchInfo {
  /** The whole batch, header included (a view into the buffer it was parsed from). */
  readonly bytes: Buffer;
  readonly baseOffset: bigint;
  readonly lastOffsetDelta: number;
  readonly attributes: number;
  readonly baseTimestamp: bigint;
  readonly maxTimestamp: bigint;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordsCount: number;
}

/** Why a records blob was refused, as a Kafka error code and a message for the log. */
export class InvalidRecordsError extends Error {
  constructor(readonly errorCode: number, message: string) {
    super(message);
  }
}

/**
 * Splits a Produce request's records blob into batches, checking framing, magic and CRC-32C.
 * Throws InvalidRecordsError with CORRUPT_MESSAGE or UNSUPPORTED_FOR_MESSAGE_FORMAT.
 */
export function parseBatches(buf: Buffer): BatchInfo[] {
  const out: BatchInfo[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < BATCH.MAGIC + 1) {
      throw new InvalidRecordsError(KafkaError.CORRUPT_MESSAGE, `truncated batch header at byte ${pos}`);
    }
    const magic = buf.readInt8(pos + BATCH.MAGIC);
    if (magic !== 2) {
      throw new InvalidRecordsError(KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT, `record format magic ${magic} is not supported (only magic 2)`);
    }
    const length = buf.readInt32BE(pos + BATCH.LENGTH);
    const total = length + BATCH.LOG_OVERHEAD;
    if (total < BATCH.HEADER_SIZE || pos + total > buf.length) {
      throw new InvalidRecordsError(KafkaError.CORRUPT_MESSAGE, `batch length ${length} at byte ${pos} does not fit the ${buf.length - pos} bytes left`);
    }
    const bytes = buf.subarray(pos, pos + total);
    const crc = bytes.readUInt32BE(BATCH.CRC);
    const actual = crc32c(bytes.subarray(BATCH.ATTRIBUTES));
    if (crc !== actual) {
      throw new InvalidRecordsError(KafkaError.CORRUPT_MESSAGE, `batch at byte ${pos} has CRC ${crc.toString(16)}, computed ${actual.toString(16)}`);
    }
    out.push(batchInfo(bytes));
    pos += total;
  }
  return out;
}

/** Reads the header of a batch already known to be well formed. */
export function batchInfo(bytes: Buffer): BatchInfo {
  return {
    bytes,
    baseOffset: bytes.readBigInt64BE(BATCH.BASE_OFFSET),
    lastOffsetDelta: bytes.readInt32BE(BATCH.LAST_OFFSET_DELTA),
    attributes: bytes.readInt16BE(BATCH.ATTRIBUTES),
    baseTimestamp: bytes.readBigInt64BE(BATCH.BASE_TIMESTAMP),
    maxTimestamp: bytes.readBigInt64BE(BATCH.MAX_TIMESTAMP),
    producerId: bytes.readBigInt64BE(BATCH.PRODUCER_ID),
    producerEpoch: bytes.readInt16BE(BATCH.PRODUCER_EPOCH),
    baseSequence: bytes.readInt32BE(BATCH.BASE_SEQUENCE),
    recordsCount: bytes.readInt32BE(BATCH.RECORDS_COUNT),
  };
}

/** Rewrites the broker-owned header fields (outside the CRC). */
export function assignOffsets(bytes: Buffer, baseOffset: bigint, leaderEpoch: number): void {
  bytes.writeBigInt64BE(baseOffset, BATCH.BASE_OFFSET);
  bytes.writeInt32BE(leaderEpoch, BATCH.LEADER_EPOCH);
}

/** The compression codec of a batch. */
export function compressionOf(attributes: number): number {
  return attributes & 0x07;
}

/** Whether the batch is a transaction control batch. */
export function isControlBatch(attributes: number): boolean {
  return (attributes & 0x20) !== 0;
}

/** One record, decoded. */
export interface KafkaRecord {
  readonly offset: bigint;
  readonly timestamp: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly (readonly [string, Buffer | null])[];
}

/**
 * Decodes the records of an uncompressed or gzip batch. Returns null for codecs the broker
 * cannot read (snappy, lz4, zstd): the broker never needs their content to serve them.
 */
export function decodeRecords(batch: BatchInfo): KafkaRecord[] | null {
  const codec = compressionOf(batch.attributes);
  let body = batch.bytes.subarray(BATCH.HEADER_SIZE);
  if (codec === Compression.gzip) body = gunzipSync(body);
  else if (codec !== Compression.none) return null;
  const r = new Reader(body);
  const out: KafkaRecord[] = [];
  for (let i = 0; i < batch.recordsCount; i++) {
    r.varint(); // record length
    r.int8(); // attributes (unused)
    const timestamp = batch.baseTimestamp + r.varlong();
    const offset = batch.baseOffset + BigInt(r.varint());
    const key = varBytes(r);
    const value = varBytes(r);
    const n = r.varint();
    const headers: [string, Buffer | null][] = [];
    for (let h = 0; h < n; h++) {
      const hk = varBytes(r);
      headers.push([hk === null ? '' : hk.toString('utf8'), varBytes(r)]);
    }
    out.push({ offset, timestamp, key, value, headers });
  }
  return out;
}

function varBytes(r: Reader): Buffer | null {
  const n = r.varint();
  return n < 0 ? null : r.raw(n);
}

/** What buildBatch needs for one record. */
export interface RecordInput {
  readonly key?: Buffer | string | null;
  readonly value?: Buffer | string | null;
  readonly headers?: readonly (readonly [string, Buffer | string | null])[];
  readonly timestamp?: bigint;
}

/** Options of buildBatch. */
export interface BuildBatchOptions {
  readonly baseOffset?: bigint;
  readonly timestamp?: bigint;
  readonly compression?: 'none' | 'gzip';
  readonly producerId?: bigint;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  readonly leaderEpoch?: number;
}

function toBuf(v: Buffer | string | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? Buffer.from(v) : v;
}

function writeVarBytes(w: Writer, b: Buffer | null): void {
  if (b === null) w.varint(-1);
  else w.varint(b.length).raw(b);
}

/** Builds a magic-2 batch (used for internal topics and tests). */
export function buildBatch(records: readonly RecordInput[], opts: BuildBatchOptions = {}): Buffer {
  const base = opts.timestamp ?? records[0]?.timestamp ?? BigInt(Date.now());
  let maxTs = base;
  const body = new Writer();
  records.forEach((rec, i) => {
    const ts = rec.timestamp ?? base;
    if (ts > maxTs) maxTs = ts;
    const rw = new Writer(64);
    rw.int8(0).varlong(ts - base).varint(i);
    writeVarBytes(rw, toBuf(rec.key));
    writeVarBytes(rw, toBuf(rec.value));
    const headers = rec.headers ?? [];
    rw.varint(headers.length);
    for (const [k, v] of headers) {
      writeVarBytes(rw, Buffer.from(k));
      writeVarBytes(rw, toBuf(v));
    }
    body.varint(rw.length).append(rw);
  });
  let payload = body.toBuffer();
  const gzip = opts.compression === 'gzip';
  if (gzip) payload = gzipSync(payload);
  const w = new Writer(BATCH.HEADER_SIZE + payload.length);
  w.int64(opts.baseOffset ?? 0n)
    .int32(BATCH.HEADER_SIZE - BATCH.LOG_OVERHEAD + payload.length)
    .int32(opts.leaderEpoch ?? 0)
    .int8(2)
    .uint32(0)
    .int16(gzip ? Compression.gzip : Compression.none)
    .int32(Math.max(records.length - 1, 0))
    .int64(base)
    .int64(maxTs)
    .int64(opts.producerId ?? -1n)
    .int16(opts.producerEpoch ?? -1)
    .int32(opts.baseSequence ?? -1)
    .int32(records.length)
    .raw(payload);
  const out = Buffer.from(w.toBuffer());
  out.writeUInt32BE(crc32c(out.subarray(BATCH.ATTRIBUTES)), BATCH.CRC);
  return out;
}
