/**
 * Acknowledge latency of a producer: from the client's send to the cluster's acknowledgement,
 * per message, kept as counts in log-spaced buckets (each 10% wider than the one before, from
 * 0.1 ms to about 10 minutes), so that a quantile is known within 10% whatever the spread.
 * Pure. The counts only grow, so two snapshots of one histogram subtract into the latencies of
 * the time between them (`latencyBetween`): the p99 of a burst is read from the snapshots taken
 * at its start and end.
 */

/** Upper bound of the first bucket, ms: anything faster counts there. */
const FIRST_BOUND_MS = 0.1;
/** Each bucket's upper bound is this times the previous one's. */
const GROWTH = 1.1;
/** Buckets; the last also takes anything slower than its lower bound (about 10 minutes). */
const BUCKETS = 165;

/** Latencies at one moment: per-bucket message counts, their number and their sum (ms). */
export interface LatencySnapshot {
  /** Messages per bucket; bucket `i` holds latencies in (bound(i − 1), bound(i)]. */
  readonly counts: readonly number[];
  readonly count: number;
  readonly sumMs: number;
}

/** The upper bound of bucket `i`, ms. */
export function bucketBound(i: number): number {
  return FIRST_BOUND_MS * GROWTH ** i;
}

/** The bucket a latency of `ms` falls in. */
export function bucketOf(ms: number): number {
  if (!(ms > FIRST_BOUND_MS)) return 0;
  // A small tolerance keeps an exact bound in its own bucket despite floating-point logs.
  const i = Math.ceil(Math.log(ms / FIRST_BOUND_MS) / Math.log(GROWTH) - 1e-9);
  return Math.min(BUCKETS - 1, i);
}

/** A producer's acknowledge latencies so far. */
export class LatencyHistogram {
  readonly #counts: number[] = new Array<number>(BUCKETS).fill(0);
  #count = 0;
  #sumMs = 0;

  /** Counts `messages` acknowledged `ms` after they were sent. */
  record(ms: number, messages = 1): void {
    if (messages <= 0) return;
    this.#counts[bucketOf(ms)]! += messages;
    this.#count += messages;
    this.#sumMs += Math.max(0, ms) * messages;
  }

  /** A copy of the counts now. */
  snapshot(): LatencySnapshot {
    return { counts: [...this.#counts], count: this.#count, sumMs: this.#sumMs };
  }
}

/** No latencies at all. */
export const EMPTY_LATENCY: LatencySnapshot = { counts: [], count: 0, sumMs: 0 };

/** The latencies recorded after `earlier` and up to `later` (two snapshots of one histogram). */
export function latencyBetween(later: LatencySnapshot, earlier: LatencySnapshot): LatencySnapshot {
  const length = Math.max(later.counts.length, earlier.counts.length);
  const counts = Array.from({ length }, (_, i) => Math.max(0, (later.counts[i] ?? 0) - (earlier.counts[i] ?? 0)));
  return { counts, count: Math.max(0, later.count - earlier.count), sumMs: Math.max(0, later.sumMs - earlier.sumMs) };
}

/** The latencies of several producers together. */
export function mergeLatency(snapshots: readonly LatencySnapshot[]): LatencySnapshot {
  const length = Math.max(0, ...snapshots.map((s) => s.counts.length));
  const counts = Array.from({ length }, (_, i) => snapshots.reduce((sum, s) => sum + (s.counts[i] ?? 0), 0));
  return { counts, count: snapshots.reduce((sum, s) => sum + s.count, 0), sumMs: snapshots.reduce((sum, s) => sum + s.sumMs, 0) };
}

/**
 * The `q` quantile (0..1) in ms: the upper bound of the bucket holding the message of that rank
 * (so at most 10% above the true value); undefined with no messages.
 */
export function latencyQuantile(snapshot: LatencySnapshot, q: number): number | undefined {
  if (snapshot.count === 0) return undefined;
  const rank = Math.max(1, Math.ceil(Math.min(1, Math.max(0, q)) * snapshot.count));
  let seen = 0;
  for (const [i, n] of snapshot.counts.entries()) {
    seen += n;
    if (seen >= rank) return bucketBound(i);
  }
  return bucketBound(snapshot.counts.length - 1);
}
