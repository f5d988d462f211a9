import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/** CRC-32C (Castagnoli) of `buf`, as record batches v2 carry it. */
export function crc32c(buf: Uint8Array): number {
  return nativeCrc32c(Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.length)) >>> 0;
}
