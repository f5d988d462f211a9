import { Cluster } from './cluster.ts';
import { BrokerServer } from './server.ts';
import { HANDLERS } from './handlers/index.ts';
import { MetricsServer } from './metrics/server.ts';
import { brokerRegistry } from './metrics/exporter.ts';
import type { BrokerOptions, RunningBroker } from './options.ts';

export type { BrokerOptions, RunningBroker, TopicSpec, BrokerCapacity } from './options.ts';
export { Cluster } from './cluster.ts';

/** A started bundled cluster (one or more brokers in this process). */
export interface RunningCluster extends RunningBroker {
  readonly cluster: Cluster;
  /** host:port of broker `id`. */
  address(id: number): string;
}

/** Starts the bundled broker cluster (`brokers` nodes, default 1) and resolves once all listen. */
export async function startCluster(options: BrokerOptions = {}): Promise<RunningCluster> {
  const cluster = new Cluster(options, HANDLERS);
  const nodes = cluster.nodes.filter((n) => n !== undefined);
  const servers = nodes.map((n) => new BrokerServer(n));
  const metrics = cluster.options.metricsPort === null ? [] : nodes.map((n) => new MetricsServer(brokerRegistry(n), cluster.options.host));
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      cluster.stopTimers();
      for (const n of cluster.nodes) if (n) n.alive = false;
      await Promise.all([...servers.map((s) => s.close()), ...metrics.map((m) => m.close())]);
      cluster.logger.info({ brokers: servers.length }, 'cluster stopped');
    })();
    return stopping;
  };
  try {
    for (const s of servers) await s.listen();
    const base = cluster.options.metricsPort;
    for (const [i, m] of metrics.entries()) {
      await m.listen(base === 0 || base === null ? 0 : base + i);
      nodes[i]!.metricsPort = m.port;
    }
  } catch (err) {
    await stop();
    throw err;
  }
  cluster.startTimers();
  const first = cluster.nodes[cluster.options.firstNodeId]!;
  return {
    cluster,
    host: cluster.options.host,
    get port() { return first.port; },
    nodeId: first.nodeId,
    get bootstrap() { return cluster.liveNodes().map((n) => `${cluster.options.host}:${n.port}`).join(','); },
    address: (id: number) => `${cluster.options.host}:${cluster.nodes[id]!.port}`,
    stop,
  };
}

/** Starts one bundled broker node (a cluster of one) and resolves once it listens. */
export function startBroker(options: BrokerOptions = {}): Promise<RunningCluster> {
  return startCluster({ ...options, brokers: options.brokers ?? 1 });
}
