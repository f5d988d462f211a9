/**
 * `sluice replay FIXTURE [--rules PATH ...] [--throttle-config FILE] [--notify-config FILE]
 * [--json] [--from T] [--to T]`: runs an incident fixture through the rules, the notifier's
 * grouping and inhibition and the throttle loop on a virtual clock (a dry-run quota actuator) and
 * prints the timeline. `--check` compares it with the fixture's expected.yaml; `--compare A B`
 * replays the fixture with two rule or policy versions side by side. Exit codes: 0, 2 for bad
 * input (a corrupt fixture: file and line), 3 when `--check` finds differences.
 */
import { CommanderError, type Command } from 'commander';
import { SluiceError } from '../../errors.ts';
import { loadFixture } from '../../replay/load.ts';
import { replayFixture } from '../../replay/replayer.ts';
import { fixturePath, replayOptionsOf, type ReplaySetup } from '../../replay/run.ts';
import { parseTimeArg } from '../../replay/time.ts';
import { timelineJson, timelineText } from '../../replay/timeline.ts';
import type { CliContext } from '../context.ts';

/** The flags of `sluice replay` as commander hands them over. */
export interface ReplayFlags {
  readonly rules?: string[];
  readonly throttleConfig?: string;
  readonly notifyConfig?: string;
  readonly json?: boolean;
  readonly from?: string;
  readonly to?: string;
  readonly check?: boolean;
  readonly compare?: string[];
  readonly progress?: boolean;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Ends the command with `code` after it printed its own report (runCli passes it through). */
export function exitWith(code: number): never {
  throw new CommanderError(code, 'commander.help', '');
}

/** A progress bar on stderr, redrawn at most every whole percent; only where stderr is a terminal. */
export function progressBar(write: (text: string) => void, label: string): { update: (done: number, total: number) => void; end: () => void } {
  let shownPercent = -1;
  return {
    update(done, total) {
      const percent = total <= 0 ? 100 : Math.floor((done / total) * 100);
      if (percent === shownPercent) return;
      shownPercent = percent;
      const width = 30;
      const filled = Math.round((percent / 100) * width);
      write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(percent).padStart(3)}%`);
    },
    end() {
      if (shownPercent >= 0) write('\n');
    },
  };
}

/** Adds `sluice replay` to `program`. */
export function registerReplayCommand(program: Command, ctx: CliContext): void {
  program
    .command('replay')
    .description('replay an incident fixture through the rules, notifications and quota loop on a virtual clock')
    .argument('[fixture]', 'fixture directory, or the name of one under fixtures/incidents')
    .option('--rules <path>', 'rule file or directory (repeatable; default the shipped packs in rules/)', collect)
    .option('--throttle-config <file>', 'throttle policy: a YAML file holding the throttle: section of sluice.yaml (default: the defaults, mode auto against the dry-run actuator)')
    .option('--notify-config <file>', 'notification routing and inhibition, Alertmanager format (default: grouped by alertname and cluster)')
    .option('--json', 'print the timeline as JSON (byte-identical for the same fixture and config)')
    .option('--from <time>', 'replay from here (ISO 8601, Unix seconds, or +DURATION from the fixture start)')
    .option('--to <time>', 'replay up to here')
    .option('--check', "compare the timeline with the fixture's expected.yaml; exit 3 with a diff when they differ")
    .option('--compare <a_b...>', 'two rule files/directories or throttle policy files to replay side by side: --compare A B')
    .option('--no-progress', 'no progress bar even on a terminal')
    .action(async (fixture: string | undefined, flags: ReplayFlags) => {
      const code = await runReplay(fixture, flags, ctx);
      if (code !== 0) exitWith(code);
    });
}

/** Replays as the flags say and prints the result; returns the exit code. */
export async function runReplay(fixtureArg: string | undefined, flags: ReplayFlags, ctx: CliContext, stderrIsTTY = process.stderr.isTTY === true): Promise<number> {
  if (fixtureArg === undefined) throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', 'FIXTURE: name the fixture to replay (a directory, or a name under fixtures/incidents)');
  const fixture = await loadFixture(fixturePath(fixtureArg));
  const base = fixture.meta.from;
  const from = flags.from === undefined ? undefined : parseTimeArg(flags.from, '--from', { base });
  const to = flags.to === undefined ? undefined : parseTimeArg(flags.to, '--to', { base });
  const bar = stderrIsTTY && flags.progress !== false && flags.json !== true ? progressBar(ctx.stderr, `replay ${fixture.meta.name}`) : undefined;
  const setup: ReplaySetup = {
    ...(flags.rules === undefined ? {} : { rules: flags.rules }),
    ...(flags.throttleConfig === undefined ? {} : { throttleConfig: flags.throttleConfig }),
    ...(flags.notifyConfig === undefined ? {} : { notifyConfig: flags.notifyConfig }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...(bar === undefined ? {} : { onProgress: bar.update }),
  };
  const timeline = await replayFixture(fixture, await replayOptionsOf(setup));
  bar?.end();
  ctx.stdout(flags.json === true ? timelineJson(timeline) : timelineText(timeline));
  return 0;
}
