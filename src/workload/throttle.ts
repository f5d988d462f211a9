/**
 * Throttle time as the brokers report it: the `throttle_time_ms` of every Produce and Fetch
 * response a workload client receives. @platformatic/kafka does not surface that field through
 * its API, but it publishes every decoded response on the `plt:kafka:connections:api` tracing
 * channel (node:diagnostics_channel), tagged with the connection whose `ownerId` is the client's
 * `instanceId`; reading it there gives the brokers' own figure rather than an estimate.
 *
 * Since KIP-219 (Produce v6+, Fetch v8+) a broker answers a throttled request at once with the
 * throttle time and then mutes the connection for that long, so this is time the client was
 * held back, not time the response took.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';

/** The channel @platformatic/kafka publishes decoded responses on (start of the async callback). */
export const RESPONSES_CHANNEL = 'tracing:plt:kafka:connections:api:asyncStart';

const PRODUCE = 0;
const FETCH = 1;

/** Throttling seen by one workload client, accumulated since it was tracked. */
export class ThrottleStats {
  /** Produce and Fetch responses received. */
  responses = 0;
  /** Responses with a throttle time above 0. */
  throttled = 0;
  /** Sum of throttle_time_ms over all responses. */
  totalMs = 0;
  /** Largest throttle_time_ms seen. */
  maxMs = 0;

  record(throttleMs: number): void {
    this.responses++;
    if (throttleMs <= 0) return;
    this.throttled++;
    this.totalMs += throttleMs;
    if (throttleMs > this.maxMs) this.maxMs = throttleMs;
  }
}

interface ApiEvent {
  readonly apiKey?: number;
  readonly connection?: { readonly ownerId?: number };
  readonly result?: { readonly throttleTimeMs?: unknown };
  readonly error?: { readonly response?: { readonly throttleTimeMs?: unknown } };
}

/**
 * Attributes broker-reported throttle times to workload clients. Clients are tracked by
 * `instanceId`; responses of other clients in the process are ignored.
 */
export class ThrottleMonitor {
  readonly #owners = new Map<number, ThrottleStats>();
  #subscribed = false;

  readonly #onResponse = (message: unknown): void => {
    const event = message as ApiEvent;
    if (event.apiKey !== PRODUCE && event.apiKey !== FETCH) return;
    const owner = event.connection?.ownerId;
    const stats = owner === undefined ? undefined : this.#owners.get(owner);
    if (stats === undefined) return;
    // A response with partition errors is decoded too; its throttle time is on the error.
    const throttle = event.result?.throttleTimeMs ?? event.error?.response?.throttleTimeMs;
    if (typeof throttle === 'number') stats.record(throttle);
  };

  /** Starts listening; idempotent. */
  start(): void {
    if (this.#subscribed) return;
    subscribe(RESPONSES_CHANNEL, this.#onResponse);
    this.#subscribed = true;
  }

  /** Stops listening; idempotent. */
  stop(): void {
    if (!this.#subscribed) return;
    unsubscribe(RESPONSES_CHANNEL, this.#onResponse);
    this.#subscribed = false;
  }

  /** Accumulates the responses of client `instanceId` into `stats` (several clients may share one). */
  track(instanceId: number, stats: ThrottleStats): void {
    this.#owners.set(instanceId, stats);
  }

  /** Forgets client `instanceId`. */
  untrack(instanceId: number): void {
    this.#owners.delete(instanceId);
  }
}
