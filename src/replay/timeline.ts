/**
 * What a replay shows: alert transitions, the notifications that would have been sent, the
 * throttle loop's diagnoses and quota decisions, and rule errors, each at its virtual time.
 * `timelineJson` is byte-for-byte the same for the same fixture and configuration (no wall-clock
 * times, everything sorted); `timelineText` is the same for people.
 */

/** One alert entering a state. */
export interface AlertEvent {
  readonly at: number;
  readonly state: 'pending' | 'firing' | 'resolved';
  readonly alertname: string;
  /** Every label of the alert, sorted (alertname included). */
  readonly labels: Readonly<Record<string, string>>;
  /** The expression's value at the evaluation that made the transition. */
  readonly value: number;
}

/** One notification the notifier would have sent (after grouping, silencing and inhibition). */
export interface NotificationEvent {
  readonly at: number;
  readonly receiver: string;
  readonly integration: string;
  readonly groupKey: string;
  readonly status: 'firing' | 'resolved';
  readonly alerts: readonly { readonly status: 'firing' | 'resolved'; readonly labels: Readonly<Record<string, string>> }[];
}

/** One quota decision of the throttle loop. */
export interface DecisionEvent {
  readonly at: number;
  readonly cluster: string;
  readonly entity: string;
  readonly direction: 'produce' | 'consume';
  readonly quotaKey: string;
  /** lower, raise, or restore (the operator's value back, or the quota removed). */
  readonly change: 'lower' | 'raise' | 'restore';
  readonly oldValue: number | null;
  readonly proposed: number | null;
  readonly newValue: number | null;
  /** applied (to the dry-run actuator), pending (a recommendation), skipped (by a guardrail), … */
  readonly status: string;
  readonly state: string;
  readonly reason: string;
  readonly guardrails: readonly string[];
}

/** The diagnosed cluster state changing. */
export interface DiagnosisEvent {
  readonly at: number;
  readonly cluster: string;
  readonly state: string;
  readonly observed: string;
  readonly reason: string;
}

/** A rule failing, first and last time, and how many evaluations failed. */
export interface RuleErrorEvent {
  readonly group: string;
  readonly rule: string;
  readonly error: string;
  readonly firstAt: number;
  readonly lastAt: number;
  readonly count: number;
}

/** The whole replay. */
export interface Timeline {
  readonly fixture: { readonly name: string; readonly cluster: string; readonly from: number; readonly to: number; readonly incidentStart: number };
  /** What was replayed (a part of the fixture with --from/--to). */
  readonly window: { readonly from: number; readonly to: number };
  readonly rules: { readonly files: readonly string[]; readonly groups: number; readonly rules: number; readonly evaluations: number };
  readonly throttle: { readonly mode: string; readonly intervalSeconds: number; readonly rounds: number; readonly failedRounds: number };
  readonly alerts: readonly AlertEvent[];
  readonly notifications: readonly NotificationEvent[];
  readonly diagnoses: readonly DiagnosisEvent[];
  readonly decisions: readonly DecisionEvent[];
  readonly ruleErrors: readonly RuleErrorEvent[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

function jsonValue(v: number): number | string {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
}

/** The timeline as JSON for machines: times as ISO strings plus seconds from the incident start. */
export function timelineJson(t: Timeline): string {
  const rel = (ms: number): number => (ms - t.fixture.incidentStart) / 1000;
  const at = (ms: number) => ({ at: iso(ms), offsetSeconds: rel(ms) });
  const doc = {
    fixture: { ...t.fixture, from: iso(t.fixture.from), to: iso(t.fixture.to), incidentStart: iso(t.fixture.incidentStart) },
    window: { from: iso(t.window.from), to: iso(t.window.to) },
    rules: t.rules,
    throttle: t.throttle,
    alerts: t.alerts.map((a) => ({ ...at(a.at), state: a.state, alertname: a.alertname, labels: a.labels, value: jsonValue(a.value) })),
    notifications: t.notifications.map((n) => ({ ...at(n.at), receiver: n.receiver, integration: n.integration, groupKey: n.groupKey, status: n.status, alerts: n.alerts })),
    diagnoses: t.diagnoses.map((d) => ({ ...at(d.at), cluster: d.cluster, state: d.state, observed: d.observed, reason: d.reason })),
    decisions: t.decisions.map((d) => ({ ...d, ...at(d.at) })),
    ruleErrors: t.ruleErrors.map((e) => ({ ...e, firstAt: iso(e.firstAt), lastAt: iso(e.lastAt) })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** `+01:02:03` (or `-00:05:00`) from the incident start. */
export function offsetLabel(ms: number, base: number): string {
  const d = ms - base;
  const s = Math.abs(Math.round(d / 1000));
  const hh = String(Math.floor(s / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${d < 0 ? '-' : '+'}${hh}:${mm}:${ss}`;
}

/** `Name{a="x",b="y"}` without alertname and cluster, which every line shows elsewhere. */
export function alertLabel(alertname: string, labels: Readonly<Record<string, string>>): string {
  const rest = Object.keys(labels).sort().filter((k) => k !== 'alertname' && k !== 'cluster').map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `${alertname}{${rest.join(',')}}`;
}

function formatNumber(v: number | null): string {
  if (v === null) return 'none';
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1000 ? String(Math.round(v)) : String(Number(v.toPrecision(6)));
}

/** The timeline for people: a header, then one line per event in time order. */
export function timelineText(t: Timeline): string {
  const base = t.fixture.incidentStart;
  const lines: { at: number; order: number; text: string }[] = [];
  const push = (at: number, order: number, kind: string, text: string): void => {
    lines.push({ at, order, text: `${offsetLabel(at, base)}  ${iso(at)}  ${kind.padEnd(9)} ${text}` });
  };
  for (const a of t.alerts) push(a.at, 0, a.state, `${alertLabel(a.alertname, a.labels)} = ${formatNumber(a.value)}`);
  for (const n of t.notifications) {
    const names = n.alerts.map((a) => `${a.status === 'resolved' ? '(resolved) ' : ''}${alertLabel(a.labels.alertname ?? '', a.labels)}`);
    push(n.at, 1, 'notify', `${n.receiver}/${n.integration} [${n.status.toUpperCase()}:${n.alerts.filter((a) => a.status === 'firing').length}] ${names.join(', ')}`);
  }
  for (const d of t.diagnoses) push(d.at, 2, 'diagnosis', `${d.cluster} ${d.state}: ${d.reason}`);
  for (const d of t.decisions) {
    push(d.at, 3, 'quota', `${d.change} ${d.entity} ${d.quotaKey} ${formatNumber(d.oldValue)} -> ${formatNumber(d.status === 'skipped' ? d.proposed : d.newValue)} (${d.status}${d.guardrails.length > 0 ? `: ${d.guardrails.join('; ')}` : ''}): ${d.reason}`);
  }
  lines.sort((a, b) => a.at - b.at || a.order - b.order);
  const head = [
    `replay ${t.fixture.name} (cluster ${t.fixture.cluster}) ${iso(t.window.from)} .. ${iso(t.window.to)}, incident start ${iso(base)}`,
    `rules: ${t.rules.files.length} files, ${t.rules.groups} groups, ${t.rules.rules} rules, ${t.rules.evaluations} group evaluations; throttle ${t.throttle.mode}${t.throttle.mode === 'off' ? '' : ` every ${t.throttle.intervalSeconds} s, ${t.throttle.rounds} rounds${t.throttle.failedRounds > 0 ? ` (${t.throttle.failedRounds} failed)` : ''}`}`,
    `${t.alerts.filter((a) => a.state === 'firing').length} alerts fired, ${t.notifications.length} notifications, ${t.decisions.length} quota decisions`,
    '',
  ];
  const errors = t.ruleErrors.map((e) => `rule error: ${e.group} ${e.rule}: ${e.error} (${e.count} evaluations, ${iso(e.firstAt)} .. ${iso(e.lastAt)})`);
  return `${[...head, ...lines.map((l) => l.text), ...(errors.length > 0 ? ['', ...errors] : [])].join('\n')}\n`;
}
