/** Topics: traffic in and out, spikes against the usual rate, size and partition skew. */
import { type Board, table, timeseries } from '../panels.ts';
import * as v from '../variables.ts';
import { inVar, label, latestCte, NOT_INTERNAL_TOPIC, ratio, series } from '../sql.ts';

/** Per-topic series only (BrokerTopicMetrics also has each broker's total, without a topic label), internal topics left out. */
const topics = [inVar('cluster', 'cluster'), `s.labels ? 'topic'`, inVar('topic', 'topic'), NOT_INTERNAL_TOPIC];
const topicLegend = `${label('cluster')} || ' ' || ${label('topic')}`;

/** The topics board. */
export const topics_: Board = {
  uid: 'sluice-topics',
  title: 'Sluice / Topics',
  description: 'Per topic: bytes and messages in, bytes out, requests, spikes against the usual rate, size on disk and partition skew.',
  tags: ['sluice', 'kafka'],
  variables: [v.cluster, v.topic],
  panels: [
    timeseries({ title: 'Bytes in', description: 'Bytes/s produced into each topic over all its leaders (BytesInPerSec)', w: 12, h: 8, unit: 'Bps' },
      { sql: series({ metric: 'kafka_server_brokertopicmetrics_bytesin_total', where: topics, legend: topicLegend, kind: 'counter' }) }),
    timeseries({ title: 'Bytes out', description: 'Bytes/s fetched from each topic by consumers (BytesOutPerSec)', w: 12, h: 8, unit: 'Bps' },
      { sql: series({ metric: 'kafka_server_brokertopicmetrics_bytesout_total', where: topics, legend: topicLegend, kind: 'counter' }) }),
    timeseries({ title: 'Messages in', description: 'Messages/s produced into each topic (MessagesInPerSec)', w: 12, h: 8, unit: 'short' },
      { sql: series({ metric: 'kafka_server_brokertopicmetrics_messagesin_total', where: topics, legend: topicLegend, kind: 'counter' }) }),
    timeseries({ title: 'Produce and fetch requests', description: 'Requests/s naming each topic (TotalProduceRequestsPerSec, TotalFetchRequestsPerSec); Kafka counts no messages out', w: 12, h: 8, unit: 'reqps' },
      { sql: series({ metric: 'kafka_server_brokertopicmetrics_totalproducerequests_total', where: topics, legend: `${topicLegend} || ' produce'`, kind: 'counter' }) },
      { sql: series({ metric: 'kafka_server_brokertopicmetrics_totalfetchrequests_total', where: topics, legend: `${topicLegend} || ' fetch'`, kind: 'counter' }) }),
    timeseries({ title: 'Bytes in vs baseline', description: 'The 5m produce rate of each topic and its baseline (mean of the hour ending 15 min before), as recorded by the kafka-topic-traffic rules; KafkaTopicTrafficSpike fires above 3 × baseline and 1 MiB/s', w: 12, h: 8, unit: 'Bps' },
      { sql: series({ metric: 'cluster_topic:kafka_server_brokertopicmetrics_bytesin:rate5m', where: topics, legend: `${topicLegend} || ' rate5m'`, combine: 'max' }) },
      { sql: series({ metric: 'cluster_topic:kafka_server_brokertopicmetrics_bytesin:rate5m_baseline1h', where: topics, legend: `${topicLegend} || ' baseline'`, combine: 'max' }) }),
    timeseries({ title: 'Spike ratio', description: 'Rate over baseline: how many times its usual traffic each topic receives (empty until an hour and a quarter of history exists)', w: 12, h: 8, unit: 'short', thresholds: [{ value: 3, color: 'red' }] },
      { sql: ratio(
        { metric: 'cluster_topic:kafka_server_brokertopicmetrics_bytesin:rate5m', where: topics, legend: topicLegend, combine: 'max' },
        { metric: 'cluster_topic:kafka_server_brokertopicmetrics_bytesin:rate5m_baseline1h', where: topics, legend: topicLegend, combine: 'max' },
      ) }),
    timeseries({ title: 'Size on disk', description: 'Bytes of each topic: per partition the largest replica, summed (recorded by the kafka-governance rules)', w: 12, h: 8, unit: 'bytes' },
      { sql: series({ metric: 'cluster_topic_partition:kafka_log_log_size:max', where: topics, legend: topicLegend }) }),
    timeseries({ title: 'Partition size skew', description: 'Largest partition over the mean partition of each topic: 1 is even; KafkaTopicPartitionSizeSkew looks at this', w: 12, h: 8, unit: 'short', min: 0 },
      { sql: ratio(
        { metric: 'cluster_topic:kafka_log_log_size:max_partition', where: topics, legend: topicLegend, combine: 'max' },
        { metric: 'cluster_topic:kafka_log_log_size:avg_partition', where: topics, legend: topicLegend, combine: 'max' },
      ) }),
    table({ title: 'Topics', description: 'Latest partitions, health, retained messages and size of each topic', w: 24, h: 8, sortBy: "bytes (all replicas)", desc: true }, {
      sql: `WITH ${latestCte('parts', { metric: 'sluice_topic_partitions', where: topics, legend: topicLegend })},
${latestCte('urp', { metric: 'sluice_topic_under_replicated_partitions', where: topics, legend: topicLegend })},
${latestCte('offline', { metric: 'sluice_topic_offline_partitions', where: topics, legend: topicLegend })},
${latestCte('retained', { metric: 'sluice_topic_retained_messages', where: topics, legend: topicLegend })},
${latestCte('size', { metric: 'kafka_log_log_size', where: topics, legend: topicLegend })}
SELECT parts.key AS topic, parts.v AS partitions, urp.v AS "under-replicated", offline.v AS offline, retained.v AS "retained messages", size.v AS "bytes (all replicas)"
FROM parts LEFT JOIN urp USING (key) LEFT JOIN offline USING (key) LEFT JOIN retained USING (key) LEFT JOIN size USING (key)
ORDER BY 1`,
    }),
  ],
};
