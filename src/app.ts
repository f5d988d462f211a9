/**
 * The service assembled: `buildApp(config, deps)` is the one place where Sluice's stages are
 * created and connected, for `sluice start`, `sluice demo`, replay (CLI and HTTP) and tests.
 * Building does no I/O. `start` brings the parts up receivers first, so that nothing sends
 * before its receiver runs:
 *   samples (the store: database, migrations, partitions, head, writer) → notifier (silences,
 *   outbox) → rules (groups loaded, alert state restored) → throttle loops → rule evaluation →
 *   collectors → HTTP API,
 * and returns without waiting for any cycle. `stop` undoes `start` in reverse.
 *
 * Every timer runs on one `Clock` (deps.clock). Replay is this wiring with a virtual clock, the
 * fixture as the sample source (no database), a memory notifier, an in-memory decision log and
 * a dry-run quota actuator; the live service is it with the wall clock and the real parts.
 */
import { Registry } from 'prom-client';
import { buildCollectors, CollectScheduler, dbEventSink, dbKnownBrokers, type Collector, type CollectConfig, type KnownBrokerStore } from './collect/index.ts';
import { adminOptionsOf } from './collect/config.ts';
import type { SluiceConfig } from './app-config.ts';
import { wallClock, type Clock } from './clock.ts';
import { KafkaAdmin } from './kafka/admin.ts';
import { Notifier } from './notify/notifier.ts';
import type { NotifyConfig } from './notify/config.ts';
import { RuleManager } from './rules/manager.ts';
import { loadConfiguredRuleFiles, type LoadedRuleFile } from './rules/file.ts';
import { Engine } from './rules/promql/index.ts';
import { openStore, type Store } from './store/index.ts';
import type { Querier, SampleSink } from './store/types.ts';
import { redactUrl } from './redact.ts';
import { silentLogger, type Logger } from './telemetry/logger.ts';
import { KafkaQuotaActuator, type QuotaActuator } from './throttle/actuator.ts';
import { DecisionStore } from './throttle/audit.ts';
import type { DecisionLog } from './throttle/decision-log.ts';
import { ThrottleLoop } from './throttle/loop.ts';
import { BalanceService } from './balance/execute/service.ts';
import type { AlertsSource } from './api/types.ts';
import { statusSource, type StatusSource } from './api/status-page/view.ts';
import { alertsSource, firingAlertsNamed, type ServiceNotifier } from './app-parts.ts';
import { serveApi } from './app-api.ts';

export type { ServiceNotifier } from './app-parts.ts';

/** Where samples live when no database is opened (replay: the fixture, fed into a head). */
export interface SampleSource {
  /** What rules, the throttle loop and the status page read. */
  readonly querier: Querier;
  /** Where rule outputs go. */
  readonly sink: SampleSink;
}

/** What the app takes from outside besides its config. */
export interface AppDeps {
  readonly logger?: Logger;
  /** Registry of the service's own metrics (writer, collectors, rules, notifications, throttle). */
  readonly registry?: Registry;
  /** The clock of every part: collection, rules, notifications, the throttle loop; default the wall clock. */
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
  /**
   * Samples kept elsewhere: no database is opened and nothing is collected (replay). Rule alert
   * state then lives in memory, and `notifier` and `decisions` must be given when notifications
   * and the throttle are configured.
   */
  readonly samples?: SampleSource;
  /** The notifier of `config.notify`; default the durable `Notifier` over the store's database. */
  readonly notifier?: (config: NotifyConfig) => ServiceNotifier;
  /** The throttle loops' decision log; default the store's database. */
  readonly decisions?: DecisionLog;
  /** When rule groups first evaluate, ms on the clock (replay: on the recording's grid); default at start. */
  readonly rulesStartAt?: number;
}

/**
 * The config parts the app reads: the store and the clusters always; the API, rules,
 * notifications and throttle when given (the throttle loop also needs rules for its alerts).
 */
export type AppConfig = Pick<SluiceConfig, 'store' | 'clusters'> & Partial<Pick<SluiceConfig, 'api' | 'rules' | 'notify' | 'throttle' | 'balance'>>;

/** A running (or startable) service. */
export interface App {
  /** Starts every part; resolves once all run. Never waits for a cycle. */
  start(): Promise<void>;
  /** Stops every part in reverse order. Safe to call more than once, or before start. */
  stop(): Promise<void>;
  /** The open store; throws before `start`, and when samples live elsewhere (`deps.samples`). */
  readonly store: Store;
  /** The collectors' scheduler; throws before `start`, and when nothing is collected. */
  readonly scheduler: CollectScheduler;
  /** The rules manager, when rules are configured; throws before `start`. */
  readonly rules: RuleManager | undefined;
  /** The notifier, when notifications are configured. */
  readonly notifier: ServiceNotifier | undefined;
  /** The throttle loop of each cluster, when the throttle is not off. */
  readonly throttle: ReadonlyMap<string, ThrottleLoop>;
  /** The throttle loops' decision log. */
  readonly decisions: DecisionLog;
  /** The balancing of each cluster (plans and their execution), when balance is configured and not off. */
  readonly balance: ReadonlyMap<string, BalanceService>;
  /** Active alerts with what mutes them, as the API lists them; undefined without rules. */
  readonly alerts: AlertsSource | undefined;
  /** The status page's data, listing `topClients` clients per cluster (default 5). */
  status(options?: { readonly topClients?: number }): StatusSource;
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
  store?: Store;
  samples: SampleSource;
  decisions?: DecisionLog;
  scheduler?: CollectScheduler;
  rules?: RuleManager;
  notifier?: ServiceNotifier;
  throttle: Map<string, ThrottleLoop>;
  balance: Map<string, BalanceService>;
  alerts?: AlertsSource;
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
  const destination = deps.samples === undefined ? describeDestination(config.store) : 'memory (replay)';
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

  const statusOf = (r: Running, options: { readonly topClients?: number } = {}): StatusSource => statusSource({
    clusters: config.clusters.map((c) => c.name), engine: new Engine(), querier: r.samples.querier, alerts: r.alerts, throttle: r.throttle, now,
    ...(r.decisions === undefined ? {} : { audit: r.decisions }),
    ...(config.throttle === undefined ? {} : { mode: config.throttle.mode, rateWindowSeconds: config.throttle.rateWindow }),
    ...(options.topClients === undefined ? {} : { topClients: options.topClients }),
  });

  const start = async (): Promise<void> => {
    // The whole configuration is checked before anything is opened: a missing or broken rule
    // file stops the start here, naming rules.files[i], with no store or connection left behind.
    const ruleFiles = config.rules === undefined ? undefined : (deps.ruleFiles ?? (await loadConfiguredRuleFiles(config.rules.files)));
    // Receivers first: the store must accept samples before any collector sends one.
    const store = deps.samples === undefined ? await openStore(config.store, { registry, logger: logger.child({ component: 'store' }), clock }) : undefined;
    const samples: SampleSource = deps.samples ?? { querier: store!.querier, sink: store!.writer };
    const r: Running = { samples, throttle: new Map(), balance: new Map(), stops: store === undefined ? [] : [() => store.close()] };
    if (store !== undefined) r.store = store;
    try {
      if (config.notify !== undefined) {
        // The notifier reads its config and never changes it; the frozen service config is that config.
        const notify = config.notify as NotifyConfig;
        const notifier = deps.notifier?.(notify) ?? new Notifier({ config: notify, db: present(store, 'the notifier needs a database: give deps.notifier when samples live elsewhere').db, clock, registry, logger: logger.child({ component: 'notify' }) });
        notifier.start();
        await notifier.ready();
        r.notifier = notifier;
        r.stops.push(() => notifier.stop());
      }
      if (config.rules !== undefined && ruleFiles !== undefined) {
        const api = config.api;
        const rules = new RuleManager({
          querier: samples.querier, sink: samples.sink, clock, registry, logger: logger.child({ component: 'rules' }),
          defaultIntervalMs: config.rules.interval * 1000, externalLabels: config.rules.externalLabels,
          // With port 0 the API's port is known once it listens, after the rules start.
          externalURL: config.rules.externalUrl ?? (api === undefined ? '' : () => r.apiUrl ?? `http://${api.host}:${api.port}`),
          ...(store === undefined ? {} : { db: store.db }),
          ...(r.notifier === undefined ? {} : { alertSink: r.notifier }),
        });
        await rules.apply(ruleFiles);
        r.rules = rules;
        r.alerts = alertsSource(rules, r.notifier);
        r.stops.push(() => rules.stop());
      }
      const decisions = deps.decisions ?? (store === undefined ? undefined : new DecisionStore(store.db));
      if (decisions !== undefined) r.decisions = decisions;
      const throttle = config.throttle;
      if (throttle !== undefined && throttle.mode !== 'off') {
        const engine = new Engine();
        const firing = (): string[] => firingAlertsNamed(r.rules, throttle.diagnosis.pressureAlerts);
        for (const cluster of config.clusters) {
          let actuator = deps.actuator?.(cluster.name);
          if (actuator === undefined) {
            const admin = new KafkaAdmin({ ...adminOptionsOf(cluster), clientId: `sluice-throttle-${cluster.name}` });
            r.stops.push(() => admin.close());
            actuator = new KafkaQuotaActuator(admin);
          }
          const loop = new ThrottleLoop({ cluster: cluster.name, config: throttle, engine, source: samples.querier, actuator, audit: present(decisions, 'the throttle needs a decision log: give deps.decisions when samples live elsewhere'), clock, firingTrafficAlerts: firing, registry, nominal: throttle.brokerCapacity, logger: logger.child({ component: 'throttle', cluster: cluster.name }) });
          loop.start();
          r.throttle.set(cluster.name, loop);
          r.stops.push(() => loop.stop());
        }
      }
      const balance = config.balance;
      if (balance !== undefined && balance.mode !== 'off' && store !== undefined) {
        // Started before the collectors: what a stopped process left running is taken over first.
        for (const cluster of config.clusters) {
          const admin = new KafkaAdmin({ ...adminOptionsOf(cluster), clientId: `sluice-balance-${cluster.name}` });
          r.stops.push(() => admin.close());
          const service = new BalanceService({ cluster: cluster.name, config: balance, db: store.db, querier: samples.querier, admin, clock, logger: logger.child({ component: 'balance', cluster: cluster.name }) });
          service.start();
          r.balance.set(cluster.name, service);
          r.stops.push(() => service.stop());
        }
      }
      const rules = r.rules;
      if (rules !== undefined) {
        if (deps.rulesStartAt === undefined) rules.start();
        else {
          const timer = clock.setTimeout(() => rules.start(), deps.rulesStartAt - clock.now());
          r.stops.push(async () => timer.cancel());
        }
      }
      if (store !== undefined) {
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
          const api = await serveApi({ config, api: config.api, store, scheduler, collectors, rules: r.rules, notifier: r.notifier, alerts: r.alerts, throttle: r.throttle, decisions: r.decisions, balance: r.balance, status: statusOf(r), registry, logger, now });
          r.stops.push(() => api.close());
          r.apiUrl = api.url;
        }
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
      return present(need().store, 'the app keeps its samples elsewhere: there is no store');
    },
    get scheduler(): CollectScheduler {
      return present(need().scheduler, 'the app collects nothing: there is no scheduler');
    },
    get rules(): RuleManager | undefined {
      return need().rules;
    },
    get notifier(): ServiceNotifier | undefined {
      return need().notifier;
    },
    get throttle(): ReadonlyMap<string, ThrottleLoop> {
      return need().throttle;
    },
    get decisions(): DecisionLog {
      return present(need().decisions, 'the app keeps no decision log');
    },
    get balance(): ReadonlyMap<string, BalanceService> {
      return need().balance;
    },
    get alerts(): AlertsSource | undefined {
      return need().alerts;
    },
    status(options) {
      return statusOf(need(), options);
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

/** `value`, which a part of the app needs; throws `why` when it is missing. */
function present<T>(value: T | undefined, why: string): T {
  if (value === undefined) throw new Error(why);
  return value;
}
