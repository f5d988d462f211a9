/**
 * What the collectors are told about each cluster: where its brokers are, how to log in, where
 * its metrics endpoints are, and how often each collector runs. The zod schema here is what the
 * service config embeds; `parseCollectConfig` validates a plain object and names the path of
 * every problem, and `checkBootstrap` adds the one check that needs the network.
 */
import * as z from 'zod';
import { validate, deepFreeze, type DeepReadonly } from '../config/index.ts';
import { KafkaAdmin } from '../kafka/admin.ts';
import { SluiceError } from '../errors.ts';

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9092');
const httpUrl = z.string().regex(/^https?:\/\/\S+$/, 'expected an http(s) URL, e.g. http://10.0.0.1:9404/metrics');
const seconds = z.number().positive().max(86_400);

/** A broker exporter endpoint: a URL, or a URL and the broker id its series get as `broker`. */
export const metricsEndpointSchema = z.union([httpUrl, z.strictObject({ url: httpUrl, broker: z.number().int().min(0) })]);

/** One cluster. */
export const clusterConfigSchema = z.strictObject({
  /** Written as the `cluster` label of every series. */
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected a name of letters, digits, _ . -').min(1),
  bootstrap: z.array(hostPort).min(1),
  sasl: z.strictObject({ mechanism: z.literal('PLAIN').default('PLAIN'), username: z.string().min(1), password: z.string() }).optional(),
  /** Broker exporter endpoints (JMX-exporter names). */
  metrics: z.array(metricsEndpointSchema).default([]),
  /** node_exporter endpoints of the broker hosts. */
  hosts: z.array(httpUrl).default([]),
  /** Seconds between cycles of each collector. */
  intervals: z.strictObject({
    host: seconds.default(15), cluster: seconds.default(30), topics: seconds.default(30), clients: seconds.default(15),
  }).prefault({}),
  /**
   * Seconds a known broker stays counted (and reads as down) once the cluster neither lists it
   * nor assigns it any replica: a broker drained and removed on purpose is forgotten after this.
   * A broker that is down while it holds replicas is never forgotten; `sluice brokers
   * forget` drops a removed one at once. 0 forgets a drained broker as soon as it leaves.
   */
  forgetRemovedBrokersAfter: z.number().int().min(0).max(30 * 86_400).default(86_400),
  /** How lag in seconds is found (see docs/consumer-lag.md). */
  timeLag: z.strictObject({
    /** Most records read a topics cycle (one small Fetch each) for lag in seconds; default 1000. */
    recordReadsPerCycle: z.number().int().min(0).max(100_000).optional(),
  }).optional(),
  /** Kafka request and connect timeouts, and metrics scrape timeout, in ms. */
  timeouts: z.strictObject({
    requestMs: z.number().int().positive().default(10_000),
    connectMs: z.number().int().positive().default(3_000),
    scrapeMs: z.number().int().positive().default(5_000),
  }).prefault({}),
});

/** The collectors' part of the config. */
export const collectConfigSchema = z.strictObject({
  clusters: z.array(clusterConfigSchema).min(1),
}).superRefine((c, ctx) => {
  const seen = new Map<string, number>();
  c.clusters.forEach((cl, i) => {
    const first = seen.get(cl.name);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['clusters', i, 'name'], message: `duplicate cluster name "${cl.name}" (also clusters[${first}])` });
    else seen.set(cl.name, i);
  });
});

/** One cluster, validated, defaults applied. */
export type ClusterConfig = DeepReadonly<z.output<typeof clusterConfigSchema>>;
/** The collectors' config, validated, defaults applied. */
export type CollectConfig = DeepReadonly<z.output<typeof collectConfigSchema>>;
/** A metrics endpoint as configured. */
export type MetricsEndpoint = DeepReadonly<z.output<typeof metricsEndpointSchema>>;

/** Validates and freezes; throws SLUICE_ERR_CONFIG_INVALID naming each bad path. */
export function parseCollectConfig(input: unknown, options: { source?: string } = {}): CollectConfig {
  return deepFreeze(validate(collectConfigSchema, input, options));
}

/** Admin client options of a cluster. */
export function adminOptionsOf(cluster: ClusterConfig): ConstructorParameters<typeof KafkaAdmin>[0] {
  return {
    bootstrap: [...cluster.bootstrap],
    clientId: `sluice-collect-${cluster.name}`,
    connectTimeoutMs: cluster.timeouts.connectMs,
    requestTimeoutMs: cluster.timeouts.requestMs,
    ...(cluster.sasl ? { sasl: { username: cluster.sasl.username, password: cluster.sasl.password } } : {}),
  };
}

/**
 * Checks that some bootstrap server of every cluster answers a Metadata request; throws
 * SLUICE_ERR_CONFIG_INVALID with path `clusters[i].bootstrap` for the first that does not.
 */
export async function checkBootstrap(config: CollectConfig): Promise<void> {
  for (const [i, cluster] of config.clusters.entries()) {
    const admin = new KafkaAdmin(adminOptionsOf(cluster));
    try {
      await admin.metadata();
    } catch (err) {
      const path = `clusters[${i}].bootstrap`;
      throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `${path}: no bootstrap server of cluster "${cluster.name}" answered (${cluster.bootstrap.join(', ')}): ${(err as Error).message}`, { path, cause: err });
    } finally {
      await admin.close();
    }
  }
}
