/**
 * Restoring operators' quotas: every entity Sluice changed goes back to the value an operator
 * had set before Sluice's first change (or has its quota removed, if there was none), as one
 * validated batch, each restoration audited. Used by `sluice quotas reset` and the API.
 */
import { entityKey, type ClientQuotaAlteration } from '../kafka/quota.ts';
import type { QuotaActuator } from './actuator.ts';
import type { DecisionStore } from './audit.ts';

/** What a reset did. */
export interface ResetOutcome {
  /** Entities restored, as `entity quotaKey → value` (null: removed). */
  readonly restored: readonly { readonly entityKey: string; readonly quotaKey: string; readonly value: number | null }[];
  /** Refusals by the cluster (then nothing was restored). */
  readonly errors: readonly string[];
}

/** Restores the baselines of `cluster` (only `entityKey`'s when given). */
export async function resetToBaselines(cluster: string, actuator: QuotaActuator, audit: DecisionStore, options: { entityKey?: string; by: string; now: number }): Promise<ResetOutcome> {
  const baselines = [...(await audit.baselines(cluster))]
    .map(([key, b]) => ({ entityKey: key.slice(0, key.lastIndexOf('|')), quotaKey: key.slice(key.lastIndexOf('|') + 1), ...b }))
    .filter((b) => options.entityKey === undefined || b.entityKey === options.entityKey)
    .sort((a, b) => (a.entityKey + a.quotaKey < b.entityKey + b.quotaKey ? -1 : 1));
  if (baselines.length === 0) return { restored: [], errors: [] };
  const current = new Map((await actuator.describe()).map((q) => [entityKey(q.entity), q.values]));
  const changes: ClientQuotaAlteration[] = baselines.map((b) => ({ entity: b.entity, key: b.quotaKey, value: b.value }));
  const outcome = await actuator.alter(changes);
  const ok = outcome.errors.length === 0;
  for (const b of baselines) {
    await audit.record({
      ts: options.now, cluster, entity: b.entity, entityKey: b.entityKey, quotaKey: b.quotaKey, mode: 'reset', state: 'n/a',
      oldValue: current.get(b.entityKey)?.[b.quotaKey], proposed: b.value, newValue: b.value, status: ok ? 'applied' : 'failed', appliedBy: options.by,
      reason: b.value === null ? 'reset: no quota was set before Sluice changed it: removed' : `reset: restored the operator's ${b.value} B/s`,
      evidence: {}, ...(ok ? {} : { error: outcome.errors.join('; ') }),
    });
    if (ok) await audit.forgetBaseline(cluster, b.entityKey, b.quotaKey);
  }
  return { restored: ok ? baselines.map((b) => ({ entityKey: b.entityKey, quotaKey: b.quotaKey, value: b.value })) : [], errors: outcome.errors };
}
