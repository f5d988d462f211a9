/**
 * The capacity model of a bundled broker: a pool of request handlers, each working at
 * capacity / handlers, so that all of them together move at most `networkIn` bytes/s in and
 * `networkOut` bytes/s out. A request occupies one handler for its service time; when all are
 * busy it queues. Offered load beyond capacity therefore shows up honestly: queue time and total
 * time grow, handler idle falls to zero, and clients slow down because responses come later.
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

  /** Service time in ms of moving these bytes on one handler. */
  serviceMs(bytesIn: number, bytesOut: number): number {
    const n = this.freeAt.length;
    return OVERHEAD_MS + 1000 * n * (bytesIn / this.capacity.networkInBytesPerSec + bytesOut / this.capacity.networkOutBytesPerSec);
  }

  /** Schedules a request arriving at `now` on the earliest free handler. */
  schedule(now: number, bytesIn: number, bytesOut: number): RequestTiming {
    let best = 0;
    for (let i = 1; i < this.freeAt.length; i++) if (this.freeAt[i]! < this.freeAt[best]!) best = i;
    const start = Math.max(now, this.freeAt[best]!);
    const localMs = this.serviceMs(bytesIn, bytesOut);
    this.freeAt[best] = start + localMs;
    this.handlerBusy.add(start, localMs);
    const netMs = 1000 * (bytesIn / this.capacity.networkInBytesPerSec + bytesOut / this.capacity.networkOutBytesPerSec);
    this.netBusy.add(start, netMs);
    return { queueMs: start - now, localMs, doneAt: start + localMs };
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

  /** Utilization in [0, 1+]: offered work over capacity across the window. */
  utilization(now: number): number {
    return this.handlerBusy.busyMs(now, IDLE_WINDOW_MS) / (this.freeAt.length * IDLE_WINDOW_MS);
  }
}
