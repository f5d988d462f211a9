/**
 * One round's decision, pure: from what was read (signals.ts), the quotas in force and the
 * loop's memory (previous diagnosis, when each entity last changed, operators' baselines), to a
 * diagnosis, a load model per broker, an allocation per direction and one proposal per entity
 * whose quota should move, each already passed through the guardrails and carrying its evidence.
 *
 * What moves in which state:
 * - pressured / overloaded: clients whose demand exceeds their allocation are limited to it, in
 *   the directions under pressure (see `pressuredDirections`);
 * - headroom and steady: quotas Sluice lowered are raised toward the allocation (what the brokers
 *   can take at the target), and restored to the operator's baseline (or removed, if there was
 *   none) once the client is no longer held back by its quota and its demand fits.
 */
import { entityKey, QUOTA_KEY, type ClientQuotaEntry, type QuotaEntityComponent } from '../kafka/quota.ts';
import { allocate, type AllocationResult, type ClientDemand, type GroupPolicy } from './allocate.ts';
import { groupOf, type ThrottleConfig } from './config.ts';
import { estimateDemand, type DemandEstimate } from './demand.ts';
import { diagnose, type Diagnosis } from './diagnose.ts';
import { guard, guardRemoval, type GuardedChange, type GuardrailOptions } from './guardrails.ts';
import { capacityOf, fitLoadModel, fixedModel, type LoadModel } from './model.ts';
import type { BrokerReading, ClientReading, Readings } from './signals.ts';

/** What the loop remembers between rounds. */
export interface LoopMemory {
  readonly previous: Diagnosis | undefined;
  /** `entityKey|quotaKey` → when Sluice last changed it, ms. */
  readonly lastChanged: ReadonlyMap<string, number>;
  /** `entityKey|quotaKey` → the operator's value before Sluice first changed it (null: none was set). */
  readonly baselines: ReadonlyMap<string, number | null>;
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
  /** The directions whose clients may be limited this round (see `pressuredDirections`). */
  readonly pressured: readonly Direction[];
  readonly allocations: { readonly produce: AllocationResult; readonly consume: AllocationResult };
  readonly proposals: readonly Proposal[];
  readonly metricsStale: boolean;
}

/** Settings of a round beyond the config. */
export interface DecideOptions {
  readonly now: number;
  /** Newest samples older than this make the round stale (no changes), ms. */
  readonly staleAfterMs: number;
  /** Names of firing traffic alerts (spikes, lag), a pressure signal. */
  readonly firingTrafficAlerts?: readonly string[];
}

/** The principal name Kafka gives unauthenticated clients. */
export const ANONYMOUS_USER = 'ANONYMOUS';

/**
 * The quota entity Sluice sets for a client: user and client-id when the user is known, else
 * client-id alone (unauthenticated clients all share the ANONYMOUS principal, which says nothing
 * about who they are).
 */
export function entityOf(user: string, clientId: string): QuotaEntityComponent[] {
  return user === '' || user === ANONYMOUS_USER
    ? [{ entityType: 'client-id', entityName: clientId }]
    : [{ entityType: 'user', entityName: user }, { entityType: 'client-id', entityName: clientId }];
}

/** A direction of client traffic. */
export type Direction = 'produce' | 'consume';

/**
 * The directions whose clients a pressured round may limit. Each direction has its own network
 * (a broker's capacity in and out, as the brokers report them): when some broker's network in
 * one direction is over the target and the other direction's is not on any broker, the pressure
 * is that direction's and only its clients are limited, so that producers are not throttled
 * because consumers fill the brokers' network out, nor consumers because producers fill the
 * network in. Otherwise (both networks over, or the pressure comes from request handlers,
 * queueing, latency or alerts) both directions are.
 */
export function pressuredDirections(brokers: readonly BrokerReading[], target: number): Direction[] {
  const over = (d: Direction) => brokers.some((b) => (d === 'produce' ? b.bytesIn / b.capacityIn : b.bytesOut / b.capacityOut) > target);
  const produce = over('produce');
  const consume = over('consume');
  if (produce !== consume) return produce ? ['produce'] : ['consume'];
  return ['produce', 'consume'];
}

/**
 * The client traffic of one direction one broker can take at the target (bytes/s). A fitted
 * model in which that direction does not load the broker (it did not vary over the window and
 * was left out, or its slope came out ≤ 0) cannot bound it: the broker's nominal capacity does.
 */
export function brokerCapacity(model: LoadModel, broker: BrokerReading, dimension: 'bytesIn' | 'bytesOut', target: number): number {
  const fitted = capacityOf(model, dimension, target, broker);
  if (fitted !== Infinity || model.kind === 'fixed') return fitted;
  const nominal = fixedModel({ bytesInPerSec: broker.capacityIn, bytesOutPerSec: broker.capacityOut }, model.samples, model.diversity, 'nominal capacity');
  return capacityOf(nominal, dimension, target, broker);
}

function policies(config: ThrottleConfig): GroupPolicy[] {
  return config.groups.map((g) => ({ name: g.name, priority: g.priority, weight: g.weight, floor: g.floor, ceiling: g.ceiling ?? Infinity }));
}

/** Decides one round. */
export function decide(readings: Readings, quotas: readonly ClientQuotaEntry[], memory: LoopMemory, config: ThrottleConfig, options: DecideOptions): RoundPlan {
  const target = config.target;
  const models = new Map<string, LoadModel>();
  for (const b of readings.brokers) {
    models.set(b.broker, fitLoadModel(readings.history.get(b.broker) ?? [], { bytesInPerSec: b.capacityIn, bytesOutPerSec: b.capacityOut }));
  }
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
  const capacityFor = (dimension: 'bytesIn' | 'bytesOut'): number => {
    let least = Infinity;
    for (const b of readings.brokers) least = Math.min(least, brokerCapacity(models.get(b.broker)!, b, dimension, target));
    return Number.isFinite(least) ? least : 0;
  };
  const capacity = { produce: capacityFor('bytesIn'), consume: capacityFor('bytesOut') };
  const quotaOf = new Map(quotas.map((q) => [entityKey(q.entity), q.values]));
  const groups = policies(config);
  const floorOf = new Map(groups.map((g) => [g.name, g.floor]));
  const fitted = [...models.values()].filter((m) => m.kind === 'fit');
  const modelR2 = fitted.length === 0 ? NaN : Math.min(...fitted.map((m) => m.r2));
  const metricsStale = readings.ageMs > options.staleAfterMs;
  // Start-up: rates over fewer than two rate windows, a fit over a few points, queue times of
  // brokers (or clients) that just connected are transients, not load. Nothing moves until
  // there are two rate windows of broker history.
  const warmupMs = 2 * config.rateWindow * 1000;
  const warmingUp = readings.historyMs < warmupMs
    ? `warming up: ${Math.round(readings.historyMs / 1000)} s of broker history, ${Math.round(warmupMs / 1000)} s (two rate windows) before any change`
    : undefined;
  const pressured = pressuredDirections(readings.brokers, target);
  const limits: GuardrailOptions = {
    cooldownMs: config.guardrails.cooldown * 1000, maxDecreaseFactor: config.guardrails.maxDecrease, maxIncreaseFactor: config.guardrails.maxIncrease,
    minChangeFraction: config.guardrails.minChange, minR2: config.guardrails.minR2,
  };

  const proposals: Proposal[] = [];
  const allocations = {} as { produce: AllocationResult; consume: AllocationResult };
  for (const direction of ['produce', 'consume'] as const) {
    const quotaKey = QUOTA_KEY[direction];
    const mine: { reading: ClientReading; group: string; key: string; entity: QuotaEntityComponent[]; current: number | undefined; demand: DemandEstimate }[] = [];
    for (const reading of mergeByEntity(readings.clients.filter((c) => c.direction === direction))) {
      const group = groupOf(config, reading.user, reading.clientId);
      if (group === undefined) continue;
      const entity = entityOf(reading.user, reading.clientId);
      const key = entityKey(entity);
      const current = quotaOf.get(key)?.[quotaKey];
      const demand = estimateDemand({ ts: reading.history.ts, rate: reading.history.rate, throttleMs: reading.history.throttleMs, ...(current === undefined ? {} : { quota: current }) }, { horizonSec: config.interval });
      mine.push({ reading, group, key, entity, current, demand });
    }
    const demands: ClientDemand[] = mine.map((m) => ({ entity: m.key, group: m.group, demand: m.demand.demand }));
    const allocation = allocate(capacity[direction], groups, demands);
    allocations[direction] = allocation;
    const state = diagnosis.state;
    mine.forEach((m, i) => {
      const a = allocation.clients[i]!;
      const memoryKey = `${m.key}|${quotaKey}`;
      const baseline = memory.baselines.get(memoryKey);
      let proposed: number | null | undefined;
      let reason = '';
      if ((state === 'pressured' || state === 'overloaded') && pressured.includes(direction) && a.limited && (m.current === undefined || a.quota < m.current)) {
        proposed = a.quota;
        reason = `${state}: demand ${m.demand.demand.toFixed(0)} B/s (${m.demand.basis}) over its ${m.group} allocation ${a.allocation.toFixed(0)} B/s of ${capacity[direction].toFixed(0)} B/s per broker`;
      } else if ((state === 'headroom' || state === 'steady') && memory.baselines.has(memoryKey) && m.current !== undefined) {
        // Relax. This needs room, not idleness: the allocation is what the brokers can take at
        // the target, so a quota below it comes up (and off) while the cluster is merely steady;
        // a busy cluster would otherwise keep every quota it ever got. Once the client's demand
        // fits again, the operator's setting comes back. A client still held back by its quota
        // is only raised, a guarded step a round: throttled within the brokers' last quota
        // window, its demand is known only to be at least what its throttle time shows (a
        // throttled fetch is answered empty and not counted, so a consumer catching up on a
        // backlog looks little over its quota); in a steady cluster, where the room is smaller,
        // running at 90% or more of its quota, it may want more than its capped rate shows. Set
        // free, either could take the cluster over the target again at once.
        const held = m.reading.throttleMs > 0 || (state === 'steady' && m.demand.demand >= 0.9 * m.current);
        if (!held && !a.limited && (baseline === null || baseline === undefined || baseline >= m.demand.demand)) {
          proposed = baseline ?? null;
          reason = `${state}: demand ${m.demand.demand.toFixed(0)} B/s fits again: restoring the operator's ${baseline === null || baseline === undefined ? 'unset quota' : `baseline ${baseline}`}`;
        } else if (a.quota > m.current) {
          proposed = a.quota;
          const why = m.reading.throttleMs > 0 ? ` (still throttled ${m.reading.throttleMs.toFixed(0)} ms at its quota)` : held ? ` (running at ${((100 * m.demand.demand) / m.current).toFixed(0)}% of its quota)` : '';
          reason = `${state}: raising toward the allocation ${a.quota.toFixed(0)} B/s${why}`;
        }
      }
      if (proposed === undefined) return;
      const lastChangedAt = memory.lastChanged.get(memoryKey);
      const guarded = proposed === null
        ? guardRemoval({ current: m.current, lastChangedAt, now: options.now, metricsStale, warmingUp }, limits)
        : guard({ current: m.current, proposed, floor: floorOf.get(m.group)!, lastChangedAt, now: options.now, metricsStale, warmingUp, modelR2 }, limits);
      proposals.push({
        entity: m.entity, entityKey: m.key, group: m.group, direction, quotaKey, oldValue: m.current, proposed,
        guarded, newValue: guarded.apply ? (proposed === null ? null : guarded.value) : undefined,
        reason, demand: m.demand, allocation: a.allocation,
      });
    });
  }
  return { diagnosis, models, capacity, pressured, allocations, proposals, metricsStale };
}

/**
 * One reading per quota entity: the brokers tag a client's series by the quota entity that
 * applies to it, so a client whose quota entity changed shows under two tag sets for a while
 * (the old one until it goes stale). Their histories are merged by taking the larger value.
 */
export function mergeByEntity(readings: readonly ClientReading[]): ClientReading[] {
  const byKey = new Map<string, ClientReading>();
  for (const r of readings) {
    const key = entityKey(entityOf(r.user, r.clientId));
    const seen = byKey.get(key);
    if (seen === undefined) {
      byKey.set(key, r);
      continue;
    }
    const at = new Map(seen.history.ts.map((t, i) => [t, i]));
    const ts = [...seen.history.ts];
    const rate = [...seen.history.rate];
    const throttleMs = [...seen.history.throttleMs];
    r.history.ts.forEach((t, i) => {
      const j = at.get(t);
      if (j === undefined) {
        ts.push(t);
        rate.push(r.history.rate[i]!);
        throttleMs.push(r.history.throttleMs[i]!);
      } else {
        rate[j] = Math.max(rate[j]!, r.history.rate[i]!);
        throttleMs[j] = Math.max(throttleMs[j]!, r.history.throttleMs[i]!);
      }
    });
    const order = ts.map((_, i) => i).sort((a, b) => ts[a]! - ts[b]!);
    byKey.set(key, {
      ...seen, rate: Math.max(seen.rate, r.rate), throttleMs: Math.max(seen.throttleMs, r.throttleMs),
      history: { ts: order.map((i) => ts[i]!), rate: order.map((i) => rate[i]!), throttleMs: order.map((i) => throttleMs[i]!) },
    });
  }
  return [...byKey.values()];
}
