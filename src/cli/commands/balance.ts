/**
 * `sluice balance plan --config sluice.yaml [--cluster NAME] [--mode full|incremental|add|drain|leaders]
 * [--max-moves N] [--brokers 1,2] [--from-cluster] [--save] [--json]`: an explained partition
 * reassignment plan from the load the store recorded (src/balance). It changes nothing in the
 * cluster; `--save` stores it (placement read from the cluster) for `sluice balance execute`
 * (balance-execute.ts, which adds the execution commands). `--fixture FIXTURE` makes the same plan
 * on a recorded fixture instead of the store (balance-fixture.ts).
 */
import type { Command } from 'commander';
import { loadSluiceConfig } from '../../app-config.ts';
import { peakWindowMs } from '../../balance/config.ts';
import { explainPlan } from '../../balance/explain.ts';
import { readClusterModel, type PartitionPlacement } from '../../balance/load-reader.ts';
import { PLAN_MODES, planBalance, type PlanMode } from '../../balance/plan.ts';
import { adminOptionsOf } from '../../collect/config.ts';
import { argumentError } from '../options.ts';
import { KafkaAdmin } from '../../kafka/admin.ts';
import { openDb, PgQuerier } from '../../store/index.ts';
import type { CliContext } from '../context.ts';
import { pickCluster } from './quotas.ts';
import { registerBalanceExecution } from './balance-execute.ts';
import { runFixturePlan } from './balance-fixture.ts';
import { makePlan } from '../../balance/execute/make-plan.ts';
import { BalanceStore } from '../../balance/execute/store.ts';
import { migrate } from '../../store/index.ts';

/** Flags of `sluice balance plan`. */
interface PlanFlags {
  readonly config?: string;
  readonly fixture?: string;
  readonly at?: string;
  readonly cluster?: string;
  readonly mode: string;
  readonly maxMoves?: string;
  readonly brokers?: string;
  readonly fromCluster?: boolean;
  readonly save?: boolean;
  readonly json?: boolean;
}

/** `--brokers 1,2,3` as ids. */
function parseBrokers(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const ids = text.split(',').map((s) => s.trim());
  if (ids.some((s) => !/^\d{1,9}$/.test(s))) throw argumentError(`--brokers: expected broker ids separated by commas such as 1,2, got "${text}"`);
  return ids.map(Number);
}

/** Adds `sluice balance` to `program`. */
export function registerBalanceCommand(program: Command, ctx: CliContext): void {
  const balance = program.command('balance').description('partition balancing within resource groups');
  balance
    .command('plan')
    .description('print an explained reassignment plan made from the recorded load (changes nothing)')
    .option('--config <file>', 'the service config (sluice.yaml); with --fixture, only its balance: section is used (without it, the default balance settings)')
    .option('--fixture <fixture>', 'what-if: plan on a recorded incident fixture (a directory, or a name under fixtures/incidents) instead of the store')
    .option('--at <time>', 'with --fixture: the end of the load window (ISO 8601, Unix seconds or +DURATION from the fixture start; default its end)')
    .option('--cluster <name>', 'which configured cluster (needed when there are several)')
    .option('--mode <mode>', `one of ${PLAN_MODES.join(', ')}`, 'full')
    .option('--max-moves <n>', 'most actions in the plan (default balance.budget.maxMoves; incremental: 1)')
    .option('--brokers <ids>', 'brokers to add (add) or drain (drain), comma-separated')
    .option('--from-cluster', 'read placement, leaders, ISR and racks from the cluster\'s Metadata instead of the store')
    .option('--save', 'store the plan (placement read from the cluster) for `sluice balance execute`')
    .option('--json', 'print the plan as JSON')
    .action(async (flags: PlanFlags) => {
      if (!PLAN_MODES.includes(flags.mode as PlanMode)) throw argumentError(`--mode: expected one of ${PLAN_MODES.join(', ')}, got "${flags.mode}"`);
      const maxMoves = flags.maxMoves === undefined ? undefined : Number(flags.maxMoves);
      if (maxMoves !== undefined && !(Number.isInteger(maxMoves) && maxMoves >= 1)) throw argumentError(`--max-moves: expected a positive integer, got "${flags.maxMoves}"`);
      const brokers = parseBrokers(flags.brokers);
      if (flags.fixture !== undefined) {
        await runFixturePlan({ ...flags, fixture: flags.fixture }, { mode: flags.mode as PlanMode, ...(maxMoves === undefined ? {} : { maxMoves }), ...(brokers === undefined ? {} : { brokers }) }, ctx);
        return;
      }
      if (flags.at !== undefined) throw argumentError('--at: only with --fixture (a live plan reads the load up to now)');
      if (flags.config === undefined) throw argumentError('--config: name the service config (sluice.yaml), or give --fixture to plan on a recorded fixture');
      const config = await loadSluiceConfig(flags.config);
      const cluster = pickCluster(config, flags.cluster);
      if (flags.save === true) {
        const request = { mode: flags.mode as PlanMode, ...(maxMoves === undefined ? {} : { maxMoves }), ...(brokers === undefined ? {} : { brokers }) };
        const admin = new KafkaAdmin({ ...adminOptionsOf(cluster), clientId: 'sluice-balance' });
        const db = await openDb({ ...config.store, logger: ctx.logger.child({ component: 'store' }) });
        try {
          await migrate(db);
          const now = Date.now();
          let made;
          try {
            made = await makePlan(new PgQuerier(db), admin, config.balance, cluster.name, request, now);
          } catch (err) {
            if (err instanceof RangeError) throw argumentError(`--${err.message.replace(/^maxMoves/, 'max-moves')}`);
            throw err;
          }
          const id = await new BalanceStore(db).savePlan({ cluster: cluster.name, createdAt: now, createdBy: 'cli', mode: flags.mode, ...made });
          ctx.stdout(flags.json === true ? `${JSON.stringify({ id, ...made.plan }, null, 2)}\n` : `${made.explanation}plan ${id} stored; execute it with: sluice balance execute --config ${flags.config} --plan ${id}\n`);
        } finally {
          await db.close();
          await admin.close();
        }
        return;
      }
      let placement: PartitionPlacement[] | undefined;
      let brokerSpecs: { id: number; rack: string | null }[] | undefined;
      if (flags.fromCluster === true) {
        const admin = new KafkaAdmin({ ...adminOptionsOf(cluster), clientId: 'sluice-balance' });
        try {
          const meta = await admin.metadata();
          brokerSpecs = meta.brokers.map((b) => ({ id: b.id, rack: b.rack }));
          placement = [...meta.topics.values()].filter((t) => !t.internal).flatMap((t) => t.partitions.map((p) => ({ topic: p.topic, partition: p.partition, replicas: p.replicas, leader: p.leader, isr: p.isr })));
        } finally {
          await admin.close();
        }
      }
      const db = await openDb({ ...config.store, logger: ctx.logger.child({ component: 'store' }) });
      try {
        const { windowMs, stepMs } = peakWindowMs(config.balance);
        const model = await readClusterModel(new PgQuerier(db), {
          cluster: cluster.name, to: Date.now(), windowMs, stepMs, statistic: config.balance.peak.statistic,
          ...(placement === undefined ? {} : { placement }), ...(brokerSpecs === undefined ? {} : { brokers: brokerSpecs }),
        });
        let plan;
        try {
          plan = planBalance(model, config.balance, { mode: flags.mode as PlanMode, ...(maxMoves === undefined ? {} : { maxMoves }), ...(brokers === undefined ? {} : { brokers }) });
        } catch (err) {
          if (err instanceof RangeError) throw argumentError(`--${err.message.replace(/^maxMoves/, 'max-moves')}`);
          throw err;
        }
        ctx.stdout(flags.json === true ? `${JSON.stringify(plan, null, 2)}\n` : explainPlan(plan));
      } finally {
        await db.close();
      }
    });
  registerBalanceExecution(balance, ctx);
}
