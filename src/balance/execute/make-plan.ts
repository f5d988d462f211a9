/**
 * A plan made to be executed: placement, leaders, ISR and racks from the cluster's Metadata (the
 * exact replica order a reassignment starts from), load from the store, planned and explained,
 * with the evidence it was made from. Used by `sluice balance plan --save` and the API.
 */
import type { KafkaAdmin } from '../../kafka/admin.ts';
import type { Querier } from '../../store/types.ts';
import { peakWindowMs, type BalanceConfig } from '../config.ts';
import { explainPlan } from '../explain.ts';
import { readClusterModel } from '../load-reader.ts';
import { planBalance, type PlanRequest } from '../plan.ts';
import type { Plan } from '../result.ts';

/** A plan, what it was made from, and its explanation. */
export interface MadePlan {
  readonly plan: Plan;
  readonly evidence: Record<string, unknown>;
  readonly explanation: string;
}

/** Plans `cluster` as it is now (`admin`'s Metadata) under the load recorded up to `now`. */
export async function makePlan(q: Querier, admin: KafkaAdmin, config: BalanceConfig, cluster: string, request: PlanRequest, now: number): Promise<MadePlan> {
  const meta = await admin.metadata();
  const brokers = meta.brokers.map((b) => ({ id: b.id, rack: b.rack }));
  const placement = [...meta.topics.values()].filter((t) => !t.internal).flatMap((t) => t.partitions.map((p) => ({ topic: p.topic, partition: p.partition, replicas: p.replicas, leader: p.leader, isr: p.isr })));
  const { windowMs, stepMs } = peakWindowMs(config);
  const model = await readClusterModel(q, { cluster, to: now, windowMs, stepMs, statistic: config.peak.statistic, placement, brokers });
  const plan = planBalance(model, config, request);
  const evidence = {
    at: new Date(now).toISOString(), request, placement: 'metadata', window: config.peak.window, step: config.peak.step, statistic: config.peak.statistic,
    brokers: brokers.map((b) => b.id), partitions: model.partitions.length,
    load: model.partitions.filter((p) => plan.reassignments.some((r) => r.topic === p.topic && r.partition === p.partition)).map((p) => ({ topic: p.topic, partition: p.partition, bytesIn: p.bytesIn, bytesOut: p.bytesOut, diskBytes: p.diskBytes })),
  };
  return { plan, evidence, explanation: explainPlan(plan) };
}
