import { randomUUID } from 'node:crypto';
import { PartitionLog } from './log.ts';
import { TOPIC_CONFIGS } from './configs.ts';
import { ProducerStateTable } from './producers.ts';

/** One partition of a topic on this node. */
export interface Partition {
  readonly topic: string;
  readonly index: number;
  readonly log: PartitionLog;
  leaderEpoch: number;
  /** Wakes Fetch long polls waiting on this partition. */
  readonly waiters: Set<() => void>;
  /** Idempotent producers' sequence state. */
  readonly producers: ProducerStateTable;
}

/** A topic: id, partitions and the configs set on it (overrides of the defaults). */
export interface Topic {
  readonly name: string;
  readonly id: string;
  readonly internal: boolean;
  readonly partitions: Partition[];
  readonly configs: Map<string, string>;
}

const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Why a topic name is illegal, or null when it is fine (Kafka's Topic.validate rules). */
export function topicNameError(name: string): string | null {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > 249) return `Topic name is illegal, it can't be longer than 249 characters, topic name: ${name}`;
  if (!LEGAL.test(name)) return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}

/** All topics of the node, by name and by id. */
export class TopicStore {
  private byName = new Map<string, Topic>();
  private byId = new Map<string, Topic>();

  /** Topics in creation order. */
  all(): IterableIterator<Topic> {
    return this.byName.values();
  }

  get(name: string): Topic | undefined {
    return this.byName.get(name);
  }

  getById(id: string): Topic | undefined {
    return this.byId.get(id);
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.byName.get(topic)?.partitions[index];
  }

  /** Creates a topic; the caller has validated name, count and configs. */
  create(name: string, partitions: number, configs: Iterable<[string, string]> = [], internal = false): Topic {
    const topic: Topic = { name, id: randomUUID(), internal, partitions: [], configs: new Map(configs) };
    this.byName.set(name, topic);
    this.byId.set(topic.id, topic);
    this.addPartitions(topic, partitions);
    return topic;
  }

  /** Grows a topic to `count` partitions. */
  addPartitions(topic: Topic, count: number): void {
    for (let i = topic.partitions.length; i < count; i++) {
      const log = new PartitionLog();
      log.beginEpoch(0);
      topic.partitions.push({ topic: topic.name, index: i, log, leaderEpoch: 0, waiters: new Set(), producers: new ProducerStateTable() });
    }
  }

  /** Deletes a topic; wakes its waiters so long polls end. */
  delete(name: string): boolean {
    const t = this.byName.get(name);
    if (!t) return false;
    this.byName.delete(name);
    this.byId.delete(t.id);
    for (const p of t.partitions) for (const w of p.waiters) w();
    return true;
  }

  /** Effective value of a topic config (override or default). */
  config(topic: Topic, key: string): string {
    return topic.configs.get(key) ?? TOPIC_CONFIGS[key]?.default ?? '';
  }

  /** Effective numeric value of a topic config. */
  numericConfig(topic: Topic, key: string): number {
    return Number(this.config(topic, key));
  }
}
