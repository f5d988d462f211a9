/**
 * A what-if on a recorded fixture: the cluster model read from the fixture's series by the same
 * `readClusterModel` the store path uses (over the fixture loaded into a head, as replay loads
 * it), a plan made on it, and each broker's load before and predicted after. Placement comes
 * from the fixture's `kafka_log_log_size{broker, topic, partition}` series (a broker with a fresh
 * sample holds a replica; the lowest such broker id is taken for the leader), as it does from
 * the store.
 */
import { peakWindowMs, type BalanceConfig } from '../balance/config.ts';
import { explainPlan } from '../balance/explain.ts';
import { readClusterModel } from '../balance/load-reader.ts';
import type { ClusterModel } from '../balance/model.ts';
import { planBalance, type PlanRequest } from '../balance/plan.ts';
import type { Plan } from '../balance/result.ts';
import { FixtureFeed } from './feed.ts';
import type { Fixture } from './format.ts';

/** A plan made on a fixture, and what it was made from. */
export interface FixturePlan {
  readonly fixture: string;
  readonly cluster: string;
  /** End of the window the load was read over, ms. */
  readonly at: number;
  readonly model: ClusterModel;
  readonly plan: Plan;
}

/**
 * Plans `fixture`'s cluster under `config` with the load recorded over the peak window ending at
 * `at` (default the fixture's end). Throws RangeError for a request the planner refuses (as
 * `planBalance`).
 */
export async function planOnFixture(fixture: Fixture, config: BalanceConfig, request: PlanRequest, at: number = fixture.meta.to): Promise<FixturePlan> {
  const { windowMs, stepMs } = peakWindowMs(config);
  // The head keeps everything from the fixture's start to `at`: nothing of the window is evicted.
  const feed = new FixtureFeed(fixture.series, { headWindowMs: Math.max(0, at - fixture.meta.from) + windowMs + stepMs });
  feed.upTo(at);
  const model = await readClusterModel(feed.head, { cluster: fixture.meta.cluster, to: at, windowMs, stepMs, statistic: config.peak.statistic });
  return { fixture: fixture.meta.name, cluster: fixture.meta.cluster, at, model, plan: planBalance(model, config, request) };
}

/** The what-if as text: where the load was read, then the explained plan (per-broker load before → predicted after). */
export function fixturePlanText(made: FixturePlan, config: BalanceConfig): string {
  const head = `What-if on fixture ${made.fixture} (cluster ${made.cluster}): ${made.model.brokers.length} brokers, ${made.model.partitions.length} partitions, load = ${config.peak.statistic} of the ${config.peak.window} up to ${new Date(made.at).toISOString()}.\n`;
  return `${head}${explainPlan(made.plan)}`;
}

/** The what-if as JSON: the plan as `sluice balance plan --json` prints it, with where it was made. */
export function fixturePlanJson(made: FixturePlan): string {
  return `${JSON.stringify({ fixture: made.fixture, cluster: made.cluster, at: new Date(made.at).toISOString(), ...made.plan }, null, 2)}\n`;
}
