/**
 * What the fault campaign counts, from what it recorded: notifications repeated, resolved too
 * early or not at all, and collection cycles missing from PostgreSQL while Sluice ran.
 */
import type { Received } from './parts.ts';

/** A notification that must have arrived: alert `name` (labels including `match`) in `status`, inside [after, before]. */
export interface Expected {
  readonly what: string;
  readonly name: string;
  readonly status: 'firing' | 'resolved';
  readonly match?: Record<string, string>;
  readonly after: number;
  readonly before: number;
}

/** An interval during which an alert's condition held (e.g. a broker was down). */
export interface Condition {
  readonly name: string;
  readonly match: Record<string, string>;
  readonly from: number;
  readonly to: number;
}

/** Notifications repeated, resolved early, or missing. */
export interface NotificationFindings {
  readonly duplicated: string[];
  readonly premature: string[];
  readonly lost: string[];
}

/**
 * A notification is a duplicate when it tells its receiver nothing new about its group inside
 * `repeatIntervalMs`: its firing alerts are a subset of the last notification's firing ones and
 * its resolved ones a subset of the last resolved ones. A resolved alert is premature when its
 * condition still held when the notification arrived.
 */
export function countNotifications(received: readonly Received[], expected: readonly Expected[], conditions: readonly Condition[], repeatIntervalMs: number): NotificationFindings {
  const duplicated: string[] = [];
  const premature: string[] = [];
  const last = new Map<string, { at: number; firing: Set<string>; resolved: Set<string> }>();
  for (const n of received) {
    const firing = new Set(n.alerts.filter((a) => a.status === 'firing').map((a) => a.fingerprint));
    const resolved = new Set(n.alerts.filter((a) => a.status === 'resolved').map((a) => a.fingerprint));
    const prev = last.get(n.groupKey);
    if (prev !== undefined && n.at - prev.at < repeatIntervalMs && subset(firing, prev.firing) && subset(resolved, prev.resolved)) {
      duplicated.push(`${iso(n.at)} ${describe(n)} repeats ${iso(prev.at)}`);
    }
    last.set(n.groupKey, { at: n.at, firing, resolved });
    for (const a of n.alerts) {
      if (a.status !== 'resolved') continue;
      const held = conditions.find((c) => c.name === a.labels.alertname && Object.entries(c.match).every(([k, v]) => a.labels[k] === v) && c.from <= n.at && n.at < c.to);
      // Only the first notification that carries the resolution counts; later ones repeat it.
      if (held !== undefined && !(prev?.resolved.has(a.fingerprint) ?? false)) premature.push(`${iso(n.at)} ${a.labels.alertname}${JSON.stringify(held.match)} resolved while its condition held (${iso(held.from)}–${iso(held.to)})`);
    }
  }
  const lost = expected
    .filter((e) => !received.some((n) => n.at >= e.after && n.at <= e.before && n.alerts.some((a) => a.status === e.status && a.labels.alertname === e.name && Object.entries(e.match ?? {}).every(([k, v]) => a.labels[k] === v))))
    .map((e) => `${e.what}: no ${e.status} ${e.name}${JSON.stringify(e.match ?? {})} between ${iso(e.after)} and ${iso(e.before)}`);
  return { duplicated, premature, lost };
}

/**
 * Cycles missing from one steady series: `stored` timestamps (ms, sorted) against the windows in
 * which Sluice ran and the series should have been written every `intervalMs`. A gap of more
 * than 1.5 intervals inside a window loses floor(gap / interval + 0.5) − 1 cycles.
 */
export function missingCycles(stored: readonly number[], windows: readonly { from: number; to: number }[], intervalMs: number): number {
  let missing = 0;
  for (const w of windows) {
    const inside = stored.filter((t) => t >= w.from && t < w.to);
    const points = [w.from, ...inside, w.to];
    for (let i = 1; i < points.length; i++) {
      const gap = points[i]! - points[i - 1]!;
      if (gap > 1.5 * intervalMs) missing += Math.floor(gap / intervalMs + 0.5) - 1;
    }
  }
  return missing;
}

function subset(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

function describe(n: Received): string {
  return n.alerts.map((a) => `${a.labels.alertname}${a.labels.broker === undefined ? '' : `{broker=${a.labels.broker}}`}:${a.status}`).join(',');
}

function iso(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}
