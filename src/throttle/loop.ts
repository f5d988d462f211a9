/**
 * The throttle loop of one cluster: every `interval`, read the signals (through the PromQL
 * engine over a Querier) and the loop's memory (the decision log), plan the round (plan.ts, pure:
 * decisions, rollbacks of increases that made things worse, expiries, supersedes), commit the
 * plan through the decision log in one piece, then push what is to be applied through the
 * QuotaActuator (`auto` mode, rollbacks) and record what the cluster did.
 *
 * In `recommend` mode each entity's quota has at most one pending recommendation, the latest.
 *
 * Contract: `start` returns at once; a round never overlaps the previous one; a failed round is
 * logged and counted, and the next one runs as usual; nothing is half-applied (the actuator
 * validates a batch before applying it, and the log says what happened either way).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Clock, ClockTimer } from '../clock.ts';
import { SluiceError } from '../errors.ts';
import type { Engine } from '../rules/promql/index.ts';
import type { Querier } from '../store/types.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { QuotaActuator, QuotaWindowReading } from './actuator.ts';
import type { ThrottleConfig } from './config.ts';
import type { RoundPlan } from './decide.ts';
import type { Decision, DecisionLog } from './decision-log.ts';
import type { Diagnosis } from './diagnose.ts';
import { applyPush, checkApply, planRound, pushRecord, type PlannedPush } from './plan.ts';
import { explainRound, floorWarnings, quotaWindowWarning } from './explain.ts';
import { readSignals } from './signals.ts';
import { KAFKA_QUOTA_WINDOW_MS } from './demand.ts';
import { traced } from '../telemetry/tracing.ts';

/** How long the brokers' quota window, once read, is taken as known, ms (brokers may restart with another). */
const QUOTA_WINDOW_REREAD_MS = 10 * 60_000;

/** Pending recommendations read a round: every one (each quota has at most one, expiring in two intervals). */
const ALL_PENDING = 1_000_000;

/** What a loop needs. */
export interface ThrottleLoopOptions {
  readonly cluster: string;
  readonly config: ThrottleConfig;
  readonly engine: Engine;
  readonly source: Querier;
  readonly actuator: QuotaActuator;
  readonly audit: DecisionLog;
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
  /** What the round changed, or why it changed nothing (see explain.ts). */
  readonly explanation: string;
}

/** One cluster's loop. */
export class ThrottleLoop {
  private previous: Diagnosis | undefined;
  private last: RoundOutcome | undefined;
  /** Whether the groups' floors were checked against the brokers' capacity (on the first round that read brokers). */
  private floorsChecked = false;
  /** The brokers' quota window as last read, and when (undefined: not yet, or it could not be read). */
  private quotaWindow: { reading: QuotaWindowReading; at: number } | undefined;
  private quotaWindowFailed = false;
  private timer: ClockTimer | null = null;
  private running: Promise<RoundOutcome | undefined> | null = null;
  private stopped = true;
  private readonly rounds: Counter;
  private readonly failures: Counter;
  private readonly changes: Counter;
  private readonly stateGauge: Gauge;
  private readonly modelError: Gauge;

  constructor(private readonly options: ThrottleLoopOptions) {
    const registers = options.registry ? [options.registry] : [];
    const existing = <T>(name: string) => options.registry?.getSingleMetric(name) as T | undefined;
    this.rounds = existing<Counter>('sluice_throttle_rounds_total') ?? new Counter({ name: 'sluice_throttle_rounds_total', help: 'Throttle loop rounds', labelNames: ['cluster'], registers });
    this.failures = existing<Counter>('sluice_throttle_round_failures_total') ?? new Counter({ name: 'sluice_throttle_round_failures_total', help: 'Throttle loop rounds that failed', labelNames: ['cluster'], registers });
    this.changes = existing<Counter>('sluice_throttle_decisions_total') ?? new Counter({ name: 'sluice_throttle_decisions_total', help: 'Quota decisions by outcome', labelNames: ['cluster', 'status'], registers });
    this.stateGauge = existing<Gauge>('sluice_throttle_state') ?? new Gauge({ name: 'sluice_throttle_state', help: 'Diagnosed cluster state: 0 headroom, 1 steady, 2 pressured, 3 overloaded', labelNames: ['cluster'], registers });
    this.modelError = existing<Gauge>('sluice_throttle_model_error') ?? new Gauge({
      name: 'sluice_throttle_model_error', labelNames: ['cluster', 'broker'], registers,
      help: "One-round-ahead error of each broker's load model: |utilization observed − utilization the last round's model predicts from the traffic now| (0..1)",
    });
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
      const quotaWindowMs = await this.quotaWindowMs(now);
      const readings = await readSignals(this.options.engine, this.options.source, now, {
        cluster, windowMs: config.window * 1000, stepMs: Math.min(15_000, this.intervalMs), rateWindowSec: config.rateWindow, quotaWindowMs,
        nominal: this.options.nominal ?? { bytesInPerSec: 2 ** 30, bytesOutPerSec: 2 ** 30 },
      });
      const quotas = await this.options.actuator.describe();
      const baselines = await audit.baselines(cluster);
      const lastChanged = await audit.lastChanges(cluster);
      const episodeChanges = await audit.episodeChanges(cluster);
      const episodeDemand = await audit.episodeDemand(cluster);
      const firingTrafficAlerts = this.options.firingTrafficAlerts?.() ?? [];
      const pending = await audit.list({ cluster, status: 'pending', limit: ALL_PENDING });
      const last = this.last;
      const planned = planRound(readings, quotas, {
        previous: this.previous, lastChanged, baselines: new Map([...baselines].map(([k, v]) => [k, v.value])), episodeChanges, episodeDemand,
        ...(last === undefined ? {} : { models: last.plan.models, modelErrors: last.plan.modelErrors }),
        lastRound: last === undefined ? undefined : { diagnosis: last.plan.diagnosis, decisions: last.decisions }, pending,
      }, config, { cluster, now, staleAfterMs: this.options.staleAfterMs ?? 3 * this.intervalMs, firingTrafficAlerts, quotaWindowMs });

      const receipt = await audit.commit(planned.commit);
      const pushed = new Set(planned.pushes.flatMap((p) => p.records));
      planned.commit.records.forEach((r, i) => { if (!pushed.has(i)) this.changes.inc({ cluster, status: r.status }); });
      let freed = new Set<string>();
      let claimed = 0;
      for (const push of planned.pushes) {
        const remembered = receipt.remembered.slice(claimed, claimed += push.baselines.length);
        freed = await this.push(push, push.records.map((i) => receipt.ids[i]!), remembered, freed, now);
      }

      const decisions = (await audit.list({ cluster, from: now, to: now })).reverse();
      const rolledBack: Decision[] = [];
      for (const p of planned.pushes) {
        if (p.rollbackOf === undefined) continue;
        const id = receipt.ids[p.records[0]!]!;
        const stored = decisions.find((d) => d.id === id) ?? await audit.get(id);
        if (stored) rolledBack.push(stored);
      }
      this.previous = planned.analysis.diagnosis;
      this.stateGauge.set({ cluster }, { headroom: 0, steady: 1, pressured: 2, overloaded: 3 }[planned.analysis.diagnosis.state]);
      for (const c of planned.analysis.modelCheck) this.modelError.set({ cluster, broker: c.broker }, c.error);
      const explanation = explainRound(planned.analysis, config);
      await audit.recordRound({ cluster, at: now, state: planned.analysis.diagnosis.state, explanation });
      // Logged when it changes: a loop holding still says so once, not every round.
      if (explanation !== this.last?.explanation) this.options.logger?.info({ cluster, state: planned.analysis.diagnosis.state }, `throttle round: ${explanation}`);
      if (!this.floorsChecked && readings.brokers.length > 0) {
        this.floorsChecked = true;
        const capacity = {
          bytesInPerSec: Math.min(...readings.brokers.map((b) => b.capacityIn)),
          bytesOutPerSec: Math.min(...readings.brokers.map((b) => b.capacityOut)),
        };
        for (const warning of floorWarnings(config, capacity)) this.options.logger?.warn({ cluster }, warning);
      }
      this.last = { at: now, plan: planned.analysis, decisions, rolledBack, explanation };
      return this.last;
    } catch (err) {
      this.failures.inc({ cluster });
      this.options.logger?.error({ err, cluster }, 'throttle round failed');
      throw err;
    }
  }

  /**
   * The brokers' client quota window, ms: read from them on the first round and every
   * `QUOTA_WINDOW_REREAD_MS` after; while they cannot say, the last one read, or Kafka's default.
   * Never fails the round.
   */
  private async quotaWindowMs(now: number): Promise<number> {
    const known = this.quotaWindow;
    if (this.options.actuator.quotaWindow !== undefined && (known === undefined || now - known.at >= QUOTA_WINDOW_REREAD_MS)) {
      const { cluster } = this.options;
      try {
        const reading = await this.options.actuator.quotaWindow();
        if (known === undefined || reading.ms !== known.reading.ms) {
          this.options.logger?.info({ cluster }, `throttle: the brokers' client quota window is ${reading.ms / 1000} s (${reading.source})`);
          const warning = quotaWindowWarning(this.options.config.rateWindow, reading.ms);
          if (warning !== undefined) this.options.logger?.warn({ cluster }, warning);
        }
        this.quotaWindow = { reading, at: now };
        this.quotaWindowFailed = false;
      } catch (err) {
        if (!this.quotaWindowFailed) this.options.logger?.warn({ cluster, err }, `throttle: could not read the brokers' client quota window; taking it as ${(known?.reading.ms ?? KAFKA_QUOTA_WINDOW_MS) / 1000} s until they answer`);
        this.quotaWindowFailed = true;
      }
    }
    return this.quotaWindow?.reading.ms ?? KAFKA_QUOTA_WINDOW_MS;
  }

  /** Pushes one planned push (its decisions and baselines already committed) and records what the cluster did. */
  private async push(push: PlannedPush, ids: readonly number[], remembered: readonly boolean[], freed: ReadonlySet<string>, now: number): Promise<Set<string>> {
    const { cluster, audit, actuator } = this.options;
    const outcome = await actuator.alter(push.changes);
    const settled = pushRecord(push, ids, remembered, outcome.errors, freed, now);
    await audit.recordPush(settled.record);
    for (const _ of ids) this.changes.inc({ cluster, status: settled.record.error === undefined ? 'applied' : 'failed' });
    if (settled.record.error !== undefined) this.options.logger?.warn({ cluster, errors: outcome.errors }, 'the cluster refused quota changes; nothing was applied');
    return settled.freed;
  }

  /**
   * Applies a pending recommendation by id, as `by`, and returns it applied. Refused with a
   * SluiceError (SLUICE_ERR_THROTTLE_*) when the id is unknown or of another cluster, not pending
   * (applied, skipped, failed or expired), too old (it then expires), below its group's floor, or
   * when the cluster refuses the change (it is then recorded as failed).
   */
  async apply(id: number, by: string): Promise<Decision> {
    const { cluster, audit, config } = this.options;
    const d = await audit.get(id);
    const now = this.options.clock.now();
    const refused = checkApply(d, id, cluster, now, config);
    if (refused !== undefined) {
      if (refused.expire) await audit.commit({ at: now, records: [], expiries: [{ id }], supersedes: [], baselines: [] });
      throw refused.error;
    }
    const push = applyPush(d!, by);
    const receipt = await audit.commit({ at: now, records: [], expiries: [], supersedes: [], baselines: push.baselines });
    await this.push(push, [id], receipt.remembered, new Set(), now);
    const after = (await audit.get(id))!;
    if (after.status !== 'applied') throw new SluiceError('SLUICE_ERR_THROTTLE_REFUSED', `the cluster refused the change: ${after.error ?? 'unknown error'}`, { path: 'body.id' });
    return after;
  }
}
