/**
 * The service configuration, `sluice.yaml`: the store, the clusters the collectors watch, the
 * HTTP API port and the log level. Validated once (unknown keys are errors, every problem named
 * by `file:line:col` and path), defaults applied, frozen. `DATABASE_URL`, when set and not
 * empty, overrides `store.url`.
 *
 * The schema is composed here, beside the wiring (app.ts), from each stage's own section
 * schema; src/config/ holds the stage-neutral machinery (YAML positions, validation, freezing).
 */
import * as z from 'zod';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clusterConfigSchema } from './collect/config.ts';
import { notifyConfigSchema } from './notify/config.ts';
import { throttleConfigSchema } from './throttle/config.ts';
import { balanceConfigSchema } from './balance/config.ts';
import { storeOptionsSchema } from './store/options.ts';
import { LOG_LEVELS } from './telemetry/logger.ts';
import { deepFreeze, type DeepReadonly } from './config/freeze.ts';
import { validate, type ValidateOptions } from './config/validate.ts';
import { loadYamlFile } from './config/yaml.ts';
import { LABEL_NAME } from './labels.ts';

/** Default port of the HTTP API. */
export const DEFAULT_API_PORT = 8080;

/** The rule packs shipped with Sluice (rules/*.yaml), loaded when `rules.files` is not given. */
export const SHIPPED_RULES_DIR = fileURLToPath(new URL('../rules/', import.meta.url));

/** The environment variable that overrides `store.url`. */
export const DATABASE_URL_ENV = 'DATABASE_URL';

/** The schema of `sluice.yaml`. */
export const sluiceConfigSchema = z
  .strictObject({
    /** Where samples go: PostgreSQL at `url`, else embedded PGlite. */
    store: storeOptionsSchema.prefault({}),
    /** The clusters the collectors watch; at least one. */
    clusters: z.array(clusterConfigSchema).min(1),
    /** The HTTP API: where it listens, and the bearer token of its mutating endpoints (none: they are disabled). */
    api: z.strictObject({
      port: z.int().min(0).max(65_535).default(DEFAULT_API_PORT),
      host: z.string().min(1).default('127.0.0.1'),
      token: z.string().min(16).optional(),
      /** Seconds a PromQL query of the Prometheus API may run at most; a request's `timeout` can only shorten it. */
      queryTimeout: z.number().positive().default(120),
      /** Most samples one PromQL query of the Prometheus API may hold at once. */
      queryMaxSamples: z.int().min(1).default(50_000_000),
    }).prefault({}),
    log: z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).prefault({}),
    /** Prometheus-format rule files (or directories of *.yaml / *.yml), relative to this file; default the shipped packs. */
    rules: z.strictObject({
      files: z.array(z.string().min(1)).default([SHIPPED_RULES_DIR]),
      /** Seconds between evaluations of groups that set no interval. */
      interval: z.number().positive().default(30),
      externalLabels: z.record(z.string().regex(LABEL_NAME, 'expected a label name'), z.string()).default({}),
      /** Base of alerts' generatorURL, `<base>/graph?g0.expr=…` (default the API's own URL, whose /graph page answers it). */
      externalUrl: z.string().optional(),
    }).prefault({}),
    /** Where alerts go (Alertmanager's configuration format); none: alerts are evaluated and listed, not sent. */
    notify: notifyConfigSchema.optional(),
    /** The closed-loop quota tuning of every cluster. */
    throttle: throttleConfigSchema.prefault({}),
    /** Partition balancing within resource groups: plans and their execution. */
    balance: balanceConfigSchema.prefault({}),
  })
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.clusters.forEach((cluster, i) => {
      const first = seen.get(cluster.name);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['clusters', i, 'name'], message: `duplicate cluster name "${cluster.name}" (also clusters[${first}])` });
      } else {
        seen.set(cluster.name, i);
      }
    });
  });

/** `sluice.yaml`, validated, defaults applied, frozen. */
export type SluiceConfig = DeepReadonly<z.output<typeof sluiceConfigSchema>>;

/** Environment overrides applied after validation. */
export interface ConfigEnv {
  readonly DATABASE_URL?: string | undefined;
  readonly SLUICE_API_TOKEN?: string | undefined;
}

/** Applies `DATABASE_URL` over `store.url` and `SLUICE_API_TOKEN` over `api.token` (each when set and not empty). */
export function withEnv(config: SluiceConfig, env: ConfigEnv = process.env): SluiceConfig {
  const url = env.DATABASE_URL;
  const token = env.SLUICE_API_TOKEN;
  let out = config;
  if (url !== undefined && url !== '') out = { ...out, store: { ...out.store, url } };
  if (token !== undefined && token !== '') out = { ...out, api: { ...out.api, token } };
  return out === config ? config : (deepFreeze(out) as SluiceConfig);
}

/** Validates a plain object as the service config (no environment applied). */
export function parseSluiceConfig(input: unknown, options: ValidateOptions = {}): SluiceConfig {
  return deepFreeze(validate(sluiceConfigSchema, input, options)) as SluiceConfig;
}

/**
 * Reads and validates `sluice.yaml` at `path`, then applies the environment. Throws
 * SLUICE_ERR_CONFIG_FILE when it cannot be read and SLUICE_ERR_CONFIG_INVALID, one line per
 * problem as `path:line:col: key.path: expected …, got …`, when its content is wrong.
 */
export async function loadSluiceConfig(path: string, env: ConfigEnv = process.env): Promise<SluiceConfig> {
  const config = (await loadYamlFile(path, sluiceConfigSchema)) as SluiceConfig;
  // Rule files are named relative to the config file, as Prometheus names them.
  const base = dirname(resolve(path));
  const files = config.rules.files.map((f) => (isAbsolute(f) ? f : resolve(base, f)));
  return withEnv(deepFreeze({ ...config, rules: { ...config.rules, files } }) as SluiceConfig, env);
}
