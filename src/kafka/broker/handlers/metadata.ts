import { ApiKey } from '../../protocol/messages.ts';
import { KafkaError } from '../../protocol/error-codes.ts';
import { ZERO_UUID } from '../../protocol/reader.ts';
import { topicNameError, type Topic } from '../topics.ts';
import type { Handler, BrokerNode } from '../node.ts';
import type { Message } from '../../protocol/codec.ts';

/** Authorized-operations bitfield when the client did not ask for it. */
const AUTH_OPS_OMITTED = -2147483648;

/** The live brokers, as Metadata lists them. */
export function brokersOf(node: BrokerNode): { nodeId: number; host: string; port: number; rack: null }[] {
  return node.cluster.liveNodes().map((n) => ({ nodeId: n.nodeId, host: n.options.host, port: n.port, rack: null }));
}

/** ApiVersions: the served APIs; an unsupported request version is answered in v0 with the list. */
export const apiVersions: Handler = {
  apiKey: ApiKey.ApiVersions,
  versions: [0, 4],
  handle(node, _ctx, req) {
    return {
      errorCode: req.unsupported ? KafkaError.UNSUPPORTED_VERSION : KafkaError.NONE,
      apiKeys: node.apiVersions(),
      throttleTimeMs: 0,
      finalizedFeaturesEpoch: -1n,
    };
  },
};

/** A partition's leader, replicas, ISR and offline replicas as Metadata and DescribeTopicPartitions give them. */
export function partitionState(node: BrokerNode, p: Topic['partitions'][number]): Message {
  return {
    errorCode: p.leader < 0 ? KafkaError.LEADER_NOT_AVAILABLE : KafkaError.NONE,
    partitionIndex: p.index,
    leaderId: p.leader,
    leaderEpoch: p.leaderEpoch,
    replicaNodes: p.replicas,
    isrNodes: p.isr,
    offlineReplicas: p.replicas.filter((b) => !node.cluster.nodes[b]?.alive),
  };
}

/** Describes one topic for Metadata. */
function describeTopic(node: BrokerNode, t: Topic): Message {
  return {
    errorCode: KafkaError.NONE,
    name: t.name,
    topicId: t.id,
    isInternal: t.internal,
    partitions: t.partitions.map((p) => partitionState(node, p)),
    topicAuthorizedOperations: AUTH_OPS_OMITTED,
  };
}

/** Creates a topic on a metadata or produce request when auto creation is on. */
export function autoCreate(node: BrokerNode, name: string): Topic | undefined {
  if (!node.options.autoCreateTopics || topicNameError(name) !== null) return undefined;
  const rf = Math.min(node.options.defaultReplicationFactor, node.cluster.liveNodes().length);
  node.logger.info({ topic: name, partitions: node.options.defaultPartitions, replicationFactor: rf }, 'auto-created topic');
  return node.cluster.createTopic(name, node.options.defaultPartitions, rf);
}

/** Metadata: brokers, controller, and topics (all, or the named ones, auto-created if allowed). */
export const metadata: Handler = {
  apiKey: ApiKey.Metadata,
  versions: [0, 12],
  handle(node, ctx, req) {
    const v = ctx.apiVersion;
    const requested = req.topics as Message[] | null;
    let topics: Message[];
    if (requested === null || (v === 0 && requested.length === 0)) {
      topics = [...node.topics.all()].map((t) => describeTopic(node, t));
    } else {
      const allowAuto = v >= 4 ? req.allowAutoTopicCreation !== false : true;
      topics = requested.map((rt) => {
        if ((rt.name === null || rt.name === undefined) && rt.topicId && rt.topicId !== ZERO_UUID) {
          const byId = node.topics.getById(rt.topicId);
          return byId ? describeTopic(node, byId) : { errorCode: KafkaError.UNKNOWN_TOPIC_ID, name: null, topicId: rt.topicId, partitions: [] };
        }
        const name: string = rt.name ?? '';
        const existing = node.topics.get(name) ?? (allowAuto ? autoCreate(node, name) : undefined);
        if (existing) return describeTopic(node, existing);
        const invalid = topicNameError(name) !== null;
        return { errorCode: invalid ? KafkaError.INVALID_TOPIC_EXCEPTION : KafkaError.UNKNOWN_TOPIC_OR_PARTITION, name, topicId: ZERO_UUID, partitions: [] };
      });
    }
    return {
      throttleTimeMs: 0,
      brokers: brokersOf(node),
      clusterId: node.options.clusterId,
      controllerId: node.cluster.controllerId,
      topics,
      clusterAuthorizedOperations: AUTH_OPS_OMITTED,
    };
  },
};

/** DescribeCluster (KIP-700). */
export const describeCluster: Handler = {
  apiKey: ApiKey.DescribeCluster,
  versions: [0, 1],
  handle(node, _ctx, req) {
    return {
      throttleTimeMs: 0,
      errorCode: KafkaError.NONE,
      errorMessage: null,
      endpointType: req.endpointType ?? 1,
      clusterId: node.options.clusterId,
      controllerId: node.cluster.controllerId,
      brokers: brokersOf(node).map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: null })),
      clusterAuthorizedOperations: AUTH_OPS_OMITTED,
    };
  },
};

/** Where a group's coordinator is: the leader of its __consumer_offsets partition. */
function coordinator(node: BrokerNode, key: string, keyType: number): Message {
  const target = keyType === 0 ? node.cluster.coordinatorFor(key) : node;
  if (!target) return { errorCode: KafkaError.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The coordinator is not available.', nodeId: -1, host: '', port: -1 };
  return { errorCode: KafkaError.NONE, errorMessage: null, nodeId: target.nodeId, host: target.options.host, port: target.port };
}

/** FindCoordinator (v0–3 one key, v4+ a batch of keys). */
export const findCoordinator: Handler = {
  apiKey: ApiKey.FindCoordinator,
  versions: [0, 6],
  handle(node, ctx, req) {
    const keyType: number = req.keyType ?? 0;
    if (ctx.apiVersion < 4) return { throttleTimeMs: 0, ...coordinator(node, req.key, keyType) };
    return {
      throttleTimeMs: 0,
      coordinators: (req.coordinatorKeys as string[]).map((key) => ({ key, ...coordinator(node, key, keyType) })),
    };
  },
};

/** InitProducerId for idempotent producers; transactions are not served. */
export const initProducerId: Handler = {
  apiKey: ApiKey.InitProducerId,
  versions: [0, 5],
  handle(node, _ctx, req) {
    if (req.transactionalId !== null) {
      return { throttleTimeMs: 0, errorCode: KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
    }
    if (req.producerId !== undefined && req.producerId >= 0n) {
      // KIP-360: an idempotent producer may bump its epoch after a fatal sequence error.
      return { throttleTimeMs: 0, errorCode: KafkaError.NONE, producerId: req.producerId, producerEpoch: (req.producerEpoch as number) + 1 };
    }
    return { throttleTimeMs: 0, errorCode: KafkaError.NONE, producerId: node.allocateProducerId(), producerEpoch: 0 };
  },
};
