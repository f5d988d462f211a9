/**
 * Silences, pure: their shape (Alertmanager's v2 API), validation, state at a time, and whether
 * one mutes a label set. A silence mutes from `startsAt` (inclusive) to `endsAt` (exclusive)
 * every alert matching all its matchers; regexes are anchored.
 * https://prometheus.io/docs/alerting/latest/alerts_api/ and
 * https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml
 */
import * as z from 'zod';
import { validate } from '../config/validate.ts';
import { SluiceError } from '../errors.ts';
import { LABEL_NAME } from '../labels.ts';
import { compile, matchesAll, regexProblem, type LabelMatcher, type Matcher } from './matchers.ts';
import type { Labels } from './types.ts';

/** A silence matcher: `isRegex` picks =~/!~ over =/!=, `isEqual: false` negates. */
export interface SilenceMatcher {
  readonly name: string;
  readonly value: string;
  readonly isRegex: boolean;
  readonly isEqual: boolean;
}

/** Where a silence stands at a given time. */
export type SilenceState = 'pending' | 'active' | 'expired';

/** A stored silence, as the API shows it. */
export interface Silence {
  readonly id: string;
  readonly matchers: readonly SilenceMatcher[];
  /** ISO 8601 times. */
  readonly startsAt: string;
  readonly endsAt: string;
  readonly createdBy: string;
  readonly comment: string;
  readonly status: SilenceState;
}

/** What creating a silence takes; `startsAt` defaults to now. */
export interface NewSilence {
  readonly matchers: readonly SilenceMatcher[];
  readonly startsAt?: string;
  readonly endsAt: string;
  readonly createdBy: string;
  readonly comment: string;
}

const isoTime = z.iso.datetime({ offset: true });

const newSilenceSchema = z.strictObject({
  matchers: z
    .array(
      z.strictObject({
        name: z.string().regex(LABEL_NAME, 'expected a label name'),
        value: z.string(),
        isRegex: z.boolean(),
        isEqual: z.boolean().default(true),
      }),
    )
    .min(1),
  startsAt: isoTime.optional(),
  endsAt: isoTime,
  createdBy: z.string().min(1),
  comment: z.string().min(1),
});

/** A silence checked by `checkSilence`, its times in ms. */
export interface CheckedSilence {
  readonly matchers: readonly SilenceMatcher[];
  readonly startsAt: number;
  readonly endsAt: number;
  readonly createdBy: string;
  readonly comment: string;
}

/**
 * Validates a new silence at time `now`. Throws SLUICE_ERR_SILENCE_INVALID whose path names the
 * field: a bad regex (`matchers[1].value`), `endsAt` not after `startsAt` or already past, or
 * matchers that all match the empty string (which would mute alerts lacking the label, i.e. all).
 */
export function checkSilence(input: NewSilence, now: number): CheckedSilence {
  const parsed = validate(newSilenceSchema, input, { code: 'SLUICE_ERR_SILENCE_INVALID' });
  const fail = (path: string, message: string): never => {
    throw problem(path, message);
  };
  parsed.matchers.forEach((m, i) => {
    const wrong = m.isRegex ? regexProblem(m.value) : undefined;
    if (wrong !== undefined) fail(`matchers[${i}].value`, wrong);
  });
  const startsAt = parsed.startsAt === undefined ? now : Date.parse(parsed.startsAt);
  const endsAt = Date.parse(parsed.endsAt);
  if (endsAt <= startsAt) fail('endsAt', 'must be after startsAt');
  if (endsAt <= now) fail('endsAt', 'must be in the future');
  const compiled = compile(parsed.matchers.map(toMatcher));
  if (compiled.every((m) => m.matches({}))) fail('matchers', 'at least one matcher must not match the empty string, or the silence would mute every alert');
  return { matchers: parsed.matchers, startsAt: Math.max(startsAt, now), endsAt, createdBy: parsed.createdBy, comment: parsed.comment };
}

function problem(path: string, message: string): SluiceError {
  return new SluiceError('SLUICE_ERR_SILENCE_INVALID', `${path}: ${message}`, { path });
}

/** The label matcher a silence matcher stands for. */
export function toMatcher(m: SilenceMatcher): Matcher {
  return { name: m.name, value: m.value, type: m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!=' };
}

/** Where a silence with these times stands at `now`. */
export function silenceState(startsAt: number, endsAt: number, now: number): SilenceState {
  if (now >= endsAt) return 'expired';
  return now < startsAt ? 'pending' : 'active';
}

/** A silence compiled for matching. */
export interface ActiveSilence {
  readonly id: string;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly matchers: readonly LabelMatcher[];
}

/** Compiles a stored silence for matching. */
export function compileSilence(s: { id: string; startsAt: number; endsAt: number; matchers: readonly SilenceMatcher[] }): ActiveSilence {
  return { id: s.id, startsAt: s.startsAt, endsAt: s.endsAt, matchers: compile(s.matchers.map(toMatcher)) };
}

/** The ids of the silences that mute `labels` at `now`, in the order given. */
export function silencedBy(silences: readonly ActiveSilence[], labels: Labels, now: number): string[] {
  const ids: string[] = [];
  for (const s of silences) if (silenceState(s.startsAt, s.endsAt, now) === 'active' && matchesAll(s.matchers, labels)) ids.push(s.id);
  return ids;
}
