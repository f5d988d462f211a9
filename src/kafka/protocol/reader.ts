import { SluiceError } from '../../errors.ts';

const UUID_HEX = /^[0-9a-f]{32}$/;

/**
 * Sequential reader over one Kafka frame. Every read checks bounds and throws
 * SLUICE_ERR_PROTOCOL_BUFFER_UNDERFLOW naming what it was reading, so a malformed frame is
 * reported, never read past.
 */
export class Reader {
  readonly buf: Buffer;
  offset: number;
  readonly end: number;

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    this.buf = buf;
    this.offset = offset;
    this.end = end;
  }

  /** Bytes left before the end of this reader's window. */
  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number, what: string): number {
    const at = this.offset;
    if (n < 0 || at + n > this.end) {
      throw new SluiceError('SLUICE_ERR_PROTOCOL_BUFFER_UNDERFLOW', `frame ended reading ${what} at byte ${at} (needed ${n}, ${this.end - at} left)`);
    }
    this.offset = at + n;
    return at;
  }

  int8(): number { return this.buf.readInt8(this.need(1, 'int8')); }
  uint8(): number { return this.buf.readUInt8(this.need(1, 'uint8')); }
  int16(): number { return this.buf.readInt16BE(this.need(2, 'int16')); }
  uint16(): number { return this.buf.readUInt16BE(this.need(2, 'uint16')); }
  int32(): number { return this.buf.readInt32BE(this.need(4, 'int32')); }
  uint32(): number { return this.buf.readUInt32BE(this.need(4, 'uint32')); }
  int64(): bigint { return this.buf.readBigInt64BE(this.need(8, 'int64')); }
  float64(): number { return this.buf.readDoubleBE(this.need(8, 'float64')); }
  bool(): boolean { return this.buf[this.need(1, 'bool')] !== 0; }

  /** Unsigned LEB128 varint up to 32 bits. */
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.buf[this.need(1, 'varint')]!;
      if (shift === 28 && b > 0x0f) {
        throw new SluiceError('SLUICE_ERR_PROTOCOL_INVALID_VALUE', `varint longer than 32 bits at byte ${this.offset - 1}`);
      }
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  }

  /** Zig-zag signed varint (32 bits). */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Zig-zag signed varlong (64 bits). */
  varlong(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.buf[this.need(1, 'varlong')]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
      if (shift > 63n) throw new SluiceError('SLUICE_ERR_PROTOCOL_INVALID_VALUE', `varlong longer than 64 bits at byte ${this.offset - 1}`);
    }
    return (result >> 1n) ^ -(result & 1n);
  }

  /** Raw slice of n bytes (shares memory with the frame). */
  raw(n: number, what = 'bytes'): Buffer {
    const at = this.need(n, what);
    return this.buf.subarray(at, at + n);
  }

  /** Length of a string/bytes/array: int32/int16 classic or uvarint-1 compact; -1 means null. */
  private len(compact: boolean, short: boolean): number {
    if (compact) return this.uvarint() - 1;
    return short ? this.int16() : this.int32();
  }

  string(compact: boolean): string | null {
    const n = this.len(compact, true);
    if (n < 0) return null;
    const at = this.need(n, 'string');
    return this.buf.toString('utf8', at, at + n);
  }

  bytes(compact: boolean): Buffer | null {
    const n = this.len(compact, false);
    if (n < 0) return null;
    return this.raw(n);
  }

  /** Array element count, or -1 for null; guards against counts larger than the frame could hold. */
  arrayLength(compact: boolean): number {
    const n = this.len(compact, false);
    if (n > this.remaining) {
      throw new SluiceError('SLUICE_ERR_PROTOCOL_INVALID_VALUE', `array of ${n} elements cannot fit in the ${this.remaining} bytes left at byte ${this.offset}`);
    }
    return n < 0 ? -1 : n;
  }

  uuid(): string {
    const hex = this.raw(16, 'uuid').toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}

/** Converts a canonical uuid string to its 16 bytes. */
export function uuidToBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '').toLowerCase();
  if (!UUID_HEX.test(hex)) throw new SluiceError('SLUICE_ERR_PROTOCOL_INVALID_VALUE', `not a uuid: ${uuid}`);
  return Buffer.from(hex, 'hex');
}

/** The all-zero uuid Kafka uses for "no id". */
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
