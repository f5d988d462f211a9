/**
 * Plan computation on a synthetic cluster: 100 brokers in two resource groups, 200,000 partition
 * replicas (100,000 partitions × RF 2) with key skew (Pareto-like partition rates) and skewed
 * placement (a quarter of the replicas on the first tenth of each group's brokers), replicas on
 * distinct racks. Prints the time of a full plan with the default budget and without a budget (a
 * complete rebalance, ~19,000 moves), an incremental 10-move plan and a leader-only plan, with the
 * spread each reaches. BENCH_PARTITIONS and BENCH_MAX_MOVES override the size and the budgets.
 */
import { performance } from 'node:perf_hooks';
import { planBalance, type PlanRequest } from '../src/balance/plan.ts';
import { SYNTHETIC_BROKERS as BROKERS, SYNTHETIC_RF as RF, syntheticConfig as configWith, syntheticModel } from './balance/synthetic.ts';

const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 100_000);

const model = syntheticModel(PARTITIONS);
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
