/**
 * What an execution does to a cluster, behind one seam: read placement and reassignments in
 * progress, start or cancel reassignments, set and remove throttle configs, elect preferred
 * leaders. `KafkaReassignActuator` does it over the Kafka protocol (KafkaAdmin and
 * admin-reassign.ts), against Apache Kafka or the bundled cluster alike.
 */
import type { AdminResult, KafkaAdmin, PartitionReassignment, ReassignmentTarget } from '../../kafka/admin.ts';
import { alterBrokerConfigs, alterTopicConfigs, describeBrokerDynamicConfigs, electPreferredLeaders, type BrokerConfigChanges, type ElectionResult, type TopicConfigChanges } from '../../kafka/admin-reassign.ts';
import type { PartitionHealth } from './guards.ts';

/** The cluster operations an execution needs. */
export interface ReassignActuator {
  /** Every partition of the topics that are not internal (Metadata). Rejects when no broker answers. */
  partitions(): Promise<PartitionHealth[]>;
  reassigning(partitions?: readonly { topic: string; partition: number }[]): Promise<AdminResult<PartitionReassignment[]>>;
  reassign(targets: readonly ReassignmentTarget[]): Promise<AdminResult<number>>;
  alterBrokerConfigs(changes: readonly BrokerConfigChanges[]): Promise<AdminResult<number>>;
  alterTopicConfigs(changes: readonly TopicConfigChanges[]): Promise<AdminResult<number>>;
  /** The dynamic configs set on each broker itself, restricted to `keys`. */
  brokerConfigs(brokers: readonly number[], keys: readonly string[]): Promise<AdminResult<Map<number, Record<string, string>>>>;
  topicConfigs(topics: readonly string[], keys: readonly string[]): Promise<AdminResult<Map<string, Record<string, string>>>>;
  electPreferred(partitions: readonly { topic: string; partition: number }[]): Promise<AdminResult<ElectionResult[]>>;
}

/** The actuator over a KafkaAdmin (which it does not close). */
export class KafkaReassignActuator implements ReassignActuator {
  constructor(private readonly admin: KafkaAdmin) {}

  async partitions(): Promise<PartitionHealth[]> {
    const meta = await this.admin.metadata();
    return [...meta.topics.values()].filter((t) => !t.internal).flatMap((t) => t.partitions.map((p) => ({ topic: p.topic, partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr })));
  }

  reassigning(partitions?: readonly { topic: string; partition: number }[]): Promise<AdminResult<PartitionReassignment[]>> {
    return this.admin.listPartitionReassignments(partitions);
  }

  reassign(targets: readonly ReassignmentTarget[]): Promise<AdminResult<number>> {
    return this.admin.alterPartitionReassignments(targets);
  }

  alterBrokerConfigs(changes: readonly BrokerConfigChanges[]): Promise<AdminResult<number>> {
    return alterBrokerConfigs(this.admin, changes);
  }

  alterTopicConfigs(changes: readonly TopicConfigChanges[]): Promise<AdminResult<number>> {
    return alterTopicConfigs(this.admin, changes);
  }

  brokerConfigs(brokers: readonly number[], keys: readonly string[]): Promise<AdminResult<Map<number, Record<string, string>>>> {
    return describeBrokerDynamicConfigs(this.admin, brokers, keys);
  }

  topicConfigs(topics: readonly string[], keys: readonly string[]): Promise<AdminResult<Map<string, Record<string, string>>>> {
    return this.admin.describeTopicConfigs(topics, keys);
  }

  electPreferred(partitions: readonly { topic: string; partition: number }[]): Promise<AdminResult<ElectionResult[]>> {
    return electPreferredLeaders(this.admin, partitions);
  }
}
