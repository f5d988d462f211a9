/**
 * The fixture as the live store would hold it at each moment of replay: its samples go into the
 * store's own `Head` (the Querier rules and the throttle loop read) as the virtual clock reaches
 * their time, never earlier, so no query sees the future; rule outputs come back in through the
 * writer's intake step, as they do live.
 */
import { Head } from '../store/head.ts';
import { SeriesCache, type SeriesRef } from '../store/series-cache.ts';
import type { Sample, SampleSink } from '../store/types.ts';
import { intake } from '../store/writer-intake.ts';
import type { FixtureSeries } from './format.ts';

/** Feeds fixture series into a head up to a time. */
export class FixtureFeed {
  readonly head: Head;
  readonly cache = new SeriesCache();
  private readonly refs: SeriesRef[];
  private readonly next: number[];
  /** Samples appended so far. */
  fed = 0;

  constructor(private readonly series: readonly FixtureSeries[], options: { headWindowMs?: number } = {}) {
    this.head = new Head(options.headWindowMs === undefined ? {} : { windowMs: options.headWindowMs });
    this.refs = series.map((s) => this.cache.ref(s.metric, s.labels));
    this.next = series.map(() => 0);
  }

  /** Appends every sample with ts <= `t` not appended yet. */
  upTo(t: number): void {
    for (let i = 0; i < this.series.length; i++) {
      const s = this.series[i]!;
      let k = this.next[i]!;
      if (k >= s.ts.length || s.ts[k]! > t) continue;
      const ref = this.refs[i]!;
      while (k < s.ts.length && s.ts[k]! <= t) {
        this.head.append(ref, s.ts[k]!, s.values[k]!);
        k++;
        this.fed++;
      }
      ref.lastTs = s.ts[k - 1]!;
      this.next[i] = k;
    }
  }

  /** The SampleSink rule outputs go to: the writer's intake step into the same head (no database). */
  sink(): SampleSink {
    return {
      write: async (batch: readonly Sample[]) => {
        intake(batch, this.cache, this.head, -Infinity, Infinity);
      },
    };
  }
}
