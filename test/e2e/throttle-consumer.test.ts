/**
 * The quota loop end to end on the consume side, in `auto` mode, all real: the bundled 3-broker
 * cluster with a small network-out capacity, a workload of real clients (a steady producer, a core
 * consumer group keeping up with it, and a general consumer group that starts late on a topic
 * holding a large backlog and reads it as fast as the brokers send it), the service (collectors
 * every second, lag every 2 s, the store, the loop every 4 s) pushing quotas with
 * AlterClientQuotas.
 *
 * The catching-up consumer is limited by consumer_byte_rate within two loop intervals of its
 * reading showing in the rates, and the brokers throttle its fetches; the core consumer is never
 * limited nor throttled and its lag stays within a few seconds; no producer is limited, because
 * the pressure is on the brokers' network out.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Producer, ProduceAcks } from '@platformatic/kafka';
import { buildApp, type App } from '../../src/app.ts';
import { startCluster, type RunningCluster } from '../../src/kafka/broker/index.ts';
import { Engine } from '../../src/rules/promql/index.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { parseScenario } from '../../src/workload/scenario.ts';
import { startWorkload, type WorkloadRun } from '../../src/workload/run.ts';
import { serviceConfigFor } from '../helpers/service.ts';
import { waitFor } from '../notify/support.ts';

const KIB = 1024;
const CAPACITY_OUT = 512 * KIB;
const INTERVAL_S = 4;
const RATE_WINDOW_S = 5;
const START_AT_S = 16;
const RUN_S = 46;
const BACKLOG_MESSAGES = 12_000;
const BACKLOG_SIZE = 4 * KIB;

// RF 1 and 3 partitions per topic: each broker leads one partition of each. The core group reads
// what the feed writes, 150 KiB/s, a third per broker (50 KiB/s, 10% of its network out). The
// backlog is 48 MiB, 16 MiB per broker: read at the full 512 KiB/s it would last 32 s, longer
// than the run, so the catching-up consumer offers more than the brokers can send throughout.
const SCENARIO = `
name: e2e-catching-up-consumer
duration: 120s
producers:
  - { id: feed, clientId: orders-api, topic: orders, rate: 150, size: 1024, keys: 300, acks: 1 }
consumers:
  - { id: core, clientId: core-billing, group: core-billing, topics: [orders] }
  - { id: replay, clientId: audit-replay, group: audit-replay, topics: [audit], actions: [ { at: ${START_AT_S}s, do: start } ] }
`;

let cluster: RunningCluster;
let app: App;
let workload: WorkloadRun | undefined;

/** Writes the backlog: batches of 150 messages, 50 per partition (200 KiB, well under one fetch). */
async function fillBacklog(bootstrap: string): Promise<void> {
  const producer = new Producer({ clientId: 'audit-loader', bootstrapBrokers: [bootstrap], acks: ProduceAcks.LEADER });
  const value = Buffer.alloc(BACKLOG_SIZE, 'a');
  try {
    for (let sent = 0; sent < BACKLOG_MESSAGES; sent += 150) {
      await producer.send({ messages: Array.from({ length: 150 }, (_, i) => ({ topic: 'audit', partition: (sent + i) % 3, key: Buffer.from(`k${sent + i}`), value })) });
    }
  } finally {
    await producer.close();
  }
}

before(async () => {
  cluster = await startCluster({
    port: 0, brokers: 3, metricsPort: 0, logger: silentLogger(),
    capacity: { networkOutBytesPerSec: CAPACITY_OUT },
    topics: [{ name: 'orders', partitions: 3, replicationFactor: 1 }, { name: 'audit', partitions: 3, replicationFactor: 1 }],
  });
  await fillBacklog(cluster.bootstrap.split(',')[0]!);
  const config = serviceConfigFor(cluster, {
    name: 'e2e',
    cluster: {
      intervals: { host: 60, cluster: 1, topics: 2, clients: 1 },
      timeouts: { requestMs: 2000, connectMs: 500, scrapeMs: 1000 },
    },
    rules: { files: [] },
    throttle: {
      mode: 'auto', interval: INTERVAL_S, window: 60, rateWindow: RATE_WINDOW_S, target: 0.7,
      groups: [
        { name: 'core', priority: 3, weight: 4, floor: 100 * KIB, match: [{ clientId: 'core-*' }] },
        { name: 'general', priority: 0, weight: 1, floor: 20 * KIB, match: [{}] },
      ],
      // As in the producer test: utilization is what this test steers by, not queue time p99.
      diagnosis: { maxQueueMs: 1000, maxLatencyMs: 5000 },
      guardrails: { cooldown: 2 * INTERVAL_S, minR2: 0 },
    },
  });
  app = buildApp(config, { jitter: 0 });
  await app.start();
});

after(async () => {
  await workload?.stop();
  await app?.stop();
  await cluster?.stop();
});

interface DecisionRow { id: number; ts: number; entity_key: string; quota_key: string; new_value: number | null; status: string; reason: string; evidence: { direction: string; pressured: string[] } }

test('auto: a catching-up consumer is limited by consumer_byte_rate within two intervals; core consumers keep up and are never throttled; producers are left alone', async (t) => {
  workload = await startWorkload(parseScenario(SCENARIO, 'e2e.yaml'), { bootstrap: [cluster.bootstrap.split(',')[0]!], statusIntervalMs: 60_000 }, { logger: silentLogger(), status: () => {} });
  const startAt = workload.startedAtMs + START_AT_S * 1000;
  const decisions = async (): Promise<DecisionRow[]> => (await app.store.db.query<DecisionRow>(
    `SELECT id::float8 AS id, extract(epoch from ts) * 1000 AS ts, entity_key, quota_key, new_value, status, reason, evidence FROM quota_decisions ORDER BY id`)).rows;
  const limit = async (): Promise<DecisionRow | undefined> => (await decisions())
    .find((d) => d.entity_key === 'client-id=audit-replay' && d.status === 'applied' && d.new_value !== null);

  await waitFor(async () => (await limit()) !== undefined, 'the catching-up consumer to be limited', (START_AT_S + 40) * 1000);
  const limitedAfter = Date.now() - startAt;
  const limited = (await limit())!;
  // The same budget as the producer test: the rates need RATE_WINDOW_S (+1 s of collection) to
  // show the reading, then two rounds (a pressured diagnosis is confirmed on the second; an
  // overloaded one is acted on at once), plus up to one interval for the round to come.
  const budget = (RATE_WINDOW_S + 1 + 2 * INTERVAL_S + INTERVAL_S) * 1000;
  t.diagnostic(`catching-up consumer limited to ${limited.new_value} B/s ${limitedAfter} ms after it started (budget ${budget} ms): ${limited.reason}`);
  assert.ok(limitedAfter <= budget, `limited after ${limitedAfter} ms`);
  assert.equal(limited.quota_key, 'consumer_byte_rate');
  assert.match(limited.reason, /^(pressured|overloaded): demand \d+ B\/s \(measured\) over its general allocation \d+ B\/s of \d+ B\/s per broker \(network out of broker \d+\)$/);
  assert.deepEqual([limited.evidence.direction, limited.evidence.pressured], ['consume', ['consume']]);
  // A broker's share at the target is 0.7 × 512 KiB/s, part of it core's; the general floor is 20 KiB/s.
  assert.ok(limited.new_value! >= 20 * KIB && limited.new_value! <= 0.7 * CAPACITY_OUT, `quota ${limited.new_value}`);
  // On the brokers now (the cooldown holds it for two intervals).
  assert.equal(cluster.cluster.quotas.get([{ entityType: 'client-id', entityName: 'audit-replay' }], 'consumer_byte_rate'), limited.new_value);

  // Let the limited catch-up run on to the end of the window, then read what the cluster went through.
  await new Promise((r) => setTimeout(r, Math.max(0, workload!.startedAtMs + RUN_S * 1000 - Date.now())));
  const engine = new Engine();
  const over = `[${RUN_S}s]`;
  const lagOf = async (expr: string): Promise<number | undefined> => {
    const v = await engine.instant(expr, Date.now(), app.store.head);
    return v.kind === 'vector' ? v.samples[0]?.value : undefined;
  };
  const core = 'cluster="e2e",group="core-billing"';
  const maxLagS = await lagOf(`max_over_time(kafka_consumergroup_group_max_lag_seconds{${core}}${over})`);
  const maxLag = await lagOf(`max_over_time(kafka_consumergroup_group_max_lag{${core}}${over})`);
  const lagSamples = await lagOf(`count_over_time(kafka_consumergroup_group_max_lag_seconds{${core}}${over})`);
  const summary = await workload.stop();
  workload = undefined;
  const coreSummary = summary.sample.consumers.find((c) => c.id === 'core')!;
  const replay = summary.sample.consumers.find((c) => c.id === 'replay')!;
  t.diagnostic(`core lag at most ${maxLagS?.toFixed(1)} s, ${maxLag} messages on a partition, over ${lagSamples} samples; core read ${coreSummary.consumed}, replay ${replay.consumed} of ${BACKLOG_MESSAGES} with ${replay.throttle.throttled} throttled fetches (${replay.throttle.totalMs} ms)`);

  // Lag is collected every 2 s over the whole run: at least 15 samples, not a lucky few.
  assert.ok(lagSamples !== undefined && lagSamples >= 15, `${lagSamples} lag samples`);
  // Core keeps up: committing once a second leaves ~1 s of lag at rest, and its small fetches
  // share the brokers' network out with the catching-up consumer's 1 MiB responses rather than
  // waiting behind them (they would add 2 s at 512 KiB/s); 3 s leaves room for collection timing
  // and a busy machine. The backlog the other group reads is 30+ s of the brokers' network time.
  assert.ok(maxLagS !== undefined && maxLagS <= 3, `core lag reached ${maxLagS} s`);
  // 3 s of the 50 messages/s each partition receives.
  assert.ok(maxLag !== undefined && maxLag <= 150, `core lag reached ${maxLag} messages`);
  assert.equal(coreSummary.throttle.throttled, 0, 'the core consumer was never throttled');
  assert.ok(replay.throttle.throttled > 0, 'the brokers throttled the catching-up consumer\'s fetches');
  assert.ok(replay.consumed < BACKLOG_MESSAGES, `the catch-up lasted the run: ${replay.consumed} of ${BACKLOG_MESSAGES} read`);
  // Neither core nor the producer was ever proposed a quota, applied or not.
  const others = (await decisions()).filter((d) => d.entity_key !== 'client-id=audit-replay');
  assert.deepEqual(others.map((d) => `${d.entity_key} ${d.quota_key} ${d.status}: ${d.reason}`), []);
});
