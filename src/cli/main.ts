/**
 * The `sluice` command. Each subcommand lives in `commands/<name>.ts` and registers itself on the
 * one program built here. Exit codes: 0 done, 1 unexpected failure, 2 bad input or a failure
 * Sluice reports on purpose (a SluiceError, printed as `sluice: <code>: <message>`).
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { isSluiceError, SluiceError } from '../errors.ts';
import { registerBalanceCommand } from './commands/balance.ts';
import { registerBrokerCommand } from './commands/broker.ts';
import { registerBrokersCommand } from './commands/brokers.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerMigrateCommand } from './commands/migrate.ts';
import { registerQuotasCommand } from './commands/quotas.ts';
import { registerRecordCommand } from './commands/record.ts';
import { registerReplayCommand } from './commands/replay.ts';
import { registerRulesCommand } from './commands/rules.ts';
import { registerStartCommand } from './commands/start.ts';
import { registerWorkloadCommand } from './commands/workload.ts';
import { processContext, type CliContext } from './context.ts';
import { shutdownTracing } from '../telemetry/tracing.ts';

/** Exit code for an unexpected failure (a bug, or an error nobody turned into a SluiceError). */
export const EXIT_FAILURE = 1;

/** Exit code for bad input and for failures reported as SluiceError. */
export const EXIT_SLUICE_ERROR = 2;

const PACKAGE_JSON = new URL('../../package.json', import.meta.url);

/** Builds the `sluice` program with every subcommand, writing through `ctx`. Does not run it. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('sluice')
    .description('Kafka observability, alerting and client quota tuning, with a bundled Kafka-protocol broker')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: ctx.stdout,
      writeErr: ctx.stderr,
      // Usage errors are printed by runCli in the same form as every other error.
      outputError: () => {},
    });
  // Flags after a subcommand belong to it (`broker ctl capacity 1 --network-in 1000` is ctl's
  // flag, not broker's flag of the same name): every command stops reading its own options at
  // its subcommand.
  program.enablePositionalOptions();
  // Subcommands inherit the exit and output settings above, so register them after.
  registerBalanceCommand(program, ctx);
  registerBrokerCommand(program, ctx);
  registerBrokersCommand(program, ctx);
  registerDemoCommand(program, ctx);
  registerMigrateCommand(program, ctx);
  registerQuotasCommand(program, ctx);
  registerRecordCommand(program, ctx);
  registerReplayCommand(program, ctx);
  registerRulesCommand(program, ctx);
  registerStartCommand(program, ctx);
  registerWorkloadCommand(program, ctx);
  return program;
}

/**
 * Runs `sluice` with `argv` (without the node and script paths) and returns the exit code.
 * Never throws: every error is printed to the context's stderr.
 */
export async function runCli(argv: readonly string[], context: () => CliContext = processContext): Promise<number> {
  let stderr = (text: string): void => void process.stderr.write(text);
  try {
    const ctx = context();
    stderr = ctx.stderr;
    await buildProgram(ctx).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    return reportError(err, stderr);
  }
}

/** Prints `err` the way `sluice` reports failures and returns the exit code for it. */
export function reportError(err: unknown, stderr: (text: string) => void): number {
  if (err instanceof CommanderError) {
    // Help and version end with exit code 0; commander already printed them.
    if (err.exitCode === 0 || err.code === 'commander.help') return err.exitCode;
    const message = err.message.replace(/^error: /, '');
    return reportError(new SluiceError('SLUICE_ERR_CLI_ARGUMENT', message, { cause: err }), stderr);
  }
  if (isSluiceError(err)) {
    stderr(`sluice: ${err.code}: ${err.message}\n`);
    return EXIT_SLUICE_ERROR;
  }
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  stderr(`sluice: unexpected error: ${text}\n`);
  return EXIT_FAILURE;
}

/** Runs `sluice` for this process and exits with its code. Used by `bin/sluice.js`. */
export async function main(): Promise<never> {
  const code = await runCli(process.argv.slice(2));
  await shutdownTracing();
  // Exit explicitly: a stopped broker's last timers must not keep the process alive. Output is
  // written synchronously (stdout/stderr pipes and files, and the logger), so nothing is lost.
  process.exit(code);
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

function isEntryModule(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryModule()) await main();
