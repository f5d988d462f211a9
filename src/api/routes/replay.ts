/**
 * The replay API: `POST /api/v1/replay` replays a shipped incident fixture (by name, from the
 * fixtures directory) with the shipped rules, optionally some rule files replaced or added and
 * another throttle policy, and returns the timeline (the JSON `sluice replay --json` prints),
 * with the check against expected.yaml when asked. Bounded: one replay at a time (429 while one
 * runs), a wall-clock budget (the replay is abandoned past it), at most `maxSamples` samples, and
 * at most `maxEvents` events of each kind in the answer (the rest counted as truncated).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as z from 'zod';
import type { FastifyInstance } from 'fastify';
import { SluiceError } from '../../errors.ts';
import { checkTimeline } from '../../replay/check.ts';
import { loadExpected } from '../../replay/expected.ts';
import { FIXTURE_FILES } from '../../replay/format.ts';
import { loadFixture } from '../../replay/load.ts';
import { replayFixture } from '../../replay/replayer.ts';
import { FIXTURES_DIR, ruleFilesOf } from '../../replay/run.ts';
import { timelineJson } from '../../replay/timeline.ts';
import { throttleConfigSchema } from '../../throttle/config.ts';
import { docSchema, parseInput } from '../input.ts';

/** Where fixtures come from and how much one request may cost. */
export interface ReplayApiOptions {
  readonly fixturesDir?: string;
  /** Wall-clock budget of one replay, ms; default 30 s. */
  readonly budgetMs?: number;
  /** Largest fixture replayed, in samples; default 20 million. */
  readonly maxSamples?: number;
  /** Most events of each kind returned; default 5000. */
  readonly maxEvents?: number;
}

const MAX_RULE_BYTES = 256 * 1024;

const replayBody = z.strictObject({
  /** A fixture directory name under the fixtures directory, e.g. broker-down. */
  fixture: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'expected a fixture name such as broker-down'),
  /** Rule files by name: each replaces the shipped file of that name, or is added. */
  rules: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.ya?ml$/, 'expected a file name such as kafka-consumer-lag.yaml'), z.string().max(MAX_RULE_BYTES)).optional()
    .refine((r) => r === undefined || Object.keys(r).length <= 20, { message: 'at most 20 rule files' }),
  /** A throttle policy (the throttle: section of sluice.yaml); default the defaults in auto mode against the dry-run actuator. */
  throttle: throttleConfigSchema.optional(),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
  /** Also compare with the fixture's expected.yaml. */
  check: z.boolean().default(false),
});

class BudgetExceeded extends Error {}

/** Registers `POST /api/v1/replay`. */
export function replayRoutes(app: FastifyInstance, options: ReplayApiOptions = {}): void {
  const fixturesDir = options.fixturesDir ?? FIXTURES_DIR;
  const budgetMs = options.budgetMs ?? 30_000;
  const maxEvents = options.maxEvents ?? 5000;
  let busy = false;
  app.post('/api/v1/replay', {
    schema: { summary: 'Replay a shipped incident fixture with the shipped rules (some files overridden) and return the timeline', tags: ['replay'], body: docSchema(replayBody) },
  }, async (request, reply) => {
    const body = parseInput(replayBody, request.body, 'body');
    const throttle = body.throttle;
    if (busy) return reply.code(429).send({ error: 'a replay is already running; try again when it is done', code: 'SLUICE_ERR_API_REQUEST' });
    busy = true;
    let scratch: string | undefined;
    try {
      const dir = join(fixturesDir, body.fixture);
      let fixture;
      try {
        fixture = await loadFixture(dir);
      } catch (err) {
        if ((err as SluiceError).code === 'SLUICE_ERR_FIXTURE_FILE') throw new SluiceError('SLUICE_ERR_API_NOT_FOUND', `body.fixture: no fixture "${body.fixture}"`, { path: 'body.fixture', cause: err });
        throw err;
      }
      if (fixture.meta.sampleCount > (options.maxSamples ?? 20_000_000)) {
        throw new SluiceError('SLUICE_ERR_API_REQUEST', `body.fixture: ${body.fixture} holds ${fixture.meta.sampleCount} samples, more than this API replays`, { path: 'body.fixture' });
      }
      let ruleFiles = await ruleFilesOf(undefined);
      if (body.rules !== undefined && Object.keys(body.rules).length > 0) {
        scratch = await mkdtemp(join(tmpdir(), 'sluice-replay-rules-'));
        const overridden = new Set(Object.keys(body.rules));
        ruleFiles = ruleFiles.filter((f) => !overridden.has(basename(f)));
        for (const [name, text] of Object.entries(body.rules)) {
          await writeFile(join(scratch, name), text);
          ruleFiles.push(join(scratch, name));
        }
      }
      const started = performance.now();
      const timeline = await replayFixture(fixture, {
        ruleFiles,
        ...(throttle === undefined ? {} : { throttle }),
        ...(body.from === undefined ? {} : { from: Date.parse(body.from) }),
        ...(body.to === undefined ? {} : { to: Date.parse(body.to) }),
        onProgress: () => {
          if (performance.now() - started > budgetMs) throw new BudgetExceeded();
        },
      }).catch((err: unknown) => {
        if (err instanceof BudgetExceeded) throw new SluiceError('SLUICE_ERR_API_REQUEST', `the replay took longer than ${budgetMs / 1000} s; replay a shorter window (from, to)`, { path: 'body' });
        throw err;
      });
      const doc = JSON.parse(timelineJson(timeline)) as Record<string, unknown>;
      const truncated: Record<string, number> = {};
      for (const kind of ['alerts', 'notifications', 'diagnoses', 'decisions', 'ruleErrors']) {
        const list = doc[kind] as unknown[];
        if (list.length > maxEvents) {
          truncated[kind] = list.length - maxEvents;
          doc[kind] = list.slice(0, maxEvents);
        }
      }
      if (body.check) {
        const differences = checkTimeline(timeline, await loadExpected(join(dir, FIXTURE_FILES.expected)));
        doc.check = { ok: differences.length === 0, differences };
      }
      return { ...doc, ...(Object.keys(truncated).length > 0 ? { truncated } : {}) };
    } finally {
      busy = false;
      if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
    }
  });
}
