/**
 * What the rules stage shows outside: group and rule status for the API (the shape of
 * Prometheus's /api/v1/rules, which src/api's `RulesSource` takes as is), active alerts, and an
 * alert as Alertmanager's `POST /api/v2/alerts` takes it.
 */
import type { Alert } from './alert-state.ts';
import type { RuleGroup } from './group.ts';
import type { OutgoingAlert } from './types.ts';

/** One rule's status, as the API shows it. */
export interface RuleStatusView {
  readonly name: string;
  readonly type: 'alerting' | 'recording';
  readonly query: string;
  readonly health: 'ok' | 'err' | 'unknown';
  readonly lastError?: string;
  readonly lastEvaluation?: string;
  readonly evaluationMs?: number;
  /** The rule's own labels (templates, for an alerting rule, as written). */
  readonly labels: Readonly<Record<string, string>>;
  /** Alerting rules: annotation templates as written, `for` and `keep_firing_for` in seconds, and their alerts. */
  readonly annotations?: Readonly<Record<string, string>>;
  readonly forSeconds?: number;
  readonly keepFiringForSeconds?: number;
  readonly alerts?: readonly ActiveAlert[];
}

/** One group's status, as the API shows it. */
export interface RuleGroupStatus {
  readonly name: string;
  readonly file: string;
  readonly intervalSeconds: number;
  /** Most series a rule may return (0: no limit). */
  readonly limit: number;
  readonly lastEvaluation?: string;
  readonly evaluationMs?: number;
  readonly rules: readonly RuleStatusView[];
}

/** An alert as the API lists it. */
export interface ActiveAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly state: 'pending' | 'firing' | 'resolved';
  readonly activeAt: string;
  readonly firedAt?: string;
  readonly resolvedAt?: string;
  /** Since when a `keep_firing_for` rule keeps it firing without its series. */
  readonly keepFiringSince?: string;
  readonly value: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The status of `group`. */
export function groupStatus(group: RuleGroup): RuleGroupStatus {
  return {
    name: group.spec.name,
    file: group.spec.file,
    intervalSeconds: group.intervalMs / 1000,
    limit: group.spec.limit,
    ...(group.lastEvaluation === undefined ? {} : { lastEvaluation: iso(group.lastEvaluation) }),
    ...(group.evaluationMs === undefined ? {} : { evaluationMs: group.evaluationMs }),
    rules: group.spec.rules.map((rule, i) => {
      const s = group.status[i]!;
      return {
        name: rule.name,
        type: rule.kind,
        query: rule.exprText,
        health: s.health,
        ...(s.lastError === undefined ? {} : { lastError: s.lastError }),
        ...(s.lastEvaluation === undefined ? {} : { lastEvaluation: iso(s.lastEvaluation) }),
        ...(s.evaluationMs === undefined ? {} : { evaluationMs: s.evaluationMs }),
        labels: rule.labels,
        ...(rule.kind === 'alerting'
          ? { annotations: rule.annotations, forSeconds: rule.forMs / 1000, keepFiringForSeconds: rule.keepFiringForMs / 1000, alerts: [...group.alerts[i]!.values()].map(toActive) }
          : {}),
      };
    }),
  };
}

/** The alerts of `group`, resolved ones included while they are kept. */
export function activeAlerts(group: RuleGroup): ActiveAlert[] {
  return group.alerts.flatMap((m) => [...m.values()].map(toActive));
}

function toActive(a: Alert): ActiveAlert {
  return {
    labels: a.labels,
    annotations: a.annotations,
    state: a.state === 'inactive' ? 'resolved' : a.state,
    activeAt: iso(a.activeAt),
    ...(a.firedAt === undefined ? {} : { firedAt: iso(a.firedAt) }),
    ...(a.resolvedAt === undefined ? {} : { resolvedAt: iso(a.resolvedAt) }),
    ...(a.keepFiringSince === undefined ? {} : { keepFiringSince: iso(a.keepFiringSince) }),
    value: a.value,
  };
}

/** Prometheus's link to the expression in its graph page, `…/graph?g0.expr=…&g0.tab=1`. */
export function generatorURL(externalURL: string, expr: string): string {
  return `${externalURL.replace(/\/$/, '')}/graph?${new URLSearchParams({ 'g0.expr': expr, 'g0.tab': '1' }).toString()}`;
}

/**
 * An alert as sent: starts when it fired; ends when it resolved, or at `validUntil` (4 × the
 * resend delay or interval after the send) so that Alertmanager expires it if Sluice goes silent.
 */
export function toOutgoing(alert: Alert, expr: string, externalURL: string): OutgoingAlert {
  const resolved = alert.state === 'inactive';
  return {
    labels: { ...alert.labels },
    annotations: { ...alert.annotations },
    startsAt: iso(alert.firedAt ?? alert.activeAt),
    endsAt: iso(resolved ? alert.resolvedAt! : alert.validUntil ?? alert.activeAt),
    generatorURL: generatorURL(externalURL, expr),
    status: resolved ? 'resolved' : 'firing',
  };
}
