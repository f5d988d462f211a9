/**
 * Replay as the CLI and the API run it: finds the fixture, loads the rule files, the throttle
 * policy and the notification setup the way the service does (same validation, file:line
 * errors), and replays.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { parse as parseYamlText } from 'yaml';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { expandRuleFiles } from '../rules/file.ts';
import { SluiceError } from '../errors.ts';
import { loadYamlFile } from '../config/yaml.ts';
import { loadNotifyConfigFile, type NotifyConfig } from '../notify/config.ts';
import { throttleConfigSchema, type ThrottleConfig } from '../throttle/config.ts';
import type { Fixture } from './format.ts';
import { FIXTURES_DIR, SHIPPED_RULES_DIR } from '../shipped.ts';
import { loadFixture } from './load.ts';
import { replayFixture, type ReplayOptions } from './replayer.ts';
import type { Timeline } from './timeline.ts';

export { FIXTURES_DIR, SHIPPED_RULES_DIR } from '../shipped.ts';

/** A fixture argument: a directory, or the name of one under fixtures/incidents. */
export function fixturePath(arg: string, fixturesDir = FIXTURES_DIR): string {
  if (isAbsolute(arg) || arg.includes('/') || existsSync(arg)) return arg;
  return shown(join(fixturesDir, arg));
}

/** Paths as given when under the working directory (so output does not depend on where the checkout is), else absolute. */
function shown(path: string): string {
  const rel = relative(process.cwd(), resolve(path));
  return rel.startsWith('..') || isAbsolute(rel) ? resolve(path) : rel;
}

/** Rule files named by files and directories; default the shipped packs. */
export async function ruleFilesOf(paths: readonly string[] | undefined): Promise<string[]> {
  const given = paths === undefined || paths.length === 0 ? [SHIPPED_RULES_DIR] : paths;
  return (await expandRuleFiles(given.map(shown))).map(shown);
}

/** A throttle policy file: the `throttle:` section of sluice.yaml on its own, validated with its errors at file:line. */
export async function loadThrottleConfig(path: string): Promise<ThrottleConfig> {
  return loadYamlFile(path, throttleConfigSchema);
}

/** Everything one replay needs besides the fixture. */
export interface ReplaySetup {
  readonly rules?: readonly string[];
  readonly throttleConfig?: string;
  readonly notifyConfig?: string;
  readonly from?: number;
  readonly to?: number;
  /** Seconds between evaluations of groups that set no interval (the service's rules.interval); default 30. */
  readonly intervalSeconds?: number;
  readonly onProgress?: ReplayOptions['onProgress'];
}

/** The options `replayFixture` takes, read from files. */
export async function replayOptionsOf(setup: ReplaySetup): Promise<ReplayOptions> {
  const ruleFiles = await ruleFilesOf(setup.rules);
  const throttle = setup.throttleConfig === undefined ? undefined : await loadThrottleConfig(setup.throttleConfig);
  const notify: NotifyConfig | undefined = setup.notifyConfig === undefined ? undefined : await loadNotifyConfigFile(setup.notifyConfig);
  return {
    ruleFiles,
    ...(throttle === undefined ? {} : { throttle }),
    ...(notify === undefined ? {} : { notify }),
    ...(setup.from === undefined ? {} : { from: setup.from }),
    ...(setup.to === undefined ? {} : { to: setup.to }),
    ...(setup.onProgress === undefined ? {} : { onProgress: setup.onProgress }),
    ...(setup.intervalSeconds === undefined ? {} : { defaultIntervalMs: setup.intervalSeconds * 1000 }),
  };
}

/** Loads the fixture at `path` and replays it. */
export async function replayPath(path: string, setup: ReplaySetup): Promise<{ fixture: Fixture; timeline: Timeline }> {
  const fixture = await loadFixture(path);
  const timeline = await replayFixture(fixture, await replayOptionsOf(setup));
  return { fixture, timeline };
}

/**
 * What a `--compare` version is: rules (a directory, or a YAML file whose `groups` hold `rules`)
 * or a throttle policy (any other YAML file).
 */
export async function versionKind(path: string): Promise<'rules' | 'throttle'> {
  let text: string;
  try {
    if ((await stat(path)).isDirectory()) return 'rules';
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', `--compare: ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = parseYamlText(text);
  } catch {
    return 'rules'; // the rule loader reports the YAML error with its line
  }
  const groups = (doc as { groups?: unknown } | null)?.groups;
  return Array.isArray(groups) && groups.some((g) => typeof g === 'object' && g !== null && 'rules' in g) ? 'rules' : 'throttle';
}
