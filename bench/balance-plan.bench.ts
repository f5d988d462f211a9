/**
 * Plan computation on a synthetic cluster: 100 brokers in two resource groups, 200,000 partition
 * replicas (100,000 partitions × RF 2) with key skew (Pareto-like partition rates) and skewed
 * placement (a quarter of the replicas on the first tenth of each group's brokers), replicas on
 * distinct racks. Prints the time of a full plan with the default budget and without a budget (a
 * complete rebalance, ~19,000 moves), an incremental 10-move plan and a leader-only plan, with the
 * spread each reaches. BENCH_PARTITIONS and BENCH_MAX_MOVES override the size and the budgets.
 */
import { performance } from 'node:perf_hooks';
import { balanceConfigSchema } from '../src/balance/config.ts';
import type { ClusterModel, PartitionModel } from '../src/balance/model.ts';
import { planBalance, type PlanRequest } from '../src/balance/plan.ts';

const BROKERS = 100;
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 100_000);
const RF = 2;

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

function syntheticModel(): ClusterModel {
  const rnd = random(42);
  const half = BROKERS / 2;
  const partitions: PartitionModel[] = [];
  for (let i = 0; i < PARTITIONS; i++) {
    const core = i % 2 === 0;
    const base = core ? 0 : half;
    const pick = (): number => (rnd() < 0.25 ? base + Math.floor(rnd() * (half / 10)) : base + Math.floor(rnd() * half));
    // Replicas on distinct racks (rack = id % 3), as Kafka places them.
    const replicas: number[] = [];
    while (replicas.length < RF) {
      const b = pick();
      if (!replicas.some((r) => r % 3 === b % 3)) replicas.push(b);
    }
    const bytesIn = 1024 * (1 / (1 - rnd() * 0.99)); // heavy tail: key skew
    partitions.push({ topic: `${core ? 'core' : 'batch'}-${Math.floor(i / 100)}`, partition: i % 100, replicas, leader: replicas[0]!, bytesIn, bytesOut: bytesIn * 2, diskBytes: bytesIn * 3600 });
  }
  return { brokers: Array.from({ length: BROKERS }, (_, id) => ({ id, rack: `r${id % 3}` })), partitions };
}

/** Resource groups of half the brokers each, and a budget of `maxMoves`. */
function configWith(maxMoves: number) {
  return balanceConfigSchema.parse({
    groups: [
      { name: 'core', brokers: Array.from({ length: BROKERS / 2 }, (_, i) => i), topics: ['core-*'] },
      { name: 'batch', brokers: Array.from({ length: BROKERS / 2 }, (_, i) => i + BROKERS / 2), topics: ['batch-*'] },
    ],
    budget: { maxMoves },
  });
}

const model = syntheticModel();
const runs: { label: string; request: PlanRequest; maxMoves: number }[] = [
  { label: 'full, default budget (200 moves)', request: { mode: 'full' }, maxMoves: 200 },
  { label: 'full, unlimited budget (complete rebalance)', request: { mode: 'full' }, maxMoves: 1_000_000 },
  { label: 'incremental, 10 moves', request: { mode: 'incremental', maxMoves: 10 }, maxMoves: 200 },
  { label: 'leaders, default budget (200 moves)', request: { mode: 'leaders' }, maxMoves: 200 },
];
for (const { label, request, maxMoves } of runs) {
  const start = performance.now();
  const plan = planBalance(model, configWith(Number(process.env.BENCH_MAX_MOVES ?? maxMoves)), request);
  const ms = performance.now() - start;
  const resource = request.mode === 'leaders' ? 'bytesOut' : 'bytesIn';
  const spreads = plan.groups.map((g) => {
    const s = g.spreads.find((x) => x.resource === resource)!;
    return `${g.group} ${s.before.ratio.toFixed(2)}× → ${s.after.ratio.toFixed(2)}×`;
  }).join(', ');
  console.log(`balance plan ${label}: ${BROKERS} brokers, ${PARTITIONS * RF} replicas: ${(ms / 1000).toFixed(2)} s (budget 10 s), ${plan.moves.length} moves, max/min ${resource === 'bytesIn' ? 'bytes in' : 'bytes out'} ${spreads}`);
}
