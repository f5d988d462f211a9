/**
 * One round of the throttle loop, planned, pure: from what was read, the quotas in force and the
 * loop's memory to everything the round writes and pushes, each with its explanation:
 * - rollbacks: when the cluster got worse since the last round (over the target now and not
 *   then), that round's increases whose clients now take more than their old quotas are undone,
 *   one push each, unless the undo would spend the change the episode keeps for taking the quota
 *   off;
 * - expiries: pending recommendations older than two intervals (their evidence is old);
 * - records: one decision per proposal of `decide` (src/throttle/decide.ts), skipped when the
 *   guardrails hold it, pending as a recommendation, or pushed at once in `auto` mode;
 * - supersedes: a new recommendation replaces the pending one of the same entity's quota, so
 *   that each quota has at most one current recommendation.
 * The shell (loop.ts) commits the plan through the decision log, then pushes, then records what
 * the cluster did (`pushRecord`). A manual apply is checked here too (`checkApply`).
 */
import { SluiceError } from '../errors.ts';
import { entityKey, QUOTA_KEY, type ClientQuotaAlteration, type ClientQuotaEntry } from '../kafka/quota.ts';
import type { ThrottleConfig } from './config.ts';
import { entityOf, mergeByEntity } from './client-history.ts';
import { decide, type DecideOptions, type LoopMemory, type RoundPlan } from './decide.ts';
import type { BaselineInput, Decision, DecisionInput, PushRecord, RoundCommit } from './decision-log.ts';
import { moreSevere, type Diagnosis } from './diagnose.ts';
import { onlyRemovalLeft, removalKept } from './guardrails.ts';
import type { Readings } from './signals.ts';

/** What the loop remembers between rounds, beyond what `decide` needs. */
export interface RoundMemory extends LoopMemory {
  /** The last round: its diagnosis and its decisions, oldest first. */
  readonly lastRound: { readonly diagnosis: Diagnosis; readonly decisions: readonly Decision[] } | undefined;
  /** The cluster's pending recommendations. */
  readonly pending: readonly Decision[];
}

/** Settings of a round beyond the config. */
export interface PlanOptions extends DecideOptions {
  readonly cluster: string;
}

/** One call to the actuator and the decisions it carries. */
export interface PlannedPush {
  /** Who applies it, as audited. */
  readonly by: string;
  /** The decisions pushed, as indexes into the commit's records. */
  readonly records: readonly number[];
  readonly changes: readonly ClientQuotaAlteration[];
  /** The baseline of each change (what an operator had set), remembered before pushing. */
  readonly baselines: readonly BaselineInput[];
  /** The decision this push rolls back. */
  readonly rollbackOf?: number;
}

/** A round's plan. */
export interface PlannedRound {
  /** The diagnosis, models, allocations and proposals behind it. */
  readonly analysis: RoundPlan;
  /** What is written before anything is pushed. */
  readonly commit: RoundCommit;
  /** Rollbacks first (one push each), then the changes applied in `auto` mode (one push). */
  readonly pushes: readonly PlannedPush[];
}

const ROLLBACK_BY = 'sluice (rollback)';
const AUTO_BY = 'sluice (auto)';

function baselineOf(cluster: string, change: ClientQuotaAlteration, value: number | null): BaselineInput {
  return { cluster, entity: change.entity, entityKey: entityKey(change.entity), quotaKey: change.key, value };
}

/**
 * The last round's increases to undo, when this round is more severe than that one, and notes on
 * those kept: an increase whose client takes no more than its old quota let through did not make
 * the cluster worse (a client held by Kafka's windowed enforcement sends in bursts whatever its
 * quota, and one of them may fall in the next round); and one whose undoing would spend the
 * change the episode keeps for taking the quota off.
 */
function rollbacks(analysis: RoundPlan, readings: Readings, memory: RoundMemory, config: ThrottleConfig, options: PlanOptions): { undo: { record: DecisionInput; push: Omit<PlannedPush, 'records'> }[]; notes: string[] } {
  const last = memory.lastRound;
  // Worse means over the target now and not before: headroom turning into steady is what an
  // increase is for.
  const observed = analysis.diagnosis.observed;
  if (last === undefined || !moreSevere(observed, last.diagnosis.observed) || (observed !== 'pressured' && observed !== 'overloaded')) return { undo: [], notes: [] };
  // Increases, removals of a quota (the largest increase) included.
  const raised = last.decisions.filter((d) => d.status === 'applied' && d.rollbackOf === undefined && d.oldValue !== undefined && (d.newValue === null || (d.newValue !== undefined && d.newValue > d.oldValue)));
  const notes: string[] = [];
  // Each client's rate now, by `entityKey|quotaKey`.
  const rates = new Map<string, number>();
  for (const direction of ['produce', 'consume'] as const) {
    for (const c of mergeByEntity(readings.clients.filter((x) => x.direction === direction))) rates.set(`${entityKey(entityOf(c.user, c.clientId))}|${QUOTA_KEY[direction]}`, c.rate);
  }
  const maxChanges = config.guardrails.maxChangesPerEpisode;
  const undo = raised.filter((d) => {
    const key = `${d.entityKey}|${d.quotaKey}`;
    const rate = rates.get(key);
    const kept = `${d.entityKey} (${d.quotaKey}) increase ${d.id} kept although the cluster went from ${last.diagnosis.observed} to ${observed}`;
    if (rate !== undefined && rate <= d.oldValue!) {
      notes.push(`${kept}: its client takes ${rate.toFixed(0)} B/s, no more than its old quota of ${d.oldValue!.toFixed(0)} B/s let through`);
      return false;
    }
    // An undo is a change like any other: the episode's last one is kept for taking the quota
    // off (a removal ends the episode, so undoing one starts a new one and is not held here).
    const changes = memory.episodeChanges?.get(key) ?? 0;
    if (d.newValue !== null && onlyRemovalLeft(changes, maxChanges)) {
      notes.push(`${kept}: ${removalKept(changes, maxChanges)}`);
      return false;
    }
    return true;
  });
  return { notes, undo: undo.map((d) => {
    const change: ClientQuotaAlteration = { entity: d.entity, key: d.quotaKey, value: d.oldValue ?? null };
    return {
      record: {
        ts: options.now, cluster: options.cluster, entity: d.entity, entityKey: d.entityKey, quotaKey: d.quotaKey, mode: config.mode, state: analysis.diagnosis.state,
        oldValue: d.newValue ?? undefined, proposed: d.oldValue ?? null, newValue: d.oldValue, status: 'pending', appliedBy: ROLLBACK_BY, rollbackOf: d.id,
        reason: `rollback: the cluster went from ${last.diagnosis.observed} to ${observed} after this increase`, evidence: { diagnosis: analysis.diagnosis, previous: last.diagnosis },
      },
      push: { by: ROLLBACK_BY, changes: [change], baselines: [baselineOf(options.cluster, change, null)], rollbackOf: d.id },
    };
  }) };
}

/** Plans one round. */
export function planRound(readings: Readings, quotas: readonly ClientQuotaEntry[], memory: RoundMemory, config: ThrottleConfig, options: PlanOptions): PlannedRound {
  const decided = decide(readings, quotas, memory, config, options);
  const { now, cluster } = options;
  const records: DecisionInput[] = [];
  const pushes: PlannedPush[] = [];
  const { undo, notes } = rollbacks(decided, readings, memory, config, options);
  const analysis: RoundPlan = notes.length === 0 ? decided : { ...decided, notes: [...notes, ...decided.notes] };
  for (const r of undo) {
    pushes.push({ ...r.push, records: [records.length] });
    records.push(r.record);
  }

  const maxAgeMs = 2 * config.interval * 1000;
  const expired = memory.pending.filter((d) => d.ts <= now - maxAgeMs);
  const current = memory.pending.filter((d) => d.ts > now - maxAgeMs);
  const supersedes: RoundCommit['supersedes'][number][] = [];
  const auto: PlannedPush & { records: number[]; changes: ClientQuotaAlteration[]; baselines: BaselineInput[] } = { by: AUTO_BY, records: [], changes: [], baselines: [] };
  for (const p of analysis.proposals) {
    const applied = config.mode === 'auto' && p.guarded.apply;
    const status = !p.guarded.apply ? 'skipped' : applied ? 'applied' : 'pending';
    const evidence = {
      group: p.group, direction: p.direction, diagnosis: analysis.diagnosis, pressured: analysis.pressured, demand: p.demand, allocation: p.allocation,
      capacity: analysis.capacity[p.direction], capacityBound: analysis.capacityBound[p.direction], guardrails: p.guarded.reasons,
      models: Object.fromEntries([...analysis.models].map(([b, m]) => [b, {
        kind: m.kind, network: m.network, intercept: m.intercept, coefficients: m.coefficients, r2: m.r2, residualStd: m.residualStd, samples: m.samples,
        collinear: m.collinear, reason: m.reason,
      }])),
      modelCheck: analysis.modelCheck, quotaWindowMs: analysis.quotaWindowMs,
    };
    const index = records.length;
    // A change applied now is recorded pending and settled once the cluster has answered.
    records.push({
      ts: now, cluster, entity: p.entity, entityKey: p.entityKey, quotaKey: p.quotaKey, mode: config.mode, state: analysis.diagnosis.state,
      oldValue: p.oldValue, proposed: p.proposed, newValue: p.newValue, status: status === 'applied' ? 'pending' : status,
      ...(applied ? { appliedBy: AUTO_BY } : {}), reason: p.reason, evidence,
    });
    if (applied) {
      const change: ClientQuotaAlteration = { entity: p.entity, key: p.quotaKey, value: p.newValue ?? null };
      auto.records.push(index);
      auto.changes.push(change);
      auto.baselines.push(baselineOf(cluster, change, p.oldValue ?? null));
    }
    if (status === 'pending') {
      for (const d of current) {
        if (d.entityKey === p.entityKey && d.quotaKey === p.quotaKey) supersedes.push({ id: d.id, by: index, note: (id) => `superseded by recommendation ${id}` });
      }
    }
  }
  if (auto.records.length > 0) pushes.push(auto);
  return {
    analysis,
    commit: { at: now, records, expiries: expired.map((d) => ({ id: d.id })), supersedes, baselines: pushes.flatMap((p) => p.baselines) },
    pushes,
  };
}

/**
 * What the cluster's answer to one push leaves recorded: the decisions settled and the baselines
 * kept right, and the baseline keys (`entityKey|quotaKey`) given up so far this round (`freed`:
 * a later push of the round that claims one of them remembers its own).
 */
export function pushRecord(push: PlannedPush, ids: readonly number[], remembered: readonly boolean[], errors: readonly string[], freed: ReadonlySet<string>, at: number): { record: PushRecord; freed: Set<string> } {
  const ok = errors.length === 0;
  const key = (b: Pick<BaselineInput, 'entityKey' | 'quotaKey'>): string => `${b.entityKey}|${b.quotaKey}`;
  const record: PushRecord = {
    at, by: push.by, ids,
    ...(ok ? {} : { error: errors.join('; ') }),
    ...(ok && push.rollbackOf !== undefined ? { rolledBack: { of: push.rollbackOf, by: ids[0]! } } : {}),
    // Refused as a whole: nothing changed, so no baseline this push claimed stands either. Applied:
    // a removed quota is the operator's unset one back, so its baseline is done with.
    forget: ok ? push.baselines.filter((_, i) => push.changes[i]!.value === null) : push.baselines.filter((_, i) => remembered[i]),
    remember: ok ? push.baselines.filter((b, i) => !remembered[i] && freed.has(key(b)) && push.changes[i]!.value !== null) : [],
  };
  const next = new Set(freed);
  for (const b of record.forget) next.add(key(b));
  for (const b of record.remember) next.delete(key(b));
  return { record, freed: next };
}

/** Why a manual apply of `d` (asked for as `id`) is refused, and whether `d` expires; undefined when it may go ahead. */
export function checkApply(d: Decision | undefined, id: number, cluster: string, now: number, config: ThrottleConfig): { error: SluiceError; expire: boolean } | undefined {
  if (d === undefined || d.cluster !== cluster) return { error: new SluiceError('SLUICE_ERR_THROTTLE_NOT_FOUND', `no recommendation ${id} for cluster ${cluster}`, { path: 'body.id' }), expire: false };
  if (d.status === 'pending' && now - d.ts > 2 * config.interval * 1000) {
    return { error: new SluiceError('SLUICE_ERR_THROTTLE_EXPIRED', `recommendation ${id} expired: it is ${Math.round((now - d.ts) / 1000)} s old (at most ${2 * config.interval} s)`, { path: 'body.id' }), expire: true };
  }
  if (d.status !== 'pending') return { error: new SluiceError('SLUICE_ERR_THROTTLE_NOT_PENDING', `recommendation ${id} is ${d.status}, not pending`, { path: 'body.id' }), expire: false };
  const group = config.groups.find((g) => g.name === (d.evidence as { group?: string }).group);
  if (group !== undefined && typeof d.newValue === 'number' && d.newValue < group.floor) {
    return { error: new SluiceError('SLUICE_ERR_THROTTLE_UNDER_FLOOR', `quota ${d.newValue} is under the ${group.name} floor ${group.floor}`, { path: 'body.id' }), expire: false };
  }
  return undefined;
}

/** The push of a manual apply of pending decision `d` by `by` (its only record is `d` itself). */
export function applyPush(d: Decision, by: string): PlannedPush {
  const change: ClientQuotaAlteration = { entity: d.entity, key: d.quotaKey, value: d.newValue ?? null };
  return { by, records: [], changes: [change], baselines: [baselineOf(d.cluster, change, d.oldValue ?? null)] };
}
