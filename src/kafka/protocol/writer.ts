import { uuidToBytes } from './reader.ts';

/** Buffers at least this large are appended by reference instead of copied. */
const ZERO_COPY_THRESHOLD = 512;

/**
 * Growable writer for Kafka frames. Small fields go into a scratch buffer; large byte strings
 * (record batches) are kept by reference, so a Fetch response never copies the log.
 */
export class Writer {
  private chunks: Buffer[] = [];
  private cur: Buffer;
  private pos = 0;
  private done = 0;

  constructor(initial = 1024) {
    this.cur = Buffer.allocUnsafe(initial);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.done + this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.cur.length) return;
    this.flush();
    this.cur = Buffer.allocUnsafe(Math.max(n, this.cur.length * 2, 1024));
  }

  private flush(): void {
    if (this.pos > 0) {
      this.chunks.push(this.cur.subarray(0, this.pos));
      this.done += this.pos;
      this.cur = this.cur.subarray(this.pos);
      this.pos = 0;
    }
  }

  int8(v: number): this { this.ensure(1); this.cur.writeInt8(v, this.pos); this.pos += 1; return this; }
  uint8(v: number): this { this.ensure(1); this.cur[this.pos++] = v & 0xff; return this; }
  int16(v: number): this { this.ensure(2); this.cur.writeInt16BE(v, this.pos); this.pos += 2; return this; }
  uint16(v: number): this { this.ensure(2); this.cur.writeUInt16BE(v, this.pos); this.pos += 2; return this; }
  int32(v: number): this { this.ensure(4); this.cur.writeInt32BE(v, this.pos); this.pos += 4; return this; }
  uint32(v: number): this { this.ensure(4); this.cur.writeUInt32BE(v >>> 0, this.pos); this.pos += 4; return this; }
  int64(v: bigint): this { this.ensure(8); this.cur.writeBigInt64BE(BigInt.asIntN(64, v), this.pos); this.pos += 8; return this; }
  float64(v: number): this { this.ensure(8); this.cur.writeDoubleBE(v, this.pos); this.pos += 8; return this; }
  bool(v: boolean): this { return this.uint8(v ? 1 : 0); }

  uvarint(v: number): this {
    this.ensure(5);
    let n = v >>> 0;
    while (n >= 0x80) {
      this.cur[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.cur[this.pos++] = n;
    return this;
  }

  varint(v: number): this {
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  varlong(v: bigint): this {
    this.ensure(10);
    let n = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (n >= 0x80n) {
      this.cur[this.pos++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    this.cur[this.pos++] = Number(n);
    return this;
  }

  /** Appends bytes; large ones by reference (the caller must not mutate them afterwards). */
  raw(b: Uint8Array): this {
    if (b.length >= ZERO_COPY_THRESHOLD) {
      this.flush();
      this.chunks.push(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length));
      this.done += b.length;
      return this;
    }
    this.ensure(b.length);
    this.cur.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  private len(n: number, compact: boolean, short: boolean): this {
    if (compact) return this.uvarint(n + 1);
    return short ? this.int16(n) : this.int32(n);
  }

  string(v: string | null, compact: boolean): this {
    if (v === null) return this.len(-1, compact, true);
    const n = Buffer.byteLength(v);
    this.len(n, compact, true);
    this.ensure(n);
    this.pos += this.cur.write(v, this.pos, 'utf8');
    return this;
  }

  bytes(v: Uint8Array | null, compact: boolean): this {
    if (v === null) return this.len(-1, compact, false);
    this.len(v.length, compact, false);
    return this.raw(v);
  }

  /** Several buffers written as one bytes field (e.g. record batches of a Fetch). */
  bytesList(v: readonly Uint8Array[], compact: boolean): this {
    let n = 0;
    for (const b of v) n += b.length;
    this.len(n, compact, false);
    for (const b of v) this.raw(b);
    return this;
  }

  arrayLength(n: number, compact: boolean): this {
    return this.len(n, compact, false);
  }

  uuid(v: string): this {
    return this.raw(uuidToBytes(v));
  }

  /** Appends everything another writer holds. */
  append(other: Writer): this {
    for (const c of other.toBuffers()) this.raw(c);
    return this;
  }

  /** The written bytes as a list of chunks (no copy). */
  toBuffers(): Buffer[] {
    this.flush();
    return this.chunks;
  }

  /** The written bytes as one buffer (copies when there are several chunks). */
  toBuffer(): Buffer {
    const list = this.toBuffers();
    return list.length === 1 ? list[0]! : Buffer.concat(list, this.done);
  }
}
