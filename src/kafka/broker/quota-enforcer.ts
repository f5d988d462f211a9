import { KAFKA_QUOTA_WINDOW_NUM, KAFKA_QUOTA_WINDOW_SIZE_SECONDS, type EntityComponent } from '../quota.ts';
import type { ClientQuotaStore } from './quotas.ts';

/**
 * Client quota enforcement as Apache Kafka does it (KIP-13, KIP-124, KIP-219): each quota
 * entity has a windowed rate (quota.window.num samples of quota.window.size.seconds); when the
 * rate exceeds the quota the broker answers at once with throttle_time_ms
 * X = (O - T) / T * W and then mutes the connection for X ms.
 * https://kafka.apache.org/documentation/#design_quotascpu
 */

/** A quota window: `num` samples (quota.window.num) of `sizeMs` each (quota.window.size.seconds). */
export interface QuotaWindow { readonly num: number; readonly sizeMs: number }

/** Kafka's default: 11 samples of 1 s. */
export const KAFKA_QUOTA_WINDOW: QuotaWindow = { num: KAFKA_QUOTA_WINDOW_NUM, sizeMs: KAFKA_QUOTA_WINDOW_SIZE_SECONDS * 1000 };

/** A rate over a sliding set of samples, with Kafka's SampledStat/Rate windowing. */
export class RateSensor {
  private samples: { start: number; value: number }[] = [];
  constructor(private readonly count = KAFKA_QUOTA_WINDOW.num, private readonly windowMs = KAFKA_QUOTA_WINDOW.sizeMs) {}

  private purge(now: number): void {
    const expireAge = this.count * this.windowMs;
    while (this.samples.length > 0 && now - this.samples[0]!.start >= expireAge) this.samples.shift();
  }

  /** Adds `value` at time `now` (ms). */
  record(value: number, now: number): void {
    this.purge(now);
    let cur = this.samples[this.samples.length - 1];
    if (!cur || now - cur.start >= this.windowMs) {
      cur = { start: now, value: 0 };
      this.samples.push(cur);
      if (this.samples.length > this.count) this.samples.shift();
    }
    cur.value += value;
  }

  /** Sum of live samples. */
  total(now: number): number {
    this.purge(now);
    let t = 0;
    for (const s of this.samples) t += s.value;
    return t;
  }

  /** Elapsed window in ms, never less than (count - 1) full windows (Kafka's Rate.windowSize). */
  windowSize(now: number): number {
    this.purge(now);
    let elapsed = now - (this.samples[0]?.start ?? now);
    const full = Math.floor(elapsed / this.windowMs);
    if (full < this.count - 1) elapsed += (this.count - 1 - full) * this.windowMs;
    return elapsed;
  }

  /** Rate per second. */
  rate(now: number): number {
    return this.total(now) / (this.windowSize(now) / 1000);
  }

  /**
   * The rate at `at` (no earlier than the last record) if the samples alive then were all there
   * is, with `moved` taken from the newest sample and recorded at `at` instead. Reads only.
   */
  private rateAt(at: number, moved: number): number {
    const expireAge = this.count * this.windowMs;
    const newest = this.samples[this.samples.length - 1];
    let total = moved;
    let oldest = at;
    for (const s of this.samples) {
      if (at - s.start >= expireAge) continue;
      total += s === newest ? s.value - moved : s.value;
      oldest = Math.min(oldest, s.start);
    }
    let elapsed = at - oldest;
    const full = Math.floor(elapsed / this.windowMs);
    if (full < this.count - 1) elapsed += (this.count - 1 - full) * this.windowMs;
    return total / (elapsed / 1000);
  }

  /**
   * How long until `value`, just recorded at `now`, could be recorded again without the rate
   * going over `bound`: the first time, to `stepMs`, at which the samples then alive and the
   * span the rate then divides by admit it. At most one expiry age (every sample alive now has
   * expired by then).
   */
  admitsAfter(value: number, bound: number, now: number, stepMs = 10): number {
    const limit = this.count * this.windowMs;
    for (let wait = 0; wait < limit; wait += stepMs) if (this.rateAt(now + wait, value) <= bound) return wait;
    return limit;
  }

  /** Takes back a recorded value (a throttled fetch that sends nothing). */
  unrecord(value: number, now: number): void {
    const cur = this.samples[this.samples.length - 1];
    if (cur && now - cur.start < this.windowMs) cur.value -= value;
  }
}

/** Kafka's throttle time for an observed rate over a quota, in ms. */
export function throttleTimeMs(observed: number, quota: number, windowMs: number): number {
  if (observed <= quota) return 0;
  return Math.round(((observed - quota) / quota) * windowMs);
}

/** The three client quota types. */
export type QuotaType = 'produce' | 'fetch' | 'request';
const KEY: Record<QuotaType, string> = { produce: 'producer_byte_rate', fetch: 'consumer_byte_rate', request: 'request_percentage' };

/** What enforcement decided for one request. */
export interface QuotaDecision {
  readonly throttleMs: number;
  /** Quota entity tags for metrics: the matched entity's user and client-id ('' when unset). */
  readonly user: string;
  readonly clientId: string;
}

/** The sensors of one quota entity for one quota type (Kafka keeps one set per quota manager). */
interface EntitySensors {
  readonly user: string;
  readonly clientId: string;
  readonly rate: RateSensor;
  /** Sum and count of throttle times, for the average Kafka reports. */
  readonly throttleSum: RateSensor;
  readonly throttleCount: RateSensor;
}

/** One entity's current figures for one quota type, as the exporter metrics show them. */
export interface QuotaSnapshot {
  readonly type: QuotaType;
  readonly user: string;
  readonly clientId: string;
  /** Bytes/s (produce, fetch) or percent of one handler thread (request). */
  readonly rate: number;
  /** Average throttle time per request over the window, ms. */
  readonly throttleMs: number;
}

/**
 * Per-broker enforcement state: for each quota type, one set of sensors per quota entity a
 * request counts against (the entity the quota was set on, with the default replaced by the
 * actual name), as Kafka's quota managers key their sensors.
 */
export class QuotaEnforcer {
  private readonly sensors = new Map<string, EntitySensors>();
  private cacheVersion = -1;
  private readonly lookups = new Map<string, { value: number; entity: readonly EntityComponent[] } | null>();

  constructor(private readonly store: ClientQuotaStore, private readonly window: QuotaWindow = KAFKA_QUOTA_WINDOW) {}

  private sensor(): RateSensor {
    return new RateSensor(this.window.num, this.window.sizeMs);
  }

  private quotaFor(type: QuotaType, user: string, clientId: string): { value: number; entity: readonly EntityComponent[] } | null {
    if (this.cacheVersion !== this.store.version) {
      this.lookups.clear();
      this.cacheVersion = this.store.version;
    }
    // JSON, not a separator: user names and client ids may hold any character, NUL included.
    const k = JSON.stringify([type, user, clientId]);
    let hit = this.lookups.get(k);
    if (hit === undefined) {
      hit = this.store.lookup(user, clientId, KEY[type]) ?? null;
      this.lookups.set(k, hit);
    }
    return hit;
  }

  /** Sensors of the entity a request counts against (the matched quota entity, or its own pair). */
  private sensorsFor(type: QuotaType, user: string, clientId: string, entity: readonly EntityComponent[] | null): EntitySensors {
    const u = entity ? (entity.find((c) => c.entityType === 'user') ? user : '') : user;
    const c = entity ? (entity.find((x) => x.entityType === 'client-id') ? clientId : '') : clientId;
    const k = JSON.stringify([type, u, c]);
    let s = this.sensors.get(k);
    if (!s) {
      s = { user: u, clientId: c, rate: this.sensor(), throttleSum: this.sensor(), throttleCount: this.sensor() };
      this.sensors.set(k, s);
    }
    return s;
  }

  /**
   * Records `value` (bytes, or handler ms for request quotas) and returns the throttle time.
   * Request-time throttles are capped at one quota window, as Kafka caps them.
   */
  recordAndThrottle(type: QuotaType, user: string, clientId: string, value: number, now: number): QuotaDecision {
    const quota = this.quotaFor(type, user, clientId);
    const s = this.sensorsFor(type, user, clientId, quota?.entity ?? null);
    // Request quotas are percentages of one handler thread: ms of handler time per second / 10.
    s.rate.record(type === 'request' ? value / 10 : value, now);
    let throttle = 0;
    if (quota) {
      throttle = throttleTimeMs(s.rate.rate(now), quota.value, s.rate.windowSize(now));
      if (type === 'request') throttle = Math.min(throttle, this.window.sizeMs);
    }
    return this.told(s, throttle, now);
  }

  /**
   * A fetch response of `bytes` for a client: whether it is sent, and the throttle time. Within the
   * quota it is sent. Over it, it is answered empty and its bytes are not counted (as Kafka does),
   * with the time until the same fetch would pass. One exception keeps a consumer from starving: a
   * response larger than any the quota admits (KIP-74 sends a partition's first batch whatever its
   * size) is sent when nothing else of the client's is in the window, and the client is then held
   * for as long as the quota takes to pay for it.
   */
  recordFetch(user: string, clientId: string, bytes: number, now: number): QuotaDecision & { readonly send: boolean } {
    const quota = this.quotaFor('fetch', user, clientId);
    const s = this.sensorsFor('fetch', user, clientId, quota?.entity ?? null);
    s.rate.record(bytes, now);
    let throttleMs = 0;
    let send = true;
    if (quota !== null && s.rate.rate(now) > quota.value) {
      if (bytes > this.maxFetchBytes(user, clientId) && s.rate.total(now) <= bytes) {
        throttleMs = Math.ceil((bytes / quota.value) * 1000);
      } else {
        // Answered empty, so Kafka's estimate (the time for the rate to fall back to the quota
        // were the span it divides by free to grow) sends the consumer back too early or too
        // late: it waits until the same fetch would pass.
        throttleMs = Math.max(1, s.rate.admitsAfter(bytes, quota.value, now));
        s.rate.unrecord(bytes, now);
        send = false;
      }
    }
    return { ...this.told(s, throttleMs, now), send };
  }

  /** Counts the throttle time a client is told, for the average the exporter shows. */
  private told(s: EntitySensors, throttleMs: number, now: number): QuotaDecision {
    s.throttleSum.record(throttleMs, now);
    s.throttleCount.record(1, now);
    return { throttleMs, user: s.user, clientId: s.clientId };
  }

  /** Takes back bytes recorded for a fetch that is answered empty because it is throttled. */
  unrecord(type: QuotaType, user: string, clientId: string, value: number, now: number): void {
    const quota = this.quotaFor(type, user, clientId);
    this.sensorsFor(type, user, clientId, quota?.entity ?? null).rate.unrecord(value, now);
  }

  /**
   * The most bytes a fetch may return without being throttled for certain: the quota over
   * (quota.window.num - 1) windows, the least span the rate divides by (Kafka's
   * getMaxValueInQuotaWindow, KAFKA-9677). One byte more than that over an empty window is already
   * over the quota, and a throttled fetch is answered empty: a larger bound starves the consumer.
   */
  maxFetchBytes(user: string, clientId: string): number {
    const q = this.quotaFor('fetch', user, clientId);
    return q ? Math.max(1, Math.floor(q.value * ((this.window.num - 1) * this.window.sizeMs / 1000))) : Infinity;
  }

  /** Current rate and average throttle time of every entity seen, per quota type. */
  snapshot(now: number): QuotaSnapshot[] {
    return [...this.sensors.entries()].map(([k, s]) => {
      const n = s.throttleCount.total(now);
      return {
        type: (JSON.parse(k) as [QuotaType])[0],
        user: s.user,
        clientId: s.clientId,
        rate: s.rate.rate(now),
        throttleMs: n > 0 ? s.throttleSum.total(now) / n : 0,
      };
    });
  }
}
