/**
 * The capacity model of a bundled broker: a pool of request handlers in front of the broker's
 * network (in and out, each moving `networkIn`/`networkOut` bytes/s, first come first served).
 * A request takes a free handler (or queues for one), then moves its bytes through the network,
 * holding the handler meanwhile, as a Kafka handler thread is held while it appends or reads.
 * Offered load beyond capacity therefore shows up honestly: the network queue grows, handlers
 * stay busy, queue and total times rise, and clients slow down because responses come later.
 * Below capacity handlers are mostly idle and a request costs little more than its transfer.
 */

/** Fixed handler cost of any request, in ms (header parsing, bookkeeping). */
const OVERHEAD_MS = 0.02;
/** Window over which idle ratios are reported. */
const IDLE_WINDOW_MS = 10_000;

/** Times of one request through the model, as Kafka's request metrics split them. */
export interface RequestTiming {
  /** Waiting for a free handler. */
  readonly queueMs: number;
  /** Being handled. */
  readonly localMs: number;
  /** When the response may leave (epoch ms). */
  readonly doneAt: number;
}

/** Busy time accumulated per second, to report idle ratios over a sliding window. */
class BusyWindow {
  private readonly buckets = new Map<number, number>();
  add(at: number, ms: number): void {
    const sec = Math.floor(at / 1000);
    this.buckets.set(sec, (this.buckets.get(sec) ?? 0) + ms);
  }
  busyMs(now: number, windowMs: number): number {
    const from = Math.floor((now - windowMs) / 1000);
    let sum = 0;
    for (const [sec, ms] of this.buckets) {
      if (sec < from) this.buckets.delete(sec);
      else sum += ms;
    }
    return sum;
  }
}

/** One broker's capacity model. */
export class CapacityModel {
  private freeAt: number[] = [];
  private inFreeAt = 0;
  private outFreeAt = 0;
  private readonly handlerBusy = new BusyWindow();
  private readonly netBusy = new BusyWindow();

  constructor(private capacity: { networkInBytesPerSec: number; networkOutBytesPerSec: number; requestHandlers: number }) {
    this.resize();
  }

  /** Applies new capacities (fault control). */
  update(capacity: { networkInBytesPerSec: number; networkOutBytesPerSec: number; requestHandlers: number }): void {
    this.capacity = capacity;
    this.resize();
  }

  private resize(): void {
    const n = Math.max(1, Math.floor(this.capacity.requestHandlers));
    while (this.freeAt.length < n) this.freeAt.push(0);
    this.freeAt.length = n;
  }

  /**
   * Schedules a request arriving at `now` (ms) that moves `bytesIn` into the broker and
   * `bytesOut` out of it; returns when it got a handler, how long it held it, and when it is done.
   */
  schedule(now: number, bytesIn: number, bytesOut: number): RequestTiming {
    let h = 0;
    for (let i = 1; i < this.freeAt.length; i++) if (this.freeAt[i]! < this.freeAt[h]!) h = i;
    const start = Math.max(now, this.freeAt[h]!);
    let t = start;
    if (bytesIn > 0) {
      const transfer = (1000 * bytesIn) / this.capacity.networkInBytesPerSec;
      const from = Math.max(t, this.inFreeAt);
      t = this.inFreeAt = from + transfer;
      this.netBusy.add(from, transfer);
    }
    if (bytesOut > 0) {
      const transfer = (1000 * bytesOut) / this.capacity.networkOutBytesPerSec;
      const from = Math.max(t, this.outFreeAt);
      t = this.outFreeAt = from + transfer;
      this.netBusy.add(from, transfer);
    }
    const end = t + OVERHEAD_MS;
    this.freeAt[h] = end;
    this.handlerBusy.add(start, end - start);
    return { queueMs: start - now, localMs: end - start, doneAt: end };
  }

  /** Fraction of handler time idle over the last window (kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent). */
  handlerIdle(now: number): number {
    const busy = this.handlerBusy.busyMs(now, IDLE_WINDOW_MS);
    return Math.min(1, Math.max(0, 1 - busy / (this.freeAt.length * IDLE_WINDOW_MS)));
  }

  /** Fraction of network time idle over the last window (kafka_network_socketserver_networkprocessoravgidle_percent). */
  networkIdle(now: number): number {
    const busy = this.netBusy.busyMs(now, IDLE_WINDOW_MS);
    return Math.min(1, Math.max(0, 1 - busy / IDLE_WINDOW_MS));
  }
}
