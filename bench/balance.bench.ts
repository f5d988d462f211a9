/**
 * The balance bench, in one run (about 2.5 minutes):
 *
 * 1. Live (bench/balance/run.ts): a bundled 6-broker cluster in two resource groups of three,
 *    four RF 2 topics (min.insync.replicas 2) placed so that per-broker bytes in differ more than
 *    4× inside each group, two of them key-skewed (each partition written at its own rate), real
 *    kafkajs producers (acks=all; the core producer's acknowledge latency measured) and consumer
 *    groups; brokers and clients each in a process of their own. The service collects every second; after a minute the planner's model is read from
 *    the store, a full plan made and executed by the service's executor through the Kafka
 *    protocol. Per-broker bytes in are measured from the brokers' exporters before and after;
 *    during the execution, Metadata is polled for partitions under min ISR; at the end every
 *    message is read back.
 * 2. The bytes the plan moves against the smallest plan reaching the balance asked (max/min ≤
 *    1.15× and a standard deviation 10× smaller), found by brute force over every placement on
 *    the measured per-partition loads (bench/balance/brute.ts).
 * 3. Side by side with Cruise Control's model (a topic's window mean split evenly over its
 *    partitions), on a synthesized recorded day with a peak (bench/balance/day.ts): the
 *    imbalance each plan leaves at the peak hour.
 * 4. Plan computation on the synthetic 100-broker, 200,000-replica model of bench:balance-plan.
 *
 *   npm run bench:balance [-- --json --explain]
 *
 * The store is embedded PGlite, or PostgreSQL at DATABASE_URL (a schema of its own, dropped
 * afterwards). With --json the figures also go to stdout as JSON, progress to stderr.
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { planBalance } from '../src/balance/plan.ts';
import { compareOnDay } from './balance/day.ts';
import { dayRows, liveRows, table, type Row } from './balance/report.ts';
import { runLive } from './balance/run.ts';
import { syntheticConfig, syntheticModel } from './balance/synthetic.ts';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, explain: { type: 'boolean', default: false } } });
const log = (line: string): void => void (values.json ? process.stderr : process.stdout).write(`${line}\n`);
const began = performance.now();

log(`balance bench on ${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, store ${process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'PGlite (in memory)'}`);
log('live: 6 brokers (core 0–2, batch 3–5), RF 2, min ISR 2, 540 msgs/s of 1 KiB, collectors every 1 s, p95 over 60 s in 5 s steps');
const live = await runLive({ warmS: 25, beforeS: 30, settleS: 5, afterS: 30 }, log, values.explain);
if (values.explain) log(live.explanation);
const rows: Row[] = liveRows(live);

log('day: planning a synthesized recorded day both ways');
const day = compareOnDay(live.model, live.config);
rows.push(...dayRows(day));

log('plan computation on the synthetic model (100 brokers, 200,000 replicas)');
const model = syntheticModel(100_000);
for (const [label, maxMoves] of [['full plan, default budget (200 moves)', 200], ['full plan, no budget (complete rebalance)', 1_000_000]] as const) {
  const t0 = performance.now();
  const plan = planBalance(model, syntheticConfig(maxMoves), { mode: 'full' });
  const s = (performance.now() - t0) / 1000;
  const spreads = plan.groups.map((g) => {
    const x = g.spreads.find((y) => y.resource === 'bytesIn')!;
    return `${g.group} ${x.before.ratio.toFixed(2)}× → ${x.after.ratio.toFixed(2)}×`;
  }).join(', ');
  rows.push({ figure: `plan time, 100 brokers / 200,000 replicas, ${label}`, measured: `${s.toFixed(2)} s (${plan.moves.length} moves; max/min bytes in ${spreads})`, goal: '< 10 s', verdict: s < 10 ? 'PASS' : 'FAIL' });
}

log('');
log(table(rows));
const count = (v: Row['verdict']): number => rows.filter((r) => r.verdict === v).length;
log(`goals: ${count('PASS')} PASS, ${count('FAIL')} FAIL; ${((performance.now() - began) / 1000).toFixed(0)} s in all`);
if (values.json) process.stdout.write(`${JSON.stringify({ rows, peakHour: day.peakHour, plan: { reassignments: live.plan.reassignments, bytesMoved: live.plan.bytesMoved, unmet: live.plan.unmet } }, null, 2)}\n`);
process.exit(0);
