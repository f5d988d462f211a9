/**
 * The brokers and the busiest clients of one cluster for the status page, read through the
 * PromQL engine over the store's Querier with the queries the throttle loop reads
 * (src/throttle/signals.ts), so that the page shows what the loop saw.
 */
import type { Engine, MatrixSeries, Value } from '../../rules/promql/index.ts';
import type { Querier } from '../../store/types.ts';
import { ANONYMOUS_USER } from '../../throttle/client-history.ts';
import { signalQueries } from '../../throttle/signals.ts';
import type { BrokerStatus, ClientStatus, Point } from './model.ts';

/** The time grid of the sparklines and the rates behind them. */
export interface Grid {
  /** First and last point, ms; `end` is on a step boundary so that points stay put between refreshes. */
  readonly start: number;
  readonly end: number;
  readonly stepMs: number;
  /** The instant the page is made, ms. */
  readonly now: number;
  readonly rateWindowSeconds: number;
}

function quote(value: string): string {
  return JSON.stringify(value);
}

function vectorBy(value: Value, key: (m: Readonly<Record<string, string>>) => string): Map<string, number> {
  const out = new Map<string, number>();
  if (value.kind === 'vector') for (const s of value.samples) out.set(key(s.metric), s.value);
  return out;
}

function pointsOf(series: MatrixSeries | undefined): Map<number, number> {
  const out = new Map<number, number>();
  if (series !== undefined) for (let i = 0; i < series.ts.length; i++) out.set(series.ts[i]!, series.values[i]!);
  return out;
}

/** Utilization for the page: 4 significant digits are all a sparkline can show. */
function round(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(4)) : value;
}

/** Rates and times for the page: whole bytes per second, whole milliseconds. */
function whole(value: number): number {
  return Number.isFinite(value) ? Math.round(value) : value;
}

const broker = (m: Readonly<Record<string, string>>): string => m.broker ?? '';

/** The brokers of `cluster`: up or down, utilization, bytes in and out, capacity, handlers, partitions. */
export async function readBrokers(engine: Engine, querier: Querier, cluster: string, grid: Grid): Promise<BrokerStatus[]> {
  const { start, end, stepMs, now } = grid;
  const q = signalQueries(cluster, grid.rateWindowSeconds);
  const c = `cluster=${quote(cluster)}`;
  const range = (expr: string) => engine.range(expr, start, end, stepMs, querier);
  const instant = (expr: string) => engine.instant(expr, now, querier);
  const [up, bytesIn, bytesOut, idle, capIn, capOut, leaders, replicas] = await Promise.all([
    instant(`max by (broker) (sluice_cluster_broker_up{${c}})`),
    // Handler idle is a gauge: read over the rate window only, so that a broker that stopped
    // reporting drops out as its rates do instead of lingering for the 5 min lookback.
    range(q.bytesIn!), range(q.bytesOut!), range(`min by (broker) (min_over_time(kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent{${c}}[${grid.rateWindowSeconds}s]))`),
    instant(q.capacityIn!), instant(q.capacityOut!),
    instant(`max by (broker) (sluice_cluster_broker_leaders{${c}})`), instant(`max by (broker) (sluice_cluster_broker_replicas{${c}})`),
  ]);
  const upBy = vectorBy(up, broker);
  const capInBy = vectorBy(capIn, broker);
  const capOutBy = vectorBy(capOut, broker);
  const leadersBy = vectorBy(leaders, broker);
  const replicasBy = vectorBy(replicas, broker);
  const inBy = new Map(bytesIn.map((s) => [broker(s.metric), pointsOf(s)]));
  const outBy = new Map(bytesOut.map((s) => [broker(s.metric), pointsOf(s)]));
  const idleBy = new Map(idle.map((s) => [broker(s.metric), pointsOf(s)]));
  const ids = [...new Set([...upBy.keys(), ...inBy.keys(), ...idleBy.keys()])].filter((b) => b !== '').sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  // A point older than two steps is not "now": the broker stopped reporting.
  const nowOf = (points: readonly Point[]): number | null => {
    const last = points.at(-1);
    return last !== undefined && last[0] >= end - 2 * stepMs ? last[1] : null;
  };
  return ids.map((id): BrokerStatus => {
    const series: Point[] = [];
    const inPoints: Point[] = [];
    const outPoints: Point[] = [];
    const ci = capInBy.get(id);
    const co = capOutBy.get(id);
    for (let t = start; t <= end; t += stepMs) {
      const parts: number[] = [];
      const i = inBy.get(id)?.get(t);
      const o = outBy.get(id)?.get(t);
      const h = idleBy.get(id)?.get(t);
      if (i !== undefined) inPoints.push([t, whole(i)]);
      if (o !== undefined) outPoints.push([t, whole(o)]);
      if (i !== undefined && ci !== undefined && ci > 0) parts.push(i / ci);
      if (o !== undefined && co !== undefined && co > 0) parts.push(o / co);
      if (h !== undefined) parts.push(1 - h);
      if (parts.length > 0) series.push([t, round(Math.max(...parts))]);
    }
    const idlePoints = [...(idleBy.get(id) ?? new Map<number, number>())].sort((a, b) => a[0] - b[0]);
    const idleNow = nowOf(idlePoints);
    return {
      id,
      up: upBy.get(id) === 1,
      utilization: nowOf(series),
      series,
      bytesInPerSec: nowOf(inPoints),
      bytesOutPerSec: nowOf(outPoints),
      bytesIn: inPoints,
      bytesOut: outPoints,
      capacityIn: ci ?? null,
      capacityOut: co ?? null,
      handlerBusy: idleNow === null ? null : round(1 - idleNow),
      leaders: leadersBy.get(id) ?? null,
      replicas: replicasBy.get(id) ?? null,
    };
  });
}

/** The `limit` busiest clients of `cluster`, by their peak rate over the window. */
export async function readTopClients(engine: Engine, querier: Querier, cluster: string, grid: Grid, limit: number): Promise<ClientStatus[]> {
  const { start, end, stepMs, now } = grid;
  const c = `cluster=${quote(cluster)}`;
  const range = (expr: string) => engine.range(expr, start, end, stepMs, querier);
  // JSON, not a separator: user names and client ids may hold any character, NUL included.
  const client = (m: Readonly<Record<string, string>>) => JSON.stringify([m.user ?? '', m.client_id ?? '']);
  const [produce, consume, produceThrottle, consumeThrottle] = await Promise.all([
    range(`sum by (user, client_id) (sluice_client_produce_byte_rate{${c}})`),
    range(`sum by (user, client_id) (sluice_client_fetch_byte_rate{${c}})`),
    engine.instant(`max by (user, client_id) (sluice_client_produce_throttle_time_ms{${c}})`, now, querier),
    engine.instant(`max by (user, client_id) (sluice_client_fetch_throttle_time_ms{${c}})`, now, querier),
  ]);
  const clients: ClientStatus[] = [];
  for (const [direction, series, throttle] of [['produce', produce, produceThrottle], ['consume', consume, consumeThrottle]] as const) {
    const throttleBy = vectorBy(throttle, client);
    // The brokers tag a client's series by the quota entity that applies to it, so a client whose
    // quota changed shows under two tag sets until the old one goes stale: one card per client,
    // the larger value at each time.
    const merged = new Map<string, { user: string; clientId: string; points: Map<number, number>; throttleMs: number }>();
    for (const s of series) {
      const lastTs = s.ts.at(-1);
      if (lastTs === undefined || lastTs < end - 2 * stepMs) continue; // gone
      const user = s.metric.user === ANONYMOUS_USER ? '' : (s.metric.user ?? '');
      const clientId = s.metric.client_id ?? '';
      const key = JSON.stringify([user, clientId]);
      const m = merged.get(key) ?? { user, clientId, points: new Map<number, number>(), throttleMs: 0 };
      merged.set(key, m);
      s.ts.forEach((t, i) => m.points.set(t, Math.max(m.points.get(t) ?? -Infinity, s.values[i]!)));
      m.throttleMs = Math.max(m.throttleMs, throttleBy.get(client(s.metric)) ?? 0);
    }
    for (const m of merged.values()) {
      const points: Point[] = [...m.points].sort((a, b) => a[0] - b[0]).map(([t, v]) => [t, whole(v)] as const);
      clients.push({ user: m.user, clientId: m.clientId, direction, bytesPerSec: points.at(-1)![1], throttleMs: whole(m.throttleMs), series: points });
    }
  }
  // Busiest first: by the peak over the window, so a client held back by its quota stays listed.
  const peak = (x: ClientStatus) => Math.max(0, ...x.series.map((p) => p[1]));
  clients.sort((a, b) => peak(b) - peak(a) || a.clientId.localeCompare(b.clientId) || a.direction.localeCompare(b.direction));
  return clients.slice(0, limit);
}
