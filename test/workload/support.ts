/**
 * Shared parts of the workload tests: a bundled broker on a free port, a kafkajs admin to measure
 * what the cluster holds (independently of the generator's own counters), a logger that keeps
 * its lines, and a run of a scenario given as YAML text.
 */
import kafkajs, { type Admin } from 'kafkajs';
import { pino, type Logger } from 'pino';
import { startBroker } from '../../src/kafka/broker/index.ts';
import type { RunningBroker } from '../../src/kafka/broker/options.ts';
import { startWorkload, type WorkloadOptions, type WorkloadRun } from '../../src/workload/run.ts';
import { parseScenario } from '../../src/workload/scenario.ts';

const { Kafka, logLevel } = kafkajs;

/** The bundled broker, single node, topics auto-created. */
export function startTestBroker(): Promise<RunningBroker> {
  return startBroker({ host: '127.0.0.1', port: 0, autoCreateTopics: true, logger: pino({ level: 'silent' }) });
}

/** A kafkajs admin client connected to `bootstrap`. */
export async function kafkajsAdmin(bootstrap: string): Promise<Admin> {
  const admin = new Kafka({ clientId: 'workload-test', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  return admin;
}

/** Records in `topic` as the broker counts them: log end minus log start, over all partitions. */
export async function recordCount(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

/** Log end offset of each partition of `topic`, by partition. */
export async function endOffsets(admin: Admin, topic: string): Promise<Map<number, number>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((p) => [p.partition, Number(p.high)]));
}

/** Committed offsets of `group` on `topic`, by partition (-1 where none). */
export async function committed(admin: Admin, group: string, topic: string): Promise<Map<number, number>> {
  const [found] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return new Map((found?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
}

/** A logger whose lines are kept as objects (level SLUICE_TEST_WORKLOAD_LOG, default info). */
export function keptLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const level = process.env.SLUICE_TEST_WORKLOAD_LOG ?? 'info';
  const logger = pino({ level, base: null, timestamp: false }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** A started run of the scenario in `yaml`, with its status lines and log lines kept. */
export interface TestRun {
  readonly run: WorkloadRun;
  readonly status: string[];
  readonly logs: Record<string, unknown>[];
}

/** Starts the scenario written in `yaml` against `bootstrap`. */
export async function runScenario(yaml: string, options: Omit<WorkloadOptions, 'bootstrap'> & { bootstrap: string }): Promise<TestRun> {
  const status: string[] = [];
  const { logger, lines } = keptLogger();
  const run = await startWorkload(
    parseScenario(yaml, 'test.yaml'),
    { ...options, bootstrap: options.bootstrap.split(',') },
    { logger, status: (line) => void status.push(line) },
  );
  return { run, status, logs: lines };
}
