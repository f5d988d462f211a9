/**
 * The throttle loop of one cluster: every `interval`, read the signals (through the PromQL
 * engine over a Querier), decide (decide.ts), and depending on the mode record the decisions as
 * recommendations (`recommend`) or push them through the QuotaActuator (`auto`), auditing each
 * one with its evidence. After a round that raised quotas, the next round checks the effect: if
 * the cluster got worse, those increases are rolled back.
 *
 * In `recommend` mode each entity's quota has at most one pending recommendation, the latest.
 *
 * Contract: `start` returns at once; a round never overlaps the previous one; a failed round is
 * logged and counted, and the next one runs as usual; nothing is half-applied (the actuator
 * validates a batch before applying it, and the audit says what happened either way).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Clock, ClockTimer } from '../clock.ts';
import type { ClientQuotaAlteration } from '../kafka/admin.ts';
import type { Engine } from '../rules/promql/index.ts';
import type { Querier } from '../store/types.ts';
import type { Logger } from '../telemetry/logger.ts';
import { entityKey, type QuotaActuator } from './actuator.ts';
import type { Decision, DecisionStore } from './audit.ts';
import type { ThrottleConfig } from './config.ts';
import { decide, type RoundPlan } from './decide.ts';
import { moreSevere, type Diagnosis } from './diagnose.ts';
import { readSignals } from './signals.ts';
import { traced } from '../telemetry/tracing.ts';

/** What a loop needs. */
export interface ThrottleLoopOptions {
  readonly cluster: string;
  readonly config: ThrottleConfig;
  readonly engine: Engine;
  readonly source: Querier;
  readonly actuator: QuotaActuator;
  readonly audit: DecisionStore;
  readonly clock: Clock;
  /** Names of firing traffic alerts (spikes, lag) right now. */
  readonly firingTrafficAlerts?: () => readonly string[];
  /** Nominal per-broker capacity when the brokers do not export theirs (default 1 GiB/s each way). */
  readonly nominal?: { readonly bytesInPerSec: number; readonly bytesOutPerSec: number };
  /** Signals older than this hold all changes, ms (default 3 × interval). */
  readonly staleAfterMs?: number;
  readonly registry?: Registry;
  readonly logger?: Logger;
}

/** What one round did. */
export interface RoundOutcome {
  readonly at: number;
  readonly plan: RoundPlan;
  readonly decisions: readonly Decision[];
  readonly rolledBack: readonly Decision[];
}

/** One cluster's loop. */
export class ThrottleLoop {
  private previous: Diagnosis | undefined;
  private last: RoundOutcome | undefined;
  private timer: ClockTimer | null = null;
  private running: Promise<RoundOutcome | undefined> | null = null;
  private stopped = true;
  private readonly rounds: Counter;
  private readonly failures: Counter;
  private readonly changes: Counter;
  private readonly stateGauge: Gauge;

  constructor(private readonly options: ThrottleLoopOptions) {
    const registers = options.registry ? [options.registry] : [];
    const existing = <T>(name: string) => options.registry?.getSingleMetric(name) as T | undefined;
    this.rounds = existing<Counter>('sluice_throttle_rounds_total') ?? new Counter({ name: 'sluice_throttle_rounds_total', help: 'Throttle loop rounds', labelNames: ['cluster'], registers });
    this.failures = existing<Counter>('sluice_throttle_round_failures_total') ?? new Counter({ name: 'sluice_throttle_round_failures_total', help: 'Throttle loop rounds that failed', labelNames: ['cluster'], registers });
    this.changes = existing<Counter>('sluice_throttle_decisions_total') ?? new Counter({ name: 'sluice_throttle_decisions_total', help: 'Quota decisions by outcome', labelNames: ['cluster', 'status'], registers });
    this.stateGauge = existing<Gauge>('sluice_throttle_state') ?? new Gauge({ name: 'sluice_throttle_state', help: 'Diagnosed cluster state: 0 headroom, 1 steady, 2 pressured, 3 overloaded', labelNames: ['cluster'], registers });
  }

  private get intervalMs(): number {
    return this.options.config.interval * 1000;
  }

  /** The last round, for the API (state, model, recommendations). */
  get lastRound(): RoundOutcome | undefined {
    return this.last;
  }

  /** Starts the rounds; returns at once. */
  start(): void {
    if (!this.stopped || this.options.config.mode === 'off') return;
    this.stopped = false;
    const tick = (): void => {
      if (this.stopped) return;
      this.timer = this.options.clock.setTimeout(tick, this.intervalMs);
      if (this.running === null) void this.round().catch(() => undefined);
    };
    this.timer = this.options.clock.setTimeout(tick, this.intervalMs);
  }

  /** Stops the rounds and waits for one in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** Resolves once no round is running. */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  /** Runs one round now (never two at once: a call during a round waits for it). */
  round(): Promise<RoundOutcome | undefined> {
    this.running ??= traced('sluice.throttle.round', { 'sluice.cluster': this.options.cluster, 'sluice.throttle.mode': this.options.config.mode }, async (span) => {
      const outcome = await this.runRound();
      if (outcome !== undefined) span.setAttributes({ 'sluice.throttle.state': outcome.plan.diagnosis.state, 'sluice.throttle.decisions': outcome.decisions.length });
      return outcome;
    }).finally(() => { this.running = null; });
    return this.running;
  }

  private async runRound(): Promise<RoundOutcome | undefined> {
    const { cluster, config, audit } = this.options;
    const now = this.options.clock.now();
    this.rounds.inc({ cluster });
    try {
      const readings = await readSignals(this.options.engine, this.options.source, now, {
        cluster, windowMs: config.window * 1000, stepMs: Math.min(15_000, this.intervalMs), rateWindowSec: config.rateWindow,
        nominal: this.options.nominal ?? { bytesInPerSec: 2 ** 30, bytesOutPerSec: 2 ** 30 },
      });
      const quotas = await this.options.actuator.describe();
      const baselines = await audit.baselines(cluster);
      const memory = {
        previous: this.previous,
        lastChanged: await audit.lastChanges(cluster),
        baselines: new Map([...baselines].map(([k, v]) => [k, v.value])),
      };
      const plan = decide(readings, quotas, memory, config, {
        now, staleAfterMs: this.options.staleAfterMs ?? 3 * this.intervalMs, firingTrafficAlerts: this.options.firingTrafficAlerts?.() ?? [],
      });
      const rolledBack = await this.rollBackIfWorse(plan, now);
      await this.expirePending(now);
      const decisions: Decision[] = [];
      const toApply: { id: number; change: ClientQuotaAlteration; baseline: number | null | undefined }[] = [];
      for (const p of plan.proposals) {
        const auto = config.mode === 'auto' && p.guarded.apply;
        const status = !p.guarded.apply ? 'skipped' : auto ? 'applied' : 'pending';
        const evidence = {
          group: p.group, direction: p.direction, diagnosis: plan.diagnosis, pressured: plan.pressured, demand: p.demand, allocation: p.allocation, capacity: plan.capacity[p.direction], guardrails: p.guarded.reasons,
          models: Object.fromEntries([...plan.models].map(([b, m]) => [b, { kind: m.kind, intercept: m.intercept, coefficients: m.coefficients, r2: m.r2, residualStd: m.residualStd, samples: m.samples, reason: m.reason }])),
        };
        const id = await audit.record({
          ts: now, cluster, entity: p.entity, entityKey: p.entityKey, quotaKey: p.quotaKey, mode: config.mode, state: plan.diagnosis.state,
          oldValue: p.oldValue, proposed: p.proposed, newValue: p.newValue, status: status === 'applied' ? 'pending' : status,
          ...(auto ? { appliedBy: 'sluice (auto)' } : {}), reason: p.reason, evidence,
        });
        if (auto) toApply.push({ id, change: { entity: p.entity, key: p.quotaKey, value: p.newValue ?? null }, baseline: p.oldValue ?? null });
        else this.changes.inc({ cluster, status });
        if (status === 'pending') await this.supersede(p.entityKey, p.quotaKey, id, now);
      }
      if (toApply.length > 0) await this.push(toApply, now, 'sluice (auto)');
      for (const d of await audit.list({ cluster, from: now, to: now })) decisions.push(d);
      this.previous = plan.diagnosis;
      this.stateGauge.set({ cluster }, { headroom: 0, steady: 1, pressured: 2, overloaded: 3 }[plan.diagnosis.state]);
      this.last = { at: now, plan, decisions: decisions.reverse(), rolledBack };
      return this.last;
    } catch (err) {
      this.failures.inc({ cluster });
      this.options.logger?.error({ err, cluster }, 'throttle round failed');
      throw err;
    }
  }

  /** Pushes changes in one batch; records the baselines first, then the outcome of each. */
  private async push(items: readonly { id: number; change: ClientQuotaAlteration; baseline: number | null | undefined }[], now: number, by: string): Promise<boolean> {
    const { cluster, audit, actuator } = this.options;
    const remembered: ClientQuotaAlteration[] = [];
    for (const item of items) {
      if (await audit.rememberBaseline(cluster, item.change.entity, entityKey(item.change.entity), item.change.key, item.baseline ?? null, now)) remembered.push(item.change);
    }
    const outcome = await actuator.alter(items.map((i) => i.change));
    const ok = outcome.errors.length === 0;
    // Refused as a whole: nothing changed, so no baseline this push recorded stands either.
    if (!ok) for (const change of remembered) await audit.forgetBaseline(cluster, entityKey(change.entity), change.key);
    for (const item of items) {
      await audit.settle(item.id, ok ? 'applied' : 'failed', now, by, ok ? undefined : outcome.errors.join('; '));
      this.changes.inc({ cluster, status: ok ? 'applied' : 'failed' });
      if (ok && item.change.value === null) {
        await audit.forgetBaseline(cluster, entityKey(item.change.entity), item.change.key);
      }
    }
    if (!ok) this.options.logger?.warn({ cluster, errors: outcome.errors }, 'the cluster refused quota changes; nothing was applied');
    return ok;
  }

  /** Rolls back the last round's applied increases when this round is more severe than that one. */
  private async rollBackIfWorse(plan: RoundPlan, now: number): Promise<Decision[]> {
    const last = this.last;
    // Worse means over the target now and not before: headroom turning into steady is what an
    // increase is for.
    const observed = plan.diagnosis.observed;
    if (last === undefined || !moreSevere(observed, last.plan.diagnosis.observed) || (observed !== 'pressured' && observed !== 'overloaded')) return [];
    // Increases, removals of a quota (the largest increase) included.
    const raised = last.decisions.filter((d) => d.status === 'applied' && d.rollbackOf === undefined && d.oldValue !== undefined && (d.newValue === null || (d.newValue !== undefined && d.newValue > d.oldValue)));
    const done: Decision[] = [];
    for (const d of raised) {
      const { cluster, audit } = this.options;
      const id = await audit.record({
        ts: now, cluster, entity: d.entity, entityKey: d.entityKey, quotaKey: d.quotaKey, mode: this.options.config.mode, state: plan.diagnosis.state,
        oldValue: d.newValue ?? undefined, proposed: d.oldValue ?? null, newValue: d.oldValue, status: 'pending', appliedBy: 'sluice (rollback)', rollbackOf: d.id,
        reason: `rollback: the cluster went from ${last.plan.diagnosis.observed} to ${plan.diagnosis.observed} after this increase`, evidence: { diagnosis: plan.diagnosis, previous: last.plan.diagnosis },
      });
      if (await this.push([{ id, change: { entity: d.entity, key: d.quotaKey, value: d.oldValue ?? null }, baseline: undefined }], now, 'sluice (rollback)')) await audit.markRolledBack(d.id, id);
      const stored = await audit.get(id);
      if (stored) done.push(stored);
    }
    return done;
  }

  /**
   * A new recommendation for an entity's quota replaces the ones before it, which expire: the API
   * lists one current recommendation per entity, and applying an older one is refused.
   */
  private async supersede(entityKey: string, quotaKey: string, by: number, now: number): Promise<void> {
    const { cluster, audit } = this.options;
    for (const d of await audit.list({ cluster, entityKey, status: 'pending' })) {
      if (d.id !== by && d.quotaKey === quotaKey) await audit.settle(d.id, 'expired', now, undefined, `superseded by recommendation ${by}`);
    }
  }

  /** Pending recommendations older than two intervals expire: their evidence is old. */
  private async expirePending(now: number): Promise<void> {
    const { cluster, audit } = this.options;
    for (const d of await audit.list({ cluster, status: 'pending', to: now - 2 * this.intervalMs })) await audit.settle(d.id, 'expired', now);
  }

  /**
   * Applies a pending recommendation by id, as `by`. Refused (with the reason) when the id is
   * unknown, of another cluster, not pending (applied, skipped, failed or expired), or below its
   * group's floor.
   */
  async apply(id: number, by: string): Promise<{ ok: true; decision: Decision } | { ok: false; status: 404 | 409 | 422 | 502; error: string }> {
    const { cluster, audit, config } = this.options;
    const d = await audit.get(id);
    if (d === undefined || d.cluster !== cluster) return { ok: false, status: 404, error: `no recommendation ${id} for cluster ${cluster}` };
    const now = this.options.clock.now();
    if (d.status === 'pending' && now - d.ts > 2 * this.intervalMs) {
      await audit.settle(d.id, 'expired', now);
      return { ok: false, status: 409, error: `recommendation ${id} expired: it is ${Math.round((now - d.ts) / 1000)} s old (at most ${2 * config.interval} s)` };
    }
    if (d.status !== 'pending') return { ok: false, status: 409, error: `recommendation ${id} is ${d.status}, not pending` };
    const group = config.groups.find((g) => g.name === (d.evidence as { group?: string }).group);
    if (group !== undefined && typeof d.newValue === 'number' && d.newValue < group.floor) {
      return { ok: false, status: 422, error: `quota ${d.newValue} is under the ${group.name} floor ${group.floor}` };
    }
    const ok = await this.push([{ id: d.id, change: { entity: d.entity, key: d.quotaKey, value: d.newValue ?? null }, baseline: d.oldValue ?? null }], now, by);
    const after = (await audit.get(d.id))!;
    return ok ? { ok: true, decision: after } : { ok: false, status: 502, error: `the cluster refused the change: ${after.error ?? 'unknown error'}` };
  }
}
