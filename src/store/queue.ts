/**
 * The writer's queue of accepted samples, in arrival order, held column by column (series ref,
 * time, value) so that a 10-minute outage buffer of millions of samples costs 24 bytes each and
 * no object per sample.
 */
import type { SeriesRef } from './series-cache.ts';

/** A run of samples: three columns of equal length. */
export interface SampleChunk {
  readonly refs: readonly SeriesRef[];
  readonly ts: Float64Array;
  readonly values: Float64Array;
}

/** A chunk taken off the queue for one database write, with its time range. */
export interface SampleBatch extends SampleChunk {
  readonly minTs: number;
  readonly maxTs: number;
}

/** FIFO of sample chunks; `take` cuts batches of a bounded size off the front. */
export class SampleQueue {
  private chunks: SampleChunk[] = [];
  /** Samples of chunks[0] already taken. */
  private offset = 0;
  private count = 0;

  /** Samples waiting. */
  get size(): number {
    return this.count;
  }

  /** Appends a chunk at the back. */
  push(chunk: SampleChunk): void {
    if (chunk.refs.length === 0) return;
    this.chunks.push(chunk);
    this.count += chunk.refs.length;
  }

  /** Removes and returns up to `max` samples from the front, oldest first. */
  take(max: number): SampleBatch {
    const n = Math.min(max, this.count);
    const refs = new Array<SeriesRef>(n);
    const ts = new Float64Array(n);
    const values = new Float64Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const from = this.offset;
      const to = Math.min(chunk.refs.length, from + (n - filled));
      for (let i = from; i < to; i++) refs[filled + i - from] = chunk.refs[i]!;
      ts.set(chunk.ts.subarray(from, to), filled);
      values.set(chunk.values.subarray(from, to), filled);
      filled += to - from;
      if (to === chunk.refs.length) {
        this.chunks.shift();
        this.offset = 0;
      } else {
        this.offset = to;
      }
    }
    this.count -= n;
    let minTs = Infinity;
    let maxTs = -Infinity;
    for (let i = 0; i < n; i++) {
      const t = ts[i]!;
      if (t < minTs) minTs = t;
      if (t > maxTs) maxTs = t;
    }
    return { refs, ts, values, minTs, maxTs };
  }

  /** Empties the queue and returns how many samples it held. */
  clear(): number {
    const n = this.count;
    this.chunks = [];
    this.offset = 0;
    this.count = 0;
    return n;
  }
}
