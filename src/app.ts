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
import { buildApi, listenApi } from './api/server.ts';
import type { ReadinessCheck } from './api/types.ts';
import type { FastifyInstance } from 'fastify';

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

/** The config parts the app reads: the store and the clusters, and the HTTP API when it is to be served. */
export type AppConfig = Pick<SluiceConfig, 'store' | 'clusters'> & Partial<Pick<SluiceConfig, 'api'>>;

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
  /** URL of the HTTP API once started (`http://127.0.0.1:8080`); undefined when not served. */
  readonly apiUrl: string | undefined;
}

/** Describes where the store keeps its data, without credentials. */
export function describeDestination(store: AppConfig['store']): string {
  if (store.url !== undefined) return `PostgreSQL at ${redactUrl(store.url)}${store.schema === undefined ? '' : ` (schema ${store.schema})`}`;
  if (store.dataDir === undefined || store.dataDir === 'memory') return 'PGlite (in memory; data is lost at exit)';
  return `PGlite at ${store.dataDir}`;
}

/** Database reachable and collectors scheduled: what /readyz reports. */
async function readinessChecks(store: Store, scheduler: CollectScheduler): Promise<ReadinessCheck[]> {
  const checks: ReadinessCheck[] = [];
  try {
    await store.db.query('SELECT 1');
    checks.push({ name: 'database', ok: true });
  } catch (err) {
    checks.push({ name: 'database', ok: false, detail: (err as Error).message });
  }
  checks.push({ name: 'collectors', ok: scheduler.running, ...(scheduler.running ? {} : { detail: 'the collectors are not running' }) });
  return checks;
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
  let api: FastifyInstance | null = null;
  let apiUrl: string | undefined;
  let starting: Promise<void> | null = null;
  let stopping: Promise<void> | null = null;

  const stop = async (): Promise<void> => {
    // Let a start in progress finish, so that what it opened is closed.
    await starting?.catch(() => undefined);
    const s = scheduler;
    const st = store;
    const ev = events;
    const a = api;
    scheduler = null;
    store = null;
    events = null;
    api = null;
    apiUrl = undefined;
    if (a !== null) await a.close();
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
    get apiUrl(): string | undefined {
      return apiUrl;
    },
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
          if (config.api !== undefined) {
            const running = scheduler;
            const readiness = { checks: () => readinessChecks(opened, running) };
            api = await buildApi({ registry, token: config.api.token, readiness, logger: logger.child({ component: 'api' }) });
            apiUrl = await listenApi(api, config.api.port, config.api.host);
          }
        } catch (err) {
          await api?.close().catch(() => undefined);
          await scheduler?.stop().catch(() => undefined);
          if (scheduler === null) await Promise.all(collectors.map((c) => c.close?.().catch(() => undefined)));
          scheduler = null;
          store = null;
          events = null;
          api = null;
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
