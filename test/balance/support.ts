/** Small hand-built cluster models for the balancing planner's tests. */
import { balanceConfigSchema, type BalanceConfig } from '../../src/balance/config.ts';
import type { ClusterModel, PartitionModel } from '../../src/balance/model.ts';

export const MIB = 2 ** 20;

/** A partition of `mb` MiB/s in, `outMb` MiB/s out, `diskMb` MiB on disk; the first replica leads. */
export function part(topic: string, partition: number, replicas: number[], mb: number, outMb = 0, diskMb = mb * 100): PartitionModel {
  return { topic, partition, replicas, leader: replicas[0]!, bytesIn: mb * MIB, bytesOut: outMb * MIB, diskBytes: diskMb * MIB };
}

/** Brokers without racks. */
export function brokers(...ids: number[]): ClusterModel['brokers'] {
  return ids.map((id) => ({ id, rack: null }));
}

/** A validated config from a plain object. */
export function config(input: unknown = {}): BalanceConfig {
  return balanceConfigSchema.parse(input);
}

/** Two resource groups of three brokers: core (1-3, topic orders) and batch (4-6, topics logs*). */
export const TWO_GROUPS = config({ groups: [{ name: 'core', brokers: [1, 2, 3], topics: ['orders'] }, { name: 'batch', brokers: [4, 5, 6], topics: ['logs*'] }] });

/**
 * Six brokers in two groups, placement skewed (per-broker bytes in differ 3.5× in core, 20× in
 * batch) and keys skewed (one partition of orders carries 6× another).
 */
export function skewedSixBrokers(): ClusterModel {
  const orders = [12, 9, 8, 6, 5, 4, 4, 3, 3, 2, 2, 2];
  const logs = [10, 8, 6, 5, 4, 3, 2, 2];
  return {
    brokers: brokers(1, 2, 3, 4, 5, 6),
    partitions: [
      ...orders.map((mb, i) => part('orders', i, i % 3 === 2 ? [1, 3] : i % 2 ? [2, 1] : [1, 2], mb, mb * 2)),
      ...logs.map((mb, i) => part('logs', i, i === 7 ? [6, 4] : i % 2 ? [5, 4] : [4, 5], mb, mb)),
    ],
  };
}
