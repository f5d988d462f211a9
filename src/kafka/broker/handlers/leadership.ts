import { ApiKey } from '../../protocol/messages.ts';
import { KafkaError } from '../../protocol/error-codes.ts';
import type { Handler, BrokerNode } from '../node.ts';
import type { Partition } from '../topics.ts';
import type { Message } from '../../protocol/codec.ts';

const ELECTION_MESSAGES: Record<number, string> = {
  [KafkaError.ELECTION_NOT_NEEDED]: 'Leader election not needed for topic partition.',
  [KafkaError.PREFERRED_LEADER_NOT_AVAILABLE]: 'Failed to elect leader: the preferred replica is not alive or not in the ISR.',
  [KafkaError.ELIGIBLE_LEADERS_NOT_AVAILABLE]: 'No live replica can become leader.',
  [KafkaError.UNKNOWN_TOPIC_OR_PARTITION]: 'The partition does not exist.',
};

/** Partitions named by a request, or every partition when the list is null. */
function selected(node: BrokerNode, list: Message[] | null, indexesField: string): { topic: string; index: number; p: Partition | undefined }[] {
  if (list === null) {
    return [...node.cluster.allPartitions()].map((p) => ({ topic: p.topic, index: p.index, p }));
  }
  return list.flatMap((t) => (t[indexesField] as number[]).map((index) => ({ topic: t.topic ?? t.name, index, p: node.topics.partition(t.topic ?? t.name, index) })));
}

function groupByTopic<T extends { topic: string }>(items: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const list = out.get(it.topic) ?? [];
    list.push(it);
    out.set(it.topic, list);
  }
  return out;
}

/** ElectLeaders (KIP-460): preferred (0) or unclean (1) election per partition. */
export const electLeaders: Handler = {
  apiKey: ApiKey.ElectLeaders,
  versions: [0, 2],
  handle(node, ctx, req) {
    const unclean = ctx.apiVersion >= 1 && req.electionType === 1;
    const results = selected(node, req.topicPartitions, 'partitions').map((s) => {
      const code = !s.p ? KafkaError.UNKNOWN_TOPIC_OR_PARTITION : unclean ? node.cluster.controller.electUnclean(s.p) : node.cluster.controller.electPreferred(s.p);
      return { topic: s.topic, partitionId: s.index, errorCode: code, errorMessage: code === 0 ? null : ELECTION_MESSAGES[code] ?? null };
    });
    // With a null list, Kafka reports only the partitions it acted on or failed for.
    const shown = req.topicPartitions === null ? results.filter((r) => r.errorCode !== KafkaError.ELECTION_NOT_NEEDED) : results;
    const replicaElectionResults = [...groupByTopic(shown)].map(([topic, rs]) => ({
      topic,
      partitionResult: rs.map(({ partitionId, errorCode, errorMessage }) => ({ partitionId, errorCode, errorMessage })),
    }));
    return { throttleTimeMs: 0, errorCode: KafkaError.NONE, replicaElectionResults };
  },
};

/**
 * Why Kafka's controller refuses a target replica list (validateManualPartitionAssignment), in
 * its words: empty, a broker not registered, a broker twice (checked in broker id order).
 */
export function invalidAssignmentMessage(target: readonly number[], brokers: ReadonlySet<number>): string {
  if (target.length === 0) return 'The manual partition assignment includes an empty replica list.';
  const sorted = [...target].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; i++) {
    if (!brokers.has(sorted[i]!)) return `The manual partition assignment includes broker ${sorted[i]}, but no such broker is registered.`;
    if (i > 0 && sorted[i] === sorted[i - 1]) return `The manual partition assignment includes the broker ${sorted[i]} more than once.`;
  }
  return 'Invalid replica assignment.';
}

/** AlterPartitionReassignments (KIP-455): start, change or (null replicas) cancel moving replicas. */
export const alterPartitionReassignments: Handler = {
  apiKey: ApiKey.AlterPartitionReassignments,
  versions: [0, 0],
  handle(node, _ctx, req) {
    const responses = (req.topics as Message[]).map((t) => ({
      name: t.name,
      partitions: (t.partitions as Message[]).map((pr) => {
        const target = pr.replicas as number[] | null;
        const p = node.topics.partition(t.name, pr.partitionIndex);
        if (!p) {
          const errorMessage = node.topics.get(t.name) ? `Unable to find partition ${t.name}:${pr.partitionIndex}.` : `Unable to find a topic named ${t.name}.`;
          return { partitionIndex: pr.partitionIndex, errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION, errorMessage };
        }
        const code = node.cluster.controller.reassign(p, target);
        const errorMessage = code === KafkaError.INVALID_REPLICA_ASSIGNMENT ? invalidAssignmentMessage(target ?? [], node.cluster.controller.brokerIds())
          : code === KafkaError.NO_REASSIGNMENT_IN_PROGRESS ? 'No partition reassignment is in progress.' : null;
        if (code === KafkaError.NONE) {
          node.logger.info({ topic: t.name, partition: pr.partitionIndex, target, replicas: p.replicas, adding: p.adding, removing: p.removing }, target === null ? 'reassignment cancelled' : 'reassignment started');
        }
        return { partitionIndex: pr.partitionIndex, errorCode: code, errorMessage };
      }),
    }));
    return { throttleTimeMs: 0, errorCode: KafkaError.NONE, errorMessage: null, responses };
  },
};

/** ListPartitionReassignments: ongoing reassignments with adding and removing replicas. */
export const listPartitionReassignments: Handler = {
  apiKey: ApiKey.ListPartitionReassignments,
  versions: [0, 0],
  handle(node, _ctx, req) {
    const ongoing = selected(node, req.topics, 'partitionIndexes')
      .filter((s): s is { topic: string; index: number; p: Partition } => s.p !== undefined && (s.p.adding.length > 0 || s.p.removing.length > 0));
    const topics = [...groupByTopic(ongoing)].map(([name, list]) => ({
      name,
      partitions: list.map(({ p }) => ({ partitionIndex: p.index, replicas: p.replicas, addingReplicas: p.adding, removingReplicas: p.removing })),
    }));
    return { throttleTimeMs: 0, errorCode: KafkaError.NONE, errorMessage: null, topics };
  },
};
