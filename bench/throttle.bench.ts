/**
 * The noisy-neighbour scenario three times in one run, each on a fresh bundled 3-broker cluster
 * with a small network-in capacity and a fresh service (collectors every second, the store, the
 * loop every 4 s): with no quotas; with static equal-share quotas set before the workload starts
 * (target utilization × capacity ÷ producers, per client-id, per broker as Kafka enforces them);
 * and with Sluice's loop in `auto` mode (a high-priority core group with a floor, a general
 * group for everyone else). Four producers: two core ones of different sizes, a steady general
 * one and a general one that bursts to many times its rate.
 *
 * Per run, sampled once a second from the brokers in process: the utilization of the busiest
 * broker as the throttle diagnosis computes it (max of 1 − handler idle, bytes in / capacity in,
 * bytes out / capacity out, the byte rates over the loop's rate window), the seconds it spent
 * over the target, the core producers' acknowledged ÷ offered bytes, the cluster's goodput
 * (acknowledged bytes/s, all producers) and the time from the burst's start until utilization
 * stays under the target for 3 samples in a row after first going over it. Beside those: peak and
 * mean utilization during the burst, the worst broker's Produce p99 during it, how much of its
 * demand the burster got and how often core producers were throttled.
 *
 *   npm run bench:throttle [-- --duration 90 --burst-at 20 --burst-for 45 --burst-factor 12 --runs none,static,auto --json --trace]
 *
 * Defaults keep the three runs under ~5 minutes. --capacity is bytes/s of network in per broker,
 * --interval and --rate-window the loop's (seconds), --trace prints every second's utilization,
 * the auto run's rounds and each quota change with the demand behind it.
 *
 * The store is embedded PGlite, or PostgreSQL at DATABASE_URL (a schema of its own per run,
 * dropped afterwards). With --json the figures go to stdout as JSON, progress to stderr.
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { buildApp, type App } from '../src/app.ts';
import { KafkaAdmin } from '../src/kafka/admin.ts';
import { startCluster, type RunningCluster } from '../src/kafka/broker/index.ts';
import type { BrokerNode } from '../src/kafka/broker/node.ts';
import { openDb } from '../src/store/db.ts';
import { quoteIdent } from '../src/store/sql.ts';
import { silentLogger } from '../src/telemetry/logger.ts';
import { KafkaQuotaActuator } from '../src/throttle/actuator.ts';
import { parseScenario } from '../src/workload/scenario.ts';
import { startWorkload, type RunSummary } from '../src/workload/run.ts';
import { bundledClusterEntry, serviceConfigFor } from '../test/helpers/service.ts';

const { values } = parseArgs({ options: {
  duration: { type: 'string', default: '90' }, 'burst-at': { type: 'string', default: '20' },
  'burst-for': { type: 'string', default: '45' }, 'burst-factor': { type: 'string', default: '12' },
  capacity: { type: 'string', default: String(600 * 1024) }, target: { type: 'string', default: '0.7' },
  interval: { type: 'string', default: '4' }, 'rate-window': { type: 'string', default: '5' },
  runs: { type: 'string', default: 'none,static,auto' }, json: { type: 'boolean', default: false },
  trace: { type: 'boolean', default: false },
} });
const KIB = 1024;
const DURATION_S = Number(values.duration);
const BURST_AT_S = Number(values['burst-at']);
const BURST_FOR_S = Number(values['burst-for']);
const BURST_FACTOR = Number(values['burst-factor']);
const CAPACITY_IN = Number(values.capacity);
const TARGET = Number(values.target);
const INTERVAL_S = Number(values.interval);
const RATE_WINDOW_S = Number(values['rate-window']);
/** Samples in a row under the target that count as contained. */
const CONTAINED_SAMPLES = 3;
const MODES = ['none', 'static', 'auto'] as const;
type Mode = (typeof MODES)[number];
const runs = values.runs.split(',').map((r) => r.trim()) as Mode[];
for (const r of runs) if (!MODES.includes(r)) throw new Error(`--runs: unknown run "${r}"; expected some of ${MODES.join(',')}`);
for (const [flag, v] of Object.entries({ duration: DURATION_S, 'burst-at': BURST_AT_S, 'burst-for': BURST_FOR_S, 'burst-factor': BURST_FACTOR, capacity: CAPACITY_IN, interval: INTERVAL_S, 'rate-window': RATE_WINDOW_S })) {
  if (!(v > 0)) throw new Error(`--${flag}: expected a positive number, got ${JSON.stringify(values[flag as keyof typeof values])}`);
}
if (!(TARGET > 0 && TARGET < 1)) throw new Error(`--target: expected a number between 0 and 1, got ${values.target}`);
const log = (line: string): void => void (values.json ? process.stderr : process.stdout).write(`${line}\n`);

/**
 * The producers, 1 KiB messages, each topic 3 partitions of RF 1 so that each broker takes a
 * third of every producer. Per broker at the default capacity (600 KiB/s, target 420 KiB/s):
 * core-orders 120 KiB/s, core-payments 30, general-batch 60, clickstream 30 then 30 × the burst
 * factor (360 at 12×): 240 KiB/s (40%) steady, 570 KiB/s (95%) during the burst. An equal
 * share is 105 KiB/s per client per broker: under core-orders' demand.
 */
const PRODUCERS = [
  { id: 'core-orders', topic: 'orders', rate: 360, core: true, burst: false },
  { id: 'core-payments', topic: 'payments', rate: 90, core: true, burst: false },
  { id: 'general-batch', topic: 'batch', rate: 180, core: false, burst: false },
  { id: 'clickstream', topic: 'clicks', rate: 90, core: false, burst: true },
] as const;

const SCENARIO = `
name: bench-noisy-neighbour
duration: ${DURATION_S}s
topics:
${PRODUCERS.map((p) => `  - { name: ${p.topic}, partitions: 3, replicationFactor: 1 }`).join('\n')}
producers:
${PRODUCERS.map((p) => `  - { id: ${p.id}, clientId: ${p.id}, topic: ${p.topic}, rate: ${p.rate}, size: 1024, keys: 300, acks: 1${
  p.burst ? `, spikes: [ { at: ${BURST_AT_S}s, for: ${BURST_FOR_S}s, factor: ${BURST_FACTOR} } ]` : ''} }`).join('\n')}
`;

/** Cumulative traffic of one broker at one moment, its handler idle ratio and Produce total time p99 (ms). */
interface BrokerCounters { readonly bytesIn: number; readonly bytesOut: number; readonly handlerIdle: number; readonly produceP99Ms: number }

function countersOf(node: BrokerNode, now: number): BrokerCounters {
  let bytesIn = node.stats.replicationBytesIn;
  let bytesOut = node.stats.replicationBytesOut;
  for (const t of node.stats.topics.values()) {
    bytesIn += t.bytesIn;
    bytesOut += t.bytesOut;
  }
  // The broker's reservoir keeps the last 2,048 Produce requests: at these rates, the last few seconds.
  const produceP99Ms = node.stats.requests.get('Produce')?.totalTime.quantiles([0.99], now)[0] ?? 0;
  return { bytesIn, bytesOut, handlerIdle: node.model.handlerIdle(now), produceP99Ms };
}

/** One second of a run. */
interface Sample { readonly t: number; readonly utilization: number; readonly produceP99Ms: number }

/** Samples the busiest broker's utilization once a second from the workload's start. */
class UtilizationSampler {
  private readonly history: { at: number; brokers: BrokerCounters[] }[] = [];
  /** Seconds since the start, the busiest broker's utilization then, and the worst broker's Produce p99. */
  readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly nodes: readonly BrokerNode[], private readonly startedAtMs: number) {}

  start(): void {
    const tick = (k: number): void => {
      this.sample();
      this.timer = setTimeout(() => tick(k + 1), Math.max(0, this.startedAtMs + (k + 1) * 1000 - Date.now()));
    };
    this.history.push({ at: this.startedAtMs, brokers: this.nodes.map((n) => countersOf(n, this.startedAtMs)) });
    this.timer = setTimeout(() => tick(1), Math.max(0, this.startedAtMs + 1000 - Date.now()));
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private sample(): void {
    const at = Date.now();
    const brokers = this.nodes.map((n) => countersOf(n, at));
    this.history.push({ at, brokers });
    // The rate window the loop reads, or what there is of it so far.
    const from = this.history[Math.max(0, this.history.length - 1 - RATE_WINDOW_S)]!;
    const seconds = (at - from.at) / 1000;
    let worst = 0;
    this.nodes.forEach((n, i) => {
      const now = brokers[i]!;
      const then = from.brokers[i]!;
      const inRate = (now.bytesIn - then.bytesIn) / seconds;
      const outRate = (now.bytesOut - then.bytesOut) / seconds;
      worst = Math.max(worst, 1 - now.handlerIdle, inRate / n.capacity.networkInBytesPerSec, outRate / n.capacity.networkOutBytesPerSec);
    });
    this.samples.push({ t: Math.round((at - this.startedAtMs) / 100) / 10, utilization: worst, produceP99Ms: Math.max(...brokers.map((b) => b.produceP99Ms)) });
  }
}

/** The figures of one run. */
interface RunFigures {
  readonly run: Mode;
  readonly secondsOverTarget: number;
  readonly peakUtilization: number;
  readonly meanBurstUtilization: number;
  /** Mean over the burst's seconds of the worst broker's Produce total time p99, ms: what every producer waited. */
  readonly burstProduceP99Ms: number;
  readonly coreAchievedRatio: number;
  readonly burstAchievedRatio: number;
  readonly coreThrottledResponses: number;
  /** Acknowledged bytes/s over the run, all producers. */
  readonly goodputBytesPerSec: number;
  /** Asked bytes/s over the run, all producers. */
  readonly offeredBytesPerSec: number;
  /** Seconds from the burst's start until contained; 0 when never over the target; null: not within the burst. */
  readonly timeToContainS: number | null;
  readonly neverOver: boolean;
  /** Static quota per client-id per broker, B/s (static run). */
  readonly staticQuota?: number;
  /** Sluice's applied quota changes (auto run): how many, the burster's first limit after the burst began (s), the lowest quota given a core client (B/s). */
  readonly auto?: { readonly applied: number; readonly burstLimitedAfter: number | null; readonly coreLowestQuota: number | null };
  readonly samples: readonly Sample[];
}

function timeToContain(samples: readonly Sample[]): { seconds: number | null; neverOver: boolean } {
  const inBurst = samples.filter((s) => s.t >= BURST_AT_S && s.t <= BURST_AT_S + BURST_FOR_S);
  const firstOver = inBurst.findIndex((s) => s.utilization > TARGET);
  if (firstOver < 0) return { seconds: 0, neverOver: true };
  for (let i = firstOver + 1; i + CONTAINED_SAMPLES <= inBurst.length; i++) {
    if (inBurst.slice(i, i + CONTAINED_SAMPLES).every((s) => s.utilization <= TARGET)) return { seconds: inBurst[i]!.t - BURST_AT_S, neverOver: false };
  }
  return { seconds: null, neverOver: false };
}

async function runOnce(mode: Mode): Promise<RunFigures> {
  const schema = process.env.DATABASE_URL ? `sluice_bench_${randomBytes(4).toString('hex')}` : undefined;
  let cluster: RunningCluster | undefined;
  let app: App | undefined;
  try {
    cluster = await startCluster({ port: 0, brokers: 3, metricsPort: 0, logger: silentLogger(), capacity: { networkInBytesPerSec: CAPACITY_IN } });
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
        mode: mode === 'auto' ? 'auto' : 'off', interval: INTERVAL_S, window: 60, rateWindow: RATE_WINDOW_S, target: TARGET,
        groups: [
          { name: 'core', priority: 3, weight: 4, floor: 100 * KIB, match: [{ clientId: 'core-*' }] },
          { name: 'general', priority: 0, weight: 1, floor: 20 * KIB, match: [{}] },
        ],
        // The bundled brokers' queue time p99 is over the last minute: utilization is what the loop steers by here.
        diagnosis: { maxQueueMs: 1000, maxLatencyMs: 5000 },
        guardrails: { cooldown: 2 * INTERVAL_S, minR2: 0 },
      },
    }), { jitter: 0 });
    await app.start();

    let staticQuota: number | undefined;
    if (mode === 'static') {
      staticQuota = Math.floor((TARGET * CAPACITY_IN) / PRODUCERS.length);
      const admin = new KafkaAdmin({ bootstrap, clientId: 'sluice-bench' });
      try {
        const outcome = await new KafkaQuotaActuator(admin).alter(PRODUCERS.map((p) => ({ entity: [{ entityType: 'client-id', entityName: p.id }], key: 'producer_byte_rate', value: staticQuota! })));
        if (outcome.errors.length > 0) throw new Error(`static quotas refused: ${outcome.errors.join('; ')}`);
      } finally {
        await admin.close();
      }
    }

    const workload = await startWorkload(parseScenario(SCENARIO, 'bench-noisy-neighbour.yaml'), { bootstrap: [bootstrap[0]!], statusIntervalMs: 3_600_000 }, { logger: silentLogger(), status: () => {} });
    const sampler = new UtilizationSampler(nodes, workload.startedAtMs);
    sampler.start();
    // --trace: each round of the loop as it happens (state, reason, per-broker client capacity).
    const loop = app.throttle.get('bench');
    let lastRoundAt = 0;
    const rounds = values.trace && loop !== undefined ? setInterval(() => {
      const r = loop.lastRound;
      if (r === undefined || r.at === lastRoundAt) return;
      lastRoundAt = r.at;
      log(`  round ${((r.at - workload.startedAtMs) / 1000).toFixed(1)} s: ${r.plan.diagnosis.state}, capacity ${kib(r.plan.capacity.produce)}: ${r.plan.diagnosis.reason}`);
    }, 250) : undefined;
    let summary: RunSummary;
    try {
      summary = await workload.done;
    } finally {
      sampler.stop();
      clearInterval(rounds);
    }

    let auto: RunFigures['auto'];
    if (mode === 'auto') {
      const rows = (await app.store.db.query<{ ts: number; entity_key: string; old_value: number | null; new_value: number | null; reason: string; evidence: { demand?: { reason?: string } } | null }>(
        `SELECT extract(epoch from ts) * 1000 AS ts, entity_key, old_value, new_value, reason, evidence FROM quota_decisions WHERE status = 'applied' ORDER BY id`)).rows;
      const burstAt = workload.startedAtMs + BURST_AT_S * 1000;
      if (values.trace) {
        for (const r of rows) log(`  ${((Number(r.ts) - workload.startedAtMs) / 1000).toFixed(1)} s ${r.entity_key} ${r.old_value ?? 'none'} → ${r.new_value ?? 'none'} (${r.reason}; demand: ${r.evidence?.demand?.reason ?? '?'})`);
      }
      const burstLimit = rows.find((r) => r.entity_key === 'client-id=clickstream' && r.new_value !== null && Number(r.ts) >= burstAt);
      auto = {
        applied: rows.length,
        burstLimitedAfter: burstLimit === undefined ? null : (Number(burstLimit.ts) - burstAt) / 1000,
        coreLowestQuota: rows.filter((r) => r.entity_key.includes('client-id=core-') && r.new_value !== null).reduce<number | null>((m, r) => Math.min(m ?? Infinity, Number(r.new_value)), null),
      };
    }

    const producers = summary.sample.producers;
    const isCore = (id: string) => PRODUCERS.find((p) => p.id === id)?.core === true;
    const isBurst = (id: string) => PRODUCERS.find((p) => p.id === id)?.burst === true;
    const ratio = (pick: (id: string) => boolean): number => {
      const chosen = producers.filter((p) => pick(p.id));
      return chosen.reduce((s, p) => s + p.ackedBytes, 0) / chosen.reduce((s, p) => s + p.askedBytes, 0);
    };
    const seconds = summary.sample.elapsedMs / 1000;
    // The sampler runs on while the producers close; the run is the scenario's duration.
    const samples = sampler.samples.filter((s) => s.t <= seconds + 0.5);
    const burst = samples.filter((s) => s.t >= BURST_AT_S && s.t <= BURST_AT_S + BURST_FOR_S);
    const contain = timeToContain(samples);
    return {
      run: mode,
      secondsOverTarget: samples.filter((s) => s.utilization > TARGET).length,
      peakUtilization: Math.max(0, ...samples.map((s) => s.utilization)),
      meanBurstUtilization: burst.reduce((s, x) => s + x.utilization, 0) / Math.max(1, burst.length),
      burstProduceP99Ms: burst.reduce((s, x) => s + x.produceP99Ms, 0) / Math.max(1, burst.length),
      coreAchievedRatio: ratio(isCore),
      burstAchievedRatio: ratio(isBurst),
      coreThrottledResponses: producers.filter((p) => isCore(p.id)).reduce((s, p) => s + p.throttle.throttled, 0),
      goodputBytesPerSec: producers.reduce((s, p) => s + p.ackedBytes, 0) / seconds,
      offeredBytesPerSec: producers.reduce((s, p) => s + p.askedBytes, 0) / seconds,
      timeToContainS: contain.seconds,
      neverOver: contain.neverOver,
      ...(staticQuota === undefined ? {} : { staticQuota }),
      ...(auto === undefined ? {} : { auto }),
      samples,
    };
  } finally {
    await app?.stop();
    await cluster?.stop();
    if (schema !== undefined) {
      const db = await openDb({ url: process.env.DATABASE_URL! });
      try {
        await db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
      } finally {
        await db.close();
      }
    }
  }
}

const LABELS: Record<Mode, string> = { none: 'no quotas', static: 'static equal-share', auto: 'Sluice auto' };
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const kib = (x: number) => `${(x / KIB).toFixed(0)} KiB/s`;

function table(figures: readonly RunFigures[]): string {
  const header = ['run', 's over target', 'core achieved/offered', 'goodput', 'time to contain', 'peak util', 'burst util (mean)', 'produce p99 (burst)', 'burster achieved', 'core throttled'];
  const rows = figures.map((f) => [
    LABELS[f.run], String(f.secondsOverTarget), pct(f.coreAchievedRatio), `${kib(f.goodputBytesPerSec)} of ${kib(f.offeredBytesPerSec)}`,
    f.neverOver ? 'never over' : f.timeToContainS === null ? 'never' : `${f.timeToContainS.toFixed(0)} s`,
    pct(f.peakUtilization), pct(f.meanBurstUtilization), `${f.burstProduceP99Ms.toFixed(0)} ms`, pct(f.burstAchievedRatio), String(f.coreThrottledResponses),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

log(`throttle bench on ${cpus().length} cores, node ${process.version}, store ${process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'PGlite (in memory)'}: ` +
  `3 brokers × ${kib(CAPACITY_IN)} in, target ${pct(TARGET)}, ${DURATION_S} s per run, clickstream ×${BURST_FACTOR} at ${BURST_AT_S} s for ${BURST_FOR_S} s, loop every ${INTERVAL_S} s`);
const figures: RunFigures[] = [];
for (const mode of runs) {
  const started = performance.now();
  const f = await runOnce(mode);
  figures.push(f);
  const extra = f.staticQuota !== undefined ? `, quota ${f.staticQuota} B/s per client-id`
    : f.auto !== undefined ? `, ${f.auto.applied} quota change(s), burster limited ${f.auto.burstLimitedAfter === null ? 'never' : `${f.auto.burstLimitedAfter.toFixed(1)} s after the burst began`}, core ${f.auto.coreLowestQuota === null ? 'never given a quota' : `given a quota, lowest ${f.auto.coreLowestQuota.toFixed(0)} B/s`}` : '';
  log(`${LABELS[mode]}: done in ${((performance.now() - started) / 1000).toFixed(0)} s${extra}`);
  if (values.trace) log(`  max broker utilization by second: ${f.samples.map((s) => `${s.t.toFixed(0)}:${(100 * s.utilization).toFixed(0)}`).join(' ')}`);
}
if (values.json) {
  process.stdout.write(`${JSON.stringify({ target: TARGET, capacityInPerBroker: CAPACITY_IN, durationS: DURATION_S, burst: { atS: BURST_AT_S, forS: BURST_FOR_S, factor: BURST_FACTOR }, runs: figures }, null, 2)}\n`);
} else {
  log('');
  log(table(figures));
}
