/**
 * `sluice broker`: runs the bundled Kafka-protocol broker, one node or a cluster of several in
 * one process, until SIGINT or SIGTERM, with per-broker Prometheus metrics and a fault control
 * API beside it. Any Kafka client (kcat, kafkajs, @platformatic/kafka) can use it as a bootstrap
 * server. `sluice broker ctl` (broker-ctl.ts) drives the control API.
 */
import type { Command } from 'commander';
import * as z from 'zod';
import { validate } from '../../config/index.ts';
import { startControlServer, type RunningControl } from '../../kafka/broker/control.ts';
import type { BrokerOptions } from '../../kafka/broker/options.ts';
import type { CliContext } from '../context.ts';
import { flagLabel, integerFlag, MAX_INT32, parsedFlag, readSaslUsers, readTopics } from '../options.ts';
import { addCapacityOptions, capacityFlagsShape, registerBrokerCtlCommand, toCapacity, type CapacityFlags } from './broker-ctl.ts';

/** Defaults of `sluice broker`, as Apache Kafka's own where Kafka has one. */
export const BROKER_DEFAULTS = {
  host: '127.0.0.1',
  port: 9092,
  /** socket.request.max.bytes */
  maxFrameBytes: 104_857_600,
  nodeId: 0,
} as const;

/** Defaults of the cluster and control flags of `sluice broker`. */
export const CLUSTER_DEFAULTS = {
  brokers: 1,
  /** Port of the fault control API. */
  controlPort: 9099,
} as const;

/** Most brokers one process runs; each is a listener and a set of replica logs in memory. */
export const MAX_BROKERS = 64;

/** The flags of `sluice broker` as commander hands them over: text, or booleans for switches. */
export interface BrokerFlags extends CapacityFlags {
  readonly port?: string;
  readonly host?: string;
  readonly topics?: string;
  readonly autoCreate?: boolean;
  readonly saslUsers?: string;
  readonly maxFrameBytes?: string;
  readonly nodeId?: string;
  readonly brokers?: string;
  readonly metricsPort?: string;
  readonly controlPort?: string;
  /** false with --no-control. */
  readonly control?: boolean;
  readonly replicaLagTimeMaxMs?: string;
  readonly minInsyncReplicas?: string;
  readonly uncleanLeaderElection?: boolean;
  /** false with --no-auto-leader-rebalance. */
  readonly autoLeaderRebalance?: boolean;
  readonly leaderImbalanceCheckIntervalMs?: string;
  readonly quotaWindowNum?: string;
  readonly quotaWindowSizeSeconds?: string;
}

/** What `sluice broker` runs: the cluster, and where its control API listens (null: none). */
export interface BrokerCommandOptions {
  readonly broker: BrokerOptions;
  readonly control: { readonly host: string; readonly port: number } | null;
}

/** Checks `sluice broker` flags and turns them into cluster options (without a logger). */
export const brokerFlagsSchema = z
  .strictObject({
    port: integerFlag(0, 65_535).default(BROKER_DEFAULTS.port),
    host: z.string().trim().min(1, { error: 'expected a host name or address' }).default(BROKER_DEFAULTS.host),
    topics: parsedFlag(readTopics).optional(),
    autoCreate: z.boolean().optional(),
    saslUsers: parsedFlag(readSaslUsers).optional(),
    maxFrameBytes: integerFlag(1, MAX_INT32).default(BROKER_DEFAULTS.maxFrameBytes),
    nodeId: integerFlag(0, MAX_INT32).default(BROKER_DEFAULTS.nodeId),
    brokers: integerFlag(1, MAX_BROKERS).default(CLUSTER_DEFAULTS.brokers),
    metricsPort: integerFlag(0, 65_535).optional(),
    controlPort: integerFlag(0, 65_535).default(CLUSTER_DEFAULTS.controlPort),
    control: z.boolean().optional(),
    replicaLagTimeMaxMs: integerFlag(1, MAX_INT32).optional(),
    minInsyncReplicas: integerFlag(1, MAX_INT32).optional(),
    uncleanLeaderElection: z.boolean().optional(),
    autoLeaderRebalance: z.boolean().optional(),
    leaderImbalanceCheckIntervalMs: integerFlag(1, MAX_INT32).optional(),
    // Kafka takes 1, but a rate over one sample divides by the time since it began: the first
    // request of each sample is over any quota. Two or more, as every real setting is.
    quotaWindowNum: integerFlag(2, 1000).optional(),
    quotaWindowSizeSeconds: integerFlag(1, 3600).optional(),
    ...capacityFlagsShape,
  })
  .superRefine((flags, ctx) => {
    if (flags.nodeId !== 0 && flags.brokers > 1) {
      ctx.addIssue({ code: 'custom', path: ['nodeId'], message: `only with --brokers 1; the brokers of a cluster have ids 0 to ${flags.brokers - 1}` });
    }
    for (const t of flags.topics ?? []) {
      if ((t.replicationFactor ?? 1) > flags.brokers) {
        ctx.addIssue({ code: 'custom', path: ['topics'], message: `topic ${JSON.stringify(t.name)} has replication factor ${t.replicationFactor} but --brokers is ${flags.brokers}` });
      }
    }
    const taken = new Map<number, string>();
    const claim = (key: 'port' | 'metricsPort' | 'controlPort', first: number | undefined, count: number, owner: (i: number) => string): void => {
      if (first === undefined || first === 0) return;
      for (let i = 0; i < count; i++) {
        const port = first + i;
        const problem = port > 65_535 ? `broker ${i} would need port ${port}; expected ${flagLabel([key])} + --brokers - 1 <= 65535` : taken.has(port) ? `port ${port} is already ${taken.get(port)}` : undefined;
        if (problem !== undefined) {
          ctx.addIssue({ code: 'custom', path: [key], message: problem });
          return;
        }
        taken.set(port, owner(i));
      }
    };
    claim('port', flags.port, flags.brokers, (i) => `the port of broker ${i}`);
    claim('metricsPort', flags.metricsPort, flags.brokers, (i) => `the metrics port of broker ${i}`);
    if (flags.control !== false) claim('controlPort', flags.controlPort, 1, () => 'the control port');
  })
  .transform((flags): BrokerCommandOptions => {
    const capacity = toCapacity(flags);
    const broker: BrokerOptions = {
      host: flags.host,
      port: flags.port,
      brokers: flags.brokers,
      nodeId: flags.nodeId,
      maxFrameBytes: flags.maxFrameBytes,
      autoCreateTopics: flags.autoCreate === true,
      uncleanLeaderElection: flags.uncleanLeaderElection === true,
      autoLeaderRebalance: flags.autoLeaderRebalance !== false,
      ...(flags.topics === undefined ? {} : { topics: flags.topics }),
      ...(flags.saslUsers === undefined ? {} : { saslUsers: flags.saslUsers }),
      ...(flags.metricsPort === undefined ? {} : { metricsPort: flags.metricsPort }),
      ...(flags.replicaLagTimeMaxMs === undefined ? {} : { replicaLagTimeMaxMs: flags.replicaLagTimeMaxMs }),
      ...(flags.minInsyncReplicas === undefined ? {} : { minInsyncReplicas: flags.minInsyncReplicas }),
      ...(flags.leaderImbalanceCheckIntervalMs === undefined ? {} : { leaderImbalanceCheckIntervalMs: flags.leaderImbalanceCheckIntervalMs }),
      ...(Object.keys(capacity).length === 0 ? {} : { capacity }),
      ...(flags.quotaWindowNum === undefined && flags.quotaWindowSizeSeconds === undefined ? {} : {
        quotaWindow: {
          ...(flags.quotaWindowNum === undefined ? {} : { num: flags.quotaWindowNum }),
          ...(flags.quotaWindowSizeSeconds === undefined ? {} : { sizeSeconds: flags.quotaWindowSizeSeconds }),
        },
      }),
    };
    return { broker, control: flags.control === false ? null : { host: flags.host, port: flags.controlPort } };
  });

/**
 * Validates `sluice broker` flags. Throws SLUICE_ERR_CLI_ARGUMENT with one line per bad flag,
 * e.g. `--port: expected an integer from 0 to 65535, got "x"`.
 */
export function parseBrokerFlags(flags: BrokerFlags): BrokerCommandOptions {
  return validate(brokerFlagsSchema, flags, { code: 'SLUICE_ERR_CLI_ARGUMENT', label: flagLabel });
}

/** Adds `sluice broker` (and `sluice broker ctl`) to `program`. */
export function registerBrokerCommand(program: Command, ctx: CliContext): void {
  const broker = program
    .command('broker')
    .description('run the bundled Kafka-protocol broker (one node or a cluster) until SIGINT or SIGTERM')
    .enablePositionalOptions()
    .option('--port <n>', 'port of broker 0 (broker i listens on port+i); 0 picks free ports', String(BROKER_DEFAULTS.port))
    .option('--host <h>', 'interface to listen on', BROKER_DEFAULTS.host)
    .option('--brokers <n>', `number of brokers, ids 0 to n-1 (at most ${MAX_BROKERS})`, String(CLUSTER_DEFAULTS.brokers))
    .option('--topics <list>', 'topics to create at start, as name:partitions[:replication],… e.g. orders:4:3,payments:2')
    .option('--auto-create', 'create unknown topics on first use (auto.create.topics.enable)')
    .option('--sasl-users <list>', 'require SASL/PLAIN with these users, as user:password,… e.g. alice:secret')
    .option('--max-frame-bytes <n>', 'largest request accepted (socket.request.max.bytes)', String(BROKER_DEFAULTS.maxFrameBytes))
    .option('--node-id <n>', 'broker id (with --brokers 1)', String(BROKER_DEFAULTS.nodeId))
    .option('--metrics-port <n>', 'serve Prometheus metrics: broker i on metrics-port+i; 0 picks free ports')
    .option('--control-port <n>', 'port of the fault control API; 0 picks a free port', String(CLUSTER_DEFAULTS.controlPort))
    .option('--no-control', 'do not serve the fault control API')
    .option('--replica-lag-time-max-ms <n>', 'a follower behind this long leaves the ISR (replica.lag.time.max.ms; default 30000)')
    .option('--min-insync-replicas <n>', 'default min.insync.replicas of topics (default 1)')
    .option('--unclean-leader-election', 'let an out-of-sync replica become leader (unclean.leader.election.enable)')
    .option('--no-auto-leader-rebalance', 'never move leadership back to preferred replicas (auto.leader.rebalance.enable=false)')
    .option('--leader-imbalance-check-interval-ms <n>', 'how often leader imbalance is checked (default 300000)')
    .option('--quota-window-num <n>', 'samples in a client quota window (quota.window.num; default 11, at least 2)')
    .option('--quota-window-size-seconds <n>', 'length of one quota sample (quota.window.size.seconds; default 1)');
  addCapacityOptions(broker, 'each broker').action(async (flags: BrokerFlags) => {
    const { broker: options, control } = parseBrokerFlags(flags);
    await serveBroker(options, ctx, control);
  });
  registerBrokerCtlCommand(broker, ctx);
}

/**
 * Starts the cluster (and its control API unless `control` is null), announces it, and stops it
 * when shutdown is requested. Scripts read the announcement on stdout, one line each:
 *
 *   sluice broker listening on HOST:PORT               (broker 0; kept for existing scripts)
 *   sluice broker <id> listening on HOST:PORT          (every broker)
 *   sluice broker <id> metrics on http://HOST:PORT/metrics   (with --metrics-port)
 *   sluice control on http://HOST:PORT
 */
export async function serveBroker(options: BrokerOptions, ctx: CliContext, control: BrokerCommandOptions['control'] = null): Promise<void> {
  const shutdown = ctx.shutdownRequested();
  const running = await ctx.startCluster({ ...options, logger: ctx.logger.child({ component: 'broker' }) });
  let controlServer: RunningControl | null = null;
  try {
    if (control !== null) controlServer = await startControlServer(running.cluster, { ...control, logger: ctx.logger.child({ component: 'control' }) });
  } catch (err) {
    await running.stop();
    throw err;
  }
  const nodes = running.cluster.nodes.filter((n) => n !== undefined);
  const lines = [`sluice broker listening on ${running.host}:${running.port}`];
  for (const node of nodes) {
    const listener = `${running.host}:${node.port}`;
    ctx.logger.info({ nodeId: node.nodeId, host: running.host, port: node.port }, `listening on ${listener}`);
    lines.push(`sluice broker ${node.nodeId} listening on ${listener}`);
  }
  for (const node of nodes) {
    if (node.metricsPort !== null) lines.push(`sluice broker ${node.nodeId} metrics on http://${urlHost(running.host)}:${node.metricsPort}/metrics`);
  }
  if (controlServer !== null) lines.push(`sluice control on ${controlServer.url}`);
  for (const line of lines) ctx.stdout(`${line}\n`);
  const signal = await shutdown;
  ctx.logger.info({ signal }, 'stopping broker');
  await controlServer?.stop();
  await running.stop();
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
