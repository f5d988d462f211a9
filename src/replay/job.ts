/**
 * One replay as the HTTP API asks for it: a fixture by name from the fixtures directory, the
 * shipped rules with some files replaced or added from the request, a throttle policy, a window,
 * and the check against expected.yaml; the answer is the timeline document, with at most
 * `maxEvents` events of each kind. It runs inside a worker thread (isolated.ts), so it takes
 * and returns plain data. Files are named in the answer relative to stable places (`rules/…`
 * for the shipped packs, `request/…` for files from the request, `fixtures/…`), never by the
 * server's absolute paths.
 */
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { expandRuleFiles } from '../rules/file.ts';
import { withPublicPaths, type PublicPlace } from '../public-paths.ts';
import { isSluiceError, SluiceError } from '../errors.ts';
import { checkTimeline } from './check.ts';
import { loadExpected } from './expected.ts';
import { FIXTURE_FILES } from './format.ts';
import { loadFixture } from './load.ts';
import { replayFixture } from './replayer.ts';
import type { ReplayJob, ReplayJobError } from '../api/replay-job.ts';
import { SHIPPED_RULES_DIR } from '../shipped.ts';
import { timelineJson } from './timeline.ts';

export type { ReplayJob, ReplayJobError } from '../api/replay-job.ts';

/** Runs `job`; resolves with the timeline document (the JSON `sluice replay --json` prints, plus `check` and `truncated`). */
export async function runReplayJob(job: ReplayJob): Promise<Record<string, unknown>> {
  const places: PublicPlace[] = [
    ...(job.scratchDir === undefined ? [] : [[job.scratchDir, 'request'] as const]),
    [SHIPPED_RULES_DIR, 'rules'],
    [job.fixturesDir, 'fixtures'],
  ];
  try {
    const dir = join(job.fixturesDir, job.fixture);
    let fixture;
    try {
      fixture = await loadFixture(dir);
    } catch (err) {
      if (isSluiceError(err, 'SLUICE_ERR_FIXTURE_FILE')) throw new SluiceError('SLUICE_ERR_API_NOT_FOUND', `body.fixture: no fixture "${job.fixture}"`, { path: 'body.fixture', cause: err });
      throw err;
    }
    if (fixture.meta.sampleCount > job.maxSamples) {
      throw new SluiceError('SLUICE_ERR_API_REQUEST', `body.fixture: ${job.fixture} holds ${fixture.meta.sampleCount} samples, more than this API replays`, { path: 'body.fixture' });
    }
    let ruleFiles = await expandRuleFiles([SHIPPED_RULES_DIR]);
    if (job.rules !== undefined && Object.keys(job.rules).length > 0) {
      const scratch = job.scratchDir;
      if (scratch === undefined) throw new Error('a replay job with rule files needs a scratch directory');
      const overridden = new Set(Object.keys(job.rules));
      ruleFiles = ruleFiles.filter((f) => !overridden.has(basename(f)));
      for (const [name, text] of Object.entries(job.rules)) {
        await writeFile(join(scratch, name), text);
        ruleFiles.push(join(scratch, name));
      }
    }
    const timeline = await replayFixture(fixture, {
      ruleFiles,
      ...(job.throttle === undefined ? {} : { throttle: job.throttle }),
      ...(job.from === undefined ? {} : { from: job.from }),
      ...(job.to === undefined ? {} : { to: job.to }),
    });
    const doc = JSON.parse(timelineJson(timeline)) as Record<string, unknown>;
    const truncated: Record<string, number> = {};
    for (const kind of ['alerts', 'notifications', 'diagnoses', 'decisions', 'ruleErrors']) {
      const list = doc[kind] as unknown[];
      if (list.length > job.maxEvents) {
        truncated[kind] = list.length - job.maxEvents;
        doc[kind] = list.slice(0, job.maxEvents);
      }
    }
    if (job.check) {
      const differences = checkTimeline(timeline, await loadExpected(join(dir, FIXTURE_FILES.expected)));
      doc.check = { ok: differences.length === 0, differences };
    }
    return withPublicPaths({ ...doc, ...(Object.keys(truncated).length > 0 ? { truncated } : {}) }, places);
  } catch (err) {
    if (isSluiceError(err)) {
      const shown = withPublicPaths({ message: err.message, path: err.path }, places);
      throw new SluiceError(err.code, shown.message, { cause: err, ...(shown.path === undefined ? {} : { path: shown.path }) });
    }
    throw err;
  }
}

/** `err` as data to post from the worker; anything not raised on purpose is an internal error, its text kept out of the answer. */
export function jobErrorOf(err: unknown): ReplayJobError {
  if (isSluiceError(err)) return { code: err.code, message: err.message, ...(err.path === undefined ? {} : { path: err.path }) };
  return { code: 'SLUICE_ERR_API_INTERNAL', message: 'internal error', detail: (err as Error)?.stack ?? String(err) };
}
