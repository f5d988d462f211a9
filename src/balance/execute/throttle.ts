/**
 * The replication throttle of an execution, pure: its size from each broker's headroom, the
 * configs the moves in flight need (as kafka-reassign-partitions sets them: the leader rate on
 * every broker holding a current replica, which may serve the copy, and the follower rate on the
 * brokers receiving one; the topics' throttled-replicas lists naming those replicas), and the
 * config changes that take the cluster from what is set to what is needed.
 */
import { formatBytes } from '../format.ts';
import type { AppliedThrottle, BrokerRates, BrokerSizing, MoveRecord, ThrottleSizing } from './types.ts';

/** The rate configs of each side. */
export const LEADER_RATE = 'leader.replication.throttled.rate';
export const FOLLOWER_RATE = 'follower.replication.throttled.rate';
export const LEADER_REPLICAS = 'leader.replication.throttled.replicas';
export const FOLLOWER_REPLICAS = 'follower.replication.throttled.replicas';

/** What the sizing reads. */
export interface SizingInput {
  readonly at: number;
  readonly brokers: readonly number[];
  /** Per-broker capacity (balance.capacity) and the share of it that may be used. */
  readonly capacity: { readonly bytesInPerSec: number; readonly bytesOutPerSec: number; readonly utilization: number };
  /** Measured client traffic per broker, bytes/s; a broker missing here has no measurement. */
  readonly traffic: ReadonlyMap<number, { readonly in: number; readonly out: number }>;
  readonly floor: number;
  readonly ceiling: number;
  /** An operator's rate for every broker; null: from headroom. */
  readonly override: number | null;
}

const rate = (n: number): string => `${formatBytes(n)}/s`;

function clampExplained(headroom: number, floor: number, ceiling: number): [number, string] {
  if (headroom > ceiling) return [ceiling, `, held to the ceiling ${rate(ceiling)}`];
  if (headroom < floor) return [floor, `, raised to the floor ${rate(floor)}`];
  return [Math.floor(headroom), ''];
}

/**
 * Each broker's leader rate (its network out headroom) and follower rate (network in headroom):
 * capacity × utilization minus the client traffic measured, within [floor, ceiling]; with an
 * override, that rate everywhere. The explanation says, per broker, how each number was reached.
 */
export function sizeThrottle(input: SizingInput): ThrottleSizing {
  const { capacity, floor, ceiling } = input;
  const brokers: BrokerSizing[] = [];
  const explanation: string[] = [];
  if (input.override !== null) {
    explanation.push(`rate set by an operator: ${rate(input.override)} on every broker, leader and follower side`);
  }
  for (const broker of [...input.brokers].sort((a, b) => a - b)) {
    const t = input.traffic.get(broker);
    if (input.override !== null) {
      brokers.push({ broker, leaderRate: input.override, followerRate: input.override, clientIn: t?.in ?? null, clientOut: t?.out ?? null });
      continue;
    }
    const outRoom = capacity.bytesOutPerSec * capacity.utilization - (t?.out ?? 0);
    const inRoom = capacity.bytesInPerSec * capacity.utilization - (t?.in ?? 0);
    const [leaderRate, leaderNote] = clampExplained(outRoom, floor, ceiling);
    const [followerRate, followerNote] = clampExplained(inRoom, floor, ceiling);
    brokers.push({ broker, leaderRate, followerRate, clientIn: t?.in ?? null, clientOut: t?.out ?? null });
    const measured = t === undefined ? 'no client traffic recorded (taken as 0)' : `clients ${rate(t.in)} in, ${rate(t.out)} out`;
    explanation.push(
      `broker ${broker}: ${measured}; leader ${rate(leaderRate)} = out ${rate(capacity.bytesOutPerSec)} × ${capacity.utilization} − clients${leaderNote}; ` +
      `follower ${rate(followerRate)} = in ${rate(capacity.bytesInPerSec)} × ${capacity.utilization} − clients${followerNote}`,
    );
  }
  return { at: input.at, override: input.override, brokers, explanation };
}

/** The throttle configs the moves in flight need. */
export interface DesiredThrottle {
  readonly brokers: readonly BrokerRates[];
  readonly topics: readonly { readonly topic: string; readonly leader: readonly string[]; readonly follower: readonly string[] }[];
}

/** The brokers a move copies between: its current replicas (any may lead) and the new ones. */
export function movedBrokers(m: Pick<MoveRecord, 'replicasBefore' | 'replicasAfter'>): { sources: number[]; destinations: number[] } {
  return { sources: [...m.replicasBefore], destinations: m.replicasAfter.filter((b) => !m.replicasBefore.includes(b)) };
}

/** The throttle `inFlight` moves need at `sizing`'s rates; moves that copy nothing need none. */
export function desiredThrottle(inFlight: readonly MoveRecord[], sizing: ThrottleSizing): DesiredThrottle {
  const size = new Map(sizing.brokers.map((b) => [b.broker, b]));
  const rates = new Map<number, { leaderRate: number | null; followerRate: number | null }>();
  const topics = new Map<string, { leader: Set<string>; follower: Set<string> }>();
  for (const m of inFlight) {
    const { sources, destinations } = movedBrokers(m);
    if (destinations.length === 0) continue;
    let t = topics.get(m.topic);
    if (t === undefined) topics.set(m.topic, (t = { leader: new Set(), follower: new Set() }));
    for (const b of sources) {
      t.leader.add(`${m.partition}:${b}`);
      const r = rates.get(b) ?? { leaderRate: null, followerRate: null };
      r.leaderRate = size.get(b)?.leaderRate ?? sizing.override;
      rates.set(b, r);
    }
    for (const b of destinations) {
      t.follower.add(`${m.partition}:${b}`);
      const r = rates.get(b) ?? { leaderRate: null, followerRate: null };
      r.followerRate = size.get(b)?.followerRate ?? sizing.override;
      rates.set(b, r);
    }
  }
  const byItem = (a: string, b: string): number => {
    const [pa, ba] = a.split(':').map(Number) as [number, number];
    const [pb, bb] = b.split(':').map(Number) as [number, number];
    return pa - pb || ba - bb;
  };
  return {
    brokers: [...rates].sort(([a], [b]) => a - b).map(([broker, r]) => ({ broker, ...r })),
    topics: [...topics].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([topic, t]) => ({ topic, leader: [...t.leader].sort(byItem), follower: [...t.follower].sort(byItem) })),
  };
}

/** One config change, as admin-reassign.ts takes it. */
export interface Change { readonly name: string; readonly op: 'set' | 'delete' | 'append' | 'subtract'; readonly value?: string }

/** What to send to get from `applied` to `desired`. */
export interface ThrottleChanges {
  readonly brokers: readonly { readonly broker: number; readonly changes: readonly Change[] }[];
  readonly topics: readonly { readonly topic: string; readonly changes: readonly Change[] }[];
  /** Topics where no item of Sluice's is left on a list: a list left empty is deleted (back to the default). */
  readonly emptied: readonly { readonly topic: string; readonly names: readonly string[] }[];
  /** Brokers to throttle that are not throttled yet: their rate configs are read first, to be restored at the end. */
  readonly newBrokers: readonly number[];
  /** What may be set while the changes are under way: record this before sending them. */
  readonly during: AppliedThrottle;
  /** What is set once every change succeeded (previous values kept). */
  readonly after: AppliedThrottle;
}

/**
 * The changes from `applied` to `desired`. With `full`, every desired setting is sent again,
 * not only those that differ (after a failed round or a restart, when the cluster may hold less
 * than `applied` says). A rate no longer needed goes back to the broker's previous value, or is
 * deleted when it had none.
 */
export function throttleChanges(applied: AppliedThrottle, desired: DesiredThrottle, full: boolean): ThrottleChanges {
  const was = new Map(applied.brokers.map((b) => [b.broker, b]));
  const want = new Map(desired.brokers.map((b) => [b.broker, b]));
  const brokers: { broker: number; changes: Change[] }[] = [];
  const during: (BrokerRates & { previous: Record<string, string> })[] = [];
  const after: (BrokerRates & { previous: Record<string, string> })[] = [];
  for (const broker of [...new Set([...was.keys(), ...want.keys()])].sort((a, b) => a - b)) {
    const a = was.get(broker);
    const d = want.get(broker);
    const previous = { ...(a?.previous ?? {}) };
    const changes: Change[] = [];
    for (const [name, key] of [[LEADER_RATE, 'leaderRate'], [FOLLOWER_RATE, 'followerRate']] as const) {
      const target = d?.[key] ?? null;
      const current = a?.[key] ?? null;
      if (target !== null && (full || target !== current)) changes.push({ name, op: 'set', value: String(Math.max(1, Math.round(target))) });
      else if (target === null && (current !== null || (full && a !== undefined))) {
        changes.push(previous[name] === undefined ? { name, op: 'delete' } : { name, op: 'set', value: previous[name] });
      }
    }
    if (changes.length > 0) brokers.push({ broker, changes });
    during.push({ broker, leaderRate: d?.leaderRate ?? a?.leaderRate ?? null, followerRate: d?.followerRate ?? a?.followerRate ?? null, previous });
    if (d !== undefined && (d.leaderRate !== null || d.followerRate !== null)) after.push({ broker, leaderRate: d.leaderRate, followerRate: d.followerRate, previous });
  }
  const wasT = new Map(applied.topics.map((t) => [t.topic, t]));
  const wantT = new Map(desired.topics.map((t) => [t.topic, t]));
  const topics: { topic: string; changes: Change[] }[] = [];
  const emptied: { topic: string; names: string[] }[] = [];
  type TopicEntry = AppliedThrottle['topics'][number];
  const duringT: TopicEntry[] = [];
  const afterT: TopicEntry[] = [];
  for (const topic of [...new Set([...wasT.keys(), ...wantT.keys()])].sort()) {
    const a = wasT.get(topic);
    const d = wantT.get(topic);
    const foreign = a?.foreign;
    const changes: Change[] = [];
    const names: string[] = [];
    const lists = { leader: [] as string[], follower: [] as string[] };
    const mine = { leader: [] as string[], follower: [] as string[] };
    for (const [name, key] of [[LEADER_REPLICAS, 'leader'], [FOLLOWER_REPLICAS, 'follower']] as const) {
      const had = a?.[key] ?? [];
      const theirs = foreign?.[key] ?? [];
      // Items someone else listed stay theirs; "*" throttles every replica already (and takes no items beside it).
      const need = theirs.includes('*') ? [] : (d?.[key] ?? []).filter((x) => !theirs.includes(x));
      const add = full ? need : need.filter((x) => !had.includes(x));
      const drop = had.filter((x) => !need.includes(x));
      if (add.length > 0) changes.push({ name, op: 'append', value: add.join(',') });
      if (drop.length > 0) changes.push({ name, op: 'subtract', value: drop.join(',') });
      if (need.length === 0 && theirs.length === 0 && (drop.length > 0 || (full && a !== undefined))) names.push(name);
      lists[key] = [...had, ...need.filter((x) => !had.includes(x))];
      mine[key] = need;
    }
    const kept = foreign === undefined ? {} : { foreign };
    if (changes.length > 0) topics.push({ topic, changes });
    if (names.length > 0) emptied.push({ topic, names });
    if (lists.leader.length > 0 || lists.follower.length > 0 || (foreign !== undefined && d !== undefined)) duringT.push({ topic, ...lists, ...kept });
    if (d !== undefined && (d.leader.length > 0 || d.follower.length > 0)) afterT.push({ topic, ...mine, ...kept });
  }
  return {
    brokers, topics, emptied,
    newBrokers: desired.brokers.filter((b) => !was.has(b.broker)).map((b) => b.broker),
    during: { brokers: during.filter((b) => b.leaderRate !== null || b.followerRate !== null || was.has(b.broker)), topics: duringT },
    after: { brokers: after, topics: afterT },
  };
}

/**
 * `applied` with entries for topics about to be throttled, holding the items their
 * throttled-replicas lists had (read from the cluster before Sluice adds its own), so that
 * Sluice neither claims nor takes away someone else's.
 */
export function withTopics(applied: AppliedThrottle, topics: readonly string[], lists: ReadonlyMap<string, Readonly<Record<string, string>>>): AppliedThrottle {
  const known = new Set(applied.topics.map((t) => t.topic));
  const items = (v: string | undefined): string[] => (v ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
  const added = [...new Set(topics)].filter((topic) => !known.has(topic)).map((topic) => ({
    topic, leader: [], follower: [], foreign: { leader: items(lists.get(topic)?.[LEADER_REPLICAS]), follower: items(lists.get(topic)?.[FOLLOWER_REPLICAS]) },
  }));
  return { ...applied, topics: [...applied.topics, ...added].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0)) };
}

/**
 * `applied` with entries for brokers about to be throttled, holding the rate configs each had
 * (read from the cluster before Sluice sets its own), so that the end restores them.
 */
export function withBrokers(applied: AppliedThrottle, previous: ReadonlyMap<number, Readonly<Record<string, string>>>): AppliedThrottle {
  const known = new Set(applied.brokers.map((b) => b.broker));
  const added = [...previous].filter(([broker]) => !known.has(broker)).map(([broker, p]) => ({ broker, leaderRate: null, followerRate: null, previous: { ...p } }));
  return { ...applied, brokers: [...applied.brokers, ...added].sort((a, b) => a.broker - b.broker) };
}
