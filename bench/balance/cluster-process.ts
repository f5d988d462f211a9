/**
 * The bench's bundled cluster in a process of its own, so that the brokers (and the latency the
 * clients measure) do not share an event loop with the service that plans and executes: started
 * with `fork`, it reports its listeners and metrics endpoints over IPC and stops when told to.
 * Run directly (as the child), it starts the cluster.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startCluster } from '../../src/kafka/broker/index.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';

/** What the child reports once its brokers listen. */
export interface ClusterAddresses {
  readonly bootstrap: string[];
  readonly metrics: { url: string; broker: number }[];
}

/** A running cluster process. */
export interface ClusterProcess extends ClusterAddresses {
  stop(): Promise<void>;
}

/** Forks the cluster of `brokers` brokers and waits until it listens. */
export async function startClusterProcess(brokers: number): Promise<ClusterProcess> {
  const child = fork(fileURLToPath(import.meta.url), [String(brokers)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const addresses = await new Promise<ClusterAddresses>((resolve, reject) => {
    child.once('message', (m) => resolve(m as ClusterAddresses));
    child.once('exit', (code) => reject(new Error(`the cluster process exited (code ${code}) before it listened`)));
  });
  return {
    ...addresses,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.send('stop');
    }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send !== undefined) {
  const c = await startCluster({ port: 0, brokers: Number(process.argv[2]), metricsPort: 0, logger: silentLogger(), autoLeaderRebalance: false });
  const nodes = c.cluster.nodes.filter((n) => n !== undefined);
  process.send({ bootstrap: nodes.map((n) => `${c.host}:${n.port}`), metrics: nodes.map((n) => ({ url: `http://${c.host}:${n.metricsPort}/metrics`, broker: n.nodeId })) } satisfies ClusterAddresses);
  process.on('message', (m) => {
    if (m === 'stop') void c.stop().then(() => process.exit(0));
  });
  process.on('disconnect', () => void c.stop().then(() => process.exit(0)));
}
