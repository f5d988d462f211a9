/**
 * Small tools of the writer: a wake-up signal for its flush loop, a meter of the incoming sample
 * rate (which sizes the default outage buffer) and a time limit on one write attempt.
 *
 * The signal's wait and the writer's retry delays run on the writer's `Clock`; the time limit on
 * a write attempt does not: it bounds real I/O (a socket that stopped answering), and a virtual
 * clock that nobody moves while the attempt hangs would leave it hanging for ever.
 */
import type { Clock } from '../clock.ts';
import { SluiceError } from '../errors.ts';

/** Wakes one waiting loop; a notify with nobody waiting is remembered until the next wait. */
export class Signal {
  private wake: (() => void) | undefined;
  private pending = false;

  constructor(private readonly clock: Clock) {}

  /** Resolves on the next `notify` (or one that came before), or after `timeoutMs`. */
  wait(timeoutMs?: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = timeoutMs === undefined ? undefined : this.clock.setTimeout(() => done(), timeoutMs);
      const done = () => {
        timer?.cancel();
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
    });
  }

  /** Wakes the waiter, or the next one to wait. */
  notify(): void {
    if (this.wake !== undefined) this.wake();
    else this.pending = true;
  }
}

/**
 * Resolves after `ms` on `clock`, or rejects with the signal's reason once `signal` aborts (at
 * once if it already has).
 */
export function sleepOn(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      timer.cancel();
      reject(signal.reason);
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const BUCKET_MS = 10_000;
const BUCKETS = 6;

/** Samples per second over the last minute, from counts kept in 10-second buckets. */
export class RateMeter {
  private readonly counts = new Float64Array(BUCKETS);
  private bucket = -1;
  private first = Number.NaN;

  /** Counts `n` samples arrived at `now`. */
  add(n: number, now: number): void {
    if (Number.isNaN(this.first)) this.first = now;
    this.advance(now);
    this.counts[this.bucket % BUCKETS]! += n;
  }

  /** The mean rate over up to the last 60 s (or since the first sample, if later). */
  perSecond(now: number): number {
    if (Number.isNaN(this.first)) return 0;
    this.advance(now);
    let total = 0;
    for (const count of this.counts) total += count;
    const span = Math.min(BUCKETS * BUCKET_MS, Math.max(BUCKET_MS, now - this.first));
    return (total * 1000) / span;
  }

  private advance(now: number): void {
    const bucket = Math.floor(now / BUCKET_MS);
    if (this.bucket < 0) this.bucket = bucket;
    for (let b = this.bucket + 1; b <= bucket && b <= this.bucket + BUCKETS; b++) this.counts[b % BUCKETS] = 0;
    if (bucket > this.bucket) this.bucket = bucket;
  }
}

/**
 * Runs `work`, failing with SLUICE_ERR_STORE_UNREACHABLE (retryable) if it has not settled after
 * `ms`. The work itself is not cancelled: a write that still lands later is harmless, because
 * the retry is idempotent and the unique (series_id, ts) index refuses a second copy.
 */
export async function withTimeout(ms: number, work: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const running = work();
  running.catch(() => undefined); // if it fails after the timeout, the timeout was the answer
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SluiceError('SLUICE_ERR_STORE_UNREACHABLE', `writing a batch took longer than ${ms} ms`)), ms);
  });
  try {
    await Promise.race([running, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
