import type { Handler } from '../node.ts';
import { produce } from './produce.ts';
import { fetch, listOffsets, offsetForLeaderEpoch, deleteRecords } from './fetch.ts';
import { apiVersions, metadata, describeCluster, findCoordinator, initProducerId } from './metadata.ts';
import { createTopics, deleteTopics, createPartitions, describeLogDirs } from './topics.ts';
import { describeConfigs, alterConfigs, incrementalAlterConfigs } from './configs.ts';
import { describeClientQuotas, alterClientQuotas } from './quotas.ts';
import { saslHandshake, saslAuthenticate } from './sasl.ts';
import { groupHandlers } from './groups.ts';
import { electLeaders, alterPartitionReassignments, listPartitionReassignments } from './leadership.ts';
import { describeTopicPartitions } from './describe-topic-partitions.ts';

/** Every API the bundled broker serves. */
export const HANDLERS: readonly Handler[] = [
  produce, fetch, listOffsets, offsetForLeaderEpoch, deleteRecords,
  apiVersions, metadata, describeTopicPartitions, describeCluster, findCoordinator, initProducerId,
  createTopics, deleteTopics, createPartitions, describeLogDirs,
  describeConfigs, alterConfigs, incrementalAlterConfigs,
  describeClientQuotas, alterClientQuotas,
  saslHandshake, saslAuthenticate,
  electLeaders, alterPartitionReassignments, listPartitionReassignments,
  ...groupHandlers,
];
