import { ApiKey } from '../../protocol/messages.ts';
import { KafkaError } from '../../protocol/error-codes.ts';
import { ZERO_UUID } from '../../protocol/reader.ts';
import { topicNameError } from '../topics.ts';
import { TOPIC_CONFIGS, validateTopicConfig, ConfigSource } from '../configs.ts';
import { OFFSETS_TOPIC, type Handler, type BrokerNode } from '../node.ts';
import type { Message } from '../../protocol/codec.ts';

const MAX_PARTITIONS = 100_000;

function error(errorCode: number, errorMessage: string | null = null): { errorCode: number; errorMessage: string | null } {
  return { errorCode, errorMessage };
}

/** Checks one CreateTopics entry; returns the error or the resolved partition count. */
function checkCreate(node: BrokerNode, t: Message): { errorCode: number; errorMessage: string | null } | { partitions: number; configs: [string, string][] } {
  const nameErr = topicNameError(t.name);
  if (nameErr) return error(KafkaError.INVALID_TOPIC_EXCEPTION, nameErr);
  if (node.topics.get(t.name)) return error(KafkaError.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
  const assignments = t.assignments as Message[];
  let partitions: number = t.numPartitions === -1 ? node.options.defaultPartitions : t.numPartitions;
  if (assignments.length > 0) {
    if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
      return error(KafkaError.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
    }
    for (const a of assignments) {
      if ((a.brokerIds as number[]).some((b) => b !== node.options.nodeId)) {
        return error(KafkaError.INVALID_REPLICA_ASSIGNMENT, `Unknown broker in assignment of partition ${a.partitionIndex}`);
      }
    }
    partitions = assignments.length;
  }
  if (partitions <= 0 || partitions > MAX_PARTITIONS) return error(KafkaError.INVALID_PARTITIONS, `Number of partitions must be larger than 0 (and at most ${MAX_PARTITIONS}).`);
  const rf: number = t.replicationFactor;
  if (assignments.length === 0 && rf !== -1 && (rf <= 0 || rf > 1)) {
    return error(KafkaError.INVALID_REPLICATION_FACTOR, `Replication factor: ${rf} larger than available brokers: 1.`);
  }
  const configs: [string, string][] = [];
  for (const c of t.configs as Message[]) {
    const bad = validateTopicConfig(c.name, c.value);
    if (bad) return error(KafkaError.INVALID_CONFIG, bad);
    if (c.value !== null) configs.push([c.name, c.value]);
  }
  return { partitions, configs };
}

function describedConfigs(node: BrokerNode, name: string): Message[] {
  const t = node.topics.get(name)!;
  return Object.keys(TOPIC_CONFIGS).map((key) => ({
    name: key,
    value: node.topics.config(t, key),
    readOnly: false,
    configSource: t.configs.has(key) ? ConfigSource.TOPIC_CONFIG : ConfigSource.DEFAULT_CONFIG,
    isSensitive: false,
  }));
}

/** CreateTopics, with validate_only and Kafka's error codes per topic. */
export const createTopics: Handler = {
  apiKey: ApiKey.CreateTopics,
  versions: [0, 7],
  handle(node, _ctx, req) {
    const seen = new Set<string>();
    const topics = (req.topics as Message[]).map((t) => {
      const base = { name: t.name, topicId: ZERO_UUID, numPartitions: -1, replicationFactor: -1, configs: null };
      if (seen.has(t.name)) return { ...base, ...error(KafkaError.INVALID_REQUEST, `Create topics request from client contains duplicate topic ${t.name}`) };
      seen.add(t.name);
      const r = checkCreate(node, t);
      if ('errorCode' in r) return { ...base, ...r };
      if (req.validateOnly) return { ...base, ...error(KafkaError.NONE), numPartitions: r.partitions, replicationFactor: 1 };
      const topic = node.topics.create(t.name, r.partitions, r.configs);
      node.logger.info({ topic: t.name, partitions: r.partitions }, 'created topic');
      return { ...base, ...error(KafkaError.NONE), topicId: topic.id, numPartitions: r.partitions, replicationFactor: 1, configs: describedConfigs(node, t.name) };
    });
    return { throttleTimeMs: 0, topics };
  },
};

/** DeleteTopics by name (v0–5) or by name/id (v6+). */
export const deleteTopics: Handler = {
  apiKey: ApiKey.DeleteTopics,
  versions: [0, 6],
  handle(node, ctx, req) {
    const wanted: { name: string | null; topicId: string }[] = ctx.apiVersion >= 6
      ? (req.topics as Message[]).map((t) => ({ name: t.name, topicId: t.topicId }))
      : (req.topicNames as string[]).map((name) => ({ name, topicId: ZERO_UUID }));
    const responses = wanted.map((w) => {
      const topic = w.name !== null ? node.topics.get(w.name) : node.topics.getById(w.topicId);
      if (!topic) {
        const code = w.name === null ? KafkaError.UNKNOWN_TOPIC_ID : KafkaError.UNKNOWN_TOPIC_OR_PARTITION;
        return { name: w.name, topicId: w.topicId, ...error(code, 'This server does not host this topic.') };
      }
      if (topic.name === OFFSETS_TOPIC) return { name: topic.name, topicId: topic.id, ...error(KafkaError.TOPIC_AUTHORIZATION_FAILED, 'Internal topics cannot be deleted') };
      node.topics.delete(topic.name);
      node.logger.info({ topic: topic.name }, 'deleted topic');
      return { name: topic.name, topicId: topic.id, ...error(KafkaError.NONE) };
    });
    return { throttleTimeMs: 0, responses };
  },
};

/** CreatePartitions: grows a topic. */
export const createPartitions: Handler = {
  apiKey: ApiKey.CreatePartitions,
  versions: [0, 3],
  handle(node, _ctx, req) {
    const results = (req.topics as Message[]).map((t) => {
      const topic = node.topics.get(t.name);
      if (!topic) return { name: t.name, ...error(KafkaError.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${t.name}' does not exist.`) };
      const current = topic.partitions.length;
      if (t.count <= current) {
        return { name: t.name, ...error(KafkaError.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${t.count}.`) };
      }
      if (t.count > MAX_PARTITIONS) return { name: t.name, ...error(KafkaError.INVALID_PARTITIONS, `At most ${MAX_PARTITIONS} partitions`) };
      if (!req.validateOnly) node.topics.addPartitions(topic, t.count);
      return { name: t.name, ...error(KafkaError.NONE) };
    });
    return { throttleTimeMs: 0, results };
  },
};

/** DescribeLogDirs: one in-memory log dir holding every partition. */
export const describeLogDirs: Handler = {
  apiKey: ApiKey.DescribeLogDirs,
  versions: [0, 4],
  handle(node, _ctx, req) {
    const wanted = req.topics as Message[] | null;
    const all = [...node.topics.all()];
    const topics = (wanted === null ? all.map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.index) })) : wanted)
      .map((w: Message) => {
        const t = node.topics.get(w.topic);
        if (!t) return null;
        return {
          name: t.name,
          partitions: (w.partitions as number[]).filter((i) => t.partitions[i]).map((i) => ({
            partitionIndex: i, partitionSize: BigInt(t.partitions[i]!.log.size), offsetLag: 0n, isFutureKey: false,
          })),
        };
      })
      .filter((x: Message | null) => x !== null);
    let used = 0;
    for (const t of all) for (const p of t.partitions) used += p.log.size;
    const total = 1n << 40n;
    return {
      throttleTimeMs: 0,
      errorCode: KafkaError.NONE,
      results: [{ errorCode: KafkaError.NONE, logDir: `/sluice/broker-${node.options.nodeId}`, topics, totalBytes: total, usableBytes: total - BigInt(used) }],
    };
  },
};
