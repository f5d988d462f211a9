/**
 * One client's readings, pure: the quota entity Sluice sets for it, its history merged across the
 * tag sets the brokers report it under, whether its rate is falling, and what it got over one of
 * Kafka's quota windows.
 */
import { entityKey, type QuotaEntityComponent } from '../kafka/quota.ts';
import { KAFKA_QUOTA_WINDOW_MS } from './demand.ts';
import type { ClientReading } from './signals.ts';

/** The principal name Kafka gives unauthenticated clients. */
export const ANONYMOUS_USER = 'ANONYMOUS';

/**
 * The quota entity Sluice sets for a client: user and client-id when the user is known, else
 * client-id alone (unauthenticated clients all share the ANONYMOUS principal, which says nothing
 * about who they are).
 */
export function entityOf(user: string, clientId: string): QuotaEntityComponent[] {
  return user === '' || user === ANONYMOUS_USER
    ? [{ entityType: 'client-id', entityName: clientId }]
    : [{ entityType: 'user', entityName: user }, { entityType: 'client-id', entityName: clientId }];
}

/**
 * Whether a client's rate fell by a tenth or more: the mean of its samples over the last interval,
 * or over Kafka's quota window when that is longer (at least three samples), against the mean of
 * as many before them. Means, not single samples: a client's rate is noisy, and one low sample in
 * a burst that goes on is not the burst ending. Over no less than a quota window: a throttled
 * client's rate, or a consumer's reading whole fetches, swings over that window, and a trough
 * of the swing is not its load going. Only samples at or after `since` count: a fall that a
 * quota's own change made (from what the client sent before it to what the quota lets through)
 * is not the client's load going. `recentSince` is weaker: the earlier mean may hold anything, but
 * the later one only samples taken a whole step after it (a quota lowered within the last ones
 * holds the client silent while the brokers' window drains: a dip that is the quota's own doing).
 */
export function falling(reading: ClientReading, intervalMs: number, since = -Infinity, quotaWindowMs = KAFKA_QUOTA_WINDOW_MS, recentSince = -Infinity): { from: number; to: number; samples: number } | undefined {
  const first = reading.history.ts.findIndex((t) => t >= since);
  if (first < 0) return undefined;
  const ts = reading.history.ts.slice(first);
  const rate = reading.history.rate.slice(first);
  if (ts.length < 6) return undefined;
  const step = ts.at(-1)! - ts.at(-2)!;
  const n = Math.max(3, Math.round(Math.max(intervalMs, quotaWindowMs) / Math.max(1, step)));
  if (ts.length < 2 * n) return undefined;
  if (ts.at(-n)! - step < recentSince) return undefined;
  const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const from = mean(rate.slice(-2 * n, -n));
  const to = mean(rate.slice(-n));
  return to < 0.9 * from ? { from, to, samples: n } : undefined;
}

/** Under this share of its quota, what a throttled client gets is not its quota (see `letThrough`). */
export const LETS_THROUGH_LOW = 0.8;

/**
 * What a client got over at least one quota window of Kafka's (its last samples spanning 11 s or
 * more): the mean of its rates there, bytes/s. Only samples at or after `since` count: a quota
 * shows what it lets through once the brokers' window has turned over since it was set (in its
 * first window, a client that sent more than the new quota before it is held silent while that
 * drains). Undefined when they span less.
 */
export function letThrough(reading: ClientReading, since = -Infinity, quotaWindowMs = KAFKA_QUOTA_WINDOW_MS): { rate: number; spanMs: number } | undefined {
  const { ts, rate } = reading.history;
  const last = ts.length - 1;
  if (last < 1) return undefined;
  let from = last;
  while (from > 0 && ts[from - 1]! >= since && ts[last]! - ts[from]! < quotaWindowMs) from--;
  if (ts[from]! < since || ts[last]! - ts[from]! < quotaWindowMs) return undefined;
  const values = rate.slice(from);
  return { rate: values.reduce((s, x) => s + x, 0) / values.length, spanMs: ts[last]! - ts[from]! };
}

/**
 * One reading per quota entity: the brokers tag a client's series by the quota entity that
 * applies to it, so a client whose quota entity changed shows under two tag sets for a while
 * (the old one until it goes stale). Their histories are merged by taking the larger value.
 */
export function mergeByEntity(readings: readonly ClientReading[]): ClientReading[] {
  const byKey = new Map<string, ClientReading>();
  for (const r of readings) {
    const key = entityKey(entityOf(r.user, r.clientId));
    const seen = byKey.get(key);
    if (seen === undefined) {
      byKey.set(key, r);
      continue;
    }
    const at = new Map(seen.history.ts.map((t, i) => [t, i]));
    const ts = [...seen.history.ts];
    const rate = [...seen.history.rate];
    const throttleMs = [...seen.history.throttleMs];
    r.history.ts.forEach((t, i) => {
      const j = at.get(t);
      if (j === undefined) {
        ts.push(t);
        rate.push(r.history.rate[i]!);
        throttleMs.push(r.history.throttleMs[i]!);
      } else {
        rate[j] = Math.max(rate[j]!, r.history.rate[i]!);
        throttleMs[j] = Math.max(throttleMs[j]!, r.history.throttleMs[i]!);
      }
    });
    const order = ts.map((_, i) => i).sort((a, b) => ts[a]! - ts[b]!);
    byKey.set(key, {
      ...seen, rate: Math.max(seen.rate, r.rate), throttleMs: Math.max(seen.throttleMs, r.throttleMs),
      history: { ts: order.map((i) => ts[i]!), rate: order.map((i) => rate[i]!), throttleMs: order.map((i) => throttleMs[i]!) },
    });
  }
  return [...byKey.values()];
}
