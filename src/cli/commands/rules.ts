/**
 * `sluice rules check FILE...` and `sluice rules test FILE...`: what `promtool check rules` and
 * `promtool test rules` do, with the same output, so that rule packs and their tests run the same
 * in CI with either tool. Both exit 1 when any file fails (after printing every file's result).
 */
import { CommanderError, type Command } from 'commander';
import { loadRuleFiles, ruleCount } from '../../rules/file.ts';
import { runUnitTests } from '../../rules/unit-test.ts';
import { formatFileProblem } from '../../rules/yaml-source.ts';
import type { CliContext } from '../context.ts';

/** Exit code of a check or test that found problems, as promtool's. */
export const EXIT_RULES_FAILED = 1;

/**
 * Ends the command with `code` after it printed its own report: runCli passes a CommanderError of
 * code `commander.help` through with its exit code and prints nothing more.
 */
function exitWith(code: number): never {
  throw new CommanderError(code, 'commander.help', '');
}

/** Adds `sluice rules check` and `sluice rules test` to `program`. */
export function registerRulesCommand(program: Command, ctx: CliContext): void {
  const rules = program.command('rules').description('check Prometheus rule files and run their unit tests (promtool format)');
  rules
    .command('check')
    .description('check rule files: YAML, names, durations, expressions and templates')
    .argument('<files...>', 'rule files')
    .action(async (files: string[]) => {
      const code = await runRulesCheck(files, ctx);
      if (code !== 0) exitWith(code);
    });
  rules
    .command('test')
    .description('run rule unit tests written in promtool test format')
    .argument('<files...>', 'test files')
    .action(async (files: string[]) => {
      const code = await runUnitTests(files, ctx);
      if (code !== 0) exitWith(code);
    });
}

/** Checks each file, printing `Checking FILE` then `  SUCCESS: N rules found` or `  FAILED:` and its problems; returns the exit code. */
export async function runRulesCheck(files: readonly string[], ctx: Pick<CliContext, 'stdout' | 'stderr'>): Promise<number> {
  let failed = false;
  for (const file of await loadRuleFiles(files)) {
    ctx.stdout(`Checking ${file.file}\n`);
    if (file.problems.length > 0) {
      failed = true;
      ctx.stderr(`  FAILED:\n${file.problems.map((p) => `${formatFileProblem(p)}\n`).join('')}`);
    } else {
      ctx.stdout(`  SUCCESS: ${ruleCount(file)} rules found\n`);
    }
    ctx.stdout('\n');
  }
  return failed ? EXIT_RULES_FAILED : 0;
}
