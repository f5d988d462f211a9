/**
 * `sluice demo` (what `npm start` runs), all in this process: the bundled 3-broker cluster with
 * network capacities set, per-broker metrics endpoints and the fault control API; a local
 * mailbox and webhook log for the notifications; the service (store in embedded PGlite, or
 * PostgreSQL at DATABASE_URL; collectors, the demo rule pack, notifications, the quota loop in
 * `auto`, the API and its status page); and the story (fixtures/workloads/demo-story.yaml)
 * played on the cluster. It prints where to look, a status line, and at the end of each act what
 * happened and what Sluice did. SIGINT or SIGTERM stops everything, in reverse order.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import * as z from 'zod';
import { buildApp } from '../../app.ts';
import { withEnv } from '../../app-config.ts';
import type { ClusterConfig } from '../../collect/index.ts';
import { validate } from '../../config/index.ts';
import { SluiceError } from '../../errors.ts';
import { DEFAULT_API_PORT } from '../../app-config.ts';
import { startControlServer, type RunningControl } from '../../kafka/broker/control.ts';
import type { RunningCluster } from '../../kafka/broker/index.ts';
import type { BrokerOptions } from '../../kafka/broker/options.ts';
import type { WorkloadRun } from '../../workload/run.ts';
import type { Scenario } from '../../workload/scenario.ts';
import type { CliContext } from '../context.ts';
import { demoServiceConfig, DEMO_CAPACITY } from '../demo/config.ts';
import { Narrator } from '../demo/narrator.ts';
import { startLocalReceivers, type LocalReceivers } from '../demo/receivers.ts';
import { DEMO_ACTS, DEMO_STORY } from '../demo/story.ts';
import { flagLabel, integerFlag } from '../options.ts';
import { BROKER_DEFAULTS, CLUSTER_DEFAULTS } from './broker.ts';

/** The scenario the demo runs unless `--scenario` names another: the story. */
export const DEMO_SCENARIO = DEMO_STORY;

/** Defaults of `sluice demo`. */
export const DEMO_DEFAULTS = {
  port: BROKER_DEFAULTS.port,
  metricsPort: 9404,
  controlPort: CLUSTER_DEFAULTS.controlPort,
  apiPort: DEFAULT_API_PORT,
  brokers: 3,
  /** Seconds between status lines (when stdout is not a terminal; a terminal's line is redrawn every second). */
  statusInterval: 5,
  /** Seconds between collection cycles of every collector. */
  collectInterval: 2,
  /** The `cluster` label of the demo's series. */
  clusterName: 'demo',
} as const;

/** How long the workload runs: a day of wall-clock time (after the story, steady traffic), ended by Ctrl-C. */
const WORKLOAD_WALL_MS = 86_400_000;

/** How often the narrator looks at the service, ms. */
const NARRATE_MS = 1000;

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
  readonly outDir?: string;
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
  /** Where the mailbox and the webhook log are written; undefined: a new directory under the system's temp dir. */
  readonly outDir: string | undefined;
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
    outDir: z.string().min(1).optional(),
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
        capacity: DEMO_CAPACITY,
      },
      controlPort: flags.controlPort,
      apiPort: flags.apiPort,
      scenario: flags.workload === false ? null : flags.scenario,
      statusIntervalMs: flags.statusInterval * 1000,
      collectIntervalSeconds: flags.collectInterval,
      outDir: flags.outDir,
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
    .description('run the demo: bundled 3-broker cluster, a story played on it, and Sluice watching and tuning it, until Ctrl-C')
    .option('--port <n>', 'port of broker 0 (broker i listens on port+i); 0 picks free ports', String(DEMO_DEFAULTS.port))
    .option('--metrics-port <n>', 'Prometheus metrics of broker i on metrics-port+i; 0 picks free ports', String(DEMO_DEFAULTS.metricsPort))
    .option('--control-port <n>', 'port of the fault control API; 0 picks a free port', String(DEMO_DEFAULTS.controlPort))
    .option('--api-port <n>', 'port of the HTTP API and the status page (0 picks a free port)', String(DEMO_DEFAULTS.apiPort))
    .option('--scenario <file>', 'workload scenario to play instead of the story', DEMO_SCENARIO)
    .option('--no-workload', 'run no workload')
    .option('--status-interval <seconds>', 'seconds between status lines when output is not a terminal', String(DEMO_DEFAULTS.statusInterval))
    .option('--collect-interval <seconds>', 'seconds between collection cycles', String(DEMO_DEFAULTS.collectInterval))
    .option('--out-dir <dir>', 'where the local mailbox and the webhook log are written (default: a new directory under the temp dir)')
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
    // The bundled brokers serve their host's node_exporter series beside their own.
    hosts: nodes.filter((n) => n.metricsPort !== null).map((n) => `http://${host}:${n.metricsPort}/metrics`),
    intervals: { host: every, cluster: every, topics: every, clients: every },
    timeouts: { requestMs: 5_000, connectMs: 2_000, scrapeMs: Math.min(5_000, every * 1000) },
    forgetRemovedBrokersAfter: 86_400,
  };
}

/** Runs the demo until shutdown is requested; stops everything it started, in reverse order. */
export async function runDemo(options: DemoOptions, ctx: CliContext): Promise<void> {
  const shutdown = ctx.shutdownRequested();
  // The story is told on stdout; on stderr only warnings and errors, unless SLUICE_LOG_LEVEL asks for more.
  const quiet = (process.env.SLUICE_LOG_LEVEL ?? '') === '' && ctx.logger.levelVal < ctx.logger.levels.values.warn!;
  const logger = quiet ? ctx.logger.child({}, { level: 'warn' }) : ctx.logger;
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
  const timers: NodeJS.Timeout[] = [];
  try {
    const running = await ctx.startCluster({ ...options.broker, logger: logger.child({ component: 'broker' }) });
    stack.push({ name: 'cluster', stop: () => running.stop() });
    const control: RunningControl = await startControlServer(running.cluster, {
      host: running.host,
      port: options.controlPort,
      logger: logger.child({ component: 'control' }),
    });
    stack.push({ name: 'control', stop: () => control.stop() });

    // Receivers before senders: the mailbox and the webhook log run before the notifier.
    const outDir = options.outDir === undefined ? await mkdtemp(join(tmpdir(), 'sluice-demo-')) : resolve(options.outDir);
    try {
      await mkdir(outDir, { recursive: true });
    } catch (err) {
      throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', `--out-dir: cannot create ${outDir}: ${(err as Error).message}`, { cause: err });
    }
    const receivers: LocalReceivers = await startLocalReceivers(outDir, running.host, (err) => logger.warn({ err }, 'the demo mailbox or webhook log failed'));
    stack.push({ name: 'receivers', stop: () => receivers.stop() });

    const cluster = demoClusterConfig(running, options.collectIntervalSeconds);
    const config = withEnv(demoServiceConfig(cluster, { port: options.apiPort, host: running.host }, receivers));
    const app = buildApp({ ...config, clusters: [cluster] }, { logger, jitter: 0 });
    // The service is a receiver of what the cluster and the workload do: started before the workload.
    await app.start();
    stack.push({ name: 'app', stop: () => app.stop() });

    let workload: WorkloadRun | null = null;
    let scenario: Scenario | undefined;
    let workloadNote = 'none (--no-workload)';
    if (options.scenario !== null) {
      const { loadScenario } = await import('../../workload/scenario.ts');
      const { startWorkload } = await import('../../workload/run.ts');
      scenario = await loadScenario(options.scenario);
      try {
        workload = await startWorkload(
          scenario,
          { bootstrap: cluster.bootstrap, durationMs: WORKLOAD_WALL_MS, control: control.url, statusIntervalMs: 3_600_000 },
          // Sends failing while broker 2 is down are the third act, not news: the workload logs errors only.
          { logger: quiet ? logger.child({ component: 'workload' }, { level: 'error' }) : logger.child({ component: 'workload' }), status: () => {} },
        );
        const run = workload;
        stack.push({ name: 'workload', stop: () => run.stop() });
        workloadNote = `${scenario.name} (${options.scenario})`;
      } catch (err) {
        workloadNote = `not running: ${(err as Error).message}`;
        logger.warn({ err, scenario: options.scenario }, 'workload could not start; the demo runs without traffic');
      }
    }
    const isStory = workload !== null && resolve(options.scenario ?? '') === DEMO_STORY;

    const nodes = running.cluster.nodes.filter((n) => n !== undefined);
    const api = app.apiUrl!;
    const lines = [
      'sluice demo: running; Ctrl-C stops everything',
      `  status page: ${api}/`,
      `  api:        ${api}  (health ${api}/healthz, metrics ${api}/metrics, OpenAPI ${api}/api/v1/openapi.json)`,
      `  alerts:     ${api}/api/v1/sluice/alerts  rules ${api}/api/v1/sluice/rules  decisions ${api}/api/v1/throttle/decisions`,
      `  bootstrap:  ${cluster.bootstrap.join(',')}`,
      ...nodes.map((n) => `  broker ${n.nodeId}:   ${running.host}:${n.port}  metrics ${n.metricsPort === null ? 'off' : `http://${running.host}:${n.metricsPort}/metrics`}`),
      `  control:    ${control.url}`,
      `  database:   ${app.destination}`,
      `  workload:   ${workloadNote}`,
      `  collectors: cluster "${cluster.name}", every ${options.collectIntervalSeconds}s; quota loop in auto, every ${config.throttle.interval}s`,
      `  mailbox:    ${receivers.mailboxPath}  (mbox; SMTP at ${receivers.smarthost})`,
      `  webhooks:   ${receivers.webhookLogPath}  (JSON lines; posted to ${receivers.webhookUrl})`,
    ];
    for (const line of lines) ctx.stdout(`${line}\n`);

    const narrator = new Narrator({
      rules: app.rules,
      throttle: app.throttle.get(cluster.name),
      // Every client, not the page's top five: the narrator counts them.
      status: app.status({ topClients: 1000 }),
      acts: isStory ? DEMO_ACTS : [],
      scenario: isStory ? scenario : undefined,
      startedAtMs: workload?.startedAtMs ?? Date.now(),
      notifications: () => receivers.counts(),
    });
    const interactive = ctx.interactive === true;
    let lineShown = false;
    let busy: Promise<void> | null = null;
    let lastLineAt = 0;
    const print = (text: string): void => {
      ctx.stdout(lineShown ? `\r\x1b[K${text}` : text);
      lineShown = false;
    };
    const tick = async (): Promise<void> => {
      try {
        for (const text of narrator.observe()) print(text);
        const now = Date.now();
        if (interactive || now - lastLineAt >= options.statusIntervalMs) {
          lastLineAt = now;
          const line = await narrator.statusLine();
          if (interactive) {
            // Cut to the terminal's width: a wrapped line could not be redrawn in place.
            const width = Math.max(20, (process.stdout.columns ?? 120) - 1);
            ctx.stdout(`\r\x1b[K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
            lineShown = true;
          } else {
            ctx.stdout(`${line}\n`);
          }
        }
      } catch (err) {
        logger.warn({ err }, 'demo status failed');
      }
    };
    lastLineAt = Date.now();
    timers.push(setInterval(() => {
      busy ??= tick().finally(() => { busy = null; });
    }, NARRATE_MS));
    const signal = await shutdown;
    logger.info({ signal }, 'stopping the demo');
    for (const t of timers) clearInterval(t);
    timers.length = 0;
    await busy;
    if (lineShown) ctx.stdout('\n');
    await stopAll();
    ctx.stdout(`sluice demo: stopped; the mailbox and the webhook log stay in ${outDir}\n`);
  } finally {
    for (const t of timers) clearInterval(t);
    await stopAll();
  }
}
