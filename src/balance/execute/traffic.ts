/**
 * Client traffic per broker, bytes/s, from the series the collectors record: the brokers'
 * `kafka_server_brokertopicmetrics_bytesin_total` / `bytesout_total` totals (`topic=""`, the
 * JMX exporter's all-topics series), as increases over a window, or over its most recent part
 * when that is higher. What the throttle sizing takes off each broker's capacity.
 */
import type { Matcher, Querier, SeriesData } from '../../store/types.ts';

/** Measured bytes/s in and out per broker; a broker without samples is missing. */
export type TrafficSource = (now: number) => Promise<Map<number, { in: number; out: number }>>;

/** The per-second increase of a counter over its samples (a drop is a reset: counted from 0). */
export function counterRate(s: Pick<SeriesData, 'ts' | 'values'>): number | undefined {
  const n = s.ts.length;
  if (n < 2 || s.ts[n - 1]! <= s.ts[0]!) return undefined;
  let increase = 0;
  for (let i = 1; i < n; i++) {
    const d = s.values[i]! - s.values[i - 1]!;
    increase += d >= 0 ? d : s.values[i]!;
  }
  return (increase * 1000) / (s.ts[n - 1]! - s.ts[0]!);
}

/** The samples of `s` from `from` (ms) on. */
function since(s: Pick<SeriesData, 'ts' | 'values'>, from: number): Pick<SeriesData, 'ts' | 'values'> {
  let i = 0;
  while (i < s.ts.length && s.ts[i]! < from) i++;
  return { ts: s.ts.slice(i), values: s.values.slice(i) };
}

/**
 * Sums the rates of `series` by their `broker` label; with `recentFrom`, each series' rate is the
 * higher of its whole window's and that of its samples from `recentFrom` (ms) on.
 */
export function ratesByBroker(series: readonly SeriesData[], recentFrom?: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of series) {
    const broker = Number(s.labels['broker']);
    const whole = counterRate(s);
    const recent = recentFrom === undefined ? undefined : counterRate(since(s, recentFrom));
    const r = whole === undefined ? recent : recent === undefined ? whole : Math.max(whole, recent);
    if (!Number.isInteger(broker) || r === undefined) continue;
    out.set(broker, (out.get(broker) ?? 0) + r);
  }
  return out;
}

/** Client traffic of `cluster` over the `windowMs` before each call's `now`, or over the last `recentMs` when higher. */
export function querierTraffic(q: Querier, cluster: string, windowMs: number, recentMs = windowMs): TrafficSource {
  const sel = (name: string): Matcher[] => [
    { name: '__name__', type: '=', value: name }, { name: 'cluster', type: '=', value: cluster }, { name: 'topic', type: '=', value: '' },
  ];
  return async (now) => {
    const [ins, outs] = await Promise.all([
      q.select(sel('kafka_server_brokertopicmetrics_bytesin_total'), now - windowMs, now),
      q.select(sel('kafka_server_brokertopicmetrics_bytesout_total'), now - windowMs, now),
    ]);
    const recentFrom = recentMs < windowMs ? now - recentMs : undefined;
    const rin = ratesByBroker(ins, recentFrom);
    const rout = ratesByBroker(outs, recentFrom);
    const out = new Map<number, { in: number; out: number }>();
    for (const b of new Set([...rin.keys(), ...rout.keys()])) out.set(b, { in: rin.get(b) ?? 0, out: rout.get(b) ?? 0 });
    return out;
  };
}
