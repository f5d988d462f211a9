/**
 * The service watching a bundled cluster: one builder of its config, for the end-to-end tests,
 * the app tests, the dashboards' collection run and the throttle bench.
 */
import { parseSluiceConfig, type SluiceConfig } from '../../src/app-config.ts';
import type { RunningCluster } from '../../src/kafka/broker/index.ts';
import { DATABASE_URL, uniqueSchema } from './backends.ts';

/** A `clusters[]` entry of the service config, before validation. */
export interface ClusterEntry {
  readonly name: string;
  readonly bootstrap: string[];
  readonly metrics?: { url: string; broker: number }[];
  readonly [setting: string]: unknown;
}

/**
 * The `clusters[]` entry of `running` (its live brokers' listeners and, when they serve them,
 * metrics endpoints) named `name`, with `extra` (intervals, timeouts, hosts…) added.
 */
export function bundledClusterEntry(running: RunningCluster, name: string, extra: Record<string, unknown> = {}): ClusterEntry {
  const nodes = running.cluster.nodes.filter((n) => n !== undefined);
  const withMetrics = nodes.filter((n) => n.metricsPort !== null);
  return {
    name,
    bootstrap: nodes.map((n) => `${running.host}:${n.port}`),
    ...(withMetrics.length === 0 ? {} : { metrics: withMetrics.map((n) => ({ url: `http://${running.host}:${n.metricsPort}/metrics`, broker: n.nodeId })) }),
    ...extra,
  };
}

/** The default test store: a schema of its own on DATABASE_URL when set, in-memory PGlite otherwise. */
export function defaultTestStore(): Record<string, unknown> {
  return DATABASE_URL === undefined ? {} : { url: DATABASE_URL, schema: uniqueSchema() };
}

/** What `serviceConfigFor` takes besides the cluster. */
export interface ServiceConfigParts {
  /** The cluster's name in the config. */
  readonly name: string;
  /** Added to the cluster's entry: intervals, timeouts, hosts… */
  readonly cluster?: Record<string, unknown>;
  /** Default `defaultTestStore()`. */
  readonly store?: Record<string, unknown>;
  /** Default `{ port: 0 }`: a free port (the default 8080 may be taken on the machine running the tests). */
  readonly api?: Record<string, unknown>;
  readonly rules?: Record<string, unknown>;
  readonly notify?: Record<string, unknown>;
  readonly throttle?: Record<string, unknown>;
}

/** The validated service config watching `running` alone. */
export function serviceConfigFor(running: RunningCluster, parts: ServiceConfigParts): SluiceConfig {
  const { name, cluster, store, api, ...rest } = parts;
  return parseSluiceConfig({
    store: store ?? defaultTestStore(),
    clusters: [bundledClusterEntry(running, name, cluster)],
    api: api ?? { port: 0 },
    ...rest,
  });
}
