/**
 * Brings the cluster's replication throttle to what an execution's moves in flight need: sizes
 * it (sizeFor), reads the rate configs of brokers about to be throttled (to restore them at the
 * end) and the throttled-replicas lists of topics about to be (their items stay someone else's),
 * records what may be set before sending anything (so a crash never loses a throttle), then
 * sends the broker and topic config changes and deletes the throttled-replicas lists left empty.
 */
import { KafkaError } from '../../kafka/protocol/error-codes.ts';
import type { BalanceConfig } from '../config.ts';
import type { ReassignActuator } from './actuator.ts';
import type { BalanceStore } from './store.ts';
import { desiredThrottle, FOLLOWER_RATE, FOLLOWER_REPLICAS, LEADER_RATE, LEADER_REPLICAS, movedBrokers, sizeThrottle, throttleChanges, withBrokers, withTopics } from './throttle.ts';
import type { TrafficSource } from './traffic.ts';
import type { AppliedThrottle, ExecutionRecord, MoveRecord, ThrottleSizing } from './types.ts';

const UNKNOWN_TOPIC = KafkaError.UNKNOWN_TOPIC_OR_PARTITION;

/**
 * A sizing is kept this long before the move is given more room from fresh traffic (unless the
 * override changed); one that gives clients more room is taken at once (see `yields`).
 */
export const RESIZE_MS = 60_000;
/** A broker's rate falling below this share of the sizing in force makes the move yield at once. */
const YIELD_BELOW = 0.9;

/** Where the changes go and are recorded. */
export interface ThrottleContext {
  readonly actuator: ReassignActuator;
  readonly store: BalanceStore;
  readonly id: number;
  readonly owner: string;
  readonly now: number;
}

/** Whether `next` leaves clients clearly more room than `last` on some broker (a rate under 90% of the one in force). */
export function yields(last: ThrottleSizing, next: ThrottleSizing): boolean {
  const before = new Map(last.brokers.map((b) => [b.broker, b]));
  return next.brokers.some((b) => {
    const was = before.get(b.broker);
    return was !== undefined && (b.leaderRate < YIELD_BELOW * was.leaderRate || b.followerRate < YIELD_BELOW * was.followerRate);
  });
}

/**
 * The throttle sizing of an execution's round: made anew when there is none, the override
 * changed or the last is RESIZE_MS old; in between, made anew from fresh traffic each round but
 * taken only when clients need room (the move slows down, not the clients).
 */
export async function sizeFor(e: ExecutionRecord, moves: readonly MoveRecord[], config: Pick<BalanceConfig, 'capacity' | 'execution'>, traffic: TrafficSource | undefined, now: number): Promise<ThrottleSizing> {
  const last = e.sizing;
  const stale = last === null || last.override !== e.throttleOverride || now - last.at >= RESIZE_MS;
  if (!stale && (e.throttleOverride !== null || traffic === undefined)) return last;
  const next = await sizeAnew(e, moves, config, traffic, now);
  if (stale) return next;
  return yields(last, next) ? { ...next, explanation: ['clients need room: the throttle is lowered at once, before its next regular sizing', ...next.explanation] } : last;
}

async function sizeAnew(e: ExecutionRecord, moves: readonly MoveRecord[], config: Pick<BalanceConfig, 'capacity' | 'execution'>, traffic: TrafficSource | undefined, now: number): Promise<ThrottleSizing> {
  const brokers = new Set<number>();
  for (const m of moves) {
    const { sources, destinations } = movedBrokers(m);
    if (destinations.length === 0) continue;
    for (const b of [...sources, ...destinations]) brokers.add(b);
  }
  let measured = new Map<number, { in: number; out: number }>();
  let note: string | undefined;
  if (traffic !== undefined && e.throttleOverride === null) {
    try {
      measured = await traffic(now);
    } catch (err) {
      note = `client traffic could not be read (${(err as Error).message}): taken as 0`;
    }
  }
  const t = config.execution.throttle;
  const sizing = sizeThrottle({ at: now, brokers: [...brokers], capacity: config.capacity, traffic: measured, floor: t.floor, ceiling: t.ceiling, override: e.throttleOverride });
  return note === undefined ? sizing : { ...sizing, explanation: [note, ...sizing.explanation] };
}

/** What applyThrottle left: what is (or may be) set, and whether every change went through. */
export type ThrottleOutcome = { readonly ok: true; readonly applied: AppliedThrottle } | { readonly ok: false; readonly applied: AppliedThrottle; readonly error: string };

/** Sets the throttle `inFlight` needs and removes what they no longer need; with `full`, sends every setting again. */
export async function applyThrottle(ctx: ThrottleContext, applied: AppliedThrottle, inFlight: readonly MoveRecord[], sizing: ThrottleSizing, full: boolean): Promise<ThrottleOutcome> {
  const desired = desiredThrottle(inFlight, sizing);
  const known = new Set(applied.brokers.map((b) => b.broker));
  const fresh = desired.brokers.map((b) => b.broker).filter((b) => !known.has(b));
  let base = applied;
  if (fresh.length > 0) {
    const previous = await ctx.actuator.brokerConfigs(fresh, [LEADER_RATE, FOLLOWER_RATE]);
    if (previous.errors.length > 0) return { ok: false, applied, error: `reading the throttle rates of brokers ${fresh.join(',')}: ${previous.errors.map((e) => e.message).join('; ')}` };
    base = withBrokers(applied, previous.value);
  }
  const knownTopics = new Set(applied.topics.map((t) => t.topic));
  const freshTopics = desired.topics.map((t) => t.topic).filter((t) => !knownTopics.has(t));
  if (freshTopics.length > 0) {
    const lists = await ctx.actuator.topicConfigs(freshTopics, [LEADER_REPLICAS, FOLLOWER_REPLICAS]);
    // A topic deleted meanwhile is throttled by no one.
    const failed = lists.errors.filter((e) => e.code !== UNKNOWN_TOPIC);
    if (failed.length > 0) return { ok: false, applied, error: `reading the throttled replicas of topics ${freshTopics.join(',')}: ${failed.map((e) => e.message).join('; ')}` };
    base = withTopics(base, freshTopics, lists.value);
  }
  const ch = throttleChanges(base, desired, full);
  if (ch.brokers.length === 0 && ch.topics.length === 0 && ch.emptied.length === 0) return { ok: true, applied: ch.after };
  if (!(await ctx.store.record(ctx.id, ctx.owner, ctx.now, { applied: ch.during }))) throw new Error(`execution ${ctx.id} is run by another process now`);
  const [brokers, topics] = await Promise.all([ctx.actuator.alterBrokerConfigs(ch.brokers), ctx.actuator.alterTopicConfigs(ch.topics)]);
  // A topic deleted meanwhile holds no throttle any more.
  const errors = [...brokers.errors, ...topics.errors.filter((e) => e.code !== UNKNOWN_TOPIC)].map((e) => `${e.op}${e.broker === undefined ? '' : ` broker ${e.broker}`}${e.subject === undefined ? '' : ` ${e.subject}`}: ${e.message}`);
  if (ch.emptied.length > 0 && errors.length === 0) {
    const names = [...new Set(ch.emptied.flatMap((t) => t.names))];
    const lists = await ctx.actuator.topicConfigs(ch.emptied.map((t) => t.topic), names);
    const deletes = ch.emptied.map((t) => ({ topic: t.topic, changes: t.names.filter((n) => lists.value.get(t.topic)?.[n] === '').map((name) => ({ name, op: 'delete' as const })) })).filter((t) => t.changes.length > 0);
    const deleted = await ctx.actuator.alterTopicConfigs(deletes);
    errors.push(...deleted.errors.filter((e) => e.code !== UNKNOWN_TOPIC).map((e) => `${e.op} ${e.subject ?? ''}: ${e.message}`));
  }
  return errors.length === 0 ? { ok: true, applied: ch.after } : { ok: false, applied: ch.during, error: `throttle configs: ${errors.join('; ')}` };
}
