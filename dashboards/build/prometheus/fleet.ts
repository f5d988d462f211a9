/** Fleet overview over Sluice's Prometheus API: every cluster at a glance. */
import { type Board, stat, table, timeseries } from '../panels.ts';
import { agg, CLUSTER, rate, sel } from '../promql.ts';
import { brokerDown } from './annotations.ts';
import * as v from './variables.ts';

const cluster = [CLUSTER];
/** BrokerTopicMetrics series without a topic label: the broker's total over all topics. */
const allTopics = [CLUSTER, 'topic=""'];
const FIRING = sel('ALERTS', ['alertstate="firing"', CLUSTER]);

/** The fleet overview board. */
export const fleet: Board = {
  uid: 'sluice-fleet-prom',
  title: 'Sluice / Fleet overview (Prometheus)',
  description: 'Every Kafka cluster Sluice watches, read through Sluice\'s Prometheus API: brokers up, alerts firing, offline and under-replicated partitions, throughput.',
  tags: ['sluice-prometheus', 'kafka'],
  variables: [v.cluster],
  annotations: [brokerDown],
  panels: [
    stat({ title: 'Clusters', description: 'Clusters reporting at the end of the range', w: 4, h: 4 },
      { expr: `count(${sel('sluice_cluster_brokers_alive', cluster)})`, legend: 'clusters' }),
    stat({ title: 'Brokers up', description: 'Brokers that answered the last probe, over all chosen clusters', w: 4, h: 4 },
      { expr: `sum(${sel('sluice_cluster_brokers_alive', cluster)})`, legend: 'brokers up' }),
    stat({ title: 'Alerts firing', description: 'Alerts firing at the end of the range (the ALERTS series the rules engine writes)', w: 4, h: 4, thresholds: [{ value: 1, color: 'red' }] },
      { expr: `count(${FIRING}) or vector(0)`, legend: 'firing' }),
    stat({ title: 'Offline partitions', description: 'Partitions without a leader', w: 4, h: 4, thresholds: [{ value: 1, color: 'red' }] },
      { expr: `sum(${sel('sluice_cluster_offline_partitions', cluster)})`, legend: 'offline' }),
    stat({ title: 'Under-replicated partitions', description: 'Partitions whose ISR is smaller than their replica set', w: 4, h: 4, thresholds: [{ value: 1, color: 'orange' }] },
      { expr: `sum(${sel('sluice_cluster_under_replicated_partitions', cluster)})`, legend: 'under-replicated' }),
    stat({ title: 'Under min ISR', description: 'Partitions whose ISR is below min.insync.replicas: acks=all producers fail', w: 4, h: 4, thresholds: [{ value: 1, color: 'red' }] },
      { expr: `sum(${sel('sluice_cluster_under_min_isr_partitions', cluster)})`, legend: 'under min ISR' }),
    table({
      title: 'Clusters', description: 'Latest health of each cluster', w: 24, h: 6, sortBy: 'cluster', desc: false,
      columns: [
        { field: 'cluster', name: 'cluster' }, { field: 'Value #A', name: 'brokers up' }, { field: 'Value #B', name: 'controller' }, { field: 'Value #C', name: 'topics' },
        { field: 'Value #D', name: 'partitions' }, { field: 'Value #E', name: 'offline' }, { field: 'Value #F', name: 'under-replicated' }, { field: 'Value #G', name: 'alerts firing' },
      ],
    },
    { expr: agg('sum', ['cluster'], sel('sluice_cluster_brokers_alive', cluster)) },
    { expr: agg('max', ['cluster'], sel('sluice_cluster_controller_id', cluster)) },
    { expr: agg('sum', ['cluster'], sel('sluice_cluster_topics', cluster)) },
    { expr: agg('sum', ['cluster'], sel('sluice_cluster_partitions', cluster)) },
    { expr: agg('sum', ['cluster'], sel('sluice_cluster_offline_partitions', cluster)) },
    { expr: agg('sum', ['cluster'], sel('sluice_cluster_under_replicated_partitions', cluster)) },
    { expr: agg('count', ['cluster'], FIRING) }),
    timeseries({ title: 'Bytes in', description: 'Bytes/s produced into each cluster (BrokerTopicMetrics BytesInPerSec, all topics)', w: 12, h: 8, unit: 'Bps' },
      { expr: agg('sum', ['cluster'], rate(sel('kafka_server_brokertopicmetrics_bytesin_total', allTopics))), legend: '{{cluster}}' }),
    timeseries({ title: 'Bytes out', description: 'Bytes/s fetched from each cluster by consumers (BytesOutPerSec, all topics)', w: 12, h: 8, unit: 'Bps' },
      { expr: agg('sum', ['cluster'], rate(sel('kafka_server_brokertopicmetrics_bytesout_total', allTopics))), legend: '{{cluster}}' }),
    timeseries({ title: 'Messages in', description: 'Messages/s produced into each cluster (MessagesInPerSec, all topics)', w: 12, h: 8, unit: 'short' },
      { expr: agg('sum', ['cluster'], rate(sel('kafka_server_brokertopicmetrics_messagesin_total', allTopics))), legend: '{{cluster}}' }),
    timeseries({ title: 'Brokers up and partition health', description: 'Brokers answering, offline and under-replicated partitions over time', w: 12, h: 8, unit: 'short' },
      { expr: agg('sum', ['cluster'], sel('sluice_cluster_brokers_alive', cluster)), legend: '{{cluster}} brokers up' },
      { expr: agg('sum', ['cluster'], sel('sluice_cluster_offline_partitions', cluster)), legend: '{{cluster}} offline' },
      { expr: agg('sum', ['cluster'], sel('sluice_cluster_under_replicated_partitions', cluster)), legend: '{{cluster}} under-replicated' }),
  ],
};
