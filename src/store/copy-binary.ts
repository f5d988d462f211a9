/**
 * PostgreSQL's binary COPY format for `samples (series_id int4, ts timestamptz, value float8)`.
 * Binary rather than text because neither side formats or parses numbers and dates: on PGlite
 * it measured ~2.5× faster than text COPY of the same rows.
 * See https://www.postgresql.org/docs/current/sql-copy.html#SQL-COPY-BINARY-FORMAT
 */
import type { SampleColumns } from './types.ts';

/** `PGCOPY\n\377\r\n\0`, then flags and header-extension length (both 0). */
const HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
/** Field count (int16) + three (length int32, value) pairs: 2 + (4+4) + (4+8) + (4+8). */
const ROW_BYTES = 34;
/** Milliseconds from the Unix epoch to PostgreSQL's epoch, 2000-01-01T00:00:00Z. */
const PG_EPOCH_MS = 946_684_800_000;
const TWO_POW_32 = 4_294_967_296;

/** Encodes rows `start` (inclusive) to `end` (exclusive) as one complete binary COPY stream. */
export function encodeSamplesBinary(rows: SampleColumns, start = 0, end = rows.seriesIds.length): Buffer {
  const { seriesIds, ts, values } = rows;
  const buf = Buffer.allocUnsafe(HEADER.length + (end - start) * ROW_BYTES + 2);
  HEADER.copy(buf, 0);
  let p = HEADER.length;
  for (let i = start; i < end; i++) {
    buf.writeInt16BE(3, p);
    buf.writeInt32BE(4, p + 2);
    buf.writeInt32BE(seriesIds[i]!, p + 6);
    buf.writeInt32BE(8, p + 10);
    // timestamptz is int64 microseconds since 2000-01-01; written as two 32-bit halves because
    // the value fits a double exactly and BigInt conversion would cost more than the whole row.
    const micros = Math.round((ts[i]! - PG_EPOCH_MS) * 1000);
    const high = Math.floor(micros / TWO_POW_32);
    buf.writeInt32BE(high, p + 14);
    buf.writeUInt32BE(micros - high * TWO_POW_32, p + 18);
    buf.writeInt32BE(8, p + 22);
    buf.writeDoubleBE(values[i]!, p + 26);
    p += ROW_BYTES;
  }
  buf.writeInt16BE(-1, p);
  return buf;
}

/**
 * The rows of a binary COPY stream (as `Db.copyOut` returns it): each row's fields as views into
 * `bytes`, null for SQL NULL. Throws, naming the byte offset, on anything that is not a whole
 * stream in that format.
 */
export function readCopyRows(bytes: Uint8Array): (Uint8Array | null)[][] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const broken = (at: number, what: string): Error => new Error(`binary COPY data, byte ${at} of ${bytes.byteLength}: ${what}`);
  if (bytes.byteLength < HEADER.length + 2) throw broken(0, 'too short for a header and a trailer');
  for (let i = 0; i < 11; i++) if (bytes[i] !== HEADER[i]) throw broken(i, 'not the PGCOPY signature');
  let p = 15 + 4 + view.getInt32(15); // flags, then the header extension's length and bytes
  const rows: (Uint8Array | null)[][] = [];
  for (;;) {
    if (p + 2 > bytes.byteLength) throw broken(p, 'ends without the trailer (-1)');
    const fields = view.getInt16(p);
    p += 2;
    if (fields === -1) return rows;
    const row: (Uint8Array | null)[] = [];
    for (let f = 0; f < fields; f++) {
      if (p + 4 > bytes.byteLength) throw broken(p, `ends inside field ${f + 1} of ${fields}`);
      const length = view.getInt32(p);
      p += 4;
      if (length === -1) {
        row.push(null);
        continue;
      }
      if (length < 0 || p + length > bytes.byteLength) throw broken(p, `field ${f + 1} of ${fields} claims ${length} bytes`);
      row.push(bytes.subarray(p, p + length));
      p += length;
    }
    rows.push(row);
  }
}
