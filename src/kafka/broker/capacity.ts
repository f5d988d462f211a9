/**
 * The capacity model of a bundled broker: a pool of request handlers in front of the broker's
 * network (in and out, each moving `networkIn`/`networkOut` bytes/s). A request takes a free
 * handler (or queues for one), then moves its bytes through the network, holding the handler
 * meanwhile, as a Kafka handler thread is held while it appends or reads. Offered load beyond
 * capacity therefore shows up honestly: the network queue grows, handlers stay busy, queue and
 * total times rise, and clients slow down because responses come later. Below capacity handlers
 * are mostly idle and a request costs little more than its transfer.
 *
 * A small transfer is not held behind other connections' large ones: a 100-byte response does
 * not wait behind another client's 1 MiB one. See `Link`.
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

/**
 * Transfers up to this size (Kafka's default `socket.send.buffer.bytes`, 100 KiB: a response
 * the socket takes in one write) go out beside a backlog of larger ones; larger ones queue.
 */
const SHARED_BELOW = 100 * 1024;

/**
 * One direction of a broker's network. Every transfer adds its bytes to the link's backlog, and
 * the link's time is handed out first come first served, so it never moves more than its
 * capacity; but a transfer that fits in a socket's send buffer goes out beside the backlog, as a
 * network shares a link among flows: with k transfers still in flight, processor sharing sends at
 * most b of each before b of the new one is through, so it is done after (k + 1)·b at the link's
 * rate if that is sooner than the backlog. Its bytes still count in the backlog, so the large
 * transfers behind make room for them. A 100-byte response does not wait behind another client's
 * 1 MiB one.
 */
class Link {
  private freeAt = 0;
  /** When the transfers still in flight finish. */
  private inFlight: number[] = [];

  constructor(private bytesPerSec: number) {}

  setRate(bytesPerSec: number): void {
    this.bytesPerSec = bytesPerSec;
  }

  /** Moves `bytes` starting at `t` (ms); returns when the link had started on them and when they are through. */
  transfer(t: number, bytes: number): { from: number; ms: number; done: number } {
    const ms = (1000 * bytes) / this.bytesPerSec;
    const from = Math.max(t, this.freeAt);
    this.freeAt = from + ms;
    // Forget the transfers through by now, in place (this runs for every request).
    let n = 0;
    for (const d of this.inFlight) if (d > t) this.inFlight[n++] = d;
    this.inFlight.length = n;
    const done = bytes <= SHARED_BELOW ? Math.min(from + ms, t + (n + 1) * ms) : from + ms;
    this.inFlight.push(done);
    return { from, ms, done };
  }
}

/** One broker's capacity model. */
export class CapacityModel {
  private freeAt: number[] = [];
  private readonly netIn: Link;
  private readonly netOut: Link;
  private readonly handlerBusy = new BusyWindow();
  private readonly netBusy = new BusyWindow();

  constructor(private capacity: { networkInBytesPerSec: number; networkOutBytesPerSec: number; requestHandlers: number }) {
    this.netIn = new Link(capacity.networkInBytesPerSec);
    this.netOut = new Link(capacity.networkOutBytesPerSec);
    this.resize();
  }

  /** Applies new capacities (fault control). */
  update(capacity: { networkInBytesPerSec: number; networkOutBytesPerSec: number; requestHandlers: number }): void {
    this.capacity = capacity;
    this.netIn.setRate(capacity.networkInBytesPerSec);
    this.netOut.setRate(capacity.networkOutBytesPerSec);
    this.resize();
  }

  private resize(): void {
    const n = Math.max(1, Math.floor(this.capacity.requestHandlers));
    while (this.freeAt.length < n) this.freeAt.push(0);
    this.freeAt.length = n;
  }

  /**
   * Moves `bytesIn` into the broker, then `bytesOut` out of it, from `now`; returns when they are
   * through. Without a request handler, this is replication, which Kafka's replica fetcher threads
   * append on the follower and its network threads send from the leader: it takes link time from
   * client requests, not handlers.
   */
  transfer(now: number, bytesIn: number, bytesOut: number): number {
    let t = now;
    if (bytesIn > 0) t = this.move(this.netIn, t, bytesIn);
    if (bytesOut > 0) t = this.move(this.netOut, t, bytesOut);
    return t;
  }

  private move(link: Link, t: number, bytes: number): number {
    const moved = link.transfer(t, bytes);
    this.netBusy.add(moved.from, moved.ms);
    return moved.done;
  }

  /**
   * Schedules a request arriving at `now` (ms) that moves `bytesIn` into the broker and
   * `bytesOut` out of it; returns when it got a handler, how long it held it, and when it is done.
   */
  schedule(now: number, bytesIn: number, bytesOut: number): RequestTiming {
    let h = 0;
    for (let i = 1; i < this.freeAt.length; i++) if (this.freeAt[i]! < this.freeAt[h]!) h = i;
    const start = Math.max(now, this.freeAt[h]!);
    const end = this.transfer(start, bytesIn, bytesOut) + OVERHEAD_MS;
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
