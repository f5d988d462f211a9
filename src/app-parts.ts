/**
 * Small pieces the service assembly needs that belong to no one module: what /readyz checks,
 * the API's view of alerts (the rules' state joined with the notifier's silences and
 * inhibitions), which alerts count as traffic pressure for the throttle loop, and what the
 * service needs of a notifier.
 */
import type { AlertsSource, ApiAlert, ReadinessCheck } from './api/types.ts';
import type { ClusterCollector, CollectScheduler } from './collect/index.ts';
import { fingerprint } from './notify/labels.ts';
import type { Notifier } from './notify/notifier.ts';
import type { SilenceStore } from './notify/silences.ts';
import type { RuleManager } from './rules/manager.ts';
import type { Store } from './store/index.ts';
import type { WriterHealth } from './store/writer.ts';

/**
 * The alerts firing now whose names are in `names` (the throttle's diagnosis.pressureAlerts), by
 * name: what the throttle loop hears of the rules.
 */
export function firingAlertsNamed(rules: Pick<RuleManager, 'alerts'> | undefined, names: readonly string[]): string[] {
  if (names.length === 0) return [];
  const wanted = new Set(names);
  return (rules?.alerts() ?? []).filter((a) => a.state === 'firing' && wanted.has(a.labels.alertname ?? '')).map((a) => a.labels.alertname!);
}

/**
 * What the service needs of a notifier: the durable `Notifier`, or replay's `MemoryNotifier`
 * (no silences, nothing stored, deliveries listed).
 */
export type ServiceNotifier = Pick<Notifier, 'start' | 'ready' | 'stop' | 'idle' | 'send' | 'alerts'> & {
  readonly silences?: SilenceStore;
  settled?(): void;
};

/** Database reachable, collectors scheduled, rules healthy, clusters answering: what /readyz reports. */
export async function readinessChecks(store: Store, scheduler: CollectScheduler, rules: RuleManager | undefined, clusters: readonly Pick<ClusterCollector, 'cluster' | 'reachability'>[] = []): Promise<ReadinessCheck[]> {
  const checks: ReadinessCheck[] = [];
  try {
    await store.db.query('SELECT 1');
    checks.push({ name: 'database', ok: true });
  } catch (err) {
    checks.push({ name: 'database', ok: false, detail: (err as Error).message });
  }
  checks.push(writesCheck(store.writer.health()));
  checks.push({ name: 'collectors', ok: scheduler.running, ...(scheduler.running ? {} : { detail: 'the collectors are not running' }) });
  if (rules !== undefined) {
    const groups = rules.groups();
    checks.push({ name: 'rules', ok: groups.length > 0, ...(groups.length > 0 ? {} : { detail: 'no rule groups are loaded' }) });
  }
  checks.push(clustersCheck(clusters));
  return checks;
}

/** Degraded while some cluster answers none of its collector's Metadata requests. */
export function clustersCheck(clusters: readonly Pick<ClusterCollector, 'cluster' | 'reachability'>[]): ReadinessCheck {
  const down = clusters.filter((c) => c.reachability.reachable === false);
  if (down.length === 0) return { name: 'clusters', ok: true };
  const detail = down.map((c) => `cluster ${c.cluster} unreachable since ${new Date(c.reachability.unreachableSinceMs!).toISOString()}: ${c.reachability.error}`).join('; ');
  return { name: 'clusters', ok: false, detail, degraded: true };
}

/** The `writes` readiness check: degraded while the store writer's writes fail. */
export function writesCheck(health: WriterHealth): ReadinessCheck {
  if (health.failingSince === undefined) return { name: 'writes', ok: true };
  return { name: 'writes', ok: false, detail: `samples have not been written to the database since ${new Date(health.failingSince).toISOString()}: ${health.lastError}`, degraded: true };
}

/** The rules' active alerts, each with what mutes it in the notifier. */
export function alertsSource(rules: RuleManager, notifier: Pick<ServiceNotifier, 'alerts'> | undefined): AlertsSource {
  return {
    alerts(): ApiAlert[] {
      const muted = new Map((notifier?.alerts() ?? []).map((a) => [a.fingerprint, a]));
      return rules.alerts().map((a) => {
        const view = muted.get(fingerprint(a.labels));
        return {
          labels: a.labels, annotations: a.annotations, state: a.state, activeAt: a.activeAt, value: a.value,
          silencedBy: view?.silencedBy ?? [], inhibitedBy: view?.inhibitedBy ?? [],
        };
      });
    },
  };
}
