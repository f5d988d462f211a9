/**
 * `sluice workload SCENARIO.yaml --bootstrap host:port`: runs the producers and consumer groups a
 * scenario describes against any Kafka cluster, prints a status line every few seconds, and
 * exits 0 at the end of the duration or after SIGINT/SIGTERM (clients stopped cleanly).
 */
import type { Command } from 'commander';
import * as z from 'zod';
import { describeValue, validate } from '../../config/index.ts';
import { parseSimpleDuration, simpleDurationRule } from '../../duration.ts';
import type { WorkloadOptions } from '../../workload/run.ts';
import { loadScenario } from '../../workload/scenario.ts';
import type { CliContext } from '../context.ts';
import { flagLabel, parsedFlag, readControlUrl, type OptionResult } from '../options.ts';

/** The flags of `sluice workload` as commander hands them over. */
export interface WorkloadFlags {
  readonly bootstrap?: string;
  readonly sasl?: string;
  readonly duration?: string;
  readonly control?: string;
  readonly statusInterval?: string;
}

/** Default seconds between status lines, in ms. */
export const DEFAULT_STATUS_INTERVAL_MS = 5000;

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):(\d{1,5})$/;

/** Reads `host:port[,host:port…]` (IPv6 hosts in brackets). */
export function readBootstrap(text: string): OptionResult<string[]> {
  const items = text.split(',').map((item) => item.trim());
  if (text.trim() === '') return { ok: false, problem: 'expected host:port, e.g. 127.0.0.1:9092, got ""' };
  for (const [index, item] of items.entries()) {
    const match = HOST_PORT.exec(item);
    const port = match === null ? Number.NaN : Number(match[2]);
    if (!(port >= 1 && port <= 65_535)) {
      return { ok: false, problem: `item ${index + 1} ${JSON.stringify(item)}: expected host:port with a port from 1 to 65535, e.g. 127.0.0.1:9092` };
    }
  }
  return { ok: true, value: items };
}

/** Reads `user:password` (the password is everything after the first colon; never echoed). */
export function readSasl(text: string): OptionResult<{ username: string; password: string }> {
  const colon = text.indexOf(':');
  if (colon < 0) return { ok: false, problem: 'expected user:password (no ":" found)' };
  const username = text.slice(0, colon);
  const password = text.slice(colon + 1);
  if (username === '') return { ok: false, problem: 'user name is empty; expected user:password' };
  if (password === '') return { ok: false, problem: `password of user ${JSON.stringify(username)} is empty` };
  return { ok: true, value: { username, password } };
}

/** Reads a positive number of seconds (or a duration such as 90s, 5m) into ms. */
function readPositiveDuration(text: string): OptionResult<number> {
  const ms = parseSimpleDuration(text);
  if (ms !== undefined && ms > 0) return { ok: true, value: ms };
  return { ok: false, problem: `${simpleDurationRule(true).replace('a number of seconds', 'a number of seconds such as 60')}, got ${describeValue(text)}` };
}

const workloadFlagsSchema = z
  .strictObject({
    bootstrap: z.string({ error: 'expected host:port, e.g. 127.0.0.1:9092' }).pipe(parsedFlag(readBootstrap)),
    sasl: parsedFlag(readSasl).optional(),
    duration: parsedFlag(readPositiveDuration).optional(),
    control: parsedFlag(readControlUrl).optional(),
    statusInterval: parsedFlag(readPositiveDuration).optional(),
  })
  .transform(
    (flags): WorkloadOptions => ({
      bootstrap: flags.bootstrap,
      statusIntervalMs: flags.statusInterval ?? DEFAULT_STATUS_INTERVAL_MS,
      ...(flags.sasl === undefined ? {} : { sasl: flags.sasl }),
      ...(flags.duration === undefined ? {} : { durationMs: flags.duration }),
      ...(flags.control === undefined ? {} : { control: flags.control }),
    }),
  );

/**
 * Validates `sluice workload` flags. Throws SLUICE_ERR_CLI_ARGUMENT with one line per bad flag,
 * e.g. `--bootstrap: item 1 "localhost": expected host:port …`.
 */
export function parseWorkloadFlags(flags: WorkloadFlags): WorkloadOptions {
  return validate(workloadFlagsSchema, flags, { code: 'SLUICE_ERR_CLI_ARGUMENT', label: flagLabel });
}

/** Adds `sluice workload` to `program`. */
export function registerWorkloadCommand(program: Command, ctx: CliContext): void {
  program
    .command('workload')
    .description('run the producers and consumer groups of a scenario file against a Kafka cluster')
    .argument('<scenario>', 'scenario YAML file, e.g. fixtures/workloads/noisy-producer.yaml')
    .option('--bootstrap <list>', 'bootstrap brokers, as host:port,… (required)')
    .option('--sasl <user:password>', 'use SASL/PLAIN; this user is the default for clients without a user')
    .option('--duration <seconds>', "run length in wall-clock seconds (or 90s, 5m); overrides the scenario's duration")
    .option('--control <url>', "the bundled cluster's control API, for the scenario's faults")
    .option('--status-interval <seconds>', 'seconds between status lines', String(DEFAULT_STATUS_INTERVAL_MS / 1000))
    .action(async (scenarioPath: string, flags: WorkloadFlags) => {
      await runWorkloadCommand(scenarioPath, flags, ctx);
    });
}

/** Validates, loads the scenario, runs it to its end or to a shutdown signal. */
export async function runWorkloadCommand(scenarioPath: string, flags: WorkloadFlags, ctx: CliContext): Promise<void> {
  const options = parseWorkloadFlags(flags);
  const scenario = await loadScenario(scenarioPath);
  const shutdown = ctx.shutdownRequested();
  // Loaded here so that other commands do not pay for loading the Kafka client.
  const { startWorkload } = await import('../../workload/run.ts');
  const logger = ctx.logger.child({ component: 'workload' });
  const run = await startWorkload(scenario, options, { logger, status: (line) => ctx.stdout(`${line}\n`) });
  const stopped = shutdown.then((signal) => {
    logger.info({ signal }, 'stopping workload');
    return run.stop();
  });
  await Promise.race([run.done, stopped]);
}
