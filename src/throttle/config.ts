/**
 * The `throttle:` section of sluice.yaml: loop mode and cadence, the utilization it steers to,
 * business groups (who is served first, per-client floors and ceilings, how clients are matched)
 * and the guardrails. Validated once, with path-precise errors.
 */
import * as z from 'zod';
import type { DeepReadonly } from '../config/freeze.ts';
import { compileRegex, type Regex } from '../regex.ts';

/** One way to recognise a group's clients: glob patterns (`*` any run, `?` one char) on user and client-id. */
const clientMatch = z.strictObject({ user: z.string().min(1).default('*'), clientId: z.string().min(1).default('*') });

/** A business group. Rates are bytes per second and apply to producer_byte_rate and consumer_byte_rate alike. */
export const groupSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'expected a lowercase name such as core or general'),
  priority: z.int().min(0).max(100),
  weight: z.number().positive().default(1),
  floor: z.number().min(1).default(1_048_576),
  ceiling: z.number().positive().optional(),
  match: z.array(clientMatch).min(1),
});

/** The throttle loop's settings. */
export const throttleConfigSchema = z.strictObject({
  /** off: no loop; recommend: decide and explain, push nothing; auto: push through the guardrails. */
  mode: z.enum(['off', 'recommend', 'auto']).default('recommend'),
  /** Seconds between rounds. */
  interval: z.number().positive().default(60),
  /** Utilization the loop steers the busiest broker to. */
  target: z.number().gt(0).lt(1).default(0.7),
  /** Seconds of history behind fits and demand estimates. */
  window: z.number().positive().default(900),
  /** Seconds of counter history behind each rate the loop reads (PromQL `rate(…[rateWindow])`); at least two collection intervals. */
  rateWindow: z.number().positive().default(60),
  /**
   * Network capacity of each broker, bytes/s, for brokers that do not export
   * sluice_broker_network_capacity_bytes_per_second (Apache Kafka does not): the NIC's rate, or
   * what the operator allows Kafka of it. Default 1 GiB/s each way.
   */
  brokerCapacity: z.strictObject({
    bytesInPerSec: z.number().positive().default(2 ** 30),
    bytesOutPerSec: z.number().positive().default(2 ** 30),
  }).prefault({}),
  groups: z.array(groupSchema).default([
    { name: 'general', priority: 0, weight: 1, floor: 1_048_576, match: [{ user: '*', clientId: '*' }] },
  ]),
  /**
   * Clients the loop never limits, whatever group they match: by default Sluice's own (client ids
   * sluice-collect-<cluster>, sluice-throttle-<cluster>, sluice-balance-…), so that the loop does not
   * slow the collectors it reads the brokers through, nor its own quota changes.
   */
  exempt: z.array(clientMatch).default([{ user: '*', clientId: 'sluice-*' }]),
  /** Thresholds of the diagnosis (see src/throttle/diagnose.ts). */
  diagnosis: z.strictObject({
    overload: z.number().gt(0).default(0.9),
    headroomFraction: z.number().gt(0).lt(1).default(0.7),
    minIdle: z.number().min(0).max(1).default(0.3),
    maxQueueMs: z.number().positive().default(50),
    maxLatencyMs: z.number().positive().default(500),
    confirmRounds: z.int().min(1).default(2),
    /**
     * Alert names whose firing counts as pressure on the brokers. Default none: only broker load
     * (utilization, handler idle, produce/fetch queue and total time) does; a consumer falling
     * behind or a topic's spike is not by itself a reason to slow other clients down.
     */
    pressureAlerts: z.array(z.string().min(1)).default([]),
  }).prefault({}),
  guardrails: z.strictObject({
    cooldown: z.number().min(0).default(300),
    maxDecrease: z.number().gt(0).lt(1).default(0.5),
    maxIncrease: z.number().gt(1).default(1.25),
    minChange: z.number().min(0).lt(1).default(0.1),
    minR2: z.number().min(0).max(1).default(0.6),
    /**
     * Changes Sluice makes to one client's quota in one episode (from its first change until the
     * operator's setting is back). The last is kept for taking the quota off: once only that one
     * is left, the quota waits for room to come off, and is not moved otherwise.
     */
    maxChangesPerEpisode: z.int().min(2).default(3),
    /**
     * Mean one-round-ahead error (utilization, 0..1) over a broker's last rounds above which its
     * fitted handler model is not used: the network alone bounds that broker's traffic.
     */
    maxModelError: z.number().gt(0).max(1).default(0.05),
  }).prefault({}),
}).superRefine((config, ctx) => {
  const seen = new Map<string, number>();
  config.groups.forEach((g, i) => {
    const first = seen.get(g.name);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['groups', i, 'name'], message: `duplicate group name "${g.name}" (also groups[${first}])` });
    else seen.set(g.name, i);
    if (g.ceiling !== undefined && g.ceiling < g.floor) ctx.addIssue({ code: 'custom', path: ['groups', i, 'ceiling'], message: `ceiling ${g.ceiling} is below the floor ${g.floor}` });
  });
});

/** The validated settings. */
export type ThrottleConfig = DeepReadonly<z.output<typeof throttleConfigSchema>>;

/**
 * A `*`/`?` glob as a whole-value RE2 pattern. RE2, not a backtracking RegExp: client ids come
 * from any Kafka client, and `a*a*a*b` against a long id would backtrack for minutes; `(?s)` so
 * that `*` also spans a newline in an id.
 */
function globRegex(glob: string): Regex {
  return compileRegex(`(?s)${glob.split(/([*?])/).map((part) => (part === '*' ? '.*' : part === '?' ? '.' : part.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&'))).join('')}`);
}

/** The group of a client: the first group (in config order) with a matching pattern; undefined when none. */
export function groupOf(config: Pick<ThrottleConfig, 'groups'>, user: string, clientId: string): string | undefined {
  for (const g of config.groups) {
    if (g.match.some((m) => matches(m, user, clientId))) return g.name;
  }
  return undefined;
}

/** Whether the loop leaves a client alone (`throttle.exempt`). */
export function isExempt(config: Pick<ThrottleConfig, 'exempt'>, user: string, clientId: string): boolean {
  return config.exempt.some((m) => matches(m, user, clientId));
}

function matches(m: { readonly user: string; readonly clientId: string }, user: string, clientId: string): boolean {
  return globRegex(m.user).matchesWhole(user) && globRegex(m.clientId).matchesWhole(clientId);
}
