/**
 * The template variables the boards share. Each lists a label's values from the series that
 * carry it (the metric names are the collectors', see src/collect/*.ts), narrowed by the
 * variables before it, so picking a cluster narrows the topics, groups, clients and brokers.
 */
import type { VariableModel } from '@grafana/schema';
import { variable } from './panels.ts';
import { inVar, labelValues, NOT_INTERNAL_TOPIC } from './sql.ts';

const inCluster = [inVar('cluster', 'cluster')];

/** Clusters: every cluster the cluster collector has reported on. */
export const cluster: VariableModel = variable('cluster', 'cluster', labelValues('cluster', ['sluice_cluster_brokers_alive']), 'Kafka clusters Sluice collects from');

/** Brokers of the chosen clusters. */
export const broker: VariableModel = variable('broker', 'broker', labelValues('broker', ['sluice_cluster_broker_up'], inCluster), 'Broker ids of the chosen clusters');

/** Hosts (node_exporter endpoints) of the chosen clusters. */
export const instance: VariableModel = variable('instance', 'host', labelValues('instance', ['node_load1', 'sluice_host_cpu_utilization'], inCluster), 'Broker hosts (node_exporter endpoints, host:port)');

/** Topics of the chosen clusters, Kafka's internal topics left out. */
export const topic: VariableModel = variable('topic', 'topic', labelValues('topic', ['sluice_topic_partitions'], [...inCluster, NOT_INTERNAL_TOPIC]), 'Topics of the chosen clusters (internal topics left out)');

/** Consumer groups of the chosen clusters. */
export const group: VariableModel = variable('group', 'group', labelValues('group', ['sluice_consumergroup_members', 'kafka_consumergroup_group_sum_lag'], inCluster), 'Consumer groups of the chosen clusters');

const CLIENT_METRICS = ['sluice_client_produce_byte_rate', 'sluice_client_fetch_byte_rate', 'sluice_client_request_time_percent'];

/** Users (quota entities) of the chosen clusters; `(none)` for clients without a user. */
export const user: VariableModel = variable('user', 'user', labelValues('user', CLIENT_METRICS, inCluster, { orNone: true }), 'Kafka users with traffic on the chosen clusters; (none) for unauthenticated clients');

/** Client ids of the chosen clusters and users. */
export const clientId: VariableModel = variable('client_id', 'client-id', labelValues('client_id', CLIENT_METRICS, [...inCluster, inVar('user', 'user')], { orNone: true }), 'client.id values of the chosen users');

/** Alert severities seen. */
export const severity: VariableModel = variable('severity', 'severity', labelValues('severity', ['ALERTS'], inCluster, { orNone: true }), 'Severity label of the alerting rules');
