import { Cluster } from './cluster.ts';
import { BrokerServer } from './server.ts';
import { HANDLERS } from './handlers/index.ts';
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
  const servers = cluster.nodes.filter((n) => n !== undefined).map((n) => new BrokerServer(n));
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      cluster.stopTimers();
      for (const n of cluster.nodes) if (n) n.alive = false;
      await Promise.all(servers.map((s) => s.close()));
      cluster.logger.info({ brokers: servers.length }, 'cluster stopped');
    })();
    return stopping;
  };
  try {
    for (const s of servers) await s.listen();
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
