/**
 * The HTTP API as the service serves it: the routes of every part that runs (rules and alerts,
 * silences, quota decisions, replay, the status page), /readyz over the store, the collectors
 * and the clusters, and the bearer token guarding what changes something. Part of the one
 * wiring (`buildApp`), kept apart for its size.
 */
import { basename, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { ClusterCollector, TopicCollector, type Collector, type CollectScheduler } from './collect/index.ts';
import type { SluiceConfig } from './app-config.ts';
import type { RuleManager } from './rules/manager.ts';
import type { Store } from './store/index.ts';
import type { Logger } from './telemetry/logger.ts';
import type { DecisionLog } from './throttle/decision-log.ts';
import type { ThrottleLoop } from './throttle/loop.ts';
import { buildApi, listenApi, type AuthHook } from './api/server.ts';
import type { AlertsSource, RulesSource } from './api/types.ts';
import type { StatusSource } from './api/status-page/view.ts';
import { federateRoutes } from './api/routes/federate.ts';
import { graphRoutes } from './api/routes/graph.ts';
import { prometheusRoutes } from './api/routes/prometheus/index.ts';
import { replayRoutes } from './api/routes/replay.ts';
import { burrowRoutes } from './api/routes/burrow.ts';
import { burrowCluster } from './api/burrow/source.ts';
import { throttleRoutes } from './api/routes/throttle.ts';
import { balanceRoutes } from './api/routes/balance.ts';
import type { BalanceService } from './balance/execute/service.ts';
import { publicPath, type PublicPlace } from './public-paths.ts';
import { Engine } from './rules/promql/index.ts';
import { readinessChecks, type ServiceNotifier } from './app-parts.ts';

/** The running parts the API serves. */
export interface ApiParts {
  readonly config: Partial<Pick<SluiceConfig, 'rules'>>;
  readonly api: SluiceConfig['api'];
  readonly store: Store;
  readonly scheduler: CollectScheduler;
  readonly collectors: readonly Collector[];
  readonly rules: RuleManager | undefined;
  readonly notifier: ServiceNotifier | undefined;
  readonly alerts: AlertsSource | undefined;
  readonly throttle: ReadonlyMap<string, ThrottleLoop>;
  readonly decisions: DecisionLog | undefined;
  /** The balancing of each cluster, when on. */
  readonly balance?: ReadonlyMap<string, BalanceService>;
  readonly status: StatusSource;
  readonly registry: Registry;
  readonly logger: Logger;
  /** The service's clock, read by /federate and /graph; default the wall clock. */
  readonly now?: () => number;
}

/** The API, listening; `close` stops it. */
export interface ServedApi {
  readonly url: string;
  close(): Promise<void>;
}

/** Builds the API of `parts` and listens on `parts.api`. */
export async function serveApi(parts: ApiParts): Promise<ServedApi> {
  const { store, scheduler, rules, notifier, alerts, throttle, decisions, logger } = parts;
  // Rule files are shown relative to the configured entry they came from (`rules/host.yaml`).
  const rulePlaces = (parts.config.rules?.files ?? []).map((f): PublicPlace => [f, basename(resolve(f))]);
  const clusters = parts.collectors.filter((c) => c instanceof ClusterCollector);
  const burrow = parts.collectors.filter((c) => c instanceof TopicCollector).map(burrowCluster);
  const rulesSource: RulesSource | undefined = rules === undefined ? undefined : { groups: () => rules.groups().map((g) => ({ ...g, file: publicPath(g.file, rulePlaces) })) };
  const app = await buildApi({
    registry: parts.registry, token: parts.api.token, logger: logger.child({ component: 'api' }),
    readiness: { checks: () => readinessChecks(store, scheduler, rules, clusters) },
    status: parts.status,
    ...(rulesSource === undefined || alerts === undefined ? {} : { rules: rulesSource, alerts }),
    ...(notifier?.silences === undefined ? {} : { silences: notifier.silences }),
    plugins: [
      ...(throttle.size === 0 || decisions === undefined ? [] : [(app: FastifyInstance, auth: AuthHook) => throttleRoutes(app, { loops: throttle, audit: decisions }, auth)]),
      ...(parts.balance === undefined || parts.balance.size === 0 ? [] : [(app: FastifyInstance, auth: AuthHook) => balanceRoutes(app, { services: parts.balance! }, auth)]),
      (app: FastifyInstance, auth: AuthHook) => replayRoutes(app, { logger: logger.child({ component: 'replay' }) }, auth),
      (app: FastifyInstance) => burrowRoutes(app, { clusters: () => burrow, ...(parts.now === undefined ? {} : { now: parts.now }) }),
      (app: FastifyInstance) => prometheusRoutes(app, {
        source: store.querier, rules: rulesSource, maxTimeoutMs: parts.api.queryTimeout * 1000, maxSamples: parts.api.queryMaxSamples,
        ...(parts.now === undefined ? {} : { now: parts.now }), logger: logger.child({ component: 'prometheus-api' }),
      }),
      (app: FastifyInstance) => federateRoutes(app, { querier: store.querier, externalLabels: parts.config.rules?.externalLabels ?? {}, ...(parts.now === undefined ? {} : { now: parts.now }) }),
      (app: FastifyInstance) => graphRoutes(app, {
        engine: new Engine({ maxSamples: parts.api.queryMaxSamples }), querier: store.querier, timeoutMs: parts.api.queryTimeout * 1000,
        ...(parts.now === undefined ? {} : { now: parts.now }),
      }),
    ],
  });
  try {
    const url = await listenApi(app, parts.api.port, parts.api.host);
    return { url, close: () => app.close() };
  } catch (err) {
    await app.close();
    throw err;
  }
}
