/**
 * Alerts as the dispatcher holds them, pure: an incoming alert normalised (labels without empty
 * values, sorted; its fingerprint; `endsAt` in ms) and a stable order to list them in.
 */
import { fingerprint, formatLabels, sortLabels } from './labels.ts';
import type { Labels, OutgoingAlert } from './types.ts';

/** An alert the dispatcher holds. */
export interface HeldAlert {
  readonly fingerprint: string;
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL: string;
  /** `endsAt` in ms; the alert is resolved once the clock reaches it. */
  readonly endsAtMs: number;
}

/**
 * An incoming alert as held: an `endsAt` that does not parse (or is empty) means "open-ended",
 * and `status: 'resolved'` without a past `endsAt` resolves it now.
 */
export function toHeld(alert: OutgoingAlert, now: number): HeldAlert {
  const labels = sortLabels(Object.fromEntries(Object.entries(alert.labels).filter(([, v]) => v !== '')));
  let endsAtMs = Date.parse(alert.endsAt);
  if (!Number.isFinite(endsAtMs)) endsAtMs = Number.POSITIVE_INFINITY;
  let endsAt = alert.endsAt;
  if (alert.status === 'resolved' && endsAtMs > now) {
    endsAtMs = now;
    endsAt = new Date(now).toISOString();
  }
  return { fingerprint: fingerprint(labels), labels, annotations: { ...alert.annotations }, startsAt: alert.startsAt, endsAt, generatorURL: alert.generatorURL, endsAtMs };
}

/** The alerts sorted by their labels as text, in place. */
export function sortAlerts(alerts: HeldAlert[]): HeldAlert[] {
  const text = new Map(alerts.map((a) => [a.fingerprint, formatLabels(a.labels)]));
  return alerts.sort((a, b) => {
    const x = text.get(a.fingerprint)!;
    const y = text.get(b.fingerprint)!;
    return x < y ? -1 : x > y ? 1 : 0;
  });
}
