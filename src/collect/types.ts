/**
 * The collector contract. A collector turns one look at one cluster into samples; the scheduler
 * (scheduler.ts) decides when it looks, never runs it twice at once, and hands what it returns to
 * the `SampleSink` and the `EventSink`.
 *
 * What a collector must do:
 * - resolve `collect` with everything it could read, even when a broker or endpoint failed; each
 *   failure goes into `errors` (it is counted and logged), never into a rejection;
 * - put `cluster` on every sample and stamp samples with `ctx.nowMs` unless it knows better;
 * - keep between cycles only what it needs to derive rates, time lag or changes (events).
 * What it must not do: write to the store itself, or keep its own timers.
 */
import type { Sample } from '../store/types.ts';
import type { StoreEvent } from '../store/events.ts';

/** What one cycle is given. */
export interface CollectContext {
  /** The cycle's time, ms since the epoch. */
  readonly nowMs: number;
}

/** One thing that failed inside a cycle. */
export interface CollectIssue {
  /** What failed, e.g. `listOffsets`, `scrape`. */
  readonly op: string;
  /** What it was about: a broker, URL, group or partition. */
  readonly subject?: string;
  readonly message: string;
}

/** What one cycle produced. */
export interface CollectResult {
  readonly samples: Sample[];
  readonly errors: CollectIssue[];
  /** Discrete facts seen this cycle (leader moved, broker down or up). */
  readonly events?: StoreEvent[];
}

/** One collector of one cluster. */
export interface Collector {
  /** `host`, `cluster`, `topics` or `clients`: the `collector` label of its own metrics. */
  readonly name: string;
  /** The cluster it looks at. */
  readonly cluster: string;
  /** Time between cycles, ms. */
  readonly intervalMs: number;
  collect(ctx: CollectContext): Promise<CollectResult>;
  /** Releases connections; called once by the scheduler's `stop`. */
  close?(): Promise<void>;
}

/** A broker a cluster has been seen with, and when the cluster last listed it or assigned it a replica. */
export interface KnownBroker {
  readonly id: number;
  readonly lastClaimedMs: number;
}

/**
 * Where the cluster collector keeps the brokers it has seen, so that a broker that is down, or
 * a cluster that does not answer, is still reported after Sluice restarts: the store's
 * `cluster_brokers` table (see `dbKnownBrokers`), or memory in tests and benchmarks. The
 * collector reads it every cycle, so a broker forgotten by an operator is dropped at once.
 */
export interface KnownBrokerStore {
  list(cluster: string): Promise<readonly KnownBroker[]>;
  /** Adds the brokers not known yet, and sets `lastClaimedMs` of all of them to `atMs`. */
  claim(cluster: string, brokers: readonly number[], atMs: number): Promise<void>;
  forget(cluster: string, brokers: readonly number[]): Promise<void>;
}

/** Where events go: the store's events table (see `dbEventSink`), or a recorder in tests. */
export interface EventSink {
  record(events: readonly StoreEvent[]): Promise<void>;
}

/**
 * How old a read that the collectors of one cluster share within a cycle (cluster metadata, an
 * exporter scrape) may be when handed to another collector, ms.
 */
export const SHARED_READ_MS = 1000;
