/**
 * Records an incident fixture from the bundled cluster: starts a 3-broker cluster with its fault
 * control API, the service (store, collectors, the shipped rules, no throttle pushing anything),
 * runs a workload scenario against it, then exports the window with `recordFixture` exactly as
 * `sluice record` does and writes what the live rules engine showed beside it (live.json), so
 * that replay can be held to it. Everything runs in wall-clock time: the fixture is what the
 * collectors saw.
 *
 * The fixtures under fixtures/incidents/ are made by this from their recording.yaml:
 *   node --import tsx src/replay/workload-recorder.ts fixtures/incidents/broker-down [...]
 */
import { writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { buildApp } from '../app.ts';
import { loadYamlFile } from '../config/yaml.ts';
import { parseSluiceConfig } from '../app-config.ts';
import { startControlServer } from '../kafka/broker/control.ts';
import { startCluster } from '../kafka/broker/index.ts';
import type { ActiveAlert } from '../rules/status.ts';
import { dropSchema } from '../store/db.ts';
import { createLogger, silentLogger, type Logger } from '../telemetry/logger.ts';
import { startWorkload } from '../workload/run.ts';
import { loadScenario } from '../workload/scenario.ts';
import { parseDuration } from '../duration.ts';
import type { FixtureMeta } from './format.ts';
import { recordFromDb } from './record.ts';
import { writeFixture } from './write.ts';

/** One alert as the live service showed it during the recording. */
export interface LiveAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly activeAt: number;
  readonly firedAt?: number;
  readonly resolvedAt?: number;
}

/** What the recording saw live, written as live.json. */
export interface LiveRecord {
  /** When the live rules engine first evaluated its groups, ms. */
  readonly rulesStart: number;
  readonly rulesIntervalSeconds: number;
  readonly alerts: readonly LiveAlert[];
}

/** How to record one fixture. */
export interface WorkloadRecordOptions {
  readonly scenarioFile: string;
  readonly out: string;
  readonly name: string;
  readonly description: string;
  /** Incident start, ms of wall time after the workload starts. */
  readonly incidentStartMs: number;
  /** Wall ms the workload runs; default the scenario's duration. */
  readonly durationMs?: number;
  readonly collectIntervalSeconds?: number;
  readonly rulesIntervalSeconds?: number;
  readonly ruleFiles?: readonly string[];
  /** Per-broker network capacity in, bytes/s (a small one makes the cluster feel pressure). */
  readonly networkInBytesPerSec?: number;
  /** Also collect the hosts' node_exporter series (disk, CPU) from the brokers' endpoints. */
  readonly hostMetrics?: boolean;
  /** false: leadership never moves back to preferred replicas by itself. */
  readonly autoLeaderRebalance?: boolean;
  /**
   * Stretch the recorded times by this factor about the window start: a workload run with
   * `timeScale` k recorded with stretch k spans its scenario time (a day in minutes). Counters
   * keep their values, so rates read 1/k of what the brokers saw. live.json is not written.
   */
  readonly stretch?: number;
  readonly databaseUrl?: string;
  readonly logger?: Logger;
  readonly status?: (line: string) => void;
}

function labelsKey(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',');
}

/** Runs the scenario on the bundled cluster and writes the fixture (and live.json) to `out`. */
export async function recordWorkload(options: WorkloadRecordOptions): Promise<{ meta: FixtureMeta; live: LiveRecord }> {
  const logger = options.logger ?? silentLogger();
  const status = options.status ?? (() => undefined);
  const every = options.collectIntervalSeconds ?? 10;
  const rulesInterval = options.rulesIntervalSeconds ?? 30;
  const schema = `sluice_record_${process.pid}_${Date.now()}`;
  const url = options.databaseUrl;
  const running = await startCluster({ host: '127.0.0.1', port: 0, brokers: 3, metricsPort: 0, autoCreateTopics: true, logger: logger.child({ component: 'broker' }),
    ...(options.networkInBytesPerSec === undefined ? {} : { capacity: { networkInBytesPerSec: options.networkInBytesPerSec } }),
    ...(options.autoLeaderRebalance === undefined ? {} : { autoLeaderRebalance: options.autoLeaderRebalance }) });
  const control = await startControlServer(running.cluster, { host: running.host, port: 0, logger: logger.child({ component: 'control' }) });
  const nodes = running.cluster.nodes.filter((n) => n !== undefined);
  const cluster = {
    name: options.name,
    bootstrap: nodes.map((n) => `${running.host}:${n.port}`),
    metrics: nodes.map((n) => ({ url: `http://${running.host}:${n.metricsPort}/metrics`, broker: n.nodeId })),
    // The brokers' endpoints also serve node_exporter series for their hosts.
    hosts: options.hostMetrics === true ? nodes.map((n) => `http://${running.host}:${n.metricsPort}/metrics`) : [],
    intervals: { host: every, cluster: every, topics: every, clients: every },
    timeouts: { requestMs: 5000, connectMs: 2000, scrapeMs: 5000 },
  };
  const config = parseSluiceConfig({
    store: url === undefined ? {} : { url, schema },
    clusters: [cluster],
    rules: { ...(options.ruleFiles === undefined ? {} : { files: [...options.ruleFiles] }), interval: rulesInterval },
    throttle: { mode: 'off' },
  });
  // No HTTP API: recordings run side by side, and nothing reads it.
  const app = buildApp({ store: config.store, clusters: config.clusters, rules: config.rules, throttle: config.throttle }, { logger: logger.child({ component: 'sluice' }), jitter: 0 });
  const alerts = new Map<string, LiveAlert>();
  let poll: NodeJS.Timeout | undefined;
  try {
    await app.start();
    // Every group evaluates at once on start, then each interval: that first time fixes the grid.
    let rulesStart = NaN;
    for (let i = 0; i < 100 && !Number.isFinite(rulesStart); i++) {
      await new Promise((r) => setTimeout(r, 50));
      const firsts = (app.rules?.groups() ?? []).map((g) => (g.lastEvaluation === undefined ? NaN : Date.parse(g.lastEvaluation)));
      if (firsts.length > 0 && firsts.every(Number.isFinite)) rulesStart = Math.min(...firsts);
    }
    const collect = (): void => {
      for (const a of app.rules?.alerts() ?? ([] as ActiveAlert[])) {
        const key = `${labelsKey(a.labels)}@${a.activeAt}`;
        alerts.set(key, {
          labels: a.labels, activeAt: Date.parse(a.activeAt),
          ...(a.firedAt === undefined ? {} : { firedAt: Date.parse(a.firedAt) }),
          ...(a.resolvedAt === undefined ? {} : { resolvedAt: Date.parse(a.resolvedAt) }),
        });
      }
    };
    poll = setInterval(collect, 2000);
    const scenario = await loadScenario(options.scenarioFile);
    const run = await startWorkload(scenario, { bootstrap: cluster.bootstrap, control: control.url, statusIntervalMs: 30_000, ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }) },
      { logger: logger.child({ component: 'workload' }), status });
    const from = run.startedAtMs;
    await run.done;
    // One more collection cycle, so the window ends with what the collectors saw last.
    await new Promise((r) => setTimeout(r, every * 1000 + 1000));
    collect();
    const to = Date.now();
    await app.store.writer.flush();
    const fixture = await recordFromDb(app.store.db, {
      cluster: options.name, from, to, name: options.name, description: options.description, incidentStart: from + options.incidentStartMs,
      scrapeIntervalSeconds: every, source: { scenario: relative(process.cwd(), resolve(options.scenarioFile)), command: 'src/replay/workload-recorder.ts' },
    });
    const k = options.stretch ?? 1;
    if (k !== 1) {
      const at = (t: number): number => Math.round(from + (t - from) * k);
      const series = fixture.series.map((s) => ({ ...s, ts: s.ts.map(at) }));
      const meta = await writeFixture(options.out, {
        series, events: fixture.events.map((e) => ({ ...e, ts: at(e.ts) })),
        meta: { ...fixture.meta, to: at(to), incidentStart: at(fixture.meta.incidentStart), scrapeIntervalSeconds: every * k },
      });
      return { meta, live: { rulesStart: NaN, rulesIntervalSeconds: rulesInterval, alerts: [] } };
    }
    const meta = await writeFixture(options.out, { ...fixture, meta: { ...fixture.meta, ...(Number.isFinite(rulesStart) ? { rulesStart } : {}) } });
    const live: LiveRecord = {
      rulesStart, rulesIntervalSeconds: rulesInterval,
      alerts: [...alerts.values()].filter((a) => a.activeAt >= from).sort((a, b) => a.activeAt - b.activeAt || (labelsKey(a.labels) < labelsKey(b.labels) ? -1 : 1)),
    };
    await writeFile(join(options.out, 'live.json'), `${JSON.stringify({ ...live, rulesStart: new Date(live.rulesStart).toISOString(), alerts: live.alerts.map((a) => ({ labels: a.labels, activeAt: new Date(a.activeAt).toISOString(), ...(a.firedAt === undefined ? {} : { firedAt: new Date(a.firedAt).toISOString() }), ...(a.resolvedAt === undefined ? {} : { resolvedAt: new Date(a.resolvedAt).toISOString() }) })) }, null, 2)}\n`);
    return { meta, live };
  } finally {
    if (poll !== undefined) clearInterval(poll);
    await app.stop();
    await control.stop();
    await running.stop();
    if (url !== undefined) {
      await dropSchema(url, schema).catch(() => undefined);
    }
  }
}

const durationText = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 90s or 10m, got ${JSON.stringify(text)}` });
    return z.NEVER;
  }
  return ms;
});

/** recording.yaml: how a shipped fixture was recorded. Paths are relative to the fixture directory. */
export const recordingSchema = z.strictObject({
  scenario: z.string().min(1),
  description: z.string().min(1),
  incidentStart: durationText,
  duration: durationText.optional(),
  collectInterval: z.number().positive().default(10),
  rulesInterval: z.number().positive().default(30),
  networkInBytesPerSec: z.number().positive().optional(),
  autoLeaderRebalance: z.boolean().optional(),
  hostMetrics: z.boolean().optional(),
  stretch: z.number().min(1).optional(),
});

/** Records the fixture in `dir` from its recording.yaml. */
export async function recordFixtureDir(dir: string, logger: Logger, status: (line: string) => void): Promise<FixtureMeta> {
  const recording = await loadYamlFile(join(dir, 'recording.yaml'), recordingSchema);
  const { meta } = await recordWorkload({
    scenarioFile: resolve(dir, recording.scenario), out: dir, name: basename(resolve(dir)), description: recording.description,
    incidentStartMs: recording.incidentStart, collectIntervalSeconds: recording.collectInterval, rulesIntervalSeconds: recording.rulesInterval,
    ...(recording.duration === undefined ? {} : { durationMs: recording.duration }),
    ...(recording.networkInBytesPerSec === undefined ? {} : { networkInBytesPerSec: recording.networkInBytesPerSec }),
    ...(recording.autoLeaderRebalance === undefined ? {} : { autoLeaderRebalance: recording.autoLeaderRebalance }),
    ...(recording.stretch === undefined ? {} : { stretch: recording.stretch }),
    ...(recording.hostMetrics === undefined ? {} : { hostMetrics: recording.hostMetrics }),
    ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
    logger, status,
  });
  return meta;
}

function isEntry(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntry()) {
  const logger = createLogger({ name: 'sluice-record' });
  const dirs = process.argv.slice(2);
  await Promise.all(dirs.map(async (dir) => {
    const meta = await recordFixtureDir(dir, logger, (line) => process.stdout.write(`${basename(dir)}: ${line}\n`));
    process.stdout.write(`${dir}: ${meta.seriesCount} series, ${meta.sampleCount} samples\n`);
  }));
  process.exit(0);
}
