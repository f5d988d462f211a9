/**
 * `sluice start --config sluice.yaml [--api-port P]`: runs the service (store and collectors;
 * later stages add rules, throttling and the API) until SIGINT or SIGTERM, then stops it cleanly.
 * `DATABASE_URL` overrides `store.url` of the file.
 */
import type { Command } from 'commander';
import * as z from 'zod';
import { buildApp } from '../../app.ts';
import { checkBootstrap } from '../../collect/index.ts';
import { deepFreeze, validate } from '../../config/index.ts';
import { loadSluiceConfig, type SluiceConfig } from '../../app-config.ts';
import { loadConfiguredRuleFiles } from '../../rules/file.ts';
import type { CliContext } from '../context.ts';
import { flagLabel, integerFlag } from '../options.ts';

/** The flags of `sluice start` as commander hands them over. */
export interface StartFlags {
  readonly config?: string;
  readonly apiPort?: string;
}

const startFlagsSchema = z.strictObject({
  config: z.string({ error: 'expected a config file, e.g. sluice.yaml' }).min(1),
  apiPort: integerFlag(0, 65_535).optional(),
});

/** Validates `sluice start` flags. Throws SLUICE_ERR_CLI_ARGUMENT naming each bad flag. */
export function parseStartFlags(flags: StartFlags): { config: string; apiPort?: number } {
  return validate(startFlagsSchema, flags, { code: 'SLUICE_ERR_CLI_ARGUMENT', label: flagLabel });
}

/** Adds `sluice start` to `program`. */
export function registerStartCommand(program: Command, ctx: CliContext): void {
  program
    .command('start')
    .description('run the service (store + collectors) with a config file until SIGINT or SIGTERM')
    .option('--config <file>', 'the service config, e.g. sluice.yaml (see sluice.example.yaml)')
    .option('--api-port <n>', 'port of the HTTP API (overrides api.port; 0 picks a free port)')
    .action(async (flags: StartFlags) => {
      await runStart(flags, ctx);
    });
}

/** Loads the config, starts the service, waits for shutdown, stops it. */
export async function runStart(flags: StartFlags, ctx: CliContext): Promise<void> {
  const parsed = parseStartFlags(flags);
  let config: SluiceConfig = await loadSluiceConfig(parsed.config);
  if (parsed.apiPort !== undefined) config = deepFreeze({ ...config, api: { ...config.api, port: parsed.apiPort } }) as SluiceConfig;
  // The whole configuration is checked before anything is opened or reached: rule files first.
  const ruleFiles = await loadConfiguredRuleFiles(config.rules.files);
  // One clear error naming clusters[i].bootstrap when a cluster cannot be reached at all.
  await checkBootstrap({ clusters: config.clusters });
  const shutdown = ctx.shutdownRequested();
  const logger = ctx.logger.child({}, { level: config.log.level });
  const app = buildApp(config, { logger, ruleFiles });
  await app.start();
  try {
    const clusters = config.clusters.map((c) => `${c.name} (${c.bootstrap.join(',')})`).join(', ');
    ctx.stdout(`sluice start: collecting from ${clusters} into ${app.destination}\n`);
    ctx.stdout(`sluice start: api on ${app.apiUrl} (health ${app.apiUrl}/healthz, metrics ${app.apiUrl}/metrics); Ctrl-C stops\n`);
    const signal = await shutdown;
    logger.info({ signal }, 'stopping');
  } finally {
    await app.stop();
  }
  ctx.stdout('sluice start: stopped\n');
}
