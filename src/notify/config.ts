/**
 * The notification configuration, Alertmanager's shape: a `route` tree, `receivers` with their
 * email, webhook and Alertmanager integrations, `inhibit_rules` and `external_url`. Validated
 * strictly (a misspelt key is an error), with every problem reported at its path, e.g.
 * `route.routes[1].receiver: no receiver named "ops"`.
 * https://prometheus.io/docs/alerting/latest/configuration/
 */
import * as z from 'zod';
import { describeValue } from '../config/issues.ts';
import { validate } from '../config/validate.ts';
import { loadYamlFile, parseYaml } from '../config/yaml.ts';
// Durations in Prometheus syntax, as Alertmanager's configuration takes them.
import { parseDuration } from '../duration.ts';
import { parseMatcher, type Matcher } from './matchers.ts';

/** Alertmanager's default timings for a route that sets none. */
export const ROUTE_DEFAULTS = { group_wait: 30_000, group_interval: 300_000, repeat_interval: 14_400_000 } as const;

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 30s, 5m or 4h, got ${describeValue(text)}` });
    return z.NEVER;
  }
  return ms;
});

const matcher = z.string().transform((text, ctx): Matcher => {
  const parsed = parseMatcher(text);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  }
  return parsed;
});

const regexValue = z.string().refine((text) => typeof parseMatcher(`x=~${JSON.stringify(text)}`) !== 'string', {
  message: 'expected a valid regular expression',
});

/** One route of the tree as written; children inherit what they leave out. */
export interface RouteConfig {
  readonly receiver?: string | undefined;
  /** `matchers`, `match` and `match_re` together, in that order. */
  readonly matchers: readonly Matcher[];
  /** Label names, or `['...']` for every label. */
  readonly group_by?: readonly string[] | undefined;
  readonly group_wait?: number | undefined;
  readonly group_interval?: number | undefined;
  readonly repeat_interval?: number | undefined;
  readonly continue: boolean;
  readonly routes: readonly RouteConfig[];
}

const routeSchema: z.ZodType<RouteConfig> = z
  .strictObject({
    receiver: z.string().min(1).optional(),
    matchers: z.array(matcher).default([]),
    match: z.record(z.string(), z.string()).default({}),
    match_re: z.record(z.string(), regexValue).default({}),
    group_by: z.array(z.string().min(1)).optional(),
    group_wait: duration.optional(),
    group_interval: duration.optional(),
    repeat_interval: duration.optional(),
    continue: z.boolean().default(false),
    get routes() {
      return z.array(routeSchema).default([]);
    },
  })
  .transform(({ match, match_re, ...route }) => ({
    ...route,
    matchers: [
      ...route.matchers,
      ...Object.entries(match).map(([name, value]): Matcher => ({ name, type: '=', value })),
      ...Object.entries(match_re).map(([name, value]): Matcher => ({ name, type: '=~', value })),
    ],
  }));

const emailConfig = z.strictObject({
  to: z.string().min(1),
  from: z.string().min(1),
  smarthost: z.string().regex(/^\[?[^\s[\]]+\]?:\d{1,5}$/, 'expected host:port, e.g. smtp.example.org:587'),
  auth_username: z.string().optional(),
  auth_password: z.string().optional(),
  require_tls: z.boolean().default(true),
  send_resolved: z.boolean().default(false),
  headers: z.record(z.string(), z.string()).default({}),
  /** An HTML body used as it is instead of the generated one (not expanded as a template). */
  html: z.string().optional(),
  /** A text body used as it is instead of the generated one (not expanded as a template). */
  text: z.string().optional(),
});

const webhookConfig = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  send_resolved: z.boolean().default(true),
  max_alerts: z.int().min(0).default(0),
  hmac_secret: z.string().min(1).optional(),
  timeout: duration.default(10_000),
});

const alertmanagerConfig = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  timeout: duration.default(10_000),
});

const receiverSchema = z.strictObject({
  name: z.string().min(1),
  email_configs: z.array(emailConfig).default([]),
  webhook_configs: z.array(webhookConfig).default([]),
  alertmanager_configs: z.array(alertmanagerConfig).default([]),
});

const inhibitRule = z.strictObject({
  source_matchers: z.array(matcher).min(1),
  target_matchers: z.array(matcher).min(1),
  equal: z.array(z.string().min(1)).default([]),
});

/** The schema of the whole notification configuration. */
export const notifyConfigSchema = z
  .strictObject({
    route: routeSchema,
    receivers: z.array(receiverSchema).min(1),
    inhibit_rules: z.array(inhibitRule).default([]),
    external_url: z.union([z.url(), z.literal('')]).default(''),
  })
  .superRefine((config, ctx) => {
    const names = new Map<string, number>();
    config.receivers.forEach((receiver, i) => {
      const first = names.get(receiver.name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['receivers', i, 'name'], message: `duplicate receiver name "${receiver.name}" (also receivers[${first}])` });
      else names.set(receiver.name, i);
    });
    if (config.route.receiver === undefined) ctx.addIssue({ code: 'custom', path: ['route', 'receiver'], message: 'missing, the root route must name a receiver' });
    if (config.route.matchers.length > 0) ctx.addIssue({ code: 'custom', path: ['route', 'matchers'], message: 'the root route must not have matchers: it receives every alert' });
    const walk = (route: RouteConfig, path: (string | number)[]): void => {
      if (route.receiver !== undefined && !names.has(route.receiver)) {
        ctx.addIssue({ code: 'custom', path: [...path, 'receiver'], message: `no receiver named "${route.receiver}" in receivers` });
      }
      if (route.group_by?.includes('...') === true && route.group_by.length > 1) {
        ctx.addIssue({ code: 'custom', path: [...path, 'group_by'], message: '"..." groups by every label and cannot be listed with other labels' });
      }
      route.routes.forEach((child, i) => walk(child, [...path, 'routes', i]));
    };
    walk(config.route, ['route']);
  });

/** A validated notification configuration. */
export type NotifyConfig = z.output<typeof notifyConfigSchema>;
/** One receiver of a validated configuration. */
export type ReceiverConfig = NotifyConfig['receivers'][number];
/** One email integration. */
export type EmailConfig = ReceiverConfig['email_configs'][number];
/** One webhook integration. */
export type WebhookConfig = ReceiverConfig['webhook_configs'][number];
/** One Alertmanager to forward to. */
export type AlertmanagerConfig = ReceiverConfig['alertmanager_configs'][number];
/** One inhibition rule. */
export type InhibitRuleConfig = NotifyConfig['inhibit_rules'][number];

/**
 * Validates a notification configuration (e.g. the parsed YAML of the `notify:` section).
 * Throws SLUICE_ERR_NOTIFY_CONFIG listing every problem with its path; `source` names the file.
 */
export function parseNotifyConfig(input: unknown, options: { source?: string } = {}): NotifyConfig {
  return validate(notifyConfigSchema, input, { code: 'SLUICE_ERR_NOTIFY_CONFIG', ...(options.source === undefined ? {} : { source: options.source }) });
}

/**
 * Reads a notification config file (Alertmanager's YAML). Problems name `file:line:col` and the
 * path (SLUICE_ERR_CONFIG_INVALID; SLUICE_ERR_CONFIG_FILE when it cannot be read).
 */
export async function loadNotifyConfigFile(path: string): Promise<NotifyConfig> {
  return (await loadYamlFile(path, notifyConfigSchema)) as NotifyConfig;
}

/** Parses notification config YAML text, as `loadNotifyConfigFile` does a file. */
export function parseNotifyConfigYaml(text: string, file = '<input>'): NotifyConfig {
  return parseYaml(text, notifyConfigSchema, { file }) as NotifyConfig;
}
