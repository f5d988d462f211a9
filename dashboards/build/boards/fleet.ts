/** Fleet overview: every cluster at a glance (brokers up, alerts firing, partition health, throughput). */
import { type Board, stat, table, timeseries } from '../panels.ts';
import * as v from '../variables.ts';
import { inVar, label, latest, latestCte, oneOf, series } from '../sql.ts';

const cluster = [inVar('cluster', 'cluster')];
/** BrokerTopicMetrics series without a topic label: the broker's total over all topics. */
const allTopics = [...cluster, `NOT s.labels ? 'topic'`];

/** The fleet overview board. */
export const fleet: Board = {
  uid: 'sluice-fleet',
  title: 'Sluice / Fleet overview',
  description: 'Every Kafka cluster Sluice watches: brokers up, alerts firing, offline and under-replicated partitions, throughput.',
  tags: ['sluice', 'kafka'],
  variables: [v.cluster],
  panels: [
    stat({ title: 'Clusters', description: 'Clusters reporting in the last minutes of the range', w: 4, h: 4 },
      { sql: latest({ metric: 'sluice_cluster_brokers_alive', where: cluster, legend: `'clusters'`, combine: 'count' }), format: 'table' }),
    stat({ title: 'Brokers up', description: 'Brokers that answered the last probe, over all chosen clusters', w: 4, h: 4 },
      { sql: latest({ metric: 'sluice_cluster_brokers_alive', where: cluster, legend: `'brokers up'` }), format: 'table' }),
    stat({ title: 'Alerts firing', description: 'Alerts firing now (alert state of the rules engine)', w: 4, h: 4, thresholds: [{ value: 1, color: 'red' }] },
      { sql: `SELECT 'firing' AS metric, count(*) AS value FROM alert_state WHERE state = 'firing' AND ${oneOf(`coalesce(labels->>'cluster', '')`, 'cluster')}`, format: 'table' }),
    stat({ title: 'Offline partitions', description: 'Partitions without a leader', w: 4, h: 4, thresholds: [{ value: 1, color: 'red' }] },
      { sql: latest({ metric: 'sluice_cluster_offline_partitions', where: cluster, legend: `'offline'` }), format: 'table' }),
    stat({ title: 'Under-replicated partitions', description: 'Partitions whose ISR is smaller than their replica set', w: 4, h: 4, thresholds: [{ value: 1, color: 'orange' }] },
      { sql: latest({ metric: 'sluice_cluster_under_replicated_partitions', where: cluster, legend: `'under-replicated'` }), format: 'table' }),
    stat({ title: 'Under min ISR', description: 'Partitions whose ISR is below min.insync.replicas: acks=all producers fail', w: 4, h: 4, thresholds: [{ value: 1, color: 'red' }] },
      { sql: latest({ metric: 'sluice_cluster_under_min_isr_partitions', where: cluster, legend: `'under min ISR'` }), format: 'table' }),
    table({ title: 'Clusters', description: 'Latest health of each cluster', w: 24, h: 6, sortBy: 'cluster', desc: false }, {
      sql: `WITH ${latestCte('alive', { metric: 'sluice_cluster_brokers_alive', where: cluster, legend: label('cluster') })},
${latestCte('partitions', { metric: 'sluice_cluster_partitions', where: cluster, legend: label('cluster') })},
${latestCte('topics', { metric: 'sluice_cluster_topics', where: cluster, legend: label('cluster') })},
${latestCte('offline', { metric: 'sluice_cluster_offline_partitions', where: cluster, legend: label('cluster') })},
${latestCte('urp', { metric: 'sluice_cluster_under_replicated_partitions', where: cluster, legend: label('cluster') })},
${latestCte('controller', { metric: 'sluice_cluster_controller_id', where: cluster, legend: label('cluster'), combine: 'max' })}
SELECT alive.key AS cluster, alive.v AS "brokers up", controller.v AS controller, topics.v AS topics, partitions.v AS partitions,
       offline.v AS offline, urp.v AS "under-replicated",
       (SELECT count(*) FROM alert_state a WHERE a.state = 'firing' AND a.labels->>'cluster' = alive.key) AS "alerts firing"
FROM alive LEFT JOIN partitions USING (key) LEFT JOIN topics USING (key) LEFT JOIN offline USING (key) LEFT JOIN urp USING (key) LEFT JOIN controller USING (key)
ORDER BY 1`,
    }),
    timeseries({ title: 'Bytes in', description: 'Bytes/s produced into each cluster (BrokerTopicMetrics BytesInPerSec, all topics)', w: 12, h: 8, unit: 'Bps' },
      { sql: series({ metric: 'kafka_server_brokertopicmetrics_bytesin_total', where: allTopics, legend: label('cluster'), kind: 'counter' }) }),
    timeseries({ title: 'Bytes out', description: 'Bytes/s fetched from each cluster by consumers (BytesOutPerSec, all topics)', w: 12, h: 8, unit: 'Bps' },
      { sql: series({ metric: 'kafka_server_brokertopicmetrics_bytesout_total', where: allTopics, legend: label('cluster'), kind: 'counter' }) }),
    timeseries({ title: 'Messages in', description: 'Messages/s produced into each cluster (MessagesInPerSec, all topics)', w: 12, h: 8, unit: 'short' },
      { sql: series({ metric: 'kafka_server_brokertopicmetrics_messagesin_total', where: allTopics, legend: label('cluster'), kind: 'counter' }) }),
    timeseries({ title: 'Brokers up and partition health', description: 'Brokers answering, offline and under-replicated partitions over time', w: 12, h: 8, unit: 'short' },
      { sql: series({ metric: 'sluice_cluster_brokers_alive', where: cluster, legend: `${label('cluster')} || ' brokers up'` }) },
      { sql: series({ metric: 'sluice_cluster_offline_partitions', where: cluster, legend: `${label('cluster')} || ' offline'` }) },
      { sql: series({ metric: 'sluice_cluster_under_replicated_partitions', where: cluster, legend: `${label('cluster')} || ' under-replicated'` }) }),
  ],
};
