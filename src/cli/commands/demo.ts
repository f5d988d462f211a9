/**
 * `sluice demo`: for now, the bundled broker with a few demo topics. The full demo (workload,
 * collectors, rules, throttling on the same broker) is built on this as those stages arrive.
 */
import type { Command } from 'commander';
import * as z from 'zod';
import { validate } from '../../config/index.ts';
import type { BrokerOptions, TopicSpec } from '../../kafka/broker/options.ts';
import type { CliContext } from '../context.ts';
import { flagLabel, integerFlag } from '../options.ts';
import { BROKER_DEFAULTS, serveBroker } from './broker.ts';

/** Topics the demo broker starts with. */
export const DEMO_TOPICS: readonly TopicSpec[] = [
  { name: 'orders', partitions: 4 },
  { name: 'payments', partitions: 2 },
  { name: 'clicks', partitions: 8 },
];

/** What `sluice demo` prints first, so nobody mistakes it for the finished demo. */
export const DEMO_NOTICE =
  'sluice demo: running the bundled broker only; the full demo (collectors, rules, throttling) comes later';

/** The flags of `sluice demo` as commander hands them over. */
export interface DemoFlags {
  readonly port?: string;
}

const demoFlagsSchema = z.strictObject({ port: integerFlag(0, 65_535).default(BROKER_DEFAULTS.port) });

/** Validates `sluice demo` flags into the options of the demo broker. */
export function parseDemoFlags(flags: DemoFlags): BrokerOptions {
  const { port } = validate(demoFlagsSchema, flags, { code: 'SLUICE_ERR_CLI_ARGUMENT', label: flagLabel });
  return {
    ...BROKER_DEFAULTS,
    port,
    topics: DEMO_TOPICS,
    autoCreateTopics: true,
  };
}

/** Adds `sluice demo` to `program`. */
export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('run the demo: for now the bundled broker with topics orders, payments and clicks')
    .option('--port <n>', 'port of the bundled broker; 0 picks a free port', String(BROKER_DEFAULTS.port))
    .action(async (flags: DemoFlags) => {
      const options = parseDemoFlags(flags);
      ctx.stdout(`${DEMO_NOTICE}\n`);
      await serveBroker(options, ctx);
    });
}
