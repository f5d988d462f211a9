/**
 * The service assembled: `buildApp(config, deps)` wires the modules in order and returns
 * `{ start, stop }`. Building does no I/O. `start` opens the store (database, migrations,
 * partitions, head, writer, maintenance), then starts the collectors, which send samples to the
 * store's writer and events to its events table, and returns without waiting for any cycle.
 * `stop` undoes `start` in reverse: collectors first (their last cycle is written), then the
 * store (queued samples flushed, database closed). Used by `sluice start`, `sluice demo` and tests.
 */
import { Registry } from 'prom-client';
import { buildCollectors, CollectScheduler, dbEventSink, type Collector, type CollectConfig } from './collect/index.ts';
import type { SluiceConfig } from './config/sluice.ts';
import { openStore, redactUrl, type Store } from './store/index.ts';
import { silentLogger, type Logger } from './telemetry/logger.ts';

/** What the app takes from outside besides its config. */
export interface AppDeps {
  readonly logger?: Logger;
  /** Registry of the service's own metrics (writer, collectors). */
  readonly registry?: Registry;
  /** Wall clock, ms. */
  readonly now?: () => number;
  /**
   * Fraction of each collector's interval its first cycle is delayed by at most (default 1, so
   * the collectors of many clusters do not fire together; 0 runs every first cycle at once).
   */
  readonly jitter?: number;
  /** Builds the collectors; default `buildCollectors`. */
  readonly collectors?: (config: CollectConfig) => Collector[];
}

/** The config parts the app reads (the store and the clusters). */
export type AppConfig = Pick<SluiceConfig, 'store' | 'clusters'>;

/** A running (or startable) service. */
export interface App {
  /** Opens the store and starts the collectors; resolves once both run. Never waits for a cycle. */
  start(): Promise<void>;
  /** Stops the collectors, then closes the store. Safe to call more than once, or before start. */
  stop(): Promise<void>;
  /** The open store; throws before `start`. */
  readonly store: Store;
  /** The collectors' scheduler; throws before `start`. */
  readonly scheduler: CollectScheduler;
  /** Where samples go, for people: `PGlite (in memory)`, `PGlite at DIR` or a redacted URL. */
  readonly destination: string;
}

/** Describes where the store keeps its data, without credentials. */
export function describeDestination(store: AppConfig['store']): string {
  if (store.url !== undefined) return `PostgreSQL at ${redactUrl(store.url)}${store.schema === undefined ? '' : ` (schema ${store.schema})`}`;
  if (store.dataDir === undefined || store.dataDir === 'memory') return 'PGlite (in memory; data is lost at exit)';
  return `PGlite at ${store.dataDir}`;
}

/** Wires the store and the collectors of `config`. Does no I/O. */
export function buildApp(config: AppConfig, deps: AppDeps = {}): App {
  const logger = deps.logger ?? silentLogger();
  const registry = deps.registry ?? new Registry();
  const now = deps.now ?? Date.now;
  const makeCollectors = deps.collectors ?? ((c: CollectConfig) => buildCollectors(c));
  const destination = describeDestination(config.store);
  let store: Store | null = null;
  let scheduler: CollectScheduler | null = null;
  let events: ReturnType<typeof dbEventSink> | null = null;
  let starting: Promise<void> | null = null;
  let stopping: Promise<void> | null = null;

  const stop = async (): Promise<void> => {
    // Let a start in progress finish, so that what it opened is closed.
    await starting?.catch(() => undefined);
    const s = scheduler;
    const st = store;
    const ev = events;
    scheduler = null;
    store = null;
    events = null;
    if (s !== null) await s.stop();
    if (ev !== null) await ev.close();
    if (st !== null) await st.close();
  };

  return {
    get store(): Store {
      if (store === null) throw new Error('the app is not started');
      return store;
    },
    get scheduler(): CollectScheduler {
      if (scheduler === null) throw new Error('the app is not started');
      return scheduler;
    },
    destination,
    start(): Promise<void> {
      starting ??= (async () => {
        // Receivers first: the store must accept samples before any collector sends one.
        const opened = await openStore(config.store, { registry, logger: logger.child({ component: 'store' }), now });
        store = opened;
        let collectors: Collector[] = [];
        try {
          collectors = makeCollectors({ clusters: config.clusters });
          events = dbEventSink(opened.db, { registry, logger: logger.child({ component: 'events' }) });
          scheduler = new CollectScheduler({
            collectors,
            sink: opened.writer,
            events,
            registry,
            logger: logger.child({ component: 'collect' }),
            now,
            ...(deps.jitter === undefined ? {} : { jitter: deps.jitter }),
          });
          scheduler.start();
        } catch (err) {
          await Promise.all(collectors.map((c) => c.close?.().catch(() => undefined)));
          scheduler = null;
          store = null;
          events = null;
          await opened.close();
          throw err;
        }
        logger.info({ destination, clusters: config.clusters.map((c) => c.name), collectors: collectors.length }, 'sluice started');
      })();
      return starting;
    },
    stop(): Promise<void> {
      stopping ??= stop().then(() => logger.info('sluice stopped'));
      return stopping;
    },
  };
}
