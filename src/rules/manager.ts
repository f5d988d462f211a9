/**
 * The rules manager: loads rule files into groups, evaluates each group every interval on a
 * `Clock` (a tick that finds the previous evaluation still running is skipped and counted, never
 * queued), writes recording rule outputs and `ALERTS`/`ALERTS_FOR_STATE` through a `SampleSink`,
 * sends alerts through an `AlertSink` and keeps alert state in the database.
 *
 * Stored series need a `cluster` label. A rule output keeps the `cluster` of its input series;
 * one without (e.g. `sum(x)` over every cluster, or a scalar) gets `externalLabels.cluster` when
 * that is configured, and is otherwise not stored and counted in
 * `sluice_rule_samples_skipped_total` (queries of later rules then do not see it either).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { wallClock, type Clock, type ClockTimer } from '../clock.ts';
import { silentLogger, type Logger } from '../telemetry/logger.ts';
import type { Queryable, Querier, Sample, SampleSink } from '../store/types.ts';
import { dueForSending, restoreActiveAt, type RuleOutput } from './alert-state.ts';
import { DEFAULT_OUTAGE_TOLERANCE_MS, loadGroupAlerts, saveGroupAlerts, type StoredAlert } from './alert-store.ts';
import { loadRuleFiles, type LoadedRuleFile } from './file.ts';
import { RuleGroup } from './group.ts';
import { Engine } from './promql/index.ts';
import { toOutgoing, type ActiveAlert, type RuleGroupStatus, groupStatus, activeAlerts } from './status.ts';
import type { AlertSink, OutgoingAlert } from './types.ts';
import { traced } from '../telemetry/tracing.ts';

/** What the manager needs. */
export interface RuleManagerOptions {
  /** Where rules read series (the head). */
  readonly querier: Querier;
  /** Where rule outputs go; written before the next rule of the group runs. */
  readonly sink: SampleSink;
  readonly alertSink?: AlertSink;
  /** Where alert state is kept across restarts; none: in memory only. */
  readonly db?: Queryable;
  readonly clock?: Clock;
  /** Registry for the `sluice_rule_*` and `sluice_alerts` metrics; default a private one. */
  readonly registry?: Registry;
  readonly logger?: Logger;
  /** Interval of groups that set none; default 30 s. */
  readonly defaultIntervalMs?: number;
  readonly externalLabels?: Readonly<Record<string, string>>;
  /** Base of alerts' generatorURL. */
  /** Sluice's URL as alerts link to it; a function when it is known only once the API listens (port 0). */
  readonly externalURL?: string | (() => string);
  /** How often firing alerts are re-sent; default 1 min. */
  readonly resendDelayMs?: number;
  /** Stored state older than this is not restored; default 1 h. */
  readonly outageToleranceMs?: number;
  /**
   * Least time a restored pending alert waits before firing; default 0, so that a short `for`
   * keeps its progress across a restart (Prometheus's `--rules.alert.for-grace-period` is 10 min).
   */
  readonly forGracePeriodMs?: number;
  readonly engine?: Engine;
}

/** Default evaluation interval: 30 s. */
export const DEFAULT_EVALUATION_INTERVAL_MS = 30_000;
/** Default resend delay of firing alerts: 1 min, as Prometheus's `--rules.alert.resend-delay`. */
export const DEFAULT_RESEND_DELAY_MS = 60_000;

interface Slot {
  group: RuleGroup;
  timer: ClockTimer | null;
  running: Promise<void> | null;
  /** Whether the database holds no alert of the group: saving nothing again is then skipped. */
  savedEmpty: boolean;
}

/** Rule groups on a schedule. */
export class RuleManager {
  private readonly slots = new Map<string, Slot>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly engine: Engine;
  private readonly metrics;
  private started = false;
  /** Groups not yet evaluated since `start`; once none is left, the alert sink hears it (`settled`). */
  private unsettled: Set<string> | undefined;
  /** Rule outputs' labels without `__name__`, by output label object (outputs repeat their objects round to round). */
  private readonly withoutName = new WeakMap<Readonly<Record<string, string>>, Record<string, string>>();

  constructor(private readonly options: RuleManagerOptions) {
    this.clock = options.clock ?? wallClock;
    this.logger = options.logger ?? silentLogger();
    this.engine = options.engine ?? new Engine();
    const registers = [options.registry ?? new Registry()];
    const labelNames = ['rule_group'] as const;
    this.metrics = {
      evaluations: new Counter({ name: 'sluice_rule_evaluations_total', help: 'Rule evaluations', labelNames, registers }),
      failures: new Counter({ name: 'sluice_rule_evaluation_failures_total', help: 'Rule evaluations that failed', labelNames, registers }),
      duration: new Histogram({ name: 'sluice_rule_group_duration_seconds', help: 'Duration of rule group evaluations', labelNames, registers, buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] }),
      missed: new Counter({ name: 'sluice_rule_group_iterations_missed_total', help: 'Group evaluations skipped because the previous one was still running or their time had passed', labelNames, registers }),
      skipped: new Counter({ name: 'sluice_rule_samples_skipped_total', help: 'Rule outputs not stored because they have no cluster label and no external cluster label is configured', registers }),
      stateErrors: new Counter({ name: 'sluice_rule_state_errors_total', help: 'Alert state that could not be saved to or restored from the database', registers }),
      sendErrors: new Counter({ name: 'sluice_rule_alert_send_errors_total', help: 'Alert batches the alert sink refused', registers }),
    };
    const slots = this.slots;
    new Gauge({
      name: 'sluice_alerts',
      help: 'Alerts by state',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = { pending: 0, firing: 0, inactive: 0 };
        for (const { group } of slots.values()) for (const m of group.alerts) for (const a of m.values()) counts[a.state]++;
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
  }

  /**
   * Loads `files` and replaces the groups of each file that loads without problems (alert state
   * carried over rule by rule); a file with problems keeps the groups it had and reports them.
   * Groups of files no longer listed are removed. Groups new to this process get their stored
   * alert state back.
   */
  async reload(files: readonly string[]): Promise<readonly LoadedRuleFile[]> {
    return this.apply(await loadRuleFiles(files));
  }

  /** As `reload`, with files already read and checked (e.g. by `loadConfiguredRuleFiles`). */
  async apply(loaded: readonly LoadedRuleFile[]): Promise<readonly LoadedRuleFile[]> {
    const keep = new Set<string>();
    const fresh: RuleGroup[] = [];
    for (const file of loaded) {
      if (file.problems.length > 0) {
        for (const [key, slot] of this.slots) if (slot.group.spec.file === file.file) keep.add(key);
        this.logger.error({ file: file.file, problems: file.problems.length }, 'rule file has problems; its previous groups keep running');
        continue;
      }
      for (const spec of file.groups) {
        const url = () => this.externalURL();
        const group = new RuleGroup(spec, spec.intervalMs ?? this.options.defaultIntervalMs ?? DEFAULT_EVALUATION_INTERVAL_MS, {
          externalLabels: this.options.externalLabels ?? {},
          get externalURL() {
            return url();
          },
        });
        const old = this.slots.get(group.key);
        // An evaluation in flight finishes first, so that its alert state is what carries over.
        old?.timer?.cancel();
        if (old?.running) await old.running;
        if (old !== undefined) group.copyStateFrom(old.group);
        else await this.restore(group);
        keep.add(group.key);
        fresh.push(group);
      }
    }
    for (const [key, slot] of this.slots) {
      if (keep.has(key)) continue;
      slot.timer?.cancel();
      this.slots.delete(key);
    }
    for (const group of fresh) {
      const old = this.slots.get(group.key);
      old?.timer?.cancel();
      const slot: Slot = { group, timer: null, running: null, savedEmpty: false };
      this.slots.set(group.key, slot);
      // A replaced group keeps its rhythm: its next evaluation is one interval after its last.
      const last = group.lastEvaluation;
      if (this.started) this.schedule(slot, last === undefined ? this.clock.now() : Math.max(this.clock.now(), last + group.intervalMs));
    }
    return loaded;
  }

  /** Starts every group's timer (first evaluation at once); returns at once. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.unsettled = new Set(this.slots.keys());
    this.settle(undefined);
    const now = this.clock.now();
    for (const slot of this.slots.values()) this.schedule(slot, now);
  }

  /** Stops the timers and waits for running evaluations. */
  /** Sluice's URL as alerts link to it, now. */
  private externalURL(): string {
    const url = this.options.externalURL;
    return typeof url === 'function' ? url() : (url ?? '');
  }

  async stop(): Promise<void> {
    this.started = false;
    for (const slot of this.slots.values()) slot.timer?.cancel();
    await this.idle();
  }

  /** Resolves once no evaluation is running. */
  async idle(): Promise<void> {
    for (;;) {
      const running = [...this.slots.values()].map((s) => s.running).filter((r) => r !== null);
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  /** Evaluates every group once at `ts` (default now), in load order; for tests and replay. */
  async evaluateAll(ts = this.clock.now()): Promise<void> {
    for (const slot of this.slots.values()) await this.run(slot, ts);
  }

  /** Groups and rules with their health, for the API. */
  groups(): RuleGroupStatus[] {
    return [...this.slots.values()].map((s) => groupStatus(s.group));
  }

  /** Pending, firing and (for 15 min) resolved alerts, for the API. */
  alerts(): ActiveAlert[] {
    return [...this.slots.values()].flatMap((s) => activeAlerts(s.group));
  }

  /**
   * Evaluates the group at `at` (ms on the clock), then every interval after it. Each evaluation
   * is stamped with its scheduled time, not the moment its timer fired, as Prometheus stamps
   * them: a timer a few ms late moves no alert's `for` by an evaluation, so the live service and
   * replay (whose virtual timers are never late) evaluate the same. Scheduled times a whole
   * interval or more in the past when the timer fires (the event loop was held up) are skipped,
   * counted as missed, and the group evaluates at the latest one.
   */
  private schedule(slot: Slot, at: number): void {
    slot.timer = this.clock.setTimeout(() => {
      if (!this.started || this.slots.get(slot.group.key) !== slot) return;
      const interval = slot.group.intervalMs;
      const late = Math.max(0, Math.floor((this.clock.now() - at) / interval));
      if (late > 0) this.metrics.missed.inc({ rule_group: slot.group.key }, late);
      const ts = at + late * interval;
      this.schedule(slot, ts + interval);
      if (slot.running !== null) {
        this.metrics.missed.inc({ rule_group: slot.group.key });
        this.logger.warn({ group: slot.group.key }, 'rule group evaluation skipped: the previous one is still running');
        return;
      }
      void this.run(slot, ts);
    }, at - this.clock.now());
  }

  private run(slot: Slot, ts: number): Promise<void> {
    const run = this.evaluate(slot, ts).finally(() => {
      if (slot.running === run) slot.running = null;
    });
    slot.running = run;
    return run;
  }

  /** One evaluation of a group, traced as a span. */
  private evaluate(slot: Slot, ts: number): Promise<void> {
    const group = slot.group;
    return traced('sluice.rules.evaluate', { 'sluice.rule_group': group.key, 'sluice.rules': group.spec.rules.length }, async (span) => {
      await this.evaluateGroup(slot, ts);
      span.setAttributes({ 'sluice.rule_failures': group.status.filter((s) => s.health === 'err').length });
    });
  }

  private async evaluateGroup(slot: Slot, ts: number): Promise<void> {
    const group = slot.group;
    const labels = { rule_group: group.key };
    const started = performance.now();
    const { failures } = await group.evaluate(ts, { engine: this.engine, querier: this.options.querier, write: (outputs, at) => this.write(outputs, at) });
    this.metrics.evaluations.inc(labels, group.spec.rules.length);
    if (failures > 0) this.metrics.failures.inc(labels, failures);
    const outgoing: OutgoingAlert[] = [];
    const resend = this.options.resendDelayMs ?? DEFAULT_RESEND_DELAY_MS;
    group.spec.rules.forEach((rule, i) => {
      if (rule.kind !== 'alerting') return;
      const { alerts, due } = dueForSending(group.alerts[i]!, ts, resend, group.intervalMs);
      group.alerts[i] = alerts;
      for (const a of due) outgoing.push(toOutgoing(a, rule.exprText, this.externalURL()));
    });
    if (outgoing.length > 0 && this.options.alertSink !== undefined) {
      try {
        await this.options.alertSink.send(outgoing);
      } catch (err) {
        this.metrics.sendErrors.inc();
        this.logger.error({ err, group: group.key, alerts: outgoing.length }, 'alerts could not be sent');
      }
    }
    await this.save(slot, ts);
    this.settle(group.key);
    this.metrics.duration.observe(labels, (performance.now() - started) / 1000);
  }

  /** Notes that group `key` was evaluated; tells the alert sink once every group has been since start. */
  private settle(key: string | undefined): void {
    if (this.unsettled === undefined) return;
    if (key !== undefined) this.unsettled.delete(key);
    for (const k of this.unsettled) if (!this.slots.has(k)) this.unsettled.delete(k);
    if (this.unsettled.size > 0) return;
    this.unsettled = undefined;
    this.options.alertSink?.settled?.();
  }

  private async write(outputs: readonly RuleOutput[], ts: number): Promise<void> {
    const cluster = this.options.externalLabels?.cluster;
    const batch: Sample[] = [];
    let skipped = 0;
    for (const o of outputs) {
      const metric = o.labels.__name__;
      let labels = this.withoutName.get(o.labels);
      if (labels === undefined) {
        labels = {};
        for (const name in o.labels) if (name !== '__name__') labels[name] = o.labels[name]!;
        this.withoutName.set(o.labels, labels);
      }
      if (labels.cluster === undefined || labels.cluster === '') {
        if (cluster === undefined) {
          skipped++;
          continue;
        }
        labels.cluster = cluster;
      }
      batch.push({ metric: metric!, labels, ts, value: o.value });
    }
    if (skipped > 0) this.metrics.skipped.inc(skipped);
    if (batch.length > 0) await this.options.sink.write(batch);
  }

  private async save(slot: Slot, ts: number): Promise<void> {
    const group = slot.group;
    if (this.options.db === undefined) return;
    const stored: StoredAlert[] = [];
    group.spec.rules.forEach((rule, i) => {
      for (const [fingerprint, alert] of group.alerts[i]!) stored.push({ rule: rule.name, fingerprint, alert });
    });
    if (stored.length === 0 && slot.savedEmpty) return;
    try {
      await saveGroupAlerts(this.options.db, group.key, stored, ts);
      slot.savedEmpty = stored.length === 0;
    } catch (err) {
      this.metrics.stateErrors.inc();
      this.logger.error({ err, group: group.key }, 'alert state could not be saved');
    }
  }

  /** Gives a group its stored alerts: each row to the first rule of its name whose labels it carries. */
  private async restore(group: RuleGroup): Promise<void> {
    if (this.options.db === undefined) return;
    let rows: StoredAlert[];
    try {
      rows = await loadGroupAlerts(this.options.db, group.key, this.clock.now() - (this.options.outageToleranceMs ?? DEFAULT_OUTAGE_TOLERANCE_MS));
    } catch (err) {
      this.metrics.stateErrors.inc();
      this.logger.error({ err, group: group.key }, 'alert state could not be restored');
      return;
    }
    const now = this.clock.now();
    for (const row of rows) {
      const index = group.spec.rules.findIndex((r) => r.kind === 'alerting' && r.name === row.rule && Object.keys(r.labels).every((k) => k in row.alert.labels));
      const rule = group.spec.rules[index];
      if (rule?.kind !== 'alerting') continue;
      const activeAt = restoreActiveAt(row.alert, {
        forMs: rule.forMs,
        downAt: row.updatedAt ?? now,
        now,
        intervalMs: group.intervalMs,
        gracePeriodMs: this.options.forGracePeriodMs ?? 0,
      });
      group.alerts[index]!.set(row.fingerprint, { ...row.alert, activeAt });
    }
    if (rows.length > 0) this.logger.info({ group: group.key, alerts: rows.length }, 'restored alert state');
  }
}
