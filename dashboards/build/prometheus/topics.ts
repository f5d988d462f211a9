/** Topics over Sluice's Prometheus API: traffic in and out, spikes against the usual rate, size and partition skew. */
import { type Board, table, timeseries } from '../panels.ts';
import { agg, CLUSTER, rate, sel, TOPICS } from '../promql.ts';
import { brokerDown } from './annotations.ts';
import * as v from './variables.ts';

/** The picked topics of the chosen clusters (the topic matcher also keeps BrokerTopicMetrics' per-broker totals out). */
const topics = [CLUSTER, ...TOPICS];
const BY_TOPIC = ['cluster', 'topic'];
const TOPIC_LEGEND = '{{cluster}} {{topic}}';
const RATE5M = 'cluster_topic:kafka_server_brokertopicmetrics_bytesin:rate5m';
const BASELINE = 'cluster_topic:kafka_server_brokertopicmetrics_bytesin:rate5m_baseline1h';

/** Per-second rate of a BrokerTopicMetrics counter per topic, over all its brokers. */
const perTopic = (metric: string): string => agg('sum', BY_TOPIC, rate(sel(metric, topics)));

/** The topics board. */
export const topics_: Board = {
  uid: 'sluice-topics-prom',
  title: 'Sluice / Topics (Prometheus)',
  description: 'Per topic: bytes and messages in, bytes out, requests, spikes against the usual rate, size on disk and partition skew. Read through Sluice\'s Prometheus API.',
  tags: ['sluice-prometheus', 'kafka'],
  variables: [v.cluster, v.topic],
  annotations: [brokerDown],
  panels: [
    timeseries({ title: 'Bytes in', description: 'Bytes/s produced into each topic over all its leaders (BytesInPerSec)', w: 12, h: 8, unit: 'Bps' },
      { expr: perTopic('kafka_server_brokertopicmetrics_bytesin_total'), legend: TOPIC_LEGEND }),
    timeseries({ title: 'Bytes out', description: 'Bytes/s fetched from each topic by consumers (BytesOutPerSec)', w: 12, h: 8, unit: 'Bps' },
      { expr: perTopic('kafka_server_brokertopicmetrics_bytesout_total'), legend: TOPIC_LEGEND }),
    timeseries({ title: 'Messages in', description: 'Messages/s produced into each topic (MessagesInPerSec)', w: 12, h: 8, unit: 'short' },
      { expr: perTopic('kafka_server_brokertopicmetrics_messagesin_total'), legend: TOPIC_LEGEND }),
    timeseries({ title: 'Produce and fetch requests', description: 'Requests/s naming each topic (TotalProduceRequestsPerSec, TotalFetchRequestsPerSec); Kafka counts no messages out', w: 12, h: 8, unit: 'reqps' },
      { expr: perTopic('kafka_server_brokertopicmetrics_totalproducerequests_total'), legend: `${TOPIC_LEGEND} produce` },
      { expr: perTopic('kafka_server_brokertopicmetrics_totalfetchrequests_total'), legend: `${TOPIC_LEGEND} fetch` }),
    timeseries({ title: 'Bytes in vs baseline', description: 'The 5m produce rate of each topic and its baseline (mean of the hour ending 15 min before), as recorded by the kafka-topic-traffic rules; KafkaTopicTrafficSpike fires above 3 × baseline and 1 MiB/s', w: 12, h: 8, unit: 'Bps' },
      { expr: agg('max', BY_TOPIC, sel(RATE5M, topics)), legend: `${TOPIC_LEGEND} rate5m` },
      { expr: agg('max', BY_TOPIC, sel(BASELINE, topics)), legend: `${TOPIC_LEGEND} baseline` }),
    timeseries({ title: 'Spike ratio', description: 'Rate over baseline: how many times its usual traffic each topic receives (empty until an hour and a quarter of history exists)', w: 12, h: 8, unit: 'short', thresholds: [{ value: 3, color: 'red' }] },
      { expr: `${agg('max', BY_TOPIC, sel(RATE5M, topics))} / ${agg('max', BY_TOPIC, sel(BASELINE, topics))}`, legend: TOPIC_LEGEND }),
    timeseries({ title: 'Size on disk', description: 'Bytes of each topic: per partition the largest replica, summed (recorded by the kafka-governance rules)', w: 12, h: 8, unit: 'bytes' },
      { expr: agg('sum', BY_TOPIC, sel('cluster_topic_partition:kafka_log_log_size:max', topics)), legend: TOPIC_LEGEND }),
    timeseries({ title: 'Partition size skew', description: 'Largest partition over the mean partition of each topic: 1 is even; KafkaTopicPartitionSizeSkew looks at this', w: 12, h: 8, unit: 'short', min: 0 },
      { expr: `${agg('max', BY_TOPIC, sel('cluster_topic:kafka_log_log_size:max_partition', topics))} / ${agg('max', BY_TOPIC, sel('cluster_topic:kafka_log_log_size:avg_partition', topics))}`, legend: TOPIC_LEGEND }),
    table({
      title: 'Topics', description: 'Latest partitions, health, retained messages and size of each topic', w: 24, h: 8, sortBy: 'bytes (all replicas)', desc: true,
      columns: [
        { field: 'cluster', name: 'cluster' }, { field: 'topic', name: 'topic' }, { field: 'Value #A', name: 'partitions' }, { field: 'Value #B', name: 'under-replicated' },
        { field: 'Value #C', name: 'offline' }, { field: 'Value #D', name: 'retained messages' }, { field: 'Value #E', name: 'bytes (all replicas)', unit: 'bytes' },
      ],
    },
    { expr: agg('sum', BY_TOPIC, sel('sluice_topic_partitions', topics)) },
    { expr: agg('sum', BY_TOPIC, sel('sluice_topic_under_replicated_partitions', topics)) },
    { expr: agg('sum', BY_TOPIC, sel('sluice_topic_offline_partitions', topics)) },
    { expr: agg('sum', BY_TOPIC, sel('sluice_topic_retained_messages', topics)) },
    { expr: agg('sum', BY_TOPIC, sel('kafka_log_log_size', topics)) }),
  ],
};
