/**
 * `sluice brokers list|forget --config sluice.yaml [--cluster NAME] [--broker ID...]`: the brokers
 * Sluice counts for a cluster (each reads as down while it does not answer, see
 * src/collect/brokers.ts), and forgetting one removed on purpose, so that it stops reading as
 * down before `forgetRemovedBrokersAfter` ends. A running service drops it at its next cycle.
 */
import type { Command } from 'commander';
import { loadSluiceConfig } from '../../app-config.ts';
import { SluiceError } from '../../errors.ts';
import { forgetClusterBrokers, listClusterBrokers } from '../../store/brokers.ts';
import { migrate, openDb, type Db } from '../../store/index.ts';
import type { CliContext } from '../context.ts';
import { pickCluster } from './quotas.ts';

/** Flags of `sluice brokers`. */
export interface BrokersFlags {
  readonly config: string;
  readonly cluster?: string;
  readonly broker?: readonly string[];
}

/** Runs `fn` with the store of the configured service and the cluster's name, closing the store after. */
async function withStore<T>(flags: BrokersFlags, ctx: CliContext, fn: (cluster: string, db: Db) => Promise<T>): Promise<T> {
  const config = await loadSluiceConfig(flags.config);
  const cluster = pickCluster(config, flags.cluster);
  const db = await openDb({ ...config.store, logger: ctx.logger.child({ component: 'store' }) });
  try {
    await migrate(db);
    return await fn(cluster.name, db);
  } finally {
    await db.close();
  }
}

/** The broker ids of `--broker`, each a non-negative integer; at least one. */
export function parseBrokerIds(values: readonly string[] | undefined): number[] {
  if (values === undefined || values.length === 0) throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', '--broker: name at least one broker id, e.g. --broker 3');
  return values.map((v) => {
    if (!/^\d{1,9}$/.test(v)) throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', `--broker: expected a broker id (a non-negative integer), got "${v}"`);
    return Number(v);
  });
}

/** Adds `sluice brokers` to `program`. */
export function registerBrokersCommand(program: Command, ctx: CliContext): void {
  const brokers = program.command('brokers').description('the brokers Sluice counts for a cluster, and forgetting one removed on purpose');
  brokers
    .command('list')
    .description('list the brokers known for a cluster, with when the cluster last listed each or assigned it a replica')
    .requiredOption('--config <file>', 'the service config (sluice.yaml)')
    .option('--cluster <name>', 'which configured cluster (needed when there are several)')
    .action(async (flags: BrokersFlags) => {
      await withStore(flags, ctx, async (cluster, db) => {
        const rows = [['BROKER', 'LAST_CLAIMED'], ...(await listClusterBrokers(db, cluster)).map((b) => [String(b.id), new Date(b.lastClaimedMs).toISOString()])];
        const width = Math.max(...rows.map((r) => r[0]!.length)) + 2;
        for (const r of rows) ctx.stdout(`${r[0]!.padEnd(width)}${r[1]}\n`);
      });
    });
  brokers
    .command('forget')
    .description('stop counting brokers removed from the cluster on purpose (they no longer read as down)')
    .requiredOption('--config <file>', 'the service config (sluice.yaml)')
    .option('--cluster <name>', 'which configured cluster (needed when there are several)')
    .requiredOption('--broker <id...>', 'the broker ids to forget')
    .action(async (flags: BrokersFlags) => {
      const ids = parseBrokerIds(flags.broker);
      await withStore(flags, ctx, async (cluster, db) => {
        const forgotten = new Set(await forgetClusterBrokers(db, cluster, ids));
        for (const id of ids) {
          ctx.stdout(forgotten.has(id)
            ? `sluice brokers forget: ${cluster}: broker ${id} forgotten; if the cluster still lists it or assigns it replicas, it is known again at the next cycle\n`
            : `sluice brokers forget: ${cluster}: broker ${id} was not known\n`);
        }
      });
    });
}
