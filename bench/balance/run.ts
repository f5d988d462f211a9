/**
 * The live part of the balance bench: a bundled 6-broker cluster over real sockets (in a process
 * of its own, cluster-process.ts), its topics
 * created with the skewed placement of scenario.ts, the full service (collectors every second,
 * the store, balancing in `recommend`), and the real clients of clients.ts (in a process of their
 * own too, clients-process.ts). After a minute of
 * collection the planner's model is read from the store (readClusterModel over the peak window,
 * placement from Metadata, as make-plan.ts does), a full plan is made, stored and executed by the
 * service's executor (AlterPartitionReassignments, the replication throttle, the preferred leader
 * election), and what the brokers and clients saw before, during and after is returned.
 *
 * The store is embedded PGlite, or PostgreSQL at DATABASE_URL in a schema of its own, dropped
 * afterwards.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { parseSluiceConfig } from '../../src/app-config.ts';
import { buildApp, type App } from '../../src/app.ts';
import { peakWindowMs, type BalanceConfig } from '../../src/balance/config.ts';
import type { ExecutionRecord } from '../../src/balance/execute/types.ts';
import { explainPlan } from '../../src/balance/explain.ts';
import { readClusterModel } from '../../src/balance/load-reader.ts';
import type { ClusterModel } from '../../src/balance/model.ts';
import { planBalance, type Plan } from '../../src/balance/plan.ts';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { dropSchema } from '../../src/store/db.ts';
import { latencyQuantile } from './clients.ts';
import { startClientsProcess, type ClientsProcess } from './clients-process.ts';
import { startClusterProcess, type ClusterProcess } from './cluster-process.ts';
import { measureBytesIn, watchIsr, type Endpoint } from './measure.ts';
import { balanceSection, BROKERS, CORE_PRODUCER, MIN_ISR, TOPICS } from './scenario.ts';

/** Seconds of each phase. */
export interface Timing {
  /** From the clients' start to the start of the "before" measurement. */
  readonly warmS: number;
  /** Bytes in and the core p99 before the plan are measured over this. */
  readonly beforeS: number;
  /** After the execution, before the "after" measurement. */
  readonly settleS: number;
  readonly afterS: number;
}

/** What the live run recorded. */
export interface LiveRecord {
  readonly model: ClusterModel;
  readonly config: BalanceConfig;
  readonly plan: Plan;
  readonly explanation: string;
  readonly planMs: number;
  readonly execution: ExecutionRecord;
  readonly executionS: number;
  readonly bytesInBefore: Map<number, number>;
  readonly bytesInAfter: Map<number, number>;
  readonly coreP99: { readonly before: { value: number | null; count: number }; readonly during: { value: number | null; count: number } };
  /** Medians of the same windows, for context. */
  readonly coreP50: { readonly before: number | null; readonly during: number | null };
  readonly isr: { polls: number; failedPolls: number; pollsUnderMinIsr: number; underMinIsr: string[]; underReplicated: string[] };
  readonly produceErrors: number;
  readonly lastProduceError: string | null;
  readonly consumerCrashes: number;
  readonly consumed: number;
  readonly readBack: { read: number; acked: number; lost: number; duplicates: number; lostWhere: string[] };
  readonly placementAfter: Map<string, readonly number[]>;
}

async function createTopics(bootstrap: string): Promise<void> {
  const admin = new Kafka({ clientId: 'bench-setup', brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const ok = await admin.createTopics({
      waitForLeaders: true,
      topics: TOPICS.map((t) => ({
        topic: t.name,
        replicaAssignment: t.placement.map((replicas, partition) => ({ partition, replicas: [...replicas] })),
        configEntries: [{ name: 'min.insync.replicas', value: String(MIN_ISR) }],
      })),
    });
    if (!ok) throw new Error('topics already exist');
  } finally {
    await admin.disconnect();
  }
}

/** Runs the live part once. */
export async function runLive(timing: Timing, log: (line: string) => void, trace = false): Promise<LiveRecord> {
  const schema = process.env.DATABASE_URL ? `sluice_bench_${randomBytes(4).toString('hex')}` : undefined;
  let cluster: ClusterProcess | undefined;
  let app: App | undefined;
  let clients: ClientsProcess | undefined;
  let admin: KafkaAdmin | undefined;
  try {
    cluster = await startClusterProcess(BROKERS);
    const entry = {
      name: 'bench', bootstrap: cluster.bootstrap, metrics: cluster.metrics,
      intervals: { host: 60, cluster: 1, topics: 1, clients: 1 },
      timeouts: { requestMs: 5000, connectMs: 1000, scrapeMs: 1000 },
    };
    await createTopics(entry.bootstrap[0]!);
    const config = parseSluiceConfig({
      store: schema === undefined ? {} : { url: process.env.DATABASE_URL, schema },
      clusters: [entry], api: { port: 0 }, rules: { files: [] }, balance: balanceSection(),
    });
    app = buildApp(config, { jitter: 0 });
    await app.start();
    const balance = config.balance!;
    const service = app.balance.get('bench')!;
    const endpoints: Endpoint[] = entry.metrics.map((m) => ({ broker: m.broker, url: m.url }));
    admin = new KafkaAdmin({ bootstrap: [...entry.bootstrap], clientId: 'bench-observer', requestTimeoutMs: 5000 });

    clients = await startClientsProcess(entry.bootstrap, CORE_PRODUCER);
    const startedAt = Date.now();
    log(`  clients started; warming ${timing.warmS} s`);
    await sleep(timing.warmS * 1000);
    const beforeFrom = Date.now();
    const bytesInBefore = await measureBytesIn(endpoints, timing.beforeS);
    const beforeTo = Date.now();
    const { windowMs, stepMs } = peakWindowMs(balance);
    // The model's window is wholly inside the run: wait until it is.
    const waitMs = startedAt + windowMs + 2 * stepMs - Date.now();
    if (waitMs > 0) await sleep(waitMs);

    const planStart = performance.now();
    const now = Date.now();
    const meta = await admin.metadata();
    const brokers = meta.brokers.map((b) => ({ id: b.id, rack: b.rack }));
    const placement = [...meta.topics.values()].filter((t) => !t.internal).flatMap((t) => t.partitions.map((p) => ({ topic: p.topic, partition: p.partition, replicas: p.replicas, leader: p.leader, isr: p.isr })));
    const model = await readClusterModel(app.store.querier, { cluster: 'bench', to: now, windowMs, stepMs, statistic: balance.peak.statistic, placement, brokers });
    const plan = planBalance(model, balance, { mode: 'full' });
    const planMs = performance.now() - planStart;
    const explanation = explainPlan(plan);
    const planId = await service.store.savePlan({
      cluster: 'bench', createdAt: now, createdBy: 'bench', mode: 'full', plan, explanation,
      evidence: { at: new Date(now).toISOString(), placement: 'metadata', window: balance.peak.window, step: balance.peak.step, statistic: balance.peak.statistic, partitions: model.partitions.length },
    });
    log(`  plan: ${plan.reassignments.length} reassignment(s), ${plan.moves.length} action(s), ${(plan.bytesMoved / 2 ** 20).toFixed(1)} MiB to copy; executing`);

    const isr = watchIsr(admin, 500);
    const execFrom = Date.now();
    const started = await service.execute(planId, 'bench');
    const execution = await service.executor.wait(started.id);
    const execTo = Date.now();
    await isr.stop();
    log(`  execution ${execution.state} in ${((execTo - execFrom) / 1000).toFixed(1)} s${execution.error === null ? '' : `: ${execution.error}`}; settling ${timing.settleS} s, then measuring ${timing.afterS} s`);

    await sleep(timing.settleS * 1000);
    const bytesInAfter = await measureBytesIn(endpoints, timing.afterS);
    const metaAfter = await admin.metadata();
    const placementAfter = new Map<string, readonly number[]>();
    for (const t of TOPICS) for (const p of metaAfter.topics.get(t.name)?.partitions ?? []) placementAfter.set(`${t.name}-${p.partition}`, p.replicas);

    await clients.stopProducers();
    await sleep(1000);
    log('  reading every message back');
    const readBack = await clients.readBack();
    const stats = await clients.stats();
    const latencies = stats.coreLatencies;
    if (trace) {
      const slow = latencies.filter((l) => l.at >= execFrom && l.at < execTo && l.ms > 30);
      log(`  core sends over 30 ms during the execution (s after its start, partition, ms): ${slow.map((l) => `${((l.at - execFrom) / 1000).toFixed(1)}/p${l.partition}/${l.ms}`).join(' ')}`);
      for (const m of execution.moves) log(`  move ${m.topic}-${m.partition} [${m.replicasBefore.join(',')}] → [${m.replicasAfter.join(',')}]: ${(((m.startedAt ?? 0) - execFrom) / 1000).toFixed(1)}–${(((m.finishedAt ?? 0) - execFrom) / 1000).toFixed(1)} s`);
    }
    return {
      model, config: balance, plan, explanation, planMs, execution, executionS: (execTo - execFrom) / 1000,
      bytesInBefore, bytesInAfter,
      coreP99: { before: latencyQuantile(latencies, beforeFrom, beforeTo, 0.99), during: latencyQuantile(latencies, execFrom, execTo, 0.99) },
      coreP50: { before: latencyQuantile(latencies, beforeFrom, beforeTo, 0.5).value, during: latencyQuantile(latencies, execFrom, execTo, 0.5).value },
      isr: { polls: isr.polls, failedPolls: isr.failedPolls, pollsUnderMinIsr: isr.pollsUnderMinIsr, underMinIsr: [...isr.underMinIsr].sort(), underReplicated: [...isr.underReplicated].sort() },
      produceErrors: stats.produceErrors, lastProduceError: stats.lastProduceError,
      consumerCrashes: stats.consumerCrashes, consumed: stats.consumed, readBack, placementAfter,
    };
  } finally {
    await clients?.close();
    await admin?.close();
    await app?.stop();
    await cluster?.stop();
    if (schema !== undefined) await dropSchema(process.env.DATABASE_URL!, schema);
  }
}
