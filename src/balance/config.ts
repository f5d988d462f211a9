/**
 * The `balance:` section of sluice.yaml: resource groups (which brokers serve which topics),
 * per-broker capacity limits, the peak statistic plans are made on, the movement budget and the
 * loop's mode. Validated once, with path-precise errors.
 */
import * as z from 'zod';
import type { DeepReadonly } from '../config/freeze.ts';
import { parseDuration } from '../duration.ts';
import { compileRegex, type Regex } from '../regex.ts';
import { executionConfigSchema } from './execute/config.ts';

/** `p95`, `p99.9`, `max` or `mean`: how a partition's load over the window is reduced to one number. */
export const PEAK_STATISTIC = /^(?:p(?:[1-9]?\d(?:\.\d+)?)|max|mean)$/;

/** A named set of brokers and the topics (names or `*`/`?` globs) that must live on them only. */
export const resourceGroupSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'expected a lowercase name such as core or batch'),
  brokers: z.array(z.int().min(0)).min(1),
  topics: z.array(z.string().min(1)).default([]),
});

/** The balancing planner's settings. */
export const balanceConfigSchema = z.strictObject({
  /**
   * off: no planning or execution; recommend: plans are made and explained, and executed when a
   * person asks (`sluice balance execute`, the API); auto: the service also executes stored plans
   * by itself.
   */
  mode: z.enum(['off', 'recommend', 'auto']).default('recommend'),
  /** Resource groups; brokers in none form the group `default`, which holds the topics no group names. */
  groups: z.array(resourceGroupSchema).default([]),
  /** What each broker may carry; a plan never puts a broker above capacity × utilization. */
  capacity: z.strictObject({
    bytesInPerSec: z.number().positive().default(2 ** 30),
    bytesOutPerSec: z.number().positive().default(2 ** 30),
    diskBytes: z.number().positive().default(2 ** 40),
    utilization: z.number().gt(0).max(1).default(0.8),
  }).prefault({}),
  /** The statistic each partition's load is planned on, over a window of recorded history. */
  peak: z.strictObject({
    statistic: z.string().regex(PEAK_STATISTIC, 'expected p<N> (such as p95), max or mean').default('p95'),
    window: z.string().refine((s) => (parseDuration(s) ?? 0) > 0, 'expected a duration such as 24h or 7d').default('24h'),
    /** Rates are read per step before the statistic is taken (a Prometheus duration). */
    step: z.string().refine((s) => (parseDuration(s) ?? 0) > 0, 'expected a duration such as 1m or 5m').default('1m'),
  }).prefault({}),
  /** Most a plan may move; moves past either limit are left out (and said so). */
  budget: z.strictObject({
    maxMoves: z.int().min(1).default(200),
    maxBytes: z.number().positive().optional(),
  }).prefault({}),
  /** A group is balanced on a byte resource when its max/min per broker is at most this. */
  balancedRatio: z.number().gt(1).default(1.1),
  /** Replication throttle rate per broker, bytes/s, the expected duration of a plan is computed at. */
  throttleBytesPerSec: z.number().positive().default(50 * 2 ** 20),
  /** How plans are executed (batches, guardrails, the replication throttle). */
  execution: executionConfigSchema,
}).superRefine((config, ctx) => {
  const groupNames = new Map<string, number>();
  const brokerGroup = new Map<number, number>();
  config.groups.forEach((g, i) => {
    const first = groupNames.get(g.name);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['groups', i, 'name'], message: `duplicate group name "${g.name}" (also groups[${first}])` });
    else groupNames.set(g.name, i);
    if (g.name === DEFAULT_GROUP) ctx.addIssue({ code: 'custom', path: ['groups', i, 'name'], message: `"${DEFAULT_GROUP}" is the group of brokers in no group; choose another name` });
    g.brokers.forEach((b, j) => {
      const other = brokerGroup.get(b);
      if (other !== undefined) ctx.addIssue({ code: 'custom', path: ['groups', i, 'brokers', j], message: `broker ${b} is already in groups[${other}]` });
      else brokerGroup.set(b, i);
    });
  });
});

/** The validated settings. */
export type BalanceConfig = DeepReadonly<z.output<typeof balanceConfigSchema>>;

/** The group of brokers that no configured group lists. */
export const DEFAULT_GROUP = 'default';

/** A `*`/`?` glob as a whole-value RE2 pattern (topic names are untrusted: no backtracking). */
function globRegex(glob: string): Regex {
  return compileRegex(`(?s)${glob.split(/([*?])/).map((part) => (part === '*' ? '.*' : part === '?' ? '.' : part.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&'))).join('')}`);
}

/** The resource group of a topic: the first group (in config order) naming it or a glob matching it; else `default`. */
export function groupOfTopic(config: Pick<BalanceConfig, 'groups'>, topic: string): string {
  for (const g of config.groups) {
    if (g.topics.some((t) => t === topic || globRegex(t).matchesWhole(topic))) return g.name;
  }
  return DEFAULT_GROUP;
}

/** The resource group of a broker: the group listing it, else `default`. */
export function groupOfBroker(config: Pick<BalanceConfig, 'groups'>, broker: number): string {
  return config.groups.find((g) => g.brokers.includes(broker))?.name ?? DEFAULT_GROUP;
}

/** The window and step in ms. */
export function peakWindowMs(config: Pick<BalanceConfig, 'peak'>): { windowMs: number; stepMs: number } {
  return { windowMs: parseDuration(config.peak.window)!, stepMs: parseDuration(config.peak.step)! };
}
