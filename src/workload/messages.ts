/**
 * The messages a workload producer sends: key `key-<n % keys>`, a value of exactly `size`
 * pseudo-random bytes that depends only on the producer id and n (so a run is reproducible),
 * and headers naming the producer and the send time (`sluice-producer`, `sluice-ts`), from which
 * a consumer can tell whose message it read and how old it is.
 */

/** Header naming the producer id. */
export const PRODUCER_HEADER = 'sluice-producer';
/** Header with the send time, epoch milliseconds as decimal text. */
export const TIMESTAMP_HEADER = 'sluice-ts';

const PRODUCER_HEADER_KEY = Buffer.from(PRODUCER_HEADER);
const TIMESTAMP_HEADER_KEY = Buffer.from(TIMESTAMP_HEADER);

/** One message ready for a producer client. */
export interface WorkloadMessage {
  readonly topic: string;
  readonly key: Buffer;
  readonly value: Buffer;
  readonly headers: Map<Buffer, Buffer>;
}

/** Builds the messages of one producer; `build(n)` is the producer's n-th message (from 0). */
export class MessageFactory {
  readonly #seed: number;
  readonly #producer: Buffer;

  constructor(
    readonly producerId: string,
    readonly topic: string,
    readonly size: number,
    readonly keys: number,
  ) {
    this.#seed = hashString(producerId);
    this.#producer = Buffer.from(producerId);
  }

  /** Message number `n`, stamped with `nowMs`. */
  build(n: number, nowMs: number): WorkloadMessage {
    return {
      topic: this.topic,
      key: Buffer.from(`key-${n % this.keys}`),
      value: payload(this.size, (this.#seed ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0),
      headers: new Map([
        [PRODUCER_HEADER_KEY, this.#producer],
        [TIMESTAMP_HEADER_KEY, Buffer.from(String(Math.floor(nowMs)))],
      ]),
    };
  }
}

/** `size` pseudo-random bytes from `seed` (mulberry32): the same seed always gives the same bytes. */
export function payload(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let state = seed >>> 0;
  let i = 0;
  for (; i < size; i += 4) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const word = (t ^ (t >>> 14)) >>> 0;
    if (i + 4 <= size) out.writeUInt32LE(word, i);
    else for (let b = 0; i + b < size; b++) out[i + b] = (word >>> (8 * b)) & 0xff;
  }
  return out;
}

/** FNV-1a of a string's UTF-16 code units: a stable 32-bit seed from a producer id. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}
