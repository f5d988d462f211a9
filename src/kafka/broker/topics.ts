import { randomUUID } from 'node:crypto';
import { TOPIC_CONFIGS } from './configs.ts';
import { Partition } from './partition.ts';

export { Partition } from './partition.ts';

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

/**
 * Replica assignment as Kafka's controller does it without racks: partition p's replicas start at
 * broker (start + p) and follow round-robin, so leaders and replicas spread evenly.
 */
export function assignReplicas(brokers: readonly number[], partitions: number, replicationFactor: number, start: number, firstPartition = 0): number[][] {
  const n = brokers.length;
  const out: number[][] = [];
  for (let p = firstPartition; p < firstPartition + partitions; p++) {
    const first = (start + p) % n;
    const shift = 1 + (Math.floor(p / n) % Math.max(n - 1, 1));
    const replicas = [brokers[first]!];
    for (let j = 1; j < replicationFactor; j++) replicas.push(brokers[(first + shift * j) % n]!);
    out.push(replicas);
  }
  return out;
}

/** All topics of the cluster, by name and by id. */
export class TopicStore {
  private byName = new Map<string, Topic>();
  private byId = new Map<string, Topic>();
  /** Bumped on every create/delete/grow, so metadata consumers can cache. */
  version = 0;
  /** Cluster-wide defaults of topic configs (broker configs such as min.insync.replicas). */
  readonly defaults = new Map<string, string>();

  /** Topics in creation order. */
  all(): IterableIterator<Topic> {
    return this.byName.values();
  }

  get size(): number {
    return this.byName.size;
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

  /** Creates a topic with the given replica assignment (one list of broker ids per partition). */
  create(name: string, assignment: number[][], configs: Iterable<[string, string]> = [], internal = false): Topic {
    const topic: Topic = { name, id: randomUUID(), internal, partitions: [], configs: new Map(configs) };
    this.byName.set(name, topic);
    this.byId.set(topic.id, topic);
    this.addPartitions(topic, assignment);
    return topic;
  }

  /** Adds partitions with the given assignment. */
  addPartitions(topic: Topic, assignment: number[][]): void {
    const now = Date.now();
    for (const replicas of assignment) {
      topic.partitions.push(new Partition(topic.name, topic.partitions.length, replicas, now));
    }
    this.version++;
  }

  /** Deletes a topic; wakes its waiters so long polls end. */
  delete(name: string): boolean {
    const t = this.byName.get(name);
    if (!t) return false;
    this.byName.delete(name);
    this.byId.delete(t.id);
    for (const p of t.partitions) {
      p.wakeAll();
      p.failAckWaiters(3);
    }
    this.version++;
    return true;
  }

  /** Effective value of a topic config (override or default). */
  config(topic: Topic, key: string): string {
    return topic.configs.get(key) ?? this.defaults.get(key) ?? TOPIC_CONFIGS[key]?.default ?? '';
  }

  /** Effective numeric value of a topic config. */
  numericConfig(topic: Topic, key: string): number {
    return Number(this.config(topic, key));
  }
}
