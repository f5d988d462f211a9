/**
 * `sluice demo` (what `npm start` runs): the bundled 3-broker cluster with per-broker metrics
 * endpoints and the fault control API, a workload scenario producing and consuming on it, the
 * store (embedded PGlite in memory, or PostgreSQL at DATABASE_URL) and the service with its
 * collectors pointed at the cluster. It prints where to look, then a status line every few
 * seconds, and stops everything on SIGINT or SIGTERM. Everything runs in this process.
 */
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import * as z from 'zod';
import { buildApp } from '../../app.ts';
import { parseSluiceConfig, withEnv } from '../../config/sluice.ts';
import type { ClusterConfig } from '../../collect/index.ts';
import { validate } from '../../config/index.ts';
import { DEFAULT_API_PORT } from '../../config/sluice.ts';
import { startControlServer, type RunningControl } from '../../kafka/broker/control.ts';
import type { RunningCluster } from '../../kafka/broker/index.ts';
import type { BrokerOptions } from '../../kafka/broker/options.ts';
import type { WorkloadRun } from '../../workload/run.ts';
import type { CliContext } from '../context.ts';
import { flagLabel, integerFlag } from '../options.ts';
import { BROKER_DEFAULTS, CLUSTER_DEFAULTS } from './broker.ts';

/** The scenario the demo runs unless `--scenario` names another. */
export const DEMO_SCENARIO = fileURLToPath(new URL('../../../fixtures/workloads/calm-day.yaml', import.meta.url));

/** Defaults of `sluice demo`. */
export const DEMO_DEFAULTS = {
  port: BROKER_DEFAULTS.port,
  metricsPort: 9404,
  controlPort: CLUSTER_DEFAULTS.controlPort,
  apiPort: DEFAULT_API_PORT,
  brokers: 3,
  /** Seconds between status lines. */
  statusInterval: 10,
  /** Seconds between collection cycles of every collector. */
  collectInterval: 10,
  /** The `cluster` label of the demo's series. */
  clusterName: 'demo',
} as const;

/** How long the workload runs: a day of wall-clock time (its curves repeat), ended by Ctrl-C. */
const WORKLOAD_WALL_MS = 86_400_000;

/** The flags of `sluice demo` as commander hands them over. */
export interface DemoFlags {
  readonly port?: string;
  readonly metricsPort?: string;
  readonly controlPort?: string;
  readonly apiPort?: string;
  readonly scenario?: string;
  /** false with --no-workload. */
  readonly workload?: boolean;
  readonly statusInterval?: string;
  readonly collectInterval?: string;
}

/** What `sluice demo` runs. */
export interface DemoOptions {
  readonly broker: BrokerOptions;
  readonly controlPort: number;
  readonly apiPort: number;
  /** Scenario file, or null with --no-workload. */
  readonly scenario: string | null;
  readonly statusIntervalMs: number;
  readonly collectIntervalSeconds: number;
}

const demoFlagsSchema = z
  .strictObject({
    port: integerFlag(0, 65_535).default(DEMO_DEFAULTS.port),
    metricsPort: integerFlag(0, 65_535).default(DEMO_DEFAULTS.metricsPort),
    controlPort: integerFlag(0, 65_535).default(DEMO_DEFAULTS.controlPort),
    apiPort: integerFlag(0, 65_535).default(DEMO_DEFAULTS.apiPort),
    scenario: z.string().min(1).default(DEMO_SCENARIO),
    workload: z.boolean().optional(),
    statusInterval: integerFlag(1, 3600).default(DEMO_DEFAULTS.statusInterval),
    collectInterval: integerFlag(1, 3600).default(DEMO_DEFAULTS.collectInterval),
  })
  .superRefine((flags, ctx) => {
    const n = DEMO_DEFAULTS.brokers;
    const ranges: [key: 'port' | 'metricsPort' | 'controlPort', first: number, count: number][] = [
      ['port', flags.port, n],
      ['metricsPort', flags.metricsPort, n],
      ['controlPort', flags.controlPort, 1],
    ];
    for (const [i, [key, first, count]] of ranges.entries()) {
      if (first === 0) continue;
      if (first + count - 1 > 65_535) {
        ctx.addIssue({ code: 'custom', path: [key], message: `broker ${count - 1} would need port ${first + count - 1}; expected at most ${65_535 - count + 1}` });
        continue;
      }
      for (const [otherKey, otherFirst, otherCount] of ranges.slice(0, i)) {
        if (otherFirst !== 0 && first <= otherFirst + otherCount - 1 && otherFirst <= first + count - 1) {
          ctx.addIssue({ code: 'custom', path: [key], message: `ports ${first} to ${first + count - 1} overlap ${flagLabel([otherKey])} (${otherFirst} to ${otherFirst + otherCount - 1})` });
        }
      }
    }
  })
  .transform(
    (flags): DemoOptions => ({
      broker: {
        host: BROKER_DEFAULTS.host,
        port: flags.port,
        brokers: DEMO_DEFAULTS.brokers,
        metricsPort: flags.metricsPort,
        maxFrameBytes: BROKER_DEFAULTS.maxFrameBytes,
        autoCreateTopics: true,
      },
      controlPort: flags.controlPort,
      apiPort: flags.apiPort,
      scenario: flags.workload === false ? null : flags.scenario,
      statusIntervalMs: flags.statusInterval * 1000,
      collectIntervalSeconds: flags.collectInterval,
    }),
  );

/** Validates `sluice demo` flags. Throws SLUICE_ERR_CLI_ARGUMENT with one line per bad flag. */
export function parseDemoFlags(flags: DemoFlags): DemoOptions {
  return validate(demoFlagsSchema, flags, { code: 'SLUICE_ERR_CLI_ARGUMENT', label: flagLabel });
}

/** Adds `sluice demo` to `program`. */
export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('run the demo: bundled 3-broker cluster, a workload, the store and the collectors, until Ctrl-C')
    .option('--port <n>', 'port of broker 0 (broker i listens on port+i); 0 picks free ports', String(DEMO_DEFAULTS.port))
    .option('--metrics-port <n>', 'Prometheus metrics of broker i on metrics-port+i; 0 picks free ports', String(DEMO_DEFAULTS.metricsPort))
    .option('--control-port <n>', 'port of the fault control API; 0 picks a free port', String(DEMO_DEFAULTS.controlPort))
    .option('--api-port <n>', 'port of the HTTP API (0 picks a free port)', String(DEMO_DEFAULTS.apiPort))
    .option('--scenario <file>', 'workload scenario to run against the cluster', DEMO_SCENARIO)
    .option('--no-workload', 'run no workload')
    .option('--status-interval <seconds>', 'seconds between status lines', String(DEMO_DEFAULTS.statusInterval))
    .option('--collect-interval <seconds>', 'seconds between collection cycles', String(DEMO_DEFAULTS.collectInterval))
    .action(async (flags: DemoFlags) => {
      await runDemo(parseDemoFlags(flags), ctx);
    });
}

/** The collectors' view of the demo cluster. */
export function demoClusterConfig(running: RunningCluster, collectIntervalSeconds: number): ClusterConfig {
  const nodes = running.cluster.nodes.filter((n) => n !== undefined);
  const host = running.host.includes(':') ? `[${running.host}]` : running.host;
  const every = collectIntervalSeconds;
  return {
    name: DEMO_DEFAULTS.clusterName,
    bootstrap: nodes.map((n) => `${running.host}:${n.port}`),
    metrics: nodes.filter((n) => n.metricsPort !== null).map((n) => ({ url: `http://${host}:${n.metricsPort}/metrics`, broker: n.nodeId })),
    hosts: [],
    intervals: { host: every, cluster: every, topics: every, clients: every },
    timeouts: { requestMs: 10_000, connectMs: 3_000, scrapeMs: 5_000 },
  };
}

/** Runs the demo until shutdown is requested; stops everything it started, in reverse order. */
export async function runDemo(options: DemoOptions, ctx: CliContext): Promise<void> {
  const shutdown = ctx.shutdownRequested();
  const logger = ctx.logger;
  const stack: { name: string; stop: () => Promise<unknown> }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const part of stack.reverse()) {
      try {
        await part.stop();
      } catch (err) {
        logger.warn({ err, part: part.name }, 'stop failed');
      }
    }
    stack.length = 0;
  };
  let timer: NodeJS.Timeout | null = null;
  try {
    const running = await ctx.startCluster({ ...options.broker, logger: logger.child({ component: 'broker' }) });
    stack.push({ name: 'cluster', stop: () => running.stop() });
    const control: RunningControl = await startControlServer(running.cluster, {
      host: running.host,
      port: options.controlPort,
      logger: logger.child({ component: 'control' }),
    });
    stack.push({ name: 'control', stop: () => control.stop() });

    const cluster = demoClusterConfig(running, options.collectIntervalSeconds);
    const url = process.env.DATABASE_URL;
    const store = url === undefined || url === '' ? {} : { url };
    // The full service on the demo cluster: shipped rule packs, the throttle loop recommending
    // (pushing nothing), the API. No notification receivers: nothing here to send mail to.
    const demoConfig = parseSluiceConfig({ store, clusters: [{ ...cluster }], api: { port: options.apiPort, host: running.host } });
    const app = buildApp({ ...withEnv(demoConfig), clusters: [cluster] }, { logger, jitter: 0 });
    // The service is a receiver of what the cluster and the workload do: started before the workload.
    await app.start();
    stack.push({ name: 'app', stop: () => app.stop() });

    let workload: WorkloadRun | null = null;
    let workloadNote = 'none (--no-workload)';
    if (options.scenario !== null) {
      const { loadScenario } = await import('../../workload/scenario.ts');
      const { startWorkload } = await import('../../workload/run.ts');
      const scenario = await loadScenario(options.scenario);
      try {
        workload = await startWorkload(
          scenario,
          { bootstrap: cluster.bootstrap, durationMs: WORKLOAD_WALL_MS, control: control.url, statusIntervalMs: options.statusIntervalMs * 3 },
          { logger: logger.child({ component: 'workload' }), status: (line) => ctx.stdout(`workload: ${line}\n`) },
        );
        const run = workload;
        stack.push({ name: 'workload', stop: () => run.stop() });
        workloadNote = `${scenario.name} (${options.scenario})`;
      } catch (err) {
        workloadNote = `not running: ${(err as Error).message}`;
        logger.warn({ err, scenario: options.scenario }, 'workload could not start; the demo runs without traffic');
      }
    }

    const nodes = running.cluster.nodes.filter((n) => n !== undefined);
    const lines = [
      'sluice demo: running; Ctrl-C stops everything',
      `  bootstrap:  ${cluster.bootstrap.join(',')}`,
      ...nodes.map((n) => `  broker ${n.nodeId}:   ${running.host}:${n.port}  metrics ${cluster.metrics.find((m) => typeof m !== 'string' && m.broker === n.nodeId) !== undefined ? `http://${running.host}:${n.metricsPort}/metrics` : 'off'}`),
      `  control:    ${control.url}`,
      `  database:   ${app.destination}`,
      `  workload:   ${workloadNote}`,
      `  collectors: cluster "${cluster.name}", every ${options.collectIntervalSeconds}s`,
      `  api:        ${app.apiUrl}  (health ${app.apiUrl}/healthz, metrics ${app.apiUrl}/metrics, OpenAPI ${app.apiUrl}/api/v1/openapi.json)`,
      `  alerts:     ${app.apiUrl}/api/v1/alerts  rules ${app.apiUrl}/api/v1/rules  throttle ${app.apiUrl}/api/v1/throttle/recommendations`,
    ];
    for (const line of lines) ctx.stdout(`${line}\n`);

    const startedAt = Date.now();
    const status = (): void => {
      const stats = app.store.writer.stats();
      const up = running.cluster.liveNodes().length;
      const seconds = Math.round((Date.now() - startedAt) / 1000);
      ctx.stdout(`sluice demo: ${seconds}s: ${stats.written} samples stored (${stats.queued} queued), ${up}/${nodes.length} brokers up\n`);
    };
    timer = setInterval(status, options.statusIntervalMs);
    const signal = await shutdown;
    logger.info({ signal }, 'stopping the demo');
    clearInterval(timer);
    timer = null;
    await stopAll();
    ctx.stdout('sluice demo: stopped\n');
  } finally {
    if (timer !== null) clearInterval(timer);
    await stopAll();
  }
}
