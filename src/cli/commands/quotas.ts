/**
 * `sluice quotas list|reset --config sluice.yaml [--cluster NAME] [--entity KEY]`: the client
 * quotas of a configured cluster, and restoring what operators had set before the quota loop
 * changed them (or removing the quotas it added). Every restoration is audited.
 */
import type { Command } from 'commander';
import { adminOptionsOf } from '../../collect/config.ts';
import { loadSluiceConfig, type SluiceConfig } from '../../app-config.ts';
import { SluiceError } from '../../errors.ts';
import { KafkaAdmin } from '../../kafka/admin.ts';
import { migrate, openDb } from '../../store/index.ts';
import { entityKey } from '../../kafka/quota.ts';
import { KafkaQuotaActuator } from '../../throttle/actuator.ts';
import { DecisionStore } from '../../throttle/audit.ts';
import { resetToBaselines } from '../../throttle/reset.ts';
import type { CliContext } from '../context.ts';

/** Flags of `sluice quotas`. */
export interface QuotasFlags {
  readonly config: string;
  readonly cluster?: string;
  readonly entity?: string;
}

/** The configured cluster `--cluster` names, or the only one; an error listing them otherwise. */
export function pickCluster(config: SluiceConfig, name: string | undefined): SluiceConfig['clusters'][number] {
  if (name === undefined) {
    if (config.clusters.length === 1) return config.clusters[0]!;
    throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', `--cluster: expected one of ${config.clusters.map((c) => c.name).join(', ')}`);
  }
  const found = config.clusters.find((c) => c.name === name);
  if (found === undefined) throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', `--cluster: no cluster "${name}" in the config; clusters are ${config.clusters.map((c) => c.name).join(', ')}`);
  return found;
}

/** Runs `fn` with the cluster's actuator and the audit store, closing both after. */
async function withCluster<T>(flags: QuotasFlags, ctx: CliContext, fn: (cluster: string, actuator: KafkaQuotaActuator, audit: DecisionStore) => Promise<T>): Promise<T> {
  const config = await loadSluiceConfig(flags.config);
  const cluster = pickCluster(config, flags.cluster);
  const db = await openDb({ ...config.store, logger: ctx.logger.child({ component: 'store' }) });
  const admin = new KafkaAdmin({ ...adminOptionsOf(cluster), clientId: 'sluice-quotas' });
  try {
    await migrate(db);
    return await fn(cluster.name, new KafkaQuotaActuator(admin), new DecisionStore(db));
  } finally {
    await admin.close();
    await db.close();
  }
}

/** Adds `sluice quotas` to `program`. */
export function registerQuotasCommand(program: Command, ctx: CliContext): void {
  const quotas = program.command('quotas').description('client quotas of a configured cluster, and restoring operators\' values');
  quotas
    .command('list')
    .description('list client quotas, with the operator baselines the quota loop remembers')
    .requiredOption('--config <file>', 'the service config (sluice.yaml)')
    .option('--cluster <name>', 'which configured cluster (needed when there are several)')
    .action(async (flags: QuotasFlags) => {
      await withCluster(flags, ctx, async (cluster, actuator, audit) => {
        const baselines = await audit.baselines(cluster);
        const rows = [['ENTITY', 'QUOTA', 'VALUE', 'OPERATOR_BASELINE']];
        for (const q of await actuator.describe()) {
          const key = entityKey(q.entity);
          for (const [name, value] of Object.entries(q.values).sort()) {
            const b = baselines.get(`${key}|${name}`);
            rows.push([key, name, String(value), b === undefined ? '-' : b.value === null ? 'none' : String(b.value)]);
          }
        }
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
        for (const r of rows) ctx.stdout(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 2))).join('')}\n`);
      });
    });
  quotas
    .command('reset')
    .description('restore what operators had set before the quota loop changed it (remove quotas it added)')
    .requiredOption('--config <file>', 'the service config (sluice.yaml)')
    .option('--cluster <name>', 'which configured cluster (needed when there are several)')
    .option('--entity <key>', 'only this entity, as Kafka prints it: user=alice,client-id=etl')
    .action(async (flags: QuotasFlags) => {
      await withCluster(flags, ctx, async (cluster, actuator, audit) => {
        const outcome = await resetToBaselines(cluster, actuator, audit, { ...(flags.entity === undefined ? {} : { entityKey: flags.entity }), by: 'sluice quotas reset', now: Date.now() });
        if (outcome.errors.length > 0) throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', `the cluster refused the reset; nothing was changed: ${outcome.errors.join('; ')}`);
        if (outcome.restored.length === 0) ctx.stdout(`sluice quotas reset: ${cluster}: nothing to restore\n`);
        for (const r of outcome.restored) ctx.stdout(`sluice quotas reset: ${cluster}: ${r.entityKey} ${r.quotaKey} ${r.value === null ? 'removed' : `restored to ${r.value}`}\n`);
      });
    });
}
