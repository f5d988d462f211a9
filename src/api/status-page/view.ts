/**
 * What the status page shows, read from the service's parts: per cluster the brokers (up or
 * down, utilization, bytes in and out, now and over the last minutes), the consumer groups
 * (Burrow status, lag, lag in seconds, their trend; a group's partitions on its own page), the
 * busiest clients and the throttle loop's last diagnosis; the firing alerts; and the recent quota
 * decisions with their reasons. The same data is the page's HTML (render.ts) and its JSON
 * (`GET /api/v1/status`).
 */
import type { Engine } from '../../rules/promql/index.ts';
import type { Querier } from '../../store/types.ts';
import type { DecisionLog } from '../../throttle/decision-log.ts';
import type { ThrottleLoop } from '../../throttle/loop.ts';
import type { AlertsSource } from '../types.ts';
import { readBrokers, readTopClients, type Grid } from './cluster-view.ts';
import { readGroupDetail, readGroups, type Frame } from './groups-view.ts';
import type { AlertStatus, ClusterStatus, DecisionStatus, GroupDetailView, StatusSource, StatusView } from './model.ts';

export type * from './model.ts';

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
  /** Consumer groups listed per cluster, worst first (default 50); all are counted. */
  readonly groups?: number;
  /** Decisions listed (default 10). */
  readonly decisions?: number;
  /** Seconds between the page's refreshes in a browser (default 3). */
  readonly refreshSeconds?: number;
}

/** Quota decisions that changed or proposed something; `skipped` ones are held back by guardrails and left out. */
const SHOWN_DECISIONS = new Set(['applied', 'pending', 'failed', 'expired']);

/** The sparklines' frame at `now`: the window up to now, and the step grid inside it. */
function frameAt(deps: StatusDeps, now: number): Frame & Grid {
  const windowMs = (deps.windowSeconds ?? 300) * 1000;
  const stepMs = (deps.stepSeconds ?? 5) * 1000;
  // Grid points sit on step boundaries so that they stay put between refreshes.
  return {
    from: now - windowMs, to: now, stepMs, now,
    start: Math.ceil((now - windowMs) / stepMs) * stepMs, end: Math.floor(now / stepMs) * stepMs,
    rateWindowSeconds: deps.rateWindowSeconds ?? 60,
  };
}

/** The status of one cluster at `now`. */
async function clusterStatus(deps: StatusDeps, cluster: string, now: number): Promise<ClusterStatus> {
  const frame = frameAt(deps, now);
  const [brokers, groups, topClients] = await Promise.all([
    readBrokers(deps.engine, deps.querier, cluster, frame),
    readGroups(deps.querier, cluster, frame, deps.groups ?? 50),
    readTopClients(deps.engine, deps.querier, cluster, frame, deps.topClients ?? 5),
  ]);
  const last = deps.throttle?.get(cluster)?.lastRound;
  return {
    name: cluster,
    brokersUp: brokers.filter((b) => b.up).length,
    brokers,
    groups,
    topClients,
    throttle: last === undefined ? null : { mode: deps.mode ?? 'recommend', at: new Date(last.at).toISOString(), state: last.plan.diagnosis.state, reason: last.plan.diagnosis.reason, explanation: last.explanation },
  };
}

/** The pages' data from the service's parts. */
export function statusSource(deps: StatusDeps): StatusSource {
  const now = deps.now ?? Date.now;
  const windowSeconds = deps.windowSeconds ?? 300;
  const refreshSeconds = deps.refreshSeconds ?? 3;
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
        at: new Date(at).toISOString(), windowSeconds, stepSeconds: deps.stepSeconds ?? 5, refreshSeconds, clusters,
        alerts: { firing, pending: active.filter((a) => a.state === 'pending').length }, decisions,
      };
    },

    async group(cluster: string, group: string): Promise<GroupDetailView> {
      const at = now();
      const detail = deps.clusters.includes(cluster) ? await readGroupDetail(deps.querier, cluster, group, frameAt(deps, at)) : undefined;
      return { at: new Date(at).toISOString(), windowSeconds, refreshSeconds, cluster, name: group, ...(detail ?? { group: null, lagSecondsSeries: [], partitions: [] }) };
    },
  };
}
