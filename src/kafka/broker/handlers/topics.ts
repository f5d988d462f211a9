import { ApiKey } from '../../protocol/messages.ts';
import { KafkaError } from '../../protocol/error-codes.ts';
import { ZERO_UUID } from '../../protocol/reader.ts';
import { topicNameError } from '../topics.ts';
import { TOPIC_CONFIGS, validateTopicConfig, ConfigSource } from '../configs.ts';
import type { Handler, BrokerNode } from '../node.ts';
import { OFFSETS_TOPIC } from '../offsets-log.ts';
import type { Message } from '../../protocol/codec.ts';

const MAX_PARTITIONS = 100_000;

function error(errorCode: number, errorMessage: string | null = null): { errorCode: number; errorMessage: string | null } {
  return { errorCode, errorMessage };
}

/** Checks one CreateTopics entry; returns the error or the resolved partition count. */
function checkCreate(node: BrokerNode, t: Message): { errorCode: number; errorMessage: string | null } | { partitions: number; rf: number; assignment?: number[][]; configs: [string, string][] } {
  const nameErr = topicNameError(t.name);
  if (nameErr) return error(KafkaError.INVALID_TOPIC_EXCEPTION, nameErr);
  if (node.topics.get(t.name)) return error(KafkaError.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
  const assignments = t.assignments as Message[];
  let partitions: number = t.numPartitions === -1 ? node.options.defaultPartitions : t.numPartitions;
  if (assignments.length > 0) {
    if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
      return error(KafkaError.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
    }
    const bad = assignmentError(node, assignments.map((a) => a.brokerIds as number[]));
    if (bad) return error(KafkaError.INVALID_REPLICA_ASSIGNMENT, bad);
    partitions = assignments.length;
  }
  if (partitions <= 0 || partitions > MAX_PARTITIONS) return error(KafkaError.INVALID_PARTITIONS, `Number of partitions must be larger than 0 (and at most ${MAX_PARTITIONS}).`);
  const live = node.cluster.liveNodes().length;
  const rf: number = t.replicationFactor === -1 ? Math.min(node.options.defaultReplicationFactor, live) : t.replicationFactor;
  if (assignments.length === 0 && (rf <= 0 || rf > live)) {
    return error(KafkaError.INVALID_REPLICATION_FACTOR, `Replication factor: ${rf} larger than available brokers: ${live}.`);
  }
  const configs: [string, string][] = [];
  for (const c of t.configs as Message[]) {
    const bad = validateTopicConfig(c.name, c.value);
    if (bad) return error(KafkaError.INVALID_CONFIG, bad);
    if (c.value !== null) configs.push([c.name, c.value]);
  }
  const assignment = assignments.length > 0 ? assignments.map((a) => a.brokerIds as number[]) : undefined;
  return { partitions, rf: assignment ? assignment[0]!.length : rf, configs, ...(assignment ? { assignment } : {}) };
}

/** Why a manual replica assignment is invalid, or null. */
function assignmentError(node: BrokerNode, assignment: number[][]): string | null {
  for (const [i, brokers] of assignment.entries()) {
    if (brokers.length === 0) return `Empty replica list for partition ${i}`;
    if (new Set(brokers).size !== brokers.length) return `Duplicate brokers in the assignment of partition ${i}: ${brokers.join(',')}`;
    const unknown = brokers.find((b) => !node.cluster.nodes[b]);
    if (unknown !== undefined) return `Unknown broker ${unknown} in the assignment of partition ${i}`;
    if (brokers.length !== assignment[0]!.length) return 'All partitions should have the same number of replicas';
  }
  return null;
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
      if (req.validateOnly) return { ...base, ...error(KafkaError.NONE), numPartitions: r.partitions, replicationFactor: r.rf };
      const topic = node.cluster.createTopic(t.name, r.partitions, r.rf, r.configs, r.assignment);
      node.logger.info({ topic: t.name, partitions: r.partitions, replicationFactor: r.rf }, 'created topic');
      return { ...base, ...error(KafkaError.NONE), topicId: topic.id, numPartitions: r.partitions, replicationFactor: r.rf, configs: describedConfigs(node, t.name) };
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
      const assignment = (t.assignments as Message[] | null)?.map((a) => a.brokerIds as number[]);
      if (assignment) {
        const bad = assignment.length !== t.count - current ? `Increasing the number of partitions by ${t.count - current} but ${assignment.length} assignments provided.` : assignmentError(node, assignment);
        if (bad) return { name: t.name, ...error(KafkaError.INVALID_REPLICA_ASSIGNMENT, bad) };
      }
      if (!req.validateOnly) node.cluster.addPartitions(topic, t.count, assignment);
      return { name: t.name, ...error(KafkaError.NONE) };
    });
    return { throttleTimeMs: 0, results };
  },
};

/** DescribeLogDirs: this broker's one log dir and the replicas it holds, with sizes and lag. */
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
        const partitions = (w.partitions as number[]).flatMap((i) => {
          const p = t.partitions[i];
          const r = p?.copies.get(node.nodeId);
          if (!p || !r) return [];
          const leaderEnd = p.leaderReplica()?.log.logEndOffset ?? r.log.logEndOffset;
          return [{ partitionIndex: i, partitionSize: BigInt(r.log.size), offsetLag: BigInt(Math.max(0, leaderEnd - r.log.logEndOffset)), isFutureKey: false }];
        });
        return partitions.length > 0 ? { name: t.name, partitions } : null;
      })
      .filter((x: Message | null) => x !== null);
    const used = node.logDirUsedBytes();
    const total = BigInt(node.capacity.logDirBytes);
    return {
      throttleTimeMs: 0,
      errorCode: KafkaError.NONE,
      results: [{ errorCode: KafkaError.NONE, logDir: node.logDir, topics, totalBytes: total, usableBytes: total - BigInt(Math.min(used, node.capacity.logDirBytes)) }],
    };
  },
};
