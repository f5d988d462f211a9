/**
 * `sluice broker ctl`: drives the fault control API of a running `sluice broker` (see
 * src/kafka/broker/control.ts): shows the brokers, stops and starts them, adds latency, cuts
 * replication and changes capacity. API refusals (4xx) are reported as SLUICE_ERR_CONTROL.
 */
import type { Command } from 'commander';
import * as z from 'zod';
import { describeValue, validate, type PathSegment } from '../../config/index.ts';
import { SluiceError } from '../../errors.ts';
import type { BrokerState } from '../../kafka/broker/control.ts';
import type { BrokerCapacity } from '../../kafka/broker/options.ts';
import type { CliContext } from '../context.ts';
import { flagLabel, integerFlag, MAX_INT32, readControlUrl } from '../options.ts';

/** Where `sluice broker ctl` looks for the control API unless `--control` says otherwise. */
export const DEFAULT_CONTROL_URL = 'http://127.0.0.1:9099';
/** How long a control request may take before it is reported as unanswered. */
export const CONTROL_TIMEOUT_MS = 10_000;
/** Largest request handler pool accepted, as the control API's. */
const MAX_REQUEST_HANDLERS = 1024;

/** A Zod schema for a flag holding a positive integer, e.g. `--network-in 1048576`. */
export function positiveIntegerFlag() {
  return z.string().transform((text, ctx) => {
    const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
    if (value >= 1 && Number.isSafeInteger(value)) return value;
    ctx.addIssue({ code: 'custom', message: `expected a positive integer, got ${describeValue(text)}` });
    return z.NEVER;
  });
}

/** Capacity flags as commander hands them over (shared by `sluice broker` and `broker ctl capacity`). */
export interface CapacityFlags {
  readonly networkIn?: string;
  readonly networkOut?: string;
  readonly requestHandlers?: string;
  readonly logDirBytes?: string;
}

/** Checks capacity flags; each is optional. */
export const capacityFlagsShape = {
  networkIn: positiveIntegerFlag().optional(),
  networkOut: positiveIntegerFlag().optional(),
  requestHandlers: integerFlag(1, MAX_REQUEST_HANDLERS).optional(),
  logDirBytes: positiveIntegerFlag().optional(),
};

/** Turns checked capacity flags into a BrokerCapacity holding only what was given. */
export function toCapacity(flags: { networkIn?: number; networkOut?: number; requestHandlers?: number; logDirBytes?: number }): BrokerCapacity {
  return {
    ...(flags.networkIn === undefined ? {} : { networkInBytesPerSec: flags.networkIn }),
    ...(flags.networkOut === undefined ? {} : { networkOutBytesPerSec: flags.networkOut }),
    ...(flags.requestHandlers === undefined ? {} : { requestHandlers: flags.requestHandlers }),
    ...(flags.logDirBytes === undefined ? {} : { logDirBytes: flags.logDirBytes }),
  };
}

/** Adds the capacity flags to a command. */
export function addCapacityOptions(command: Command, what: string): Command {
  return command
    .option('--network-in <bytes/s>', `bytes per second ${what} can take in (produce and replication)`)
    .option('--network-out <bytes/s>', `bytes per second ${what} can send (fetch and replication)`)
    .option('--request-handlers <n>', `request handler threads of ${what} (num.io.threads)`)
    .option('--log-dir-bytes <n>', `bytes the log dir of ${what} holds; writes beyond fail with KAFKA_STORAGE_ERROR`);
}

const brokerStateSchema = z.object({
  id: z.number(),
  alive: z.boolean(),
  port: z.number(),
  controller: z.boolean(),
  latencyMs: z.number(),
  replicationCut: z.boolean(),
  capacity: z.object({ networkInBytesPerSec: z.number(), networkOutBytesPerSec: z.number(), requestHandlers: z.number(), logDirBytes: z.number() }),
});

/** A client of one control API, reporting failures as SluiceErrors that name the URL. */
export class ControlClient {
  constructor(readonly url: string) {}

  /** Every broker's state. */
  async brokers(): Promise<BrokerState[]> {
    return this.parse(await this.call('GET', '/brokers'), z.array(brokerStateSchema));
  }

  /** Sends one change and returns the broker's new state. */
  async change(id: number, action: string, body: object = {}): Promise<BrokerState> {
    return this.parse(await this.call('POST', `/brokers/${id}/${action}`, body), brokerStateSchema);
  }

  private async call(method: string, path: string, body?: object): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS),
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      const reason = timedOut ? `no answer within ${CONTROL_TIMEOUT_MS} ms` : causeText(err);
      throw new SluiceError('SLUICE_ERR_CONTROL_UNREACHABLE', `control API at ${this.url} is unreachable (${reason}); is \`sluice broker\` running with --control-port there?`, { cause: err });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new SluiceError('SLUICE_ERR_CONTROL', `control API at ${this.url} answered ${method} ${path} with HTTP ${res.status} and a body that is not JSON`, { cause: err });
    }
    if (!res.ok) {
      const message = typeof (json as { error?: unknown })?.error === 'string' ? (json as { error: string }).error : `HTTP ${res.status}`;
      throw new SluiceError('SLUICE_ERR_CONTROL', message, { path: `${method} ${path}` });
    }
    return json;
  }

  private parse<T>(json: unknown, schema: z.ZodType<T>): T {
    const result = schema.safeParse(json);
    if (result.success) return result.data;
    throw new SluiceError('SLUICE_ERR_CONTROL', `control API at ${this.url} answered with an unexpected body`, { cause: result.error });
  }
}

/** The brokers as a table, one row each, columns aligned. */
export function formatBrokerTable(brokers: readonly BrokerState[]): string {
  const rows = [
    ['ID', 'ALIVE', 'CONTROLLER', 'PORT', 'LATENCY_MS', 'REPLICATION', 'NETWORK_IN', 'NETWORK_OUT', 'HANDLERS', 'LOG_DIR_BYTES'],
    ...brokers.map((b) => [b.id, b.alive ? 'yes' : 'no', b.controller ? 'yes' : 'no', b.port, b.latencyMs, b.replicationCut ? 'cut' : 'on', b.capacity.networkInBytesPerSec, b.capacity.networkOutBytesPerSec, b.capacity.requestHandlers, b.capacity.logDirBytes].map(String)),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

/** One broker's capacity as a line: `network-in 1000 B/s, network-out …`. */
export function formatCapacity(c: BrokerState['capacity']): string {
  return `network-in ${c.networkInBytesPerSec} B/s, network-out ${c.networkOutBytesPerSec} B/s, request-handlers ${c.requestHandlers}, log-dir-bytes ${c.logDirBytes}`;
}

/** Reads `--control`: an http(s) URL, returned without a trailing slash. */
export function parseControlUrl(text: string): string {
  const url = readControlUrl(text);
  if (!url.ok) throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', `--control: ${url.problem}`, { path: '--control' });
  return url.value;
}

const ARGUMENT_NAMES: Readonly<Record<string, string>> = { id: '<id>', ms: '<ms>' };
const argumentLabel = (path: readonly PathSegment[]): string => ARGUMENT_NAMES[String(path[0])] ?? flagLabel(path);
const idArgument = { id: integerFlag(0, MAX_INT32) };
const CAPACITY_FLAG_NAMES = ['--network-in', '--network-out', '--request-handlers', '--log-dir-bytes'];

/** Validates the arguments of one action; throws SLUICE_ERR_CLI_ARGUMENT naming each bad one. */
function checkArgs<S extends z.ZodType>(schema: S, input: Record<string, unknown>): z.output<S> {
  return validate(schema, input, { code: 'SLUICE_ERR_CLI_ARGUMENT', label: argumentLabel });
}

/** Adds `sluice broker ctl` and its actions to the `broker` command. */
export function registerBrokerCtlCommand(broker: Command, ctx: CliContext): void {
  const ctl = broker
    .command('ctl')
    .description('change a running sluice broker through its fault control API')
    .enablePositionalOptions(false)
    .option('--control <url>', 'base URL of the control API', DEFAULT_CONTROL_URL);
  const client = (): ControlClient => new ControlClient(parseControlUrl((ctl.opts() as { control: string }).control));
  const print = (text: string): void => ctx.stdout(`${text}\n`);

  ctl.command('status').description('show every broker').action(async () => {
    ctx.stdout(formatBrokerTable(await client().brokers()));
  });
  ctl.command('stop <id>').description('stop a broker; its leaderships move to other replicas').action(async (id: string) => {
    const args = checkArgs(z.strictObject(idArgument), { id });
    await client().change(args.id, 'stop');
    print(`broker ${args.id} stopped`);
  });
  ctl
    .command('start <id>')
    .description('start a stopped broker')
    .option('--wipe', 'start with empty logs, as with a replaced disk')
    .action(async (id: string, flags: { wipe?: boolean }) => {
      const args = checkArgs(z.strictObject(idArgument), { id });
      const wipe = flags.wipe === true;
      await client().change(args.id, 'start', wipe ? { wipe } : {});
      print(`broker ${args.id} started${wipe ? ' with empty logs' : ''}`);
    });
  ctl.command('latency <id> <ms>').description('add latency to every response of a broker; 0 clears it').action(async (id: string, ms: string) => {
    const args = checkArgs(z.strictObject({ ...idArgument, ms: integerFlag(0, 60_000) }), { id, ms });
    await client().change(args.id, 'latency', { ms: args.ms });
    print(args.ms === 0 ? `broker ${args.id} latency cleared` : `broker ${args.id} latency ${args.ms} ms`);
  });
  ctl.command('cut-replication <id>').description("stop a broker's followers fetching (under-replicated partitions)").action(async (id: string) => {
    const args = checkArgs(z.strictObject(idArgument), { id });
    await client().change(args.id, 'replication', { enabled: false });
    print(`broker ${args.id} replication cut`);
  });
  ctl.command('restore-replication <id>').description("let a broker's followers fetch again").action(async (id: string) => {
    const args = checkArgs(z.strictObject(idArgument), { id });
    await client().change(args.id, 'replication', { enabled: true });
    print(`broker ${args.id} replication restored`);
  });
  addCapacityOptions(ctl.command('capacity <id>').description("change a broker's capacity"), 'the broker').action(async (id: string, flags: CapacityFlags) => {
    const args = checkArgs(z.strictObject({ ...idArgument, ...capacityFlagsShape }), { id, ...flags });
    const capacity = toCapacity(args);
    if (Object.keys(capacity).length === 0) {
      throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', `capacity: expected at least one of ${CAPACITY_FLAG_NAMES.join(', ')}`);
    }
    const state = await client().change(args.id, 'capacity', capacity);
    print(`broker ${args.id} capacity: ${formatCapacity(state.capacity)}`);
  });
}

function causeText(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}
