/**
 * The synthetic cluster plan computation is timed on (bench:balance-plan and bench:balance): 100
 * brokers in two resource groups, 200,000 partition replicas (100,000 partitions × RF 2) with key
 * skew (Pareto-like partition rates) and skewed placement (a quarter of the replicas on the first
 * tenth of each group's brokers), replicas on distinct racks.
 */
import { balanceConfigSchema, type BalanceConfig } from '../../src/balance/config.ts';
import type { ClusterModel, PartitionModel } from '../../src/balance/model.ts';

export const SYNTHETIC_BROKERS = 100;
export const SYNTHETIC_RF = 2;

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The synthetic model with `partitions` partitions. */
export function syntheticModel(partitions: number): ClusterModel {
  const rnd = random(42);
  const half = SYNTHETIC_BROKERS / 2;
  const out: PartitionModel[] = [];
  for (let i = 0; i < partitions; i++) {
    const core = i % 2 === 0;
    const base = core ? 0 : half;
    const pick = (): number => (rnd() < 0.25 ? base + Math.floor(rnd() * (half / 10)) : base + Math.floor(rnd() * half));
    // Replicas on distinct racks (rack = id % 3), as Kafka places them.
    const replicas: number[] = [];
    while (replicas.length < SYNTHETIC_RF) {
      const b = pick();
      if (!replicas.some((r) => r % 3 === b % 3)) replicas.push(b);
    }
    const bytesIn = 1024 * (1 / (1 - rnd() * 0.99)); // heavy tail: key skew
    out.push({ topic: `${core ? 'core' : 'batch'}-${Math.floor(i / 100)}`, partition: i % 100, replicas, leader: replicas[0]!, bytesIn, bytesOut: bytesIn * 2, diskBytes: bytesIn * 3600 });
  }
  return { brokers: Array.from({ length: SYNTHETIC_BROKERS }, (_, id) => ({ id, rack: `r${id % 3}` })), partitions: out };
}

/** Resource groups of half the brokers each, and a budget of `maxMoves`. */
export function syntheticConfig(maxMoves: number): BalanceConfig {
  return balanceConfigSchema.parse({
    groups: [
      { name: 'core', brokers: Array.from({ length: SYNTHETIC_BROKERS / 2 }, (_, i) => i), topics: ['core-*'] },
      { name: 'batch', brokers: Array.from({ length: SYNTHETIC_BROKERS / 2 }, (_, i) => i + SYNTHETIC_BROKERS / 2), topics: ['batch-*'] },
    ],
    budget: { maxMoves },
  });
}
