/**
 * The balance bench's cluster as data: six brokers in two resource groups of three, four topics
 * of RF 2 (min.insync.replicas 2), each partition's produce rate (messages of 1 KiB per second;
 * the key-skewed topics carry unequal traffic per partition, as hot keys make them), and the
 * skewed placement the run starts from: nearly everything on two brokers of each group, so that
 * per-broker bytes in differ more than 4× inside each group. The rates are chosen so that a
 * perfectly balanced placement exists (each group's partitions split into three sets of equal
 * load and equal count), which the brute force (brute.ts) finds.
 */

/** Bytes of every message value. */
export const MESSAGE_BYTES = 1024;
/** Replication factor and min.insync.replicas of every topic. */
export const REPLICATION = 2;
export const MIN_ISR = 2;

/** One topic: its group, who writes it, each partition's rate and initial replicas (first leads). */
export interface TopicDef {
  readonly name: string;
  readonly group: 'core' | 'batch';
  /** The producer's client id; `core-*` is the core producer whose latency is measured. */
  readonly producer: string;
  /** Messages/s per partition. */
  readonly rates: readonly number[];
  readonly placement: readonly (readonly number[])[];
  /** Partitions carrying hot keys (above the topic's mean), the ones a daily peak makes hotter. */
  readonly keySkewed: boolean;
}

export const GROUPS = [
  { name: 'core', brokers: [0, 1, 2], topics: ['orders', 'payments'] },
  { name: 'batch', brokers: [3, 4, 5], topics: ['clicks', 'logs'] },
] as const;

export const BROKERS = 6;

export const TOPICS: readonly TopicDef[] = [
  {
    name: 'orders', group: 'core', producer: 'orders-writer', keySkewed: true,
    rates: [60, 50, 45, 35, 30, 20],
    placement: [[0, 1], [1, 0], [0, 1], [1, 0], [0, 1], [2, 0]],
  },
  {
    name: 'payments', group: 'core', producer: 'core-payments', keySkewed: false,
    rates: [20, 20, 20],
    placement: [[0, 1], [1, 2], [2, 0]],
  },
  {
    name: 'clicks', group: 'batch', producer: 'clicks-writer', keySkewed: true,
    rates: [50, 40, 35, 25, 20, 10],
    placement: [[3, 4], [4, 3], [3, 4], [4, 3], [3, 4], [5, 3]],
  },
  {
    name: 'logs', group: 'batch', producer: 'logs-writer', keySkewed: false,
    rates: [20, 20, 20],
    placement: [[3, 4], [4, 5], [5, 3]],
  },
];

/** The core producer, whose acknowledge latency is the one held to the goal. */
export const CORE_PRODUCER = 'core-payments';

/** Consumer groups: one per resource group, reading its topics. */
export const CONSUMER_GROUPS = [
  { group: 'core-readers', topics: ['orders', 'payments'] },
  { group: 'batch-readers', topics: ['clicks', 'logs'] },
] as const;

/** The `balance:` config the service runs with. */
export function balanceSection(): Record<string, unknown> {
  return {
    mode: 'recommend',
    groups: GROUPS.map((g) => ({ name: g.name, brokers: [...g.brokers], topics: [...g.topics] })),
    // What the bench's brokers may carry: the replication throttle is sized from this headroom.
    capacity: { bytesInPerSec: 4 * 2 ** 20, bytesOutPerSec: 4 * 2 ** 20, utilization: 0.8 },
    peak: { statistic: 'p95', window: '60s', step: '5s' },
    balancedRatio: 1.1,
    throttleBytesPerSec: 2 ** 20,
    execution: { perBroker: 2, pollInterval: 1, throttle: { ceiling: 2 ** 20, floor: 256 * 2 ** 10, rateWindow: 10 } },
  };
}
