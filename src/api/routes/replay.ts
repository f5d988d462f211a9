/**
 * The replay API: `POST /api/v1/replay` (bearer token: it costs real CPU) replays a shipped
 * incident fixture (by name, from the fixtures directory) with the shipped rules, optionally some
 * rule files replaced or added and another throttle policy, and returns the timeline (the JSON
 * `sluice replay --json` prints), with the check against expected.yaml when asked. Bounded: one
 * replay at a time (429 while one runs), run in a worker thread that is terminated when its
 * wall-clock budget runs out (SLUICE_ERR_REPLAY_TIMEOUT), at most `maxSamples` samples, and at
 * most `maxEvents` events of each kind in the answer (the rest counted as truncated).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import type { FastifyInstance } from 'fastify';
import { IsolatedReplayer } from '../replay-thread.ts';
import { FIXTURES_DIR } from '../../shipped.ts';
import { throttleConfigSchema } from '../../throttle/config.ts';
import { docSchema, parseInput } from '../input.ts';
import type { Logger } from '../../telemetry/logger.ts';
import type { AuthHook } from '../auth.ts';

/** Where fixtures come from and how much one request may cost. */
export interface ReplayApiOptions {
  readonly fixturesDir?: string;
  /** Wall-clock budget of one replay, ms (the replay thread's start included when one must be started); default 30 s. */
  readonly budgetMs?: number;
  /** Largest fixture replayed, in samples; default 20 million. */
  readonly maxSamples?: number;
  /** Most events of each kind returned; default 5000. */
  readonly maxEvents?: number;
  /** Where a replay that fails unexpectedly is logged. */
  readonly logger?: Logger;
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

/** Registers `POST /api/v1/replay`, behind `auth`. */
export function replayRoutes(app: FastifyInstance, options: ReplayApiOptions, auth: AuthHook): void {
  const fixturesDir = options.fixturesDir ?? FIXTURES_DIR;
  const budgetMs = options.budgetMs ?? 30_000;
  let busy = false;
  const replayer = new IsolatedReplayer((detail) => options.logger?.error({ detail }, 'a replay failed'));
  app.addHook('onClose', () => replayer.close());
  app.post('/api/v1/replay', {
    preHandler: auth,
    schema: { summary: 'Replay a shipped incident fixture with the shipped rules (some files overridden) and return the timeline (bearer token)', tags: ['replay'], security: [{ bearer: [] }], body: docSchema(replayBody) },
  }, async (request, reply) => {
    const body = parseInput(replayBody, request.body, 'body');
    if (busy) return reply.code(429).send({ error: 'a replay is already running; try again when it is done', code: 'SLUICE_ERR_API_REQUEST' });
    busy = true;
    const scratchDir = body.rules === undefined || Object.keys(body.rules).length === 0 ? undefined : await mkdtemp(join(tmpdir(), 'sluice-replay-rules-'));
    try {
      return await replayer.run({
        fixturesDir, fixture: body.fixture, check: body.check,
        maxSamples: options.maxSamples ?? 20_000_000, maxEvents: options.maxEvents ?? 5000,
        ...(body.rules === undefined ? {} : { rules: body.rules }),
        ...(scratchDir === undefined ? {} : { scratchDir }),
        ...(body.throttle === undefined ? {} : { throttle: body.throttle }),
        ...(body.from === undefined ? {} : { from: Date.parse(body.from) }),
        ...(body.to === undefined ? {} : { to: Date.parse(body.to) }),
      }, budgetMs);
    } finally {
      busy = false;
      if (scratchDir !== undefined) await rm(scratchDir, { recursive: true, force: true });
    }
  });
}
