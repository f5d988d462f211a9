/**
 * `sluice replay FIXTURE [--rules PATH ...] [--throttle-config FILE] [--notify-config FILE]
 * [--json] [--from T] [--to T]`: runs an incident fixture through the rules, the notifier's
 * grouping and inhibition and the throttle loop on a virtual clock (a dry-run quota actuator) and
 * prints the timeline. `--check` compares it with the fixture's expected.yaml; `--compare A B`
 * replays the fixture with two rule or policy versions side by side. Exit codes: 0; 1 when
 * `--check` finds differences (as `sluice rules test` when a test fails); 2 for bad input (a
 * corrupt fixture, named by file and line).
 */
import { join } from 'node:path';
import { CommanderError, type Command } from 'commander';
import { SluiceError } from '../../errors.ts';
import { checkReport, checkTimeline, compareReport, compareTimelines } from '../../replay/check.ts';
import { loadExpected } from '../../replay/expected.ts';
import { FIXTURE_FILES } from '../../replay/format.ts';
import { loadFixture } from '../../replay/load.ts';
import { replayFixture } from '../../replay/replayer.ts';
import { fixturePath, replayOptionsOf, versionKind, type ReplaySetup } from '../../replay/run.ts';
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
  readonly interval?: string;
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
    .option('--check', "compare the timeline with the fixture's expected.yaml; exit 1 with the differences when they differ")
    .option('--compare <version...>', 'two rule files/directories or throttle policy files to replay side by side: --compare A B')
    .option('--interval <seconds>', 'seconds between evaluations of rule groups that set no interval (the service\'s rules.interval)', '30')
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
  const interval = Number(flags.interval ?? '30');
  if (!(interval > 0)) throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', `--interval: expected a positive number of seconds, got ${JSON.stringify(flags.interval)}`);
  const bar = stderrIsTTY && flags.progress !== false && flags.json !== true ? progressBar(ctx.stderr, `replay ${fixture.meta.name}`) : undefined;
  const setup: ReplaySetup = {
    ...(flags.rules === undefined ? {} : { rules: flags.rules }),
    ...(flags.throttleConfig === undefined ? {} : { throttleConfig: flags.throttleConfig }),
    ...(flags.notifyConfig === undefined ? {} : { notifyConfig: flags.notifyConfig }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...(bar === undefined ? {} : { onProgress: bar.update }),
    intervalSeconds: interval,
  };
  if (flags.compare !== undefined) {
    if (flags.compare.length !== 2) throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', `--compare: expected two versions (rule files or directories, or throttle policy files), got ${flags.compare.length}`);
    const [pathA, pathB] = flags.compare as [string, string];
    const timelines = [];
    for (const path of [pathA, pathB]) {
      const kind = await versionKind(path);
      const version: ReplaySetup = kind === 'rules' ? { ...setup, rules: [path] } : { ...setup, throttleConfig: path };
      timelines.push(await replayFixture(fixture, await replayOptionsOf(version)));
    }
    bar?.end();
    const [a, b] = timelines as [typeof timelines[0], typeof timelines[0]];
    const rows = compareTimelines(a, b);
    ctx.stdout(flags.json === true ? `${JSON.stringify({ a: pathA, b: pathB, rows: rows.map((r) => ({ ...r, a: r.a === undefined ? null : new Date(r.a).toISOString(), b: r.b === undefined ? null : new Date(r.b).toISOString() })) }, null, 2)}\n` : compareReport(pathA, pathB, a, rows));
    return 0;
  }
  const timeline = await replayFixture(fixture, await replayOptionsOf(setup));
  bar?.end();
  if (flags.check === true) {
    const dir = fixture.dir ?? fixturePath(fixtureArg);
    const expected = await loadExpected(join(dir, FIXTURE_FILES.expected));
    const differences = checkTimeline(timeline, expected);
    ctx.stdout(checkReport(dir, differences));
    return differences.length === 0 ? 0 : EXIT_CHECK_FAILED;
  }
  ctx.stdout(flags.json === true ? timelineJson(timeline) : timelineText(timeline));
  return 0;
}

/** Exit code of a `--check` that found differences. */
export const EXIT_CHECK_FAILED = 1;
