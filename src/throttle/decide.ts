/**
 * One round's decision, pure: from what was read (signals.ts), the quotas in force and the
 * loop's memory (previous diagnosis, when each entity last changed, operators' baselines), to a
 * diagnosis, a load model per broker (checked against what the broker then did), the client
 * capacity of each direction, an allocation per direction and one proposal per entity whose quota
 * should move, each already passed through the guardrails and carrying its evidence.
 *
 * What moves in which state:
 * - pressured / overloaded: clients whose demand exceeds their allocation are limited to it, in
 *   the directions under pressure (see `pressuredDirections`), except a client whose demand is
 *   falling while it is not held back (the load that made the pressure is going), and a client of
 *   the highest-priority group unless that group alone asks more than the capacity; a round that
 *   the hysteresis holds pressured or overloaded while it shows the cluster within the target
 *   limits nobody, and takes off a quota whose client's load is gone (see `loadGone`);
 * - headroom and steady: quotas Sluice lowered are raised toward the allocation (what the brokers
 *   can take at the target), and restored to the operator's baseline (or removed, if there was
 *   none) once the client is no longer held back by its quota and its demand fits, or once the
 *   cluster has headroom and the episode has one change left (see `maxChangesPerEpisode`);
 * - in any state, a round that shows headroom (and a steady round of a steady cluster) raises a
 *   throttled client that gets markedly less than its quota over a quota window (Kafka admits
 *   requests whole, so large ones come through one or two per window) by what it gets, not by
 *   its quota (see `raiseByWhatItGets`).
 */
import { entityKey, QUOTA_KEY, type ClientQuotaEntry, type QuotaEntityComponent } from '../kafka/quota.ts';
import { allocate, type AllocationResult, type ClientDemand, type GroupPolicy } from './allocate.ts';
import { brokerCapacity, checkModels, modelsOf, type BoundBy, type ModelCheck } from './broker-models.ts';
import type { Direction } from './capacity.ts';
import { entityOf, falling, letThrough, LETS_THROUGH_LOW, mergeByEntity } from './client-history.ts';
import { groupOf, isExempt, type ThrottleConfig } from './config.ts';
import { estimateDemand, KAFKA_QUOTA_WINDOW_MS, type DemandEstimate } from './demand.ts';
import { diagnose, type Diagnosis } from './diagnose.ts';
import { networkOver, pressuredDirections, producersSettled } from './directions.ts';
import { guard, guardRemoval, onlyRemovalLeft, removalKept, type GuardedChange, type GuardrailOptions } from './guardrails.ts';
import type { LoadModel } from './model.ts';
import type { ClientReading, Readings } from './signals.ts';

export type { Direction } from './capacity.ts';

/** What the loop remembers between rounds. */
export interface LoopMemory {
  readonly previous: Diagnosis | undefined;
  /** `entityKey|quotaKey` → when Sluice last changed it, ms. */
  readonly lastChanged: ReadonlyMap<string, number>;
  /** `entityKey|quotaKey` → the operator's value before Sluice first changed it (null: none was set). */
  readonly baselines: ReadonlyMap<string, number | null>;
  /** `entityKey|quotaKey` → changes Sluice applied since it remembered the baseline (this episode). */
  readonly episodeChanges?: ReadonlyMap<string, number>;
  /**
   * `entityKey|quotaKey` → the highest demand recorded with this episode's applied changes,
   * bytes/s; none when one of them was only a lower bound (`DemandEstimate.lowerBound`).
   */
  readonly episodeDemand?: ReadonlyMap<string, number>;
  /** The last round's models, per broker, to check against what the brokers did since. */
  readonly models?: ReadonlyMap<string, LoadModel>;
  /** The last rounds' one-round-ahead errors, per broker, oldest first. */
  readonly modelErrors?: ReadonlyMap<string, readonly number[]>;
}

/** One proposed quota change and why. */
export interface Proposal {
  readonly entity: readonly QuotaEntityComponent[];
  readonly entityKey: string;
  readonly group: string;
  readonly direction: Direction;
  readonly quotaKey: string;
  readonly oldValue: number | undefined;
  /** The value asked for before the guardrails; null removes the quota (baseline restored). */
  readonly proposed: number | null;
  readonly guarded: GuardedChange;
  /** The value to push (null: remove), when `guarded.apply`. */
  readonly newValue: number | null | undefined;
  readonly reason: string;
  readonly demand: DemandEstimate;
  readonly allocation: number;
}

/** The whole round. */
export interface RoundPlan {
  readonly diagnosis: Diagnosis;
  readonly models: ReadonlyMap<string, LoadModel>;
  /** Per direction: the per-broker client capacity allocated, and the allocation. */
  readonly capacity: { readonly produce: number; readonly consume: number };
  /** Per direction: the broker and resource that set the capacity. */
  readonly capacityBound: { readonly produce: BoundBy; readonly consume: BoundBy };
  /** Last round's models checked against this round's brokers. */
  readonly modelCheck: readonly ModelCheck[];
  /** The recent errors per broker, this round's included (at most `MODEL_ERROR_ROUNDS`). */
  readonly modelErrors: ReadonlyMap<string, readonly number[]>;
  /** Clients the round chose not to move although they are over their allocation, and why. */
  readonly notes: readonly string[];
  /** The directions whose clients may be limited this round (see `pressuredDirections`). */
  readonly pressured: readonly Direction[];
  readonly allocations: { readonly produce: AllocationResult; readonly consume: AllocationResult };
  readonly proposals: readonly Proposal[];
  readonly metricsStale: boolean;
  /** The brokers' quota window the round read the clients' rates by, ms. */
  readonly quotaWindowMs: number;
}

/** Settings of a round beyond the config. */
export interface DecideOptions {
  readonly now: number;
  /** Newest samples older than this make the round stale (no changes), ms. */
  readonly staleAfterMs: number;
  /** Names of firing traffic alerts (spikes, lag), a pressure signal. */
  readonly firingTrafficAlerts?: readonly string[];
  /**
   * The brokers' client quota window (quota.window.num × quota.window.size.seconds), ms: the span
   * of the client rates and throttle times they report, and the time a quota change takes to show
   * in them. Default Kafka's, 11 s.
   */
  readonly quotaWindowMs?: number;
}

/**
 * The raise of a throttled client that gets markedly less than its quota, when this round shows
 * headroom, or the cluster is steady (under the target, where the allocation is room the brokers
 * have): Kafka admits a request whole, so a client whose requests are large next to its quota
 * (a consumer's fetch of a megabyte per partition) gets them one or two per quota window, less
 * than the quota. What the brokers carry is what it gets; its quota goes up, as far as its
 * allocation would be reached were what it gets to grow in proportion (the guardrails bound the
 * step). What it gets is a mean over a quota window, counted from one window after the quota's
 * last change (see `letThrough`), so a round that falls in the quiet part of
 * the client's cycle does not make it look smaller than it is; the round's own headroom is enough
 * (a state held by hysteresis may be a round late on a load that swings over the quota window).
 * A rate compared over shorter spans (`falling`) cannot tell such a swing from a load going, so
 * in a held state a client whose load is going may be raised a step before it comes off: a
 * change the episode has to spare (one is always kept for taking the quota off).
 */
function raiseByWhatItGets(reading: ClientReading, current: number, allocation: number, diagnosis: Diagnosis, since: number, quotaWindowMs: number): { proposed: number; reason: string } | undefined {
  const through = letThrough(reading, since, quotaWindowMs);
  const room = diagnosis.observed === 'headroom' || (diagnosis.state === 'steady' && diagnosis.observed === 'steady');
  if (!room || !(reading.throttleMs > 0) || through === undefined) return undefined;
  if (!(through.rate < LETS_THROUGH_LOW * current && through.rate < allocation)) return undefined;
  const state = diagnosis.state === diagnosis.observed ? diagnosis.state : `${diagnosis.state}, this round headroom`;
  return {
    proposed: (current * allocation) / through.rate,
    reason: `${state}: raising: it gets ${through.rate.toFixed(0)} B/s under its quota of ${current.toFixed(0)} B/s (${((100 * through.rate) / current).toFixed(0)}%, mean over the last ${(through.spanMs / 1000).toFixed(0)} s) while throttled ${reading.throttleMs.toFixed(0)} ms, and its allocation is ${allocation.toFixed(0)} B/s`,
  };
}

/**
 * Whether the load that got a client its quota is gone, on a round within the target that the
 * hysteresis still holds pressured or overloaded: its rate fell over Kafka's quota window (see
 * `falling`), to well under its quota (so the quota is not what holds it down: under 90% of it,
 * and under 80% while the brokers still throttle it) and within its
 * allocation and the operator's baseline. Then the quota comes off without waiting for the state
 * to be confirmed: a load that swings over the quota window (a group reading whole fetches)
 * keeps the rounds alternating over and under the target, and the state would never be. The
 * words why, or undefined.
 */
function loadGone(reading: ClientReading, current: number, allocation: number, baseline: number | null, intervalMs: number, since: number, quotaWindowMs: number): string | undefined {
  const drop = falling(reading, intervalMs, since, quotaWindowMs);
  if (drop === undefined || !(drop.to < 0.9 * current) || drop.to > allocation || (baseline !== null && baseline < drop.to)) return undefined;
  // Still throttled and getting most of its quota: Kafka admits requests whole, so a client held
  // at its quota gets somewhat less than it (see `raiseByWhatItGets`); that is the quota holding.
  if (reading.throttleMs > 0 && drop.to >= LETS_THROUGH_LOW * current) return undefined;
  return `its rate fell (mean ${drop.from.toFixed(0)} → ${drop.to.toFixed(0)} B/s, its last ${drop.samples} samples against the ${drop.samples} before) to ${((100 * drop.to) / current).toFixed(0)}% of its quota, within its allocation ${allocation.toFixed(0)} B/s: the load is gone`;
}

function policies(config: ThrottleConfig): GroupPolicy[] {
  return config.groups.map((g) => ({ name: g.name, priority: g.priority, weight: g.weight, floor: g.floor, ceiling: g.ceiling ?? Infinity }));
}

/** Decides one round. */
export function decide(readings: Readings, quotas: readonly ClientQuotaEntry[], memory: LoopMemory, config: ThrottleConfig, options: DecideOptions): RoundPlan {
  const target = config.target;
  const quotaWindowMs = options.quotaWindowMs ?? KAFKA_QUOTA_WINDOW_MS;
  const { checks: modelCheck, errors: modelErrors } = checkModels(readings, memory.models, memory.modelErrors);
  const models = modelsOf(readings, modelErrors, config.guardrails.maxModelError);
  const idle = readings.brokers.map((b) => b.handlerIdle).filter((x): x is number => x !== undefined);
  const diagnosis = diagnose({
    ...(readings.brokers.length > 0 ? { maxUtilization: Math.max(...readings.brokers.map((b) => b.utilization)) } : {}),
    ...(idle.length > 0 ? { minHandlerIdle: Math.min(...idle) } : {}),
    ...(readings.queueTimeP99Ms === undefined ? {} : { queueTimeP99Ms: readings.queueTimeP99Ms }),
    ...(readings.requestLatencyP99Ms === undefined ? {} : { requestLatencyP99Ms: readings.requestLatencyP99Ms }),
    throttledClients: readings.clients.filter((c) => c.throttleMs > 0).length,
    firingTrafficAlerts: options.firingTrafficAlerts ?? [],
  }, memory.previous, { target, ...config.diagnosis });

  // The client traffic one broker can take at the target: the least over brokers (a quota holds on each).
  const capacityFor = (direction: Direction): BoundBy => {
    let least: BoundBy = { bytesPerSec: Infinity, bound: 'none', broker: undefined };
    for (const b of readings.brokers) {
      const c = brokerCapacity(models.get(b.broker)!, b, direction, target, readings.brokers);
      if (c.bytesPerSec < least.bytesPerSec) least = { ...c, broker: b.broker };
    }
    return Number.isFinite(least.bytesPerSec) ? least : { ...least, bytesPerSec: 0 };
  };
  const capacityBound = { produce: capacityFor('produce'), consume: capacityFor('consume') };
  const capacity = { produce: capacityBound.produce.bytesPerSec, consume: capacityBound.consume.bytesPerSec };
  const quotaOf = new Map(quotas.map((q) => [entityKey(q.entity), q.values]));
  const groups = policies(config);
  const floorOf = new Map(groups.map((g) => [g.name, g.floor]));
  // The highest priority, when groups differ in it: its clients are limited only when they alone ask more than the capacity.
  const priorities = new Set(groups.map((g) => g.priority));
  const protectedPriority = priorities.size > 1 ? Math.max(...priorities) : undefined;
  const isProtected = (group: string) => protectedPriority !== undefined && groups.find((g) => g.name === group)?.priority === protectedPriority;
  // A fit's R² matters where the fit set the capacity: a handler fit of a broker whose network binds first decides nothing.
  const modelR2Of = (direction: Direction): number => {
    const by = capacityBound[direction];
    return by.bound === 'handlers' && by.broker !== undefined ? models.get(by.broker)!.r2 : NaN;
  };
  const metricsStale = readings.ageMs > options.staleAfterMs;
  // Start-up: rates over fewer than two rate windows, a fit over a few points, queue times of
  // brokers (or clients) that just connected are transients, not load. Nothing moves until
  // there are two rate windows of broker history.
  const warmupMs = 2 * config.rateWindow * 1000;
  const warmingUp = readings.historyMs < warmupMs
    ? `warming up: ${Math.round(readings.historyMs / 1000)} s of broker history, ${Math.round(warmupMs / 1000)} s (two rate windows) before any change`
    : undefined;
  const pressured = pressuredDirections(readings.brokers, target);
  // Producers over their allocation whose limit is still to come (a proposal that moves their
  // quota down materially) or came within the brokers' last quota window: while there are any,
  // consumers wait for what limiting them does to network out.
  const producersUnsettled: string[] = [];
  // Producers over their allocation that the episode's change budget keeps from being cut further.
  const producersOver: string[] = [];
  // Tightening needs this round to show the load. A state held by hysteresis keeps quotas from
  // coming up on one quiet round, but does not cut anyone on a round that is within the target:
  // the quotas already set are working (a throttled client's rate swings around its quota over
  // the brokers' quota window), and demand may have dropped.
  const loadSeen = diagnosis.observed === 'pressured' || diagnosis.observed === 'overloaded';
  const limits: GuardrailOptions = {
    cooldownMs: config.guardrails.cooldown * 1000, maxDecreaseFactor: config.guardrails.maxDecrease, maxIncreaseFactor: config.guardrails.maxIncrease,
    minChangeFraction: config.guardrails.minChange, minR2: config.guardrails.minR2,
  };
  const maxChanges = config.guardrails.maxChangesPerEpisode;
  // What one raise step (the guardrails' largest increase) would add to a quota.
  const stepOver = (quota: number) => quota * (config.guardrails.maxIncrease - 1);

  const proposals: Proposal[] = [];
  const notes: string[] = [];
  for (const b of readings.brokers) {
    if (b.reassignIn > 0 || b.reassignOut > 0) notes.push(`broker ${b.broker} copies ${b.reassignIn.toFixed(0)} B/s in and ${b.reassignOut.toFixed(0)} B/s out for partition reassignments: not counted as load (the move's replication throttle is sized from the room clients leave, so the move yields, not the clients)`);
  }
  const allocations = {} as { produce: AllocationResult; consume: AllocationResult };
  for (const direction of ['produce', 'consume'] as const) {
    const quotaKey = QUOTA_KEY[direction];
    const mine: { reading: ClientReading; group: string; key: string; entity: QuotaEntityComponent[]; current: number | undefined; demand: DemandEstimate }[] = [];
    for (const reading of mergeByEntity(readings.clients.filter((c) => c.direction === direction))) {
      const group = groupOf(config, reading.user, reading.clientId);
      if (group === undefined || isExempt(config, reading.user, reading.clientId)) continue;
      const entity = entityOf(reading.user, reading.clientId);
      const key = entityKey(entity);
      const current = quotaOf.get(key)?.[quotaKey];
      const demand = estimateDemand({ ts: reading.history.ts, rate: reading.history.rate, throttleMs: reading.history.throttleMs, ...(current === undefined ? {} : { quota: current }) }, { windowMs: quotaWindowMs, horizonSec: config.interval, risingAbove: config.guardrails.minChange });
      mine.push({ reading, group, key, entity, current, demand });
    }
    const demands: ClientDemand[] = mine.map((m) => ({ entity: m.key, group: m.group, demand: m.demand.demand }));
    const allocation = allocate(capacity[direction], groups, demands);
    allocations[direction] = allocation;
    const protectedDemand = mine.filter((m) => isProtected(m.group)).reduce((s, m) => s + m.demand.demand, 0);
    const state = diagnosis.state;
    let notLimited = 0;
    // What the brokers have left at the target beyond every client's demand, less what clients set free this round may take.
    let spareLeft = allocation.spare;
    mine.forEach((m, i) => {
      const a = allocation.clients[i]!;
      const memoryKey = `${m.key}|${quotaKey}`;
      const baseline = memory.baselines.get(memoryKey);
      const changes = memory.episodeChanges?.get(memoryKey) ?? 0;
      const name = m.key;
      let proposed: number | null | undefined;
      let reason = '';
      // What the client's rate shows from one quota window after its quota's last change: before
      // that, it shows the change itself.
      const changedAt = memory.lastChanged.get(memoryKey);
      const settledSince = changedAt === undefined ? -Infinity : changedAt + quotaWindowMs;
      const restore = `restoring the operator's ${baseline === null ? 'unset quota' : `baseline ${baseline}`}`;
      const raise = baseline !== undefined && m.current !== undefined && !onlyRemovalLeft(changes, maxChanges) ? raiseByWhatItGets(m.reading, m.current, a.allocation, diagnosis, settledSince, quotaWindowMs) : undefined;
      if ((state === 'pressured' || state === 'overloaded') && !loadSeen) {
        const gone = baseline !== undefined && m.current !== undefined ? loadGone(m.reading, m.current, a.allocation, baseline, config.interval * 1000, settledSince, quotaWindowMs) : undefined;
        if (gone !== undefined) {
          proposed = baseline;
          reason = `${state}, this round ${diagnosis.observed}: ${gone}: ${restore}`;
        } else if (raise !== undefined) ({ proposed, reason } = raise);
        else if (pressured.includes(direction) && a.limited && (m.current === undefined || a.quota < m.current)) notLimited++;
      } else if ((state === 'pressured' || state === 'overloaded') && pressured.includes(direction) && a.limited && (m.current === undefined || a.quota < m.current)) {
        const drop = m.reading.throttleMs > 0 ? undefined : falling(m.reading, config.interval * 1000, settledSince, quotaWindowMs);
        if (drop !== undefined) {
          notes.push(`${name} (${direction}) not limited: its rate is falling (mean ${drop.from.toFixed(0)} → ${drop.to.toFixed(0)} B/s, its last ${drop.samples} samples against the ${drop.samples} before) and no quota holds it back`);
          return;
        }
        if (isProtected(m.group) && protectedDemand <= capacity[direction]) {
          notes.push(`${name} (${direction}) not limited: ${m.group} is the highest-priority group and asks ${protectedDemand.toFixed(0)} B/s in all, within the capacity of ${capacity[direction].toFixed(0)} B/s per broker`);
          return;
        }
        // A cut this round would move the quota by more than the guardrails' smallest change.
        const materialCut = m.current === undefined || a.quota < m.current * (1 - config.guardrails.minChange);
        if (baseline !== undefined && onlyRemovalLeft(changes, maxChanges)) {
          if (direction === 'produce' && materialCut) producersOver.push(name);
          notes.push(`${name} (${direction}) not limited further: ${removalKept(changes, maxChanges)}`);
          return;
        }
        proposed = a.quota;
        if (direction === 'produce' && materialCut) producersUnsettled.push(name);
        const alone = isProtected(m.group) ? `; ${m.group}, the highest-priority group, alone asks ${protectedDemand.toFixed(0)} B/s, over the capacity` : '';
        reason = `${state}: demand ${m.demand.demand.toFixed(0)} B/s (${m.demand.basis}) over its ${m.group} allocation ${a.allocation.toFixed(0)} B/s of ${capacity[direction].toFixed(0)} B/s per broker (${capacityBound[direction].bound} of broker ${capacityBound[direction].broker ?? '?'})${alone}`;
      } else if ((state === 'headroom' || state === 'steady') && baseline !== undefined && m.current !== undefined) {
        // Relax. This needs room, not idleness: the allocation is what the brokers can take at
        // the target, so a quota below it comes up (and off) while the cluster is merely steady;
        // a busy cluster would otherwise keep every quota it ever got. Once the client's demand
        // fits again, the operator's setting comes back. A client still held back by its quota
        // is only raised, a guarded step a round: throttled within the brokers' last quota
        // window, its demand is known only to be at least what its throttle time shows (a
        // consumer catching up on a backlog looks little over its quota); in a steady cluster,
        // where the room is smaller, running at 90% or more of its quota, it may want more than
        // its capped rate shows. Set free, either could take the cluster over the target again
        // at once. With one change left in the episode, the quota waits for headroom to come off.
        // A rate that is falling, unthrottled, is the load going: its recent mean is its demand,
        // not the p95 over a window that still holds the burst.
        // The brokers' throttle time lags behind (it is an average over their quota window): a
        // rate fallen well under the quota is not held back by it any more.
        // (All of its samples, for a client that went quiet after its burst must not wait a further
        // quota window for its fall to count; but the recent ones only from a step after its
        // quota's last change settled: a quota lowered in the last rounds holds its client silent
        // while the brokers' window drains, and that dip is not the load going.)
        const drop = falling(m.reading, config.interval * 1000, -Infinity, quotaWindowMs, settledSince);
        const demand = drop === undefined ? m.demand.demand : Math.min(m.demand.demand, drop.to);
        const throttled = m.reading.throttleMs > 0 && (drop === undefined || drop.to >= 0.9 * m.current);
        const held = throttled || (state === 'steady' && demand >= 0.9 * m.current);
        const lastChange = onlyRemovalLeft(changes, maxChanges);
        // A client held at its quota may want more than its rate shows, but not more than it asked
        // when this episode limited it: if that much fits in what the brokers have left at the
        // target, beyond every client's demand, the quota can come off without taking them over.
        // (Known only when every limit of the episode measured a settled demand: one taken while
        // the client was throttled, or its rate still rising, is no bound; see `episodeDemand`.)
        const before = memory.episodeDemand?.get(memoryKey);
        // What it would take beyond its demand now, set free (none, when its demand now is already
        // over what it asked then: the allocation counts it).
        const extra = before === undefined ? 0 : Math.max(0, before - demand);
        if (!held && (!a.limited || demand <= a.allocation) && (baseline === null || baseline >= demand)) {
          proposed = baseline;
          const basis = drop === undefined ? '' : ` (falling: mean ${drop.from.toFixed(0)} → ${drop.to.toFixed(0)} B/s over its last ${drop.samples} samples against the ${drop.samples} before)`;
          reason = `${state}: demand ${demand.toFixed(0)} B/s${basis} fits again: ${restore}`;
        } else if (held && before !== undefined && !a.limited && extra <= spareLeft && (baseline === null || baseline >= before)) {
          proposed = baseline;
          reason = `${state}: held at its quota, but its demand when limited (${before.toFixed(0)} B/s, ${extra.toFixed(0)} B/s over its demand now) fits in the ${spareLeft.toFixed(0)} B/s per broker left at the target: ${restore}`;
          // The room is shared: a client set free this round takes its part of it from the next.
          spareLeft -= extra;
        } else if (lastChange && state === 'headroom') {
          proposed = baseline;
          reason = `headroom: ${changes} change(s) this episode, the last is taking the quota off: ${restore}`;
        } else if (lastChange && state === 'steady' && !a.limited && demand <= m.current * (1 + config.guardrails.minChange) && stepOver(m.current) <= spareLeft && (baseline === null || baseline >= demand)) {
          // A cluster whose calm sits over the headroom band never shows headroom: the quota comes
          // off once the brokers have room for the full raise step the episode can no longer take,
          // for a client that asks little more than its quota (its throttle time says how much;
          // one with a backlog behind its quota asks far more, and waits for headroom).
          proposed = baseline;
          reason = `steady: ${changes} change(s) this episode, the last is taking the quota off: its demand ${demand.toFixed(0)} B/s is within ${(100 * config.guardrails.minChange).toFixed(0)}% of its quota and fits its allocation, and the brokers have room for a full step over its quota (${stepOver(m.current).toFixed(0)} B/s of the ${spareLeft.toFixed(0)} B/s per broker left at the target): ${restore}`;
          spareLeft -= stepOver(m.current);
        } else if (lastChange) {
          notes.push(`${name} (${direction}) held: ${changes} change(s) this episode: the last is kept for taking the quota off once the cluster has headroom, or room for a full step over it`);
        } else if (a.quota > m.current) {
          proposed = a.quota;
          const why = m.reading.throttleMs > 0 ? ` (still throttled ${m.reading.throttleMs.toFixed(0)} ms at its quota)` : held ? ` (running at ${((100 * demand) / m.current).toFixed(0)}% of its quota)` : '';
          reason = `${state}: raising toward the allocation ${a.quota.toFixed(0)} B/s${why}`;
        } else if (throttled && raise !== undefined) {
          ({ proposed, reason } = raise);
        } else {
          const why = m.reading.throttleMs > 0 ? `still throttled ${m.reading.throttleMs.toFixed(0)} ms at it` : held ? `running at ${((100 * demand) / m.current).toFixed(0)}% of it` : `its demand ${demand.toFixed(0)} B/s is over its allocation ${a.allocation.toFixed(0)} B/s`;
          notes.push(`${name} (${direction}) kept at ${m.current.toFixed(0)} B/s: ${why}, and the brokers have no more room for it (allocation with headroom ${a.quota.toFixed(0)} B/s)`);
        }
      }
      if (proposed === undefined) return;
      const lastChangedAt = memory.lastChanged.get(memoryKey);
      const guarded = proposed === null
        ? guardRemoval({ current: m.current, lastChangedAt, now: options.now, metricsStale, warmingUp }, limits)
        : guard({ current: m.current, proposed, floor: floorOf.get(m.group)!, lastChangedAt, now: options.now, metricsStale, warmingUp, modelR2: modelR2Of(direction) }, limits);
      proposals.push({
        entity: m.entity, entityKey: m.key, group: m.group, direction, quotaKey, oldValue: m.current, proposed,
        guarded, newValue: guarded.apply ? (proposed === null ? null : guarded.value) : undefined,
        reason, demand: m.demand, allocation: a.allocation,
      });
    });
    if (notLimited > 0) notes.push(`${notLimited} ${direction} client(s) over their allocation not limited: the cluster is held ${state}, but this round shows ${diagnosis.observed}, within the target`);
    if (direction === 'produce' && pressured.length === 1 && pressured[0] === 'produce' && networkOver(readings.brokers, 'consume', target)) {
      const settled = producersSettled(readings.clients, memory.lastChanged, producersUnsettled, producersOver, options.now, quotaWindowMs);
      if (settled.ok) {
        pressured.push('consume');
        notes.push(`network out is over the target too, and ${settled.why}: consumers are limited as well`);
      } else notes.push(`network out is over the target too; consumers wait: ${settled.why}`);
    }
  }
  return { diagnosis, models, capacity, capacityBound, modelCheck, modelErrors, notes, pressured, allocations, proposals, metricsStale, quotaWindowMs };
}
