/**
 * One run of one scenario in one mode, on a fresh bundled 3-broker cluster (network capacity as
 * the scenario says) and a fresh service (collectors every second, the store, the loop every
 * `intervalS`): with no quotas; with the static equal share set through the admin client before
 * the workload starts; or with Sluice's loop in `auto` mode. It returns what was recorded; the
 * figures are worked out from it (figures.ts).
 *
 * The store is embedded PGlite, or PostgreSQL at DATABASE_URL in a schema of its own, dropped
 * afterwards.
 */
import { randomBytes } from 'node:crypto';
import { buildApp, type App } from '../../src/app.ts';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { startCluster, type RunningCluster } from '../../src/kafka/broker/index.ts';
import type { ClientQuotaEntry } from '../../src/kafka/quota.ts';
import { dropSchema } from '../../src/store/db.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { KafkaQuotaActuator } from '../../src/throttle/actuator.ts';
import { startWorkload, type RunSummary } from '../../src/workload/run.ts';
import { parseScenario } from '../../src/workload/scenario.ts';
import { bundledClusterEntry, serviceConfigFor } from '../../test/helpers/service.ts';
import { RoundRecorder, Sampler, type Round, type Sample } from './measure.ts';
import { KIB } from './scenarios.ts';
import { BROKERS, staticShare, type Shape } from './shape.ts';

/** The three ways a scenario runs. */
export const MODES = ['none', 'static', 'auto'] as const;
export type Mode = (typeof MODES)[number];

/** How the bench runs. */
export interface RunOptions {
  readonly target: number;
  /** Seconds between the loop's rounds. */
  readonly intervalS: number;
  /** Seconds behind each rate the loop reads. */
  readonly rateWindowS: number;
  /**
   * Seconds behind each rate the bench itself measures utilization over, whatever the loop reads:
   * runs of different loop settings are judged by one yardstick.
   */
  readonly measureWindowS: number;
  /** The brokers' quota.window.num (samples of 1 s in a client quota window; Kafka's default 11). */
  readonly quotaWindowNum: number;
  /** Progress and --trace lines. */
  readonly log: (line: string) => void;
  readonly trace: boolean;
}

/** A quota change Sluice applied (auto runs), from its decision log. */
export interface AppliedChange {
  /** Epoch ms of the round that decided it. */
  readonly ts: number;
  readonly entityKey: string;
  readonly quotaKey: string;
  readonly oldValue: number | null;
  readonly newValue: number | null;
  readonly reason: string;
  readonly rollbackOf: number | null;
}

/** What one run recorded. */
export interface RunRecord {
  readonly mode: Mode;
  readonly shape: Shape;
  /** Epoch ms of the workload's time 0. */
  readonly startedAtMs: number;
  /** Epoch ms when the loop's timer started (its rounds fall every interval after). */
  readonly appStartedAtMs: number;
  /** One a second, up to the scenario's end. */
  readonly samples: readonly Sample[];
  readonly summary: RunSummary;
  /** Rounds of the loop (auto runs). */
  readonly rounds: readonly Round[];
  /** Quota changes Sluice applied, oldest first (auto runs). */
  readonly changes: readonly AppliedChange[];
  /** Client quotas on the cluster when the workload ended, as DescribeClientQuotas answers. */
  readonly quotasAtEnd: readonly ClientQuotaEntry[];
  /** The static share set before the workload (static runs), bytes/s per client id per broker. */
  readonly staticShare?: { readonly producer: number; readonly consumer: number | undefined };
  /** Wall seconds the run took, setup and teardown included. */
  readonly wallS: number;
}

const kib = (x: number): string => `${(x / KIB).toFixed(0)} KiB/s`;

async function describeQuotas(bootstrap: readonly string[]): Promise<ClientQuotaEntry[]> {
  const admin = new KafkaAdmin({ bootstrap: [...bootstrap], clientId: 'sluice-bench' });
  try {
    return [...(await new KafkaQuotaActuator(admin).describe())];
  } finally {
    await admin.close();
  }
}

async function setStaticShare(bootstrap: readonly string[], shape: Shape, share: { producer: number; consumer: number | undefined }): Promise<void> {
  const entity = (id: string) => [{ entityType: 'client-id' as const, entityName: id }];
  const changes = [
    ...shape.def.producers.map((p) => ({ entity: entity(p.id), key: 'producer_byte_rate', value: share.producer })),
    ...(share.consumer === undefined ? [] : shape.def.consumers.map((c) => ({ entity: entity(c.id), key: 'consumer_byte_rate', value: share.consumer! }))),
  ];
  const admin = new KafkaAdmin({ bootstrap: [...bootstrap], clientId: 'sluice-bench' });
  try {
    const outcome = await new KafkaQuotaActuator(admin).alter(changes);
    if (outcome.errors.length > 0) throw new Error(`static quotas refused: ${outcome.errors.join('; ')}`);
  } finally {
    await admin.close();
  }
}

async function appliedChanges(app: App): Promise<AppliedChange[]> {
  const rows = (await app.store.db.query<{ ts: number; entity_key: string; quota_key: string; old_value: number | null; new_value: number | null; reason: string; rollback_of: number | null }>(
    `SELECT extract(epoch from ts) * 1000 AS ts, entity_key, quota_key, old_value, new_value, reason, rollback_of FROM quota_decisions WHERE status = 'applied' ORDER BY ts, id`)).rows;
  const num = (v: number | string | null): number | null => (v === null ? null : Number(v));
  return rows.map((r) => ({ ts: Number(r.ts), entityKey: r.entity_key, quotaKey: r.quota_key, oldValue: num(r.old_value), newValue: num(r.new_value), reason: r.reason, rollbackOf: num(r.rollback_of) }));
}

/** Runs `shape` once in `mode`. */
export async function runOnce(shape: Shape, mode: Mode, options: RunOptions): Promise<RunRecord> {
  const began = performance.now();
  const { def } = shape;
  const { log } = options;
  const schema = process.env.DATABASE_URL ? `sluice_bench_${randomBytes(4).toString('hex')}` : undefined;
  let cluster: RunningCluster | undefined;
  let app: App | undefined;
  try {
    cluster = await startCluster({
      port: 0, brokers: BROKERS, metricsPort: 0, logger: silentLogger(),
      capacity: { networkInBytesPerSec: def.capacity.in, networkOutBytesPerSec: def.capacity.out },
      quotaWindow: { num: options.quotaWindowNum },
    });
    const nodes = cluster.cluster.nodes.filter((n) => n !== undefined);
    const { bootstrap } = bundledClusterEntry(cluster, 'bench');
    app = buildApp(serviceConfigFor(cluster, {
      name: 'bench',
      store: schema === undefined ? {} : { url: process.env.DATABASE_URL, schema },
      cluster: {
        intervals: { host: 60, cluster: 1, topics: 5, clients: 1 },
        timeouts: { requestMs: 2000, connectMs: 500, scrapeMs: 1000 },
      },
      rules: { files: [] },
      throttle: {
        mode: mode === 'auto' ? 'auto' : 'off', interval: options.intervalS, window: 60, rateWindow: options.rateWindowS, target: options.target,
        groups: [
          { name: 'core', priority: 3, weight: 4, floor: 100 * KIB, match: [{ clientId: 'core-*' }] },
          { name: 'general', priority: 0, weight: 1, floor: 20 * KIB, match: [{}] },
        ],
        // The bundled brokers' queue time p99 is over the last minute: utilization is what the loop steers by here.
        diagnosis: { maxQueueMs: 1000, maxLatencyMs: 5000 },
        guardrails: { cooldown: 2 * options.intervalS, minR2: 0 },
      },
    }), { jitter: 0 });
    await app.start();
    const appStartedAtMs = Date.now();

    let share: RunRecord['staticShare'];
    if (mode === 'static') {
      share = staticShare(def, options.target);
      await setStaticShare(bootstrap, shape, share);
    }

    const workload = await startWorkload(parseScenario(shape.yaml, `bench-${def.name}.yaml`), { bootstrap: [bootstrap[0]!], statusIntervalMs: options.trace ? 5000 : 3_600_000 }, {
      logger: silentLogger(),
      status: options.trace ? (line) => log(`  ${line}`) : () => {},
    });
    const startedAtMs = workload.startedAtMs;
    const sampler = new Sampler(nodes, () => workload.counters(), startedAtMs, options.measureWindowS);
    sampler.start();
    const loop = app.throttle.get('bench');
    const traceRound = (r: Round): void => {
      const checks = r.modelCheck.length === 0 ? '' : `; model error ${r.modelCheck.map((c) => `${c.broker}:${(100 * c.error).toFixed(1)}`).join(' ')} points`;
      log(`  round ${((r.at - startedAtMs) / 1000).toFixed(1)} s: ${r.state}, client capacity in ${kib(r.capacity.produce)} out ${kib(r.capacity.consume)}: ${r.reason}${checks}\n    ${r.explanation}`);
    };
    const recorder = loop === undefined ? undefined : new RoundRecorder(loop, options.trace ? traceRound : undefined);
    recorder?.start();
    let summary: RunSummary;
    try {
      summary = await workload.done;
    } finally {
      sampler.stop();
      recorder?.stop();
    }

    const changes = mode === 'auto' ? await appliedChanges(app) : [];
    const quotasAtEnd = await describeQuotas(bootstrap);
    if (options.trace) {
      for (const c of changes) log(`  ${((c.ts - startedAtMs) / 1000).toFixed(1)} s ${c.entityKey} ${c.quotaKey} ${c.oldValue ?? 'none'} → ${c.newValue ?? 'none'} (${c.reason})`);
      log(`  busiest broker's utilization by second: ${sampler.samples.map((s) => `${s.t.toFixed(0)}:${(100 * s.utilization).toFixed(0)}`).join(' ')}`);
    }
    return {
      mode, shape, startedAtMs, appStartedAtMs,
      // The sampler runs on while the producers close and groups drain; the run is the scenario's length.
      samples: sampler.samples.filter((s) => s.t <= shape.durationS + 0.5),
      summary, rounds: recorder?.rounds ?? [], changes, quotasAtEnd,
      ...(share === undefined ? {} : { staticShare: share }),
      wallS: (performance.now() - began) / 1000,
    };
  } finally {
    await app?.stop();
    await cluster?.stop();
    if (schema !== undefined) await dropSchema(process.env.DATABASE_URL!, schema);
  }
}
