/**
 * Workload scenarios: a YAML file naming topics, producers, consumer groups, the actions taken on
 * them and the faults injected into the cluster, each at a moment of scenario time. Validated
 * once with the config module, so every problem is named by file:line:col and path.
 *
 * After parsing, every duration is a number of milliseconds (`at: 60s` becomes `at: 60000`);
 * times are scenario time, which runs `timeScale` times faster than the wall clock.
 */
import * as zlib from 'node:zlib';
import * as z from 'zod';
import { describeValue, loadYamlFile, parseYaml, type DeepReadonly } from '../config/index.ts';
import { parseSimpleDuration, simpleDurationRule } from '../duration.ts';

const NAME = /^[A-Za-z0-9._-]+$/;
const MAX_TOPIC_NAME_LENGTH = 249;
const REWIND_AGO = /^(.+?)\s+ago$/;

/** A required duration field, in milliseconds once parsed. */
function duration(options: DurationOptions = {}) {
  return z.unknown().transform((value, ctx): number => checkDuration(value, options, ctx) ?? z.NEVER);
}

/** An optional duration field: undefined when absent. */
function optionalDuration(options: DurationOptions = {}) {
  // The input is unknown, so absent values reach the transform, which lets them through.
  return z
    .unknown()
    .transform((value, ctx): number | undefined => (value === undefined ? undefined : (checkDuration(value, options, ctx) ?? z.NEVER)))
    .optional();
}

interface DurationOptions {
  /** 0 is not allowed. */
  readonly positive?: boolean;
}

function checkDuration(value: unknown, options: DurationOptions, ctx: z.RefinementCtx): number | undefined {
  const ms = parseSimpleDuration(value);
  if (ms !== undefined && !(options.positive === true && ms === 0)) return ms;
  const rule = simpleDurationRule(options.positive === true);
  ctx.addIssue({ code: 'custom', message: value === undefined ? `missing, ${rule}` : `${rule}, got ${describeValue(value)}` });
  return undefined;
}

const name = z.string().regex(NAME, { error: 'expected letters, digits, ".", "_" and "-" only' });

const topicName = z
  .string()
  .max(MAX_TOPIC_NAME_LENGTH)
  .regex(NAME, { error: 'expected a topic name of letters, digits, ".", "_" and "-"' })
  .refine((text) => text !== '.' && text !== '..', { error: 'topic name cannot be "." or ".."' });

const nonNegative = z.number().min(0);
const positiveInt = z.int().min(1);

const topicSchema = z.strictObject({
  name: topicName,
  partitions: positiveInt,
  /** Capped to the number of brokers, with a warning. Absent: the cluster's default. */
  replicationFactor: positiveInt.optional(),
  configs: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
});

const curveSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('constant') }),
    z.strictObject({
      kind: z.literal('diurnal'),
      period: optionalDuration({ positive: true }),
      min: nonNegative,
      max: nonNegative,
      /** Scenario time of the peak; default half a period (troughs at 0, 24h, …). */
      peak: optionalDuration(),
    }),
  ])
  .superRefine((curve, ctx) => {
    if (curve.kind === 'diurnal' && curve.min > curve.max) {
      ctx.addIssue({ code: 'custom', path: ['min'], message: `expected min <= max (${curve.max}), got ${curve.min}` });
    }
  })
  .transform((curve) => {
    if (curve.kind === 'constant') return curve;
    const period = curve.period ?? 86_400_000;
    return { kind: curve.kind, period, min: curve.min, max: curve.max, peak: curve.peak ?? period / 2 };
  });

const spikeSchema = z.strictObject({
  at: duration(),
  for: duration({ positive: true }),
  factor: nonNegative,
});

const producerSchema = z.strictObject({
  /** Names the producer in status lines and in the `sluice-producer` header. */
  id: name,
  /** A key of `users`: the SASL identity when the cluster needs SASL. */
  user: z.string().min(1).optional(),
  /** Default: the id. */
  clientId: z.string().min(1).optional(),
  topic: topicName,
  /** Messages per second. */
  rate: nonNegative,
  /** Value size in bytes. */
  size: z.int().min(0).max(10_485_760).default(1024),
  /** Keys are `key-<n % keys>`. */
  keys: positiveInt.default(1000),
  acks: z.literal(['all', -1, 0, 1]).default('all'),
  compression: z.enum(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('none'),
  curve: curveSchema.default({ kind: 'constant' }),
  spikes: z.array(spikeSchema).default([]),
});

const rewindTarget = z.string().transform((text, ctx) => {
  const trimmed = text.trim();
  if (trimmed === 'earliest' || trimmed === 'latest') return { kind: trimmed } as const;
  const ago = REWIND_AGO.exec(trimmed);
  const agoMs = ago === null ? undefined : parseSimpleDuration(ago[1]);
  if (agoMs !== undefined) return { kind: 'ago', ms: agoMs } as const;
  const timestamp = /^\d{4}-\d\d-\d\dT/.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (!Number.isNaN(timestamp)) return { kind: 'timestamp', ms: timestamp } as const;
  ctx.addIssue({
    code: 'custom',
    message: `expected earliest, latest, a date-time such as 2024-05-01T12:00:00Z, or a duration ago such as "5m ago", got ${describeValue(text)}`,
  });
  return z.NEVER;
});

const actionSchema = z.discriminatedUnion('do', [
  z.strictObject({ at: duration(), do: z.literal('stop') }),
  z.strictObject({ at: duration(), do: z.literal('start') }),
  /** rate 0 lifts the cap. */
  z.strictObject({ at: duration(), do: z.literal('slow'), rate: nonNegative }),
  z.strictObject({ at: duration(), do: z.literal('rewind'), to: rewindTarget.default({ kind: 'earliest' }) }),
]);

const consumerSchema = z.strictObject({
  id: name,
  user: z.string().min(1).optional(),
  clientId: z.string().min(1).optional(),
  group: z.string().min(1),
  topics: z.array(topicName).min(1),
  /** Members of the group. */
  instances: positiveInt.max(100).default(1),
  /** Messages per second for the whole group; 0 = as fast as possible. */
  rate: nonNegative.default(0),
  /**
   * Most bytes one fetch returns per partition (max.partition.fetch.bytes): 1 MiB, the default
   * of Kafka's Java consumer, librdkafka and kafkajs.
   */
  fetchBytesPerPartition: positiveInt.max(104_857_600).default(1_048_576),
  /** Applied at their times; when the first is `start`, the group joins only then. */
  actions: z.array(actionSchema).default([]),
});

const brokerId = z.int().min(0);
const capacityValue = z.int().min(1).optional();

const faultSchema = z.discriminatedUnion('do', [
  z.strictObject({ at: duration(), do: z.literal('stop-broker'), broker: brokerId }),
  /** wipe: the broker comes back with empty logs (a replaced disk). */
  z.strictObject({ at: duration(), do: z.literal('start-broker'), broker: brokerId, wipe: z.boolean().optional() }),
  z.strictObject({ at: duration(), do: z.literal('cut-replication'), broker: brokerId }),
  z.strictObject({ at: duration(), do: z.literal('restore-replication'), broker: brokerId }),
  z.strictObject({ at: duration(), do: z.literal('set-latency'), broker: brokerId, ms: nonNegative }),
  z
    .strictObject({
      at: duration(),
      do: z.literal('set-capacity'),
      broker: brokerId,
      networkInBytesPerSec: capacityValue,
      networkOutBytesPerSec: capacityValue,
      logDirBytes: capacityValue,
      requestHandlers: capacityValue,
    })
    .refine(
      (f) => [f.networkInBytesPerSec, f.networkOutBytesPerSec, f.logDirBytes, f.requestHandlers].some((v) => v !== undefined),
      { error: 'expected at least one of networkInBytesPerSec, networkOutBytesPerSec, logDirBytes, requestHandlers' },
    ),
]);

/** The schema of a scenario file. */
export const scenarioSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    /** Run length in scenario time; `--duration` overrides it (in wall-clock seconds). */
    duration: optionalDuration({ positive: true }),
    /** Scenario ms per wall ms: 1440 plays a 24 h curve in 60 s. */
    timeScale: z.number().positive().default(1),
    /** SASL/PLAIN password of each user. */
    users: z.record(z.string().min(1), z.string().min(1)).default({}),
    topics: z.array(topicSchema).default([]),
    producers: z.array(producerSchema).default([]),
    consumers: z.array(consumerSchema).default([]),
    faults: z.array(faultSchema).default([]),
  })
  .superRefine((scenario, ctx) => {
    const problem = (path: (string | number)[], message: string): void => ctx.addIssue({ code: 'custom', path, message });
    const users = Object.keys(scenario.users);
    const knownUsers = users.length === 0 ? 'no users are defined' : `users are ${users.join(', ')}`;
    const ids = new Map<string, string>();
    const clients = [
      ...scenario.producers.map((c, i) => ({ c, path: ['producers', i] as (string | number)[] })),
      ...scenario.consumers.map((c, i) => ({ c, path: ['consumers', i] as (string | number)[] })),
    ];
    for (const { c, path } of clients) {
      const first = ids.get(c.id);
      if (first !== undefined) problem([...path, 'id'], `id ${JSON.stringify(c.id)} is already used by ${first}`);
      else ids.set(c.id, `${path[0]}[${path[1]}]`);
      if (c.user !== undefined && !(c.user in scenario.users)) {
        problem([...path, 'user'], `unknown user ${JSON.stringify(c.user)}; ${knownUsers}`);
      }
    }
    const groups = new Map<string, number>();
    scenario.consumers.forEach((c, i) => {
      const first = groups.get(c.group);
      if (first !== undefined) problem(['consumers', i, 'group'], `group ${JSON.stringify(c.group)} is already used by consumers[${first}]`);
      else groups.set(c.group, i);
    });
    const topics = new Map<string, number>();
    scenario.topics.forEach((t, i) => {
      const first = topics.get(t.name);
      if (first !== undefined) problem(['topics', i, 'name'], `topic ${JSON.stringify(t.name)} is already listed as topics[${first}]`);
      else topics.set(t.name, i);
    });
    scenario.producers.forEach((p, i) => {
      if (p.compression === 'zstd' && !('zstdCompressSync' in zlib)) {
        problem(['producers', i, 'compression'], 'zstd needs a Node.js with zlib zstd support (22.15 or later); use gzip, snappy or lz4');
      }
    });
  });

/** A validated scenario: durations in ms, defaults filled in, deeply frozen. */
export type Scenario = DeepReadonly<z.output<typeof scenarioSchema>>;
/** One producer of a scenario. */
export type ProducerSpec = Scenario['producers'][number];
/** One consumer group of a scenario. */
export type ConsumerSpec = Scenario['consumers'][number];
/** One consumer action. */
export type ConsumerAction = ConsumerSpec['actions'][number];
/** Where a rewind moves a group's offsets. */
export type RewindTarget = Extract<ConsumerAction, { do: 'rewind' }>['to'];
/** One fault sent to the control API. */
export type FaultSpec = Scenario['faults'][number];
/** One topic to create. */
export type TopicSpec = Scenario['topics'][number];

/**
 * True when the group's first action (the earliest; the first listed among equals) is `start`:
 * the group does not join at time 0 but at that action.
 */
export function startsLate(spec: Pick<ConsumerSpec, 'actions'>): boolean {
  let first: ConsumerAction | undefined;
  for (const action of spec.actions) if (first === undefined || action.at < first.at) first = action;
  return first?.do === 'start';
}

/** Run length when neither the scenario nor `--duration` gives one, in scenario ms. */
export const DEFAULT_DURATION_MS = 60_000;

/** Reads and validates a scenario file; errors name `file:line:col: path`. */
export function loadScenario(path: string): Promise<Scenario> {
  return loadYamlFile(path, scenarioSchema);
}

/** Validates a scenario given as YAML text (`file` names it in messages). */
export function parseScenario(text: string, file = '<scenario>'): Scenario {
  return parseYaml(text, scenarioSchema, { file });
}
