/**
 * expected.yaml: what replaying a fixture must show (docs/fixtures.md). Times are durations from
 * the fixture's incident start (`90s`, `10m`, `-5m` counts back). Validated with the config
 * module, so a mistake is reported as `expected.yaml:4:5: fire[0].earliest: …`.
 *
 *   fire:        alerts that must fire, each at least once with its first firing in [earliest, latest]
 *   notFire:     alerts that must not fire at all (by name, by labels such as severity, or both)
 *   decisions:   quota decisions that must be made (applied, or pending in recommend mode)
 *   onlyListedDecisions: whether any other decision is a difference (default true)
 */
import * as z from 'zod';
import { loadYamlFile, parseYaml } from '../config/yaml.ts';
import type { DeepReadonly } from '../config/freeze.ts';
import { parseDuration } from '../duration.ts';
import { LABEL_NAME } from '../labels.ts';

const offset = z.string().transform((text, ctx): number => {
  const negative = text.startsWith('-');
  const ms = parseDuration(negative ? text.slice(1) : text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration from the incident start such as 90s, 10m or -5m, got ${JSON.stringify(text)}` });
    return z.NEVER;
  }
  return negative ? -ms : ms;
});

const labels = z.record(z.string().regex(LABEL_NAME, 'expected a label name'), z.string());

const window = { earliest: offset.optional(), latest: offset.optional() };

const fireSchema = z.strictObject({ alertname: z.string().min(1), labels: labels.default({}), ...window })
  .refine((f) => f.earliest === undefined || f.latest === undefined || f.earliest <= f.latest, { message: 'earliest is after latest', path: ['latest'] });

const notFireSchema = z.strictObject({ alertname: z.string().min(1).optional(), labels: labels.default({}) })
  .refine((f) => f.alertname !== undefined || Object.keys(f.labels).length > 0, { message: 'name an alertname, labels (such as severity: page), or both' });

const decisionSchema = z.strictObject({
  /** As Kafka's tools print it: `user=alice,client-id=etl`. */
  entity: z.string().min(1),
  direction: z.enum(['produce', 'consume']).optional(),
  change: z.enum(['lower', 'raise', 'restore']).optional(),
  ...window,
});

/** The schema of expected.yaml. */
export const expectedSchema = z.strictObject({
  fire: z.array(fireSchema).default([]),
  notFire: z.array(notFireSchema).default([]),
  decisions: z.array(decisionSchema).default([]),
  onlyListedDecisions: z.boolean().default(true),
});

/** A validated expected.yaml; offsets in ms from the incident start. */
export type Expected = DeepReadonly<z.output<typeof expectedSchema>>;

/** Reads and validates expected.yaml. */
export function loadExpected(path: string): Promise<Expected> {
  return loadYamlFile(path, expectedSchema);
}

/** Validates expected.yaml's text (the API's inline expectations). */
export function parseExpected(text: string, file = 'expected.yaml'): Expected {
  return parseYaml(text, expectedSchema, { file });
}
