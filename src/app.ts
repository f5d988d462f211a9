/**
 * The service assembled: `buildApp(config, deps)` wires the modules in order and returns
 * `{ start, stop }`. Building does no I/O. `start` brings the parts up receivers first, so that
 * nothing sends before its receiver runs:
 *   store (database, migrations, partitions, head, writer) → notifier (silences, outbox) → rules
 *   (groups loaded, alert state restored) → throttle loops → collectors → HTTP API,
 * and returns without waiting for any cycle. `stop` undoes `start` in reverse. Used by
 * `sluice start`, `sluice demo` and tests.
 */
import { basename, resolve } from 'node:path';
import { Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { buildCollectors, ClusterCollector, CollectScheduler, dbEventSink, dbKnownBrokers, type Collector, type CollectConfig, type KnownBrokerStore } from './collect/index.ts';
import { adminOptionsOf } from './collect/config.ts';
import type { SluiceConfig } from './config/sluice.ts';
import { wallClock, type Clock } from './clock.ts';
import { KafkaAdmin } from './kafka/admin.ts';
import { Notifier } from './notify/notifier.ts';
import type { NotifyConfig } from './notify/config.ts';
import { RuleManager } from './rules/manager.ts';
import { loadConfiguredRuleFiles, type LoadedRuleFile } from './rules/file.ts';
import { Engine } from './rules/promql/index.ts';
import { openStore, type Store } from './store/index.ts';
import { redactUrl } from './redact.ts';
import { silentLogger, type Logger } from './telemetry/logger.ts';
import { KafkaQuotaActuator, type QuotaActuator } from './throttle/actuator.ts';
import { DecisionStore } from './throttle/audit.ts';
import { ThrottleLoop } from './throttle/loop.ts';
import { buildApi, listenApi, type AuthHook } from './api/server.ts';
import { publicPath, type PublicPlace } from './public-paths.ts';
import { throttleRoutes } from './api/routes/throttle.ts';
import { replayRoutes } from './api/routes/replay.ts';
import { statusSource } from './api/status-page/view.ts';
import { alertsSource, readinessChecks, TRAFFIC_ALERTS } from './app-parts.ts';

/** What the app takes from outside besides its config. */
export interface AppDeps {
  readonly logger?: Logger;
  /** Registry of the service's own metrics (writer, collectors, rules, notifications, throttle). */
  readonly registry?: Registry;
  /** Clock of the store, collectors, rules, notifications and the throttle loop; default the wall clock. */
  readonly clock?: Clock;
  /**
   * Fraction of each collector's interval its first cycle is delayed by at most (default 1, so
   * the collectors of many clusters do not fire together; 0 runs every first cycle at once).
   */
  readonly jitter?: number;
  /** Builds the collectors; default `buildCollectors`, keeping known brokers in the store. */
  readonly collectors?: (config: CollectConfig, parts: { readonly knownBrokers: KnownBrokerStore }) => Collector[];
  /** The quota actuator of a cluster; default the Kafka admin client's. */
  readonly actuator?: (cluster: string) => QuotaActuator;
  /** `rules.files` already read and checked (`sluice start` checks them before it reaches a cluster); default: read at start. */
  readonly ruleFiles?: readonly LoadedRuleFile[];
}

/**
 * The config parts the app reads: the store and the clusters always; the API, rules,
 * notifications and throttle when given (the throttle loop also needs rules for its alerts).
 */
export type AppConfig = Pick<SluiceConfig, 'store' | 'clusters'> & Partial<Pick<SluiceConfig, 'api' | 'rules' | 'notify' | 'throttle'>>;

/** A running (or startable) service. */
export interface App {
  /** Starts every part; resolves once all run. Never waits for a cycle. */
  start(): Promise<void>;
  /** Stops every part in reverse order. Safe to call more than once, or before start. */
  stop(): Promise<void>;
  /** The open store; throws before `start`. */
  readonly store: Store;
  /** The collectors' scheduler; throws before `start`. */
  readonly scheduler: CollectScheduler;
  /** The rules manager, when rules are configured; throws before `start`. */
  readonly rules: RuleManager | undefined;
  /** The notifier, when notifications are configured. */
  readonly notifier: Notifier | undefined;
  /** The throttle loop of each cluster, when the throttle is not off. */
  readonly throttle: ReadonlyMap<string, ThrottleLoop>;
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

/** What `start` brought up, stopped in reverse. */
interface Running {
  store: Store;
  scheduler?: CollectScheduler;
  rules?: RuleManager;
  notifier?: Notifier;
  throttle: Map<string, ThrottleLoop>;
  admins: KafkaAdmin[];
  api?: FastifyInstance;
  apiUrl?: string;
  stops: (() => Promise<void>)[];
}

/** Wires the parts of `config`. Does no I/O. */
export function buildApp(config: AppConfig, deps: AppDeps = {}): App {
  const logger = deps.logger ?? silentLogger();
  const registry = deps.registry ?? new Registry();
  const clock = deps.clock ?? wallClock;
  const now = (): number => clock.now();
  const makeCollectors = deps.collectors ?? ((c: CollectConfig, parts: { knownBrokers: KnownBrokerStore }) => buildCollectors(c, parts));
  const destination = describeDestination(config.store);
  let running: Running | null = null;
  let starting: Promise<void> | null = null;
  let stopping: Promise<void> | null = null;

  const stopAll = async (r: Running): Promise<void> => {
    for (const stop of r.stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        logger.warn({ err }, 'a part failed to stop cleanly');
      }
    }
  };

  const start = async (): Promise<void> => {
    // The whole configuration is checked before anything is opened: a missing or broken rule
    // file stops the start here, naming rules.files[i], with no store or connection left behind.
    const ruleFiles = config.rules === undefined ? undefined : (deps.ruleFiles ?? (await loadConfiguredRuleFiles(config.rules.files)));
    // Receivers first: the store must accept samples before any collector sends one.
    const store = await openStore(config.store, { registry, logger: logger.child({ component: 'store' }), clock });
    const r: Running = { store, throttle: new Map(), admins: [], stops: [() => store.close()] };
    try {
      if (config.notify !== undefined) {
        // The notifier reads its config and never changes it; the frozen service config is that config.
        const notifier = new Notifier({ config: config.notify as NotifyConfig, db: store.db, clock, registry, logger: logger.child({ component: 'notify' }) });
        notifier.start();
        await notifier.ready();
        r.notifier = notifier;
        r.stops.push(() => notifier.stop());
      }
      if (config.rules !== undefined && ruleFiles !== undefined) {
        const api = config.api;
        const rules = new RuleManager({
          querier: store.querier, sink: store.writer, db: store.db, clock, registry, logger: logger.child({ component: 'rules' }),
          defaultIntervalMs: config.rules.interval * 1000, externalLabels: config.rules.externalLabels,
          // With port 0 the API's port is known once it listens, after the rules start.
          externalURL: config.rules.externalUrl ?? (api === undefined ? '' : () => r.apiUrl ?? `http://${api.host}:${api.port}`),
          ...(r.notifier === undefined ? {} : { alertSink: r.notifier }),
        });
        await rules.apply(ruleFiles);
        rules.start();
        r.rules = rules;
        r.stops.push(() => rules.stop());
      }
      const throttle = config.throttle;
      if (throttle !== undefined && throttle.mode !== 'off') {
        const engine = new Engine();
        const audit = new DecisionStore(store.db);
        const firing = (): string[] => (r.rules?.alerts() ?? []).filter((a) => a.state === 'firing' && TRAFFIC_ALERTS.has(a.labels.alertname ?? '')).map((a) => a.labels.alertname!);
        for (const cluster of config.clusters) {
          let actuator = deps.actuator?.(cluster.name);
          if (actuator === undefined) {
            const admin = new KafkaAdmin({ ...adminOptionsOf(cluster), clientId: `sluice-throttle-${cluster.name}` });
            r.admins.push(admin);
            r.stops.push(() => admin.close());
            actuator = new KafkaQuotaActuator(admin);
          }
          const loop = new ThrottleLoop({ cluster: cluster.name, config: throttle, engine, source: store.querier, actuator, audit, clock, firingTrafficAlerts: firing, registry, nominal: throttle.brokerCapacity, logger: logger.child({ component: 'throttle', cluster: cluster.name }) });
          loop.start();
          r.throttle.set(cluster.name, loop);
          r.stops.push(() => loop.stop());
        }
      }
      const collectors = makeCollectors({ clusters: config.clusters }, { knownBrokers: dbKnownBrokers(store.db) });
      const events = dbEventSink(store.db, { registry, logger: logger.child({ component: 'events' }), clock });
      r.stops.push(() => events.close());
      const scheduler = new CollectScheduler({
        collectors, sink: store.writer, events, registry, logger: logger.child({ component: 'collect' }), clock,
        ...(deps.jitter === undefined ? {} : { jitter: deps.jitter }),
      });
      scheduler.start();
      r.scheduler = scheduler;
      r.stops.push(() => scheduler.stop());
      if (config.api !== undefined) {
        const audit = new DecisionStore(store.db);
        const alerts = r.rules === undefined ? undefined : alertsSource(r.rules, r.notifier);
        const status = statusSource({
          clusters: config.clusters.map((c) => c.name), engine: new Engine(), querier: store.querier, alerts, throttle: r.throttle, audit, now,
          ...(config.throttle === undefined ? {} : { mode: config.throttle.mode, rateWindowSeconds: config.throttle.rateWindow }),
        });
        // Rule files are shown relative to the configured entry they came from (`rules/host.yaml`).
        const rulePlaces = (config.rules?.files ?? []).map((f): PublicPlace => [f, basename(resolve(f))]);
        const api = await buildApi({
          registry, token: config.api.token, logger: logger.child({ component: 'api' }),
          readiness: { checks: () => readinessChecks(store, scheduler, r.rules, collectors.filter((c) => c instanceof ClusterCollector)) },
          status,
          ...(r.rules === undefined || alerts === undefined ? {} : { rules: { groups: () => r.rules!.groups().map((g) => ({ ...g, file: publicPath(g.file, rulePlaces) })) }, alerts }),
          ...(r.notifier === undefined ? {} : { silences: r.notifier.silences }),
          plugins: [...(r.throttle.size === 0 ? [] : [(app: FastifyInstance, auth: AuthHook) => throttleRoutes(app, { loops: r.throttle, audit }, auth)]), (app: FastifyInstance, auth: AuthHook) => replayRoutes(app, { logger: logger.child({ component: 'replay' }) }, auth)],
        });
        r.api = api;
        r.stops.push(() => api.close());
        r.apiUrl = await listenApi(api, config.api.port, config.api.host);
      }
    } catch (err) {
      await stopAll(r);
      throw err;
    }
    running = r;
    logger.info({ destination, clusters: config.clusters.map((c) => c.name), rules: r.rules !== undefined, notify: r.notifier !== undefined, throttle: config.throttle?.mode ?? 'off', api: r.apiUrl }, 'sluice started');
  };

  const need = (): Running => {
    if (running === null) throw new Error('the app is not started');
    return running;
  };

  return {
    get store(): Store {
      return need().store;
    },
    get scheduler(): CollectScheduler {
      return need().scheduler!;
    },
    get rules(): RuleManager | undefined {
      return need().rules;
    },
    get notifier(): Notifier | undefined {
      return need().notifier;
    },
    get throttle(): ReadonlyMap<string, ThrottleLoop> {
      return need().throttle;
    },
    destination,
    get apiUrl(): string | undefined {
      return running?.apiUrl;
    },
    start(): Promise<void> {
      starting ??= start();
      return starting;
    },
    stop(): Promise<void> {
      stopping ??= (async () => {
        // Let a start in progress finish, so that what it opened is closed.
        await starting?.catch(() => undefined);
        const r = running;
        running = null;
        if (r !== null) await stopAll(r);
        logger.info('sluice stopped');
      })();
      return stopping;
    },
  };
}
