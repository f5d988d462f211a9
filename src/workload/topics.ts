/**
 * Creates the scenario's topics that the cluster does not have yet. Existing topics are left as
 * they are (a workload never deletes or reconfigures what someone else may be using).
 */
import type { Admin } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { SluiceError } from '../errors.ts';
import { describeError } from './cluster.ts';
import type { TopicSpec } from './scenario.ts';

/** What happened to one scenario topic. */
export interface TopicOutcome {
  readonly name: string;
  readonly created: boolean;
  /** Replication factor asked of the cluster (-1: its default). */
  readonly replicationFactor: number;
}

const TOPIC_ALREADY_EXISTS = 36;

/**
 * Creates every topic of `topics` missing from the cluster, with its partitions and configs and
 * its replication factor capped to `brokers` (with a warning: a single-broker cluster cannot hold
 * three replicas, and the scenario should still run there).
 */
export async function ensureTopics(
  admin: Admin,
  topics: readonly TopicSpec[],
  brokers: number,
  logger: Logger,
): Promise<TopicOutcome[]> {
  if (topics.length === 0) return [];
  const existing = new Set(await admin.listTopics({ includeInternals: false }));
  const outcomes: TopicOutcome[] = [];
  for (const [index, topic] of topics.entries()) {
    let replicationFactor = topic.replicationFactor ?? -1;
    if (replicationFactor > brokers) {
      logger.warn(
        { topic: topic.name, asked: replicationFactor, brokers },
        `topic ${topic.name}: replicationFactor ${replicationFactor} capped to ${brokers}, the number of brokers`,
      );
      replicationFactor = brokers;
    }
    if (existing.has(topic.name)) {
      logger.info({ topic: topic.name }, `topic ${topic.name} exists; left as it is`);
      outcomes.push({ name: topic.name, created: false, replicationFactor });
      continue;
    }
    try {
      await admin.createTopics({
        topics: [topic.name],
        partitions: topic.partitions,
        replicas: replicationFactor,
        configs: Object.entries(topic.configs).map(([name, value]) => ({ name, value })),
      });
      logger.info({ topic: topic.name, partitions: topic.partitions, replicationFactor }, `created topic ${topic.name}`);
      outcomes.push({ name: topic.name, created: true, replicationFactor });
    } catch (error) {
      if (!hasErrorCode(error, TOPIC_ALREADY_EXISTS)) {
        const path = `topics[${index}]`;
        throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `${path}: the cluster did not create topic ${topic.name}: ${describeError(error)}`, {
          path,
          cause: error,
        });
      }
      outcomes.push({ name: topic.name, created: false, replicationFactor });
    }
  }
  return outcomes;
}

/** True when a client error (or one it aggregates) carries Kafka error code `code`. */
export function hasErrorCode(error: unknown, code: number): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if ((error as { apiCode?: unknown }).apiCode === code) return true;
  const nested = (error as { errors?: unknown[] }).errors;
  return Array.isArray(nested) && nested.some((e) => hasErrorCode(e, code));
}
