/**
 * The alert lifecycle of one alerting rule, as Prometheus runs it (rules/alerting.go): a pure
 * function from the previous alerts and this evaluation's results to the next alerts.
 *
 * Per label set: a new result is `pending` from `activeAt`; it is `firing` once it has been
 * returned for `for` (at once when `for` is 0); when it is no longer returned, a pending alert is
 * dropped and a firing one becomes `inactive` (resolved) — unless `keep_firing_for` keeps it
 * firing that long after it was last returned. Resolved alerts are kept 15 minutes so notifiers
 * keep hearing of the resolution; a label set that returns during that time starts over as new.
 */
import { createHash } from 'node:crypto';

/** Where an alert is in its lifecycle; `inactive` means resolved. */
export type AlertState = 'pending' | 'firing' | 'inactive';

/** One alert of one rule (times in ms since the epoch). */
export interface Alert {
  /** Series labels (without `__name__`) + rule labels + `alertname`. */
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly state: AlertState;
  readonly activeAt: number;
  readonly firedAt?: number;
  readonly resolvedAt?: number;
  readonly keepFiringSince?: number;
  readonly lastSentAt?: number;
  /** Until when the last notification holds (its `endsAt`). */
  readonly validUntil?: number;
  readonly value: number;
}

/** One series the rule's expression returned, labels and annotations already expanded. */
export interface AlertCandidate {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly value: number;
}

/** How long resolved alerts are kept and re-sent: 15 minutes, as in Prometheus. */
export const RESOLVED_RETENTION_MS = 15 * 60_000;

/** The identity of a label set: a hex digest of its sorted labels. */
export function fingerprint(labels: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(labels).sort().map((k) => [k, labels[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 32);
}

/** The result of one step: the next alerts, or an error (duplicate label sets) that keeps the previous ones. */
export type StepResult = { readonly ok: true; readonly alerts: Map<string, Alert> } | { readonly ok: false; readonly error: string };

/**
 * Advances a rule's alerts to time `ts` given the series its expression returned. `forMs` and
 * `keepFiringForMs` are the rule's `for` and `keep_firing_for`.
 */
export function stepAlerts(previous: ReadonlyMap<string, Alert>, candidates: readonly AlertCandidate[], ts: number, rule: { readonly forMs: number; readonly keepFiringForMs: number }): StepResult {
  const returned = new Map<string, AlertCandidate>();
  for (const c of candidates) {
    const fp = fingerprint(c.labels);
    if (returned.has(fp)) return { ok: false, error: 'vector contains metrics with the same labelset after applying alert labels' };
    returned.set(fp, c);
  }
  const next = new Map<string, Alert>();
  for (const [fp, c] of returned) {
    const old = previous.get(fp);
    next.set(fp, old !== undefined && old.state !== 'inactive'
      ? { ...withoutKeepFiring(old), value: c.value, annotations: c.annotations }
      : { labels: c.labels, annotations: c.annotations, state: 'pending', activeAt: ts, value: c.value });
  }
  for (const [fp, old] of previous) {
    if (returned.has(fp)) continue;
    if (old.state === 'firing' && rule.keepFiringForMs > 0) {
      const since = old.keepFiringSince ?? ts;
      if (ts - since < rule.keepFiringForMs) {
        next.set(fp, { ...old, keepFiringSince: since });
        continue;
      }
    }
    if (old.state === 'pending') continue;
    if (old.state === 'inactive') {
      if (old.resolvedAt !== undefined && ts - old.resolvedAt > RESOLVED_RETENTION_MS) continue;
      next.set(fp, old);
      continue;
    }
    next.set(fp, { ...withoutKeepFiring(old), state: 'inactive', resolvedAt: ts });
  }
  for (const [fp, a] of next) {
    if (a.state === 'pending' && ts - a.activeAt >= rule.forMs) next.set(fp, { ...a, state: 'firing', firedAt: ts });
  }
  return { ok: true, alerts: next };
}

/** The alert without a keep_firing_for countdown (it is returned again, or resolved). */
function withoutKeepFiring(a: Alert): Alert {
  const { keepFiringSince: _, ...rest } = a;
  return rest;
}

/** Number of alerts pending or firing. */
export function countActive(alerts: ReadonlyMap<string, Alert>): number {
  let n = 0;
  for (const a of alerts.values()) if (a.state !== 'inactive') n++;
  return n;
}

/** A series a rule writes: labels including `__name__`, and its value. */
export interface RuleOutput {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * The `ALERTS{alertstate}` = 1 and `ALERTS_FOR_STATE` = activeAt (seconds) series Prometheus
 * writes for each pending or firing alert.
 */
export function alertSeries(alerts: ReadonlyMap<string, Alert>): RuleOutput[] {
  const out: RuleOutput[] = [];
  for (const a of alerts.values()) {
    if (a.state === 'inactive') continue;
    out.push({ labels: { ...a.labels, __name__: 'ALERTS', alertstate: a.state }, value: 1 });
    out.push({ labels: { ...a.labels, __name__: 'ALERTS_FOR_STATE' }, value: a.activeAt / 1000 });
  }
  return out;
}

/**
 * Picks the alerts due for a notification at `ts` (Prometheus's needsSending): firing ones not
 * sent within `resendDelayMs`, and resolved ones not sent since they resolved or not within the
 * delay. Those get `lastSentAt = ts` and `validUntil = ts + 4 × max(interval, resend delay)`.
 */
export function dueForSending(alerts: ReadonlyMap<string, Alert>, ts: number, resendDelayMs: number, intervalMs: number): { alerts: Map<string, Alert>; due: Alert[] } {
  const next = new Map(alerts);
  const due: Alert[] = [];
  for (const [fp, a] of alerts) {
    if (a.state === 'pending') continue;
    const resolvedSinceSent = a.resolvedAt !== undefined && (a.lastSentAt === undefined || a.resolvedAt > a.lastSentAt);
    if (!resolvedSinceSent && a.lastSentAt !== undefined && !(a.lastSentAt + resendDelayMs < ts)) continue;
    const sent = { ...a, lastSentAt: ts, validUntil: ts + 4 * Math.max(intervalMs, resendDelayMs) };
    next.set(fp, sent);
    due.push(sent);
  }
  return { alerts: next, due };
}

/** What `restoreActiveAt` needs to know about the outage and the rule. */
export interface RestoreContext {
  /** The rule's `for`, ms. */
  readonly forMs: number;
  /** When the state was last written (the last evaluation before the outage). */
  readonly downAt: number;
  /** When it is restored. */
  readonly now: number;
  /** The group's interval: one interval between evaluations is no outage. */
  readonly intervalMs: number;
  /** Least time a restored pending alert still waits before firing (Prometheus's `--rules.alert.for-grace-period`). */
  readonly gracePeriodMs: number;
}

/**
 * The `activeAt` a restored pending alert continues from, as Prometheus's RestoreForState: the
 * time it was pending before the outage counts, the outage itself does not (beyond one normal
 * interval), and an alert that was close to firing still waits the grace period, since nobody
 * saw the condition hold meanwhile. Firing alerts, and pending ones already due, keep theirs.
 */
export function restoreActiveAt(alert: Alert, ctx: RestoreContext): number {
  if (alert.state !== 'pending') return alert.activeAt;
  const remaining = ctx.forMs - (ctx.downAt - alert.activeAt);
  if (remaining <= 0) return alert.activeAt;
  if (remaining < ctx.gracePeriodMs) return ctx.now + ctx.gracePeriodMs - ctx.forMs;
  return alert.activeAt + Math.max(0, ctx.now - ctx.downAt - ctx.intervalMs);
}
