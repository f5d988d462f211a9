/**
 * `sluice balance execute|status|cancel|pause|resume`: run a stored plan (made by
 * `sluice balance plan --save` or the API) in the foreground until it ends, show an execution,
 * and steer one run by any process. Executions live in the store, so a service running the same
 * cluster sees them too; `cancel` carries out the cancellation here when no live process runs
 * the execution (after a crash), removing its throttles.
 */
import type { Command } from 'commander';
import { loadSluiceConfig, type SluiceConfig } from '../../app-config.ts';
import { moveCounts } from '../../balance/execute/progress.ts';
import { BalanceService } from '../../balance/execute/service.ts';
import type { ExecutionRecord, ExecutionRequest } from '../../balance/execute/types.ts';
import { formatBytes } from '../../balance/format.ts';
import { wallClock } from '../../clock.ts';
import { adminOptionsOf } from '../../collect/config.ts';
import { SluiceError } from '../../errors.ts';
import { KafkaAdmin } from '../../kafka/admin.ts';
import { migrate, openDb, PgQuerier } from '../../store/index.ts';
import type { CliContext } from '../context.ts';
import { pickCluster } from './quotas.ts';

interface CommonFlags {
  readonly config: string;
  readonly cluster?: string;
}

function positive(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,15}$/.test(text) || Number(text) === 0) throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', `${flag}: expected a positive integer, got "${text}"`);
  return Number(text);
}

/** Runs `fn` with the cluster's balancing over the configured store (migrated) and a Kafka admin client. */
async function withService<T>(flags: CommonFlags, ctx: CliContext, fn: (s: BalanceService, config: SluiceConfig) => Promise<T>): Promise<T> {
  const config = await loadSluiceConfig(flags.config);
  const cluster = pickCluster(config, flags.cluster);
  const logger = ctx.logger.child({ component: 'balance', cluster: cluster.name });
  const db = await openDb({ ...config.store, logger: ctx.logger.child({ component: 'store' }) });
  const admin = new KafkaAdmin({ ...adminOptionsOf(cluster), clientId: 'sluice-balance' });
  const service = new BalanceService({ cluster: cluster.name, config: config.balance, db, querier: new PgQuerier(db), admin, clock: wallClock, logger });
  try {
    await migrate(db);
    return await fn(service, config);
  } finally {
    await service.stop();
    await admin.close();
    await db.close();
  }
}

/** One line about an execution: state, moves by state, throttle, what holds it. */
export function statusLine(e: ExecutionRecord): string {
  const n = moveCounts(e.moves);
  const rates = e.sizing === null ? 'none yet' : e.sizing.override !== null ? `${formatBytes(e.sizing.override)}/s (set by an operator)` : 'sized from headroom';
  const parts = [
    `execution ${e.id} of plan ${e.planId}: ${e.state}${e.requested === null ? '' : ` (${e.requested} requested)`}`,
    `moves ${n.done} done, ${n['in-flight']} in flight, ${n.pending} pending, ${n.cancelled} cancelled, ${n.failed} failed`,
    `throttle ${rates}`,
  ];
  if (e.blocked !== null) parts.push(`waiting: ${e.blocked}`);
  if (e.error !== null) parts.push(`error: ${e.error}`);
  return `${parts.join('; ')}\n`;
}

/** Prints status lines as they change until the execution ends or the process is asked to stop. */
async function follow(s: BalanceService, id: number, ctx: CliContext): Promise<ExecutionRecord | 'interrupted'> {
  const stop = ctx.shutdownRequested().then(() => 'interrupted' as const);
  const done = s.executor.wait(id);
  // Keeps the process alive while the executor's (unreferenced) timers run.
  const keep = setInterval(() => undefined, 1000);
  let last = '';
  try {
    for (;;) {
      const e = await s.store.execution(id);
      const line = e === undefined ? '' : statusLine(e);
      if (line !== last) ctx.stderr(line);
      last = line;
      const next = await Promise.race([done, stop, new Promise<null>((resolve) => setTimeout(() => resolve(null), 1000))]);
      if (next !== null) return next;
    }
  } finally {
    clearInterval(keep);
  }
}

/** Adds the execution commands to `sluice balance`. */
export function registerBalanceExecution(balance: Command, ctx: CliContext): void {
  const common = (c: Command): Command => c.requiredOption('--config <file>', 'the service config (sluice.yaml)').option('--cluster <name>', 'which configured cluster (needed when there are several)');

  common(balance.command('execute').description('execute a stored plan in the foreground until it ends (Ctrl-C leaves it to the service)'))
    .requiredOption('--plan <id>', 'the stored plan (from `sluice balance plan --save`)')
    .action(async (flags: CommonFlags & { plan: string }) => {
      const planId = positive(flags.plan, '--plan')!;
      await withService(flags, ctx, async (s) => {
        const e = await s.execute(planId, 'cli');
        ctx.stderr(`sluice balance execute: execution ${e.id} of plan ${planId}: ${e.moves.length} moves\n`);
        const end = await follow(s, e.id, ctx);
        if (end === 'interrupted') {
          ctx.stderr(`sluice balance execute: stopped watching; execution ${e.id} keeps its moves and throttles until a service takes it over or \`sluice balance cancel\` cancels it\n`);
          return;
        }
        ctx.stdout(statusLine(end));
        if (end.state !== 'done' || end.error !== null) throw new SluiceError('SLUICE_ERR_BALANCE_STATE', `execution ${e.id} ended ${end.state}${end.error === null ? '' : `: ${end.error}`}`);
      });
    });

  common(balance.command('status').description('show an execution: state, moves, throttle (default the newest)'))
    .option('--execution <id>', 'which execution')
    .option('--json', 'print the execution as JSON')
    .action(async (flags: CommonFlags & { execution?: string; json?: boolean }) => {
      const id = positive(flags.execution, '--execution');
      await withService(flags, ctx, async (s) => {
        const e = await s.status(id);
        if (e === undefined) throw new SluiceError('SLUICE_ERR_BALANCE_NOT_FOUND', id === undefined ? `cluster "${s.cluster}" has no execution` : `no execution ${id} on cluster "${s.cluster}"`);
        if (flags.json === true) {
          ctx.stdout(`${JSON.stringify(e, null, 2)}\n`);
          return;
        }
        ctx.stdout(statusLine(e));
        for (const m of e.moves) ctx.stdout(`  ${m.topic}-${m.partition} ${m.replicasBefore.join(',')} -> ${m.replicasAfter.join(',')}: ${m.state}${m.error === null ? '' : ` (${m.error})`}\n`);
        for (const line of e.sizing?.explanation ?? []) ctx.stdout(`  throttle: ${line}\n`);
      });
    });

  for (const what of ['cancel', 'pause', 'resume'] as const satisfies readonly ExecutionRequest[]) {
    common(balance.command(what).description(`ask an execution (default the unfinished one) to ${what}`))
      .option('--execution <id>', 'which execution')
      .action(async (flags: CommonFlags & { execution?: string }) => {
        const id = positive(flags.execution, '--execution');
        await withService(flags, ctx, async (s, config) => {
          const target = await s.ask(what, id);
          const e = (await s.status(target))!;
          const stale = e.owner === null || e.heartbeatAt === null || e.heartbeatAt < Date.now() - config.balance.execution.takeOverAfter * 1000;
          if (what !== 'cancel' || !stale) {
            ctx.stdout(`sluice balance ${what}: execution ${target}: ${what} requested${e.owner === null ? '' : `; ${e.owner} acts on it at its next round`}\n`);
            return;
          }
          // Nobody runs it: cancel it here, and remove its throttles.
          await s.executor.recover();
          const end = await follow(s, target, ctx);
          if (end !== 'interrupted') ctx.stdout(statusLine(end));
        });
      });
  }
}
