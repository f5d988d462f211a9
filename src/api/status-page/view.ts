/**
 * What the status page shows, as one JSON document (`GET /api/v1/status`): per cluster the
 * brokers (up or down, utilization now and over the last minutes), the busiest clients and the
 * throttle loop's last diagnosis; the firing alerts; and the recent quota decisions with their
 * reasons. Series are read through the PromQL engine over the store's Querier, with the
 * queries the throttle loop reads (src/throttle/signals.ts), so the page shows what the loop saw.
 */
import type { Engine, MatrixSeries, Value } from '../../rules/promql/index.ts';
import type { Querier } from '../../store/types.ts';
import type { DecisionLog } from '../../throttle/decision-log.ts';
import type { ThrottleLoop } from '../../throttle/loop.ts';
import { ANONYMOUS_USER } from '../../throttle/decide.ts';
import { signalQueries } from '../../throttle/signals.ts';
import type { AlertsSource } from '../types.ts';

/** One point of a sparkline: time (ms since the epoch) and value. */
export type Point = readonly [ts: number, value: number];

/** One broker as the page shows it. */
export interface BrokerStatus {
  readonly id: string;
  readonly up: boolean;
  /** max(bytes in / capacity in, bytes out / capacity out, 1 − handler idle) now; null when unknown. */
  readonly utilization: number | null;
  readonly series: readonly Point[];
}

/** One client in one direction. */
export interface ClientStatus {
  readonly user: string;
  readonly clientId: string;
  readonly direction: 'produce' | 'consume';
  /** Bytes per second over all brokers, now. */
  readonly bytesPerSec: number;
  /** Largest throttle time over brokers now, ms. */
  readonly throttleMs: number;
  readonly series: readonly Point[];
}

/** One cluster. */
export interface ClusterStatus {
  readonly name: string;
  readonly brokersUp: number;
  readonly brokers: readonly BrokerStatus[];
  readonly topClients: readonly ClientStatus[];
  /** The throttle loop's last round; null without a loop or before its first round. */
  readonly throttle: { readonly mode: string; readonly at: string; readonly state: string; readonly reason: string; readonly explanation: string } | null;
}

/** One firing alert. */
export interface AlertStatus {
  readonly name: string;
  readonly severity: string;
  readonly summary: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly activeAt: string;
  readonly muted: boolean;
}

/** One quota decision. */
export interface DecisionStatus {
  readonly id: number;
  readonly at: string;
  readonly cluster: string;
  readonly entity: string;
  readonly quota: string;
  readonly oldValue: number | null;
  readonly newValue: number | null;
  readonly status: string;
  readonly by: string | null;
  readonly reason: string;
}

/** The whole page. */
export interface StatusView {
  readonly at: string;
  readonly windowSeconds: number;
  readonly clusters: readonly ClusterStatus[];
  readonly alerts: { readonly firing: readonly AlertStatus[]; readonly pending: number };
  readonly decisions: readonly DecisionStatus[];
}

/** Where the page's data comes from. */
export interface StatusSource {
  status(): Promise<StatusView>;
}

/** What `statusSource` reads. */
export interface StatusDeps {
  readonly clusters: readonly string[];
  readonly engine: Engine;
  readonly querier: Querier;
  readonly alerts?: AlertsSource | undefined;
  readonly throttle?: ReadonlyMap<string, ThrottleLoop>;
  readonly mode?: string;
  readonly audit?: DecisionLog;
  readonly now?: () => number;
  /** Seconds of history in the sparklines (default 300). */
  readonly windowSeconds?: number;
  /** Seconds between sparkline points (default 5). */
  readonly stepSeconds?: number;
  /** Seconds behind each rate (default 60; the throttle loop's `rateWindow` shows what it sees). */
  readonly rateWindowSeconds?: number;
  /** Clients listed per cluster (default 5). */
  readonly topClients?: number;
  /** Decisions listed (default 10). */
  readonly decisions?: number;
}

/** Quota decisions that changed or proposed something; `skipped` ones are held back by guardrails and left out. */
const SHOWN_DECISIONS = new Set(['applied', 'pending', 'failed', 'expired']);

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

/** The status of one cluster at `now`. */
async function clusterStatus(deps: StatusDeps, cluster: string, now: number): Promise<ClusterStatus> {
  const { engine, querier } = deps;
  const windowMs = (deps.windowSeconds ?? 300) * 1000;
  const stepMs = (deps.stepSeconds ?? 5) * 1000;
  // The grid ends on a step boundary so that points stay put between refreshes.
  const end = Math.floor(now / stepMs) * stepMs;
  const start = end - windowMs;
  const q = signalQueries(cluster, deps.rateWindowSeconds ?? 60);
  const c = `cluster=${quote(cluster)}`;
  const range = (expr: string) => engine.range(expr, start, end, stepMs, querier);
  const [up, bytesIn, bytesOut, idle, capIn, capOut] = await Promise.all([
    engine.instant(`max by (broker) (sluice_cluster_broker_up{${c}})`, now, querier),
    // Handler idle is a gauge: read over the rate window only, so that a broker that stopped
    // reporting drops out as its rates do instead of lingering for the 5 min lookback.
    range(q.bytesIn!), range(q.bytesOut!), range(`min by (broker) (min_over_time(kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent{${c}}[${deps.rateWindowSeconds ?? 60}s]))`),
    engine.instant(q.capacityIn!, now, querier), engine.instant(q.capacityOut!, now, querier),
  ]);
  const broker = (m: Readonly<Record<string, string>>) => m.broker ?? '';
  const upBy = vectorBy(up, broker);
  const capInBy = vectorBy(capIn, broker);
  const capOutBy = vectorBy(capOut, broker);
  const inBy = new Map(bytesIn.map((s) => [broker(s.metric), pointsOf(s)]));
  const outBy = new Map(bytesOut.map((s) => [broker(s.metric), pointsOf(s)]));
  const idleBy = new Map(idle.map((s) => [broker(s.metric), pointsOf(s)]));
  const ids = [...new Set([...upBy.keys(), ...inBy.keys(), ...idleBy.keys()])].filter((b) => b !== '').sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  const brokers = ids.map((id): BrokerStatus => {
    const series: Point[] = [];
    for (let t = start; t <= end; t += stepMs) {
      const parts: number[] = [];
      const i = inBy.get(id)?.get(t);
      const o = outBy.get(id)?.get(t);
      const h = idleBy.get(id)?.get(t);
      const ci = capInBy.get(id);
      const co = capOutBy.get(id);
      if (i !== undefined && ci !== undefined && ci > 0) parts.push(i / ci);
      if (o !== undefined && co !== undefined && co > 0) parts.push(o / co);
      if (h !== undefined) parts.push(1 - h);
      if (parts.length > 0) series.push([t, round(Math.max(...parts))]);
    }
    const last = series.at(-1);
    // A point older than two steps is not "now": the broker stopped reporting.
    const fresh = last !== undefined && last[0] >= end - 2 * stepMs;
    return { id, up: upBy.get(id) === 1, utilization: fresh ? last[1] : null, series };
  });

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

  const last = deps.throttle?.get(cluster)?.lastRound;
  return {
    name: cluster,
    brokersUp: brokers.filter((b) => b.up).length,
    brokers,
    topClients: clients.slice(0, deps.topClients ?? 5),
    throttle: last === undefined ? null : { mode: deps.mode ?? 'recommend', at: new Date(last.at).toISOString(), state: last.plan.diagnosis.state, reason: last.plan.diagnosis.reason, explanation: last.explanation },
  };
}

/** The page's data from the service's parts. */
export function statusSource(deps: StatusDeps): StatusSource {
  const now = deps.now ?? Date.now;
  return {
    async status(): Promise<StatusView> {
      const at = now();
      const clusters = await Promise.all(deps.clusters.map((name) => clusterStatus(deps, name, at)));
      const active = deps.alerts === undefined ? [] : await deps.alerts.alerts();
      const firing = active
        .filter((a) => a.state === 'firing')
        .map((a): AlertStatus => ({
          name: a.labels.alertname ?? '', severity: a.labels.severity ?? '', summary: a.annotations.summary ?? '', labels: a.labels, activeAt: a.activeAt,
          muted: a.silencedBy.length > 0 || a.inhibitedBy.length > 0,
        }))
        .sort((a, b) => a.activeAt.localeCompare(b.activeAt) || a.name.localeCompare(b.name));
      const decisions = deps.audit === undefined ? [] : (await deps.audit.list({ limit: 200 }))
        .filter((d) => SHOWN_DECISIONS.has(d.status))
        .slice(0, deps.decisions ?? 10)
        .map((d): DecisionStatus => ({
          id: d.id, at: new Date(d.ts).toISOString(), cluster: d.cluster, entity: d.entityKey, quota: d.quotaKey,
          oldValue: d.oldValue ?? null, newValue: d.newValue ?? null, status: d.status, by: d.appliedBy ?? null, reason: d.reason,
        }));
      return {
        at: new Date(at).toISOString(), windowSeconds: deps.windowSeconds ?? 300, clusters,
        alerts: { firing, pending: active.filter((a) => a.state === 'pending').length }, decisions,
      };
    },
  };
}
