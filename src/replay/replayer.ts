/**
 * Replay: a fixture through the live code on a virtual clock. The fixture's samples enter the
 * store's head as the clock reaches them (feed.ts); the `RuleManager` evaluates every group on
 * its own interval exactly as the service does; its alerts go to the notifier's `Dispatcher`
 * (routing, grouping, inhibition, repeat and resolve timing) whose deliveries are listed instead
 * of written to the outbox; and each cluster's `ThrottleLoop` runs its rounds (signals,
 * diagnosis, load models, allocation, guardrails) against a `DryRunActuator` with the audit trail
 * in memory. Nothing here decides anything about rules or quotas: it only moves the clock and
 * writes down what the live parts did.
 */
import { Registry } from 'prom-client';
import { buildApp } from '../app.ts';
import { VirtualClock } from '../clock.ts';
import { parseCollectConfig, type ClusterConfig } from '../collect/config.ts';
import { SluiceError } from '../errors.ts';
import type { Delivery } from '../notify/dispatcher.ts';
import { MemoryNotifier } from '../notify/memory-notifier.ts';
import { parseNotifyConfig, type NotifyConfig } from '../notify/config.ts';
import { loadRuleFiles, ruleFilesError, ruleCount } from '../rules/file.ts';
import { DEFAULT_EVALUATION_INTERVAL_MS } from '../rules/manager.ts';
import { DryRunActuator } from '../throttle/actuator.ts';
import type { Decision } from '../throttle/audit.ts';
import { throttleConfigSchema, type ThrottleConfig } from '../throttle/config.ts';
import type { RoundOutcome } from '../throttle/loop.ts';
import { MemoryDecisionLog } from '../throttle/memory-log.ts';
import { FixtureFeed } from './feed.ts';
import type { Fixture } from './format.ts';
import { isRuleOutput } from './record.ts';
import type { AlertEvent, DecisionEvent, DiagnosisEvent, NotificationEvent, RuleErrorEvent, Timeline } from './timeline.ts';

/**
 * The notification setup replay uses when none is given: Alertmanager's default timings, alerts
 * grouped by name and cluster, and the inhibition sluice.example.yaml suggests (a broker that is
 * down explains its under-replicated partitions). The receiver is never contacted.
 */
export const DEFAULT_REPLAY_NOTIFY: NotifyConfig = parseNotifyConfig({
  route: { receiver: 'kafka-platform', group_by: ['alertname', 'cluster'] },
  receivers: [{ name: 'kafka-platform', webhook_configs: [{ url: 'http://replay.invalid/', send_resolved: true }] }],
  inhibit_rules: [{ source_matchers: ['alertname="KafkaBrokerDown"'], target_matchers: ['alertname="KafkaUnderReplicatedPartitions"'], equal: ['cluster'] }],
});

/** The throttle policy replay uses when none is given: the defaults, in auto mode against the dry-run actuator. */
export const DEFAULT_REPLAY_THROTTLE: ThrottleConfig = throttleConfigSchema.parse({ mode: 'auto' });

/** What to replay with. */
export interface ReplayOptions {
  /** Rule files (directories already expanded), as the service takes them. */
  readonly ruleFiles: readonly string[];
  /** Default: DEFAULT_REPLAY_THROTTLE; mode `off` runs no loop. */
  readonly throttle?: ThrottleConfig;
  /** Default: DEFAULT_REPLAY_NOTIFY. */
  readonly notify?: NotifyConfig;
  /** Part of the fixture to replay (ms); default all of it. Samples before `from` still warm the head. */
  readonly from?: number;
  readonly to?: number;
  /** The live rules engine's first evaluation (its grid); default the fixture's `rulesStart`. */
  readonly rulesStart?: number;
  /** Interval of groups that set none; default 30 s, as the service. */
  readonly defaultIntervalMs?: number;
  readonly headWindowMs?: number;
  /** Called as the clock moves: virtual ms done and in all. */
  readonly onProgress?: (doneMs: number, totalMs: number) => void;
}

function sortedLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels).sort()) out[k] = labels[k]!;
  return out;
}

function labelsKey(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels).sort().map((k) => `${k}\u0000${labels[k]}`).join('\u0001');
}

/** The decision as the timeline shows it. */
function decisionEvent(d: Decision): DecisionEvent {
  const evidence = d.evidence as { direction?: 'produce' | 'consume'; guardrails?: string[] };
  const direction = evidence.direction ?? (d.quotaKey === 'consumer_byte_rate' ? 'consume' : 'produce');
  const change = d.proposed === null ? 'restore' : d.oldValue === undefined || d.proposed < d.oldValue ? 'lower' : 'raise';
  return {
    at: d.ts, cluster: d.cluster, entity: d.entityKey, direction, quotaKey: d.quotaKey, change,
    oldValue: d.oldValue ?? null, proposed: d.proposed, newValue: d.newValue ?? null, status: d.status, state: d.state, reason: d.reason,
    guardrails: evidence.guardrails ?? [],
  };
}

/** Runs `fixture` through the rules, the notifier's dispatcher and the throttle loop; returns the timeline. */
export async function replayFixture(fixture: Fixture, options: ReplayOptions): Promise<Timeline> {
  const meta = fixture.meta;
  const from = Math.max(meta.from, options.from ?? meta.from);
  const to = Math.min(meta.to, options.to ?? meta.to);
  if (to < from) throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', `--from/--to: the window ${new Date(from).toISOString()} .. ${new Date(to).toISOString()} is empty or outside the fixture`);
  const loaded = await loadRuleFiles(options.ruleFiles);
  const problems = ruleFilesError(loaded);
  if (problems !== undefined) throw problems;
  const defaultIntervalMs = options.defaultIntervalMs ?? DEFAULT_EVALUATION_INTERVAL_MS;
  const throttle = options.throttle ?? DEFAULT_REPLAY_THROTTLE;

  const clock = new VirtualClock(from);
  // What the rules engine wrote when the fixture was recorded is computed again, not read back.
  const feed = new FixtureFeed(fixture.series.filter((s) => !isRuleOutput(s.metric)), options.headWindowMs === undefined ? {} : { headWindowMs: options.headWindowMs });
  const registry = new Registry();
  const decisions = new MemoryDecisionLog();
  const notifications: NotificationEvent[] = [];
  const record = (deliveries: readonly Delivery[]): void => {
    for (const d of deliveries) {
      notifications.push({
        at: clock.now(), receiver: d.receiver, integration: d.integration, groupKey: d.groupKey, status: d.notification.status,
        alerts: d.notification.alerts.map((a) => ({ status: a.status, labels: sortedLabels(a.labels) })),
      });
    }
  };
  // Every group starts together and then keeps its own interval: a start on the least common
  // multiple of the intervals keeps each group on its live grid, so replay evaluates when the
  // live service did.
  const intervals = loaded.flatMap((f) => f.groups.map((g) => Math.round(g.intervalMs ?? defaultIntervalMs)));
  const gridMs = intervals.reduce(lcm, 1);
  const phase = options.rulesStart ?? meta.rulesStart ?? from;
  const rulesAt = phase + Math.max(0, Math.ceil((from - phase) / gridMs)) * gridMs;

  const app = buildApp(
    {
      store: {},
      clusters: [replayCluster(meta.cluster)],
      rules: { files: [...options.ruleFiles], interval: defaultIntervalMs / 1000, externalLabels: {} },
      notify: options.notify ?? DEFAULT_REPLAY_NOTIFY,
      throttle,
    },
    {
      clock, registry, ruleFiles: loaded, rulesStartAt: rulesAt, decisions,
      samples: { querier: feed.head, sink: feed.sink() },
      notifier: (config) => new MemoryNotifier({ config, clock, deliver: record }),
      actuator: () => new DryRunActuator(),
    },
  );
  // Everything up to the start is already stored when the service would start.
  feed.upTo(from);
  await app.start();
  const rules = app.rules!;
  const notifier = app.notifier!;
  const loop = app.throttle.get(meta.cluster);

  const alerts: AlertEvent[] = [];
  const seen = new Set<string>();
  const errors = new Map<string, RuleErrorEvent>();
  const outcomes: RoundOutcome[] = [];
  let evaluations = 0;
  const lastEvaluated = new Map<string, string>();
  const observe = (): void => {
    for (const a of rules.alerts()) {
      const alertname = a.labels.alertname ?? '';
      const identity = `${labelsKey(a.labels)}\u0002${a.activeAt}`;
      const mark = (state: AlertEvent['state'], at: string | undefined): void => {
        if (at === undefined || seen.has(`${identity}\u0002${state}`)) return;
        seen.add(`${identity}\u0002${state}`);
        alerts.push({ at: Date.parse(at), state, alertname, labels: sortedLabels(a.labels), value: a.value });
      };
      if (a.state === 'pending') mark('pending', a.activeAt);
      mark('firing', a.firedAt);
      if (a.state === 'resolved') mark('resolved', a.resolvedAt);
    }
    for (const g of rules.groups()) {
      const key = `${g.file};${g.name}`;
      if (g.lastEvaluation === undefined || lastEvaluated.get(key) === g.lastEvaluation) continue;
      lastEvaluated.set(key, g.lastEvaluation);
      evaluations++;
      for (const r of g.rules) {
        if (r.health !== 'err' || r.lastEvaluation !== g.lastEvaluation) continue;
        const at = Date.parse(r.lastEvaluation);
        const k = `${key}\u0000${r.name}\u0000${r.lastError}`;
        const e = errors.get(k);
        errors.set(k, e === undefined ? { group: key, rule: r.name, error: r.lastError ?? '', firstAt: at, lastAt: at, count: 1 } : { ...e, lastAt: at, count: e.count + 1 });
      }
    }
  };

  const ruleStepMs = intervals.reduce(gcd);
  let lastEvict = from;
  try {
    for (;;) {
      const next = clock.nextAt();
      if (next === undefined || next > to) break;
      feed.upTo(next);
      clock.advanceTo(next);
      await rules.idle();
      if (loop !== undefined) {
        await loop.idle();
        const round = loop.lastRound;
        if (round !== undefined && round !== outcomes.at(-1)) outcomes.push(round);
      }
      await notifier.idle();
      // Alerts and rule status change only when rules evaluate: on their grid.
      if (next >= rulesAt && (next - rulesAt) % ruleStepMs === 0) observe();
      if (next - lastEvict >= 600_000) {
        feed.head.evict(next);
        lastEvict = next;
      }
      options.onProgress?.(next - from, to - from);
    }
  } finally {
    await app.stop();
  }
  options.onProgress?.(to - from, to - from);

  const diagnoses: DiagnosisEvent[] = [];
  let lastState: string | undefined;
  for (const o of outcomes) {
    const d = o.plan.diagnosis;
    if (d.state === lastState) continue;
    lastState = d.state;
    diagnoses.push({ at: o.at, cluster: meta.cluster, state: d.state, observed: d.observed, reason: d.reason });
  }
  const groups = rules.groups();
  alerts.sort((a, b) => a.at - b.at || (a.alertname < b.alertname ? -1 : a.alertname > b.alertname ? 1 : 0) || cmp(labelsKey(a.labels), labelsKey(b.labels)) || STATE_ORDER[a.state] - STATE_ORDER[b.state]);
  return {
    fixture: { name: meta.name, cluster: meta.cluster, from: meta.from, to: meta.to, incidentStart: meta.incidentStart },
    window: { from, to },
    rules: { files: [...options.ruleFiles], groups: groups.length, rules: loaded.reduce((n, f) => n + ruleCount(f), 0), evaluations },
    throttle: { mode: throttle.mode, intervalSeconds: throttle.interval, rounds: await counted(registry, 'sluice_throttle_rounds_total'), failedRounds: await counted(registry, 'sluice_throttle_round_failures_total') },
    alerts,
    notifications,
    diagnoses,
    decisions: decisions.all.map(decisionEvent),
    ruleErrors: [...errors.values()].sort((a, b) => a.firstAt - b.firstAt || cmp(a.group + a.rule, b.group + b.rule)),
  };
}

/** The cluster a fixture was recorded from, as the service's config names it; nothing connects to it. */
function replayCluster(name: string): ClusterConfig {
  return parseCollectConfig({ clusters: [{ name, bootstrap: ['replay.invalid:9092'] }] }).clusters[0]!;
}

/** The total of a counter of `registry` (0 when it was never registered). */
async function counted(registry: Registry, name: string): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  return (await metric.get()).values.reduce((n, v) => n + v.value, 0);
}

const STATE_ORDER = { pending: 0, firing: 1, resolved: 2 } as const;

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
