/**
 * The template variables of the Prometheus boards: the same names as the PostgreSQL boards'
 * (../variables.ts), each listing a label's values from the series that carry it with Grafana's
 * `label_values(selector, label)`, narrowed by the variables before it.
 */
import type { VariableModel } from '@grafana/schema';
import { promVariable } from '../panels.ts';
import { anyOf, byVar, labelValues, NOT_INTERNAL_TOPIC, sel, TOPIC_ALL } from '../promql.ts';

const inCluster = [byVar('cluster')];

/** Clusters: every cluster the cluster collector has reported on. */
export const cluster: VariableModel = promVariable('cluster', 'cluster', labelValues('sluice_cluster_brokers_alive', 'cluster'), 'Kafka clusters Sluice collects from');

/** Brokers of the chosen clusters. */
export const broker: VariableModel = promVariable('broker', 'broker', labelValues(sel('sluice_cluster_broker_up', inCluster), 'broker'), 'Broker ids of the chosen clusters');

/** Hosts (node_exporter endpoints) of the chosen clusters. */
export const instance: VariableModel = promVariable('instance', 'host', labelValues(anyOf(['node_load1', 'sluice_host_cpu_utilization'], inCluster), 'instance'), 'Broker hosts (node_exporter endpoints, host:port)');

/** Topics of the chosen clusters, Kafka's internal topics left out. */
export const topic: VariableModel = promVariable('topic', 'topic', labelValues(sel('sluice_topic_partitions', [...inCluster, NOT_INTERNAL_TOPIC]), 'topic'), 'Topics of the chosen clusters (internal topics left out)', TOPIC_ALL);

/** Consumer groups of the chosen clusters. */
export const group: VariableModel = promVariable('group', 'group', labelValues(anyOf(['sluice_consumergroup_members', 'kafka_consumergroup_group_sum_lag'], inCluster), 'group'), 'Consumer groups of the chosen clusters');

const CLIENT_METRICS = ['sluice_client_produce_byte_rate', 'sluice_client_fetch_byte_rate', 'sluice_client_request_time_percent'];

/** Users (quota entities) of the chosen clusters; All includes clients without a user. */
export const user: VariableModel = promVariable('user', 'user', labelValues(anyOf(CLIENT_METRICS, inCluster), 'user'), 'Kafka users with traffic on the chosen clusters; All includes clients without a user');

/** Client ids of the chosen clusters and users. */
export const clientId: VariableModel = promVariable('client_id', 'client-id', labelValues(anyOf(CLIENT_METRICS, [...inCluster, byVar('user')]), 'client_id'), 'client.id values of the chosen users');

/** Alert severities seen. */
export const severity: VariableModel = promVariable('severity', 'severity', labelValues(sel('ALERTS', inCluster), 'severity'), 'Severity label of the alerting rules; All includes alerts without one');
