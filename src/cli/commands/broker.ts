/**
 * `sluice broker`: runs one bundled Kafka-protocol broker node until SIGINT or SIGTERM. Any Kafka
 * client (kcat, kafkajs, @platformatic/kafka) can use it as a bootstrap server.
 */
import type { Command } from 'commander';
import * as z from 'zod';
import { validate } from '../../config/index.ts';
import type { BrokerOptions } from '../../kafka/broker/options.ts';
import type { CliContext } from '../context.ts';
import { flagLabel, integerFlag, MAX_INT32, parsedFlag, readSaslUsers, readTopics } from '../options.ts';

/** Defaults of `sluice broker`, as Apache Kafka's own where Kafka has one. */
export const BROKER_DEFAULTS = {
  host: '127.0.0.1',
  port: 9092,
  /** socket.request.max.bytes */
  maxFrameBytes: 104_857_600,
  nodeId: 0,
} as const;

/** The flags of `sluice broker` as commander hands them over: text, or true for switches. */
export interface BrokerFlags {
  readonly port?: string;
  readonly host?: string;
  readonly topics?: string;
  readonly autoCreate?: boolean;
  readonly saslUsers?: string;
  readonly maxFrameBytes?: string;
  readonly nodeId?: string;
}

/** Checks `sluice broker` flags and turns them into broker options (without a logger). */
export const brokerFlagsSchema = z
  .strictObject({
    port: integerFlag(0, 65_535).default(BROKER_DEFAULTS.port),
    host: z.string().trim().min(1, { error: 'expected a host name or address' }).default(BROKER_DEFAULTS.host),
    topics: parsedFlag(readTopics).optional(),
    autoCreate: z.boolean().optional(),
    saslUsers: parsedFlag(readSaslUsers).optional(),
    maxFrameBytes: integerFlag(1, MAX_INT32).default(BROKER_DEFAULTS.maxFrameBytes),
    nodeId: integerFlag(0, MAX_INT32).default(BROKER_DEFAULTS.nodeId),
  })
  .transform(
    (flags): BrokerOptions => ({
      host: flags.host,
      port: flags.port,
      nodeId: flags.nodeId,
      maxFrameBytes: flags.maxFrameBytes,
      autoCreateTopics: flags.autoCreate === true,
      ...(flags.topics === undefined ? {} : { topics: flags.topics }),
      ...(flags.saslUsers === undefined ? {} : { saslUsers: flags.saslUsers }),
    }),
  );

/**
 * Validates `sluice broker` flags. Throws SLUICE_ERR_CLI_ARGUMENT with one line per bad flag,
 * e.g. `--port: expected an integer from 0 to 65535, got "x"`.
 */
export function parseBrokerFlags(flags: BrokerFlags): BrokerOptions {
  return validate(brokerFlagsSchema, flags, { code: 'SLUICE_ERR_CLI_ARGUMENT', label: flagLabel });
}

/** Adds `sluice broker` to `program`. */
export function registerBrokerCommand(program: Command, ctx: CliContext): void {
  program
    .command('broker')
    .description('run one bundled Kafka-protocol broker node until SIGINT or SIGTERM')
    .option('--port <n>', 'port to listen on; 0 picks a free port', String(BROKER_DEFAULTS.port))
    .option('--host <h>', 'interface to listen on', BROKER_DEFAULTS.host)
    .option('--topics <list>', 'topics to create at start, as name:partitions,… e.g. orders:4,payments:2')
    .option('--auto-create', 'create unknown topics on first use (auto.create.topics.enable)')
    .option('--sasl-users <list>', 'require SASL/PLAIN with these users, as user:password,… e.g. alice:secret')
    .option('--max-frame-bytes <n>', 'largest request accepted (socket.request.max.bytes)', String(BROKER_DEFAULTS.maxFrameBytes))
    .option('--node-id <n>', 'broker id', String(BROKER_DEFAULTS.nodeId))
    .action(async (flags: BrokerFlags) => {
      await serveBroker(parseBrokerFlags(flags), ctx);
    });
}

/**
 * Starts a broker, announces it, and stops it when shutdown is requested. The announcement is a
 * log line and, on stdout, exactly `sluice broker listening on HOST:PORT`, which scripts read to
 * learn the port picked for `--port 0`.
 */
export async function serveBroker(options: BrokerOptions, ctx: CliContext): Promise<void> {
  const shutdown = ctx.shutdownRequested();
  const broker = await ctx.startBroker({ ...options, logger: ctx.logger.child({ component: 'broker' }) });
  const listener = `${broker.host}:${broker.port}`;
  ctx.logger.info({ nodeId: broker.nodeId, host: broker.host, port: broker.port }, `listening on ${listener}`);
  ctx.stdout(`sluice broker listening on ${listener}\n`);
  const signal = await shutdown;
  ctx.logger.info({ signal }, 'stopping broker');
  await broker.stop();
}
