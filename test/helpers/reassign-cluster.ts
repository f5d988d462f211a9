/**
 * A 3-broker bundled cluster without automatic leader rebalancing (leaders stay where a test puts
 * them), with an admin client and a raw connection to broker 0, for the reassignment and
 * replication-throttle tests; everything is closed when `fn` settles.
 */
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { startCluster, type RunningCluster } from '../../src/kafka/broker/index.ts';
import { RawClient } from './raw-client.ts';

export async function withReassignCluster(fn: (c: RunningCluster, admin: KafkaAdmin, raw: RawClient) => Promise<void>): Promise<void> {
  const c = await startCluster({ host: '127.0.0.1', port: 0, brokers: 3, autoLeaderRebalance: false });
  const admin = new KafkaAdmin({ bootstrap: [c.address(0)], requestTimeoutMs: 5000 });
  const raw = await RawClient.connect(c.cluster.nodes[0]!.port);
  try {
    await fn(c, admin, raw);
  } finally {
    raw.close();
    await admin.close();
    await c.stop();
  }
}
