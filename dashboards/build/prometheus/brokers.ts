/** Brokers and hosts over Sluice's Prometheus API: traffic against capacity, utilization, request handlers, latency, CPU, disk, network. */
import { type Board, codes, stateTimeline, table, timeseries } from '../panels.ts';
import { agg, BROKER, CLUSTER, INSTANCE, rate, sel, utilization } from '../promql.ts';
import { brokerDown } from './annotations.ts';
import * as v from './variables.ts';

const brokers = [CLUSTER, BROKER];
const allTopics = [...brokers, 'topic=""'];
const hosts = [CLUSTER, INSTANCE];
const BY_BROKER = ['cluster', 'broker'];
const BY_HOST = ['cluster', 'instance'];
const BROKER_LEGEND = '{{cluster}} broker {{broker}}';
const HOST_LEGEND = '{{cluster}} {{instance}}';
const REQUESTS = 'request=~"Produce|Fetch|FetchConsumer|FetchFollower"';
const UP = codes([[0, 'down', 'red'], [1, 'up', 'green']]);

/** Bytes/s of a BrokerTopicMetrics counter per broker. */
const perBroker = (metric: string, matchers: readonly string[]): string => agg('sum', BY_BROKER, rate(sel(metric, matchers)));

/** The brokers and hosts board. */
export const brokers_: Board = {
  uid: 'sluice-brokers-prom',
  title: 'Sluice / Brokers and hosts (Prometheus)',
  description: 'Per broker: traffic in and out against network capacity, utilization, request handler idle, request latency; per host: CPU, disk, network. Read through Sluice\'s Prometheus API.',
  tags: ['sluice-prometheus', 'kafka'],
  variables: [v.cluster, v.broker, v.instance],
  annotations: [brokerDown],
  panels: [
    stateTimeline({ title: 'Broker up', description: 'Whether each broker answered the cluster collector\'s probe', w: 24, h: 5, mappings: UP },
      { expr: agg('min', BY_BROKER, sel('sluice_cluster_broker_up', brokers)), legend: BROKER_LEGEND }),
    timeseries({ title: 'Traffic in vs capacity', description: 'Bytes/s produced and replicated into each broker, and its network-in capacity (sluice_broker_network_capacity_bytes_per_second, bundled brokers)', w: 12, h: 8, unit: 'Bps' },
      { expr: perBroker('kafka_server_brokertopicmetrics_bytesin_total', allTopics), legend: `${BROKER_LEGEND} produce` },
      { expr: perBroker('kafka_server_brokertopicmetrics_replicationbytesin_total', brokers), legend: `${BROKER_LEGEND} replication` },
      { expr: agg('max', BY_BROKER, sel('sluice_broker_network_capacity_bytes_per_second', [...brokers, 'direction="in"'])), legend: `${BROKER_LEGEND} capacity` }),
    timeseries({ title: 'Traffic out vs capacity', description: 'Bytes/s fetched from and replicated out of each broker, and its network-out capacity', w: 12, h: 8, unit: 'Bps' },
      { expr: perBroker('kafka_server_brokertopicmetrics_bytesout_total', allTopics), legend: `${BROKER_LEGEND} fetch` },
      { expr: perBroker('kafka_server_brokertopicmetrics_replicationbytesout_total', brokers), legend: `${BROKER_LEGEND} replication` },
      { expr: agg('max', BY_BROKER, sel('sluice_broker_network_capacity_bytes_per_second', [...brokers, 'direction="out"'])), legend: `${BROKER_LEGEND} capacity` }),
    timeseries({ title: 'Utilization', description: 'What the quota loop steers below its target, per broker: the largest of request handler busy (1 - idle), bytes in (produce + replication) over network-in capacity and bytes out over network-out capacity. Brokers that export no capacity (Apache Kafka) show handler busy only', w: 12, h: 8, unit: 'percentunit', min: 0, thresholds: [{ value: 0.7, color: 'orange' }, { value: 0.9, color: 'red' }] },
      { expr: utilization(brokers), legend: BROKER_LEGEND }),
    timeseries({ title: 'Request handler idle', description: 'Fraction of request handler time idle (RequestHandlerAvgIdlePercent); below 0.3 the broker queues requests', w: 12, h: 8, unit: 'percentunit', min: 0, max: 1 },
      { expr: agg('avg', BY_BROKER, sel('kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent', brokers)), legend: BROKER_LEGEND }),
    timeseries({ title: 'Request latency p99', description: 'Total time p99 of produce and fetch requests (RequestMetrics TotalTimeMs)', w: 12, h: 8, unit: 'ms' },
      { expr: agg('max', [...BY_BROKER, 'request'], sel('kafka_network_requestmetrics_totaltimems', [...brokers, 'quantile="0.99"', REQUESTS])), legend: `${BROKER_LEGEND} {{request}}` }),
    timeseries({ title: 'Request queue time p99', description: 'Time requests wait for a handler, p99 (RequestQueueTimeMs)', w: 12, h: 8, unit: 'ms' },
      { expr: agg('max', [...BY_BROKER, 'request'], sel('kafka_network_requestmetrics_requestqueuetimems', [...brokers, 'quantile="0.99"', REQUESTS])), legend: `${BROKER_LEGEND} {{request}}` }),
    timeseries({ title: 'Host CPU', description: 'Share of CPU time not idle, by mode (node_cpu_seconds_total over all CPUs of the host)', w: 12, h: 8, unit: 'percentunit', min: 0, stack: true },
      { expr: `${agg('sum', [...BY_HOST, 'mode'], rate(sel('node_cpu_seconds_total', [...hosts, 'mode!="idle"'])))} / on (cluster, instance) group_left ${agg('count', BY_HOST, sel('node_cpu_seconds_total', [...hosts, 'mode="idle"']))}`, legend: `${HOST_LEGEND} {{mode}}` }),
    timeseries({ title: 'Host load', description: '1-minute load average', w: 12, h: 8, unit: 'short' },
      { expr: agg('max', BY_HOST, sel('node_load1', hosts)), legend: HOST_LEGEND }),
    timeseries({ title: 'Disk used', description: 'Used share of each filesystem (1 - avail / size)', w: 12, h: 8, unit: 'percentunit', min: 0, max: 1, thresholds: [{ value: 0.8, color: 'orange' }, { value: 0.9, color: 'red' }] },
      { expr: `1 - ${agg('max', [...BY_HOST, 'mountpoint'], sel('node_filesystem_avail_bytes', hosts))} / ${agg('max', [...BY_HOST, 'mountpoint'], sel('node_filesystem_size_bytes', hosts))}`, legend: `${HOST_LEGEND} {{mountpoint}}` }),
    timeseries({ title: 'Log dir used', description: 'Bytes in each broker\'s log dir and its capacity (bundled brokers)', w: 12, h: 8, unit: 'bytes' },
      { expr: agg('max', BY_BROKER, sel('sluice_broker_log_dir_used_bytes', brokers)), legend: `${BROKER_LEGEND} used` },
      { expr: agg('max', BY_BROKER, sel('sluice_broker_log_dir_capacity_bytes', brokers)), legend: `${BROKER_LEGEND} capacity` }),
    timeseries({ title: 'Host network', description: 'Bytes/s received (+) and transmitted (-) by each host, loopback left out', w: 12, h: 8, unit: 'Bps' },
      { expr: agg('sum', BY_HOST, rate(sel('node_network_receive_bytes_total', [...hosts, 'device!="lo"']))), legend: `${HOST_LEGEND} receive` },
      { expr: `-${agg('sum', BY_HOST, rate(sel('node_network_transmit_bytes_total', [...hosts, 'device!="lo"'])))}`, legend: `${HOST_LEGEND} transmit` }),
    table({
      title: 'Brokers', description: 'Latest leaders, replicas and partition health of each broker', w: 24, h: 7, sortBy: 'broker', desc: false,
      columns: [
        { field: 'cluster', name: 'cluster' }, { field: 'broker', name: 'broker' }, { field: 'Value #A', name: 'state', mappings: UP },
        { field: 'Value #B', name: 'leaders' }, { field: 'Value #C', name: 'replicas' }, { field: 'Value #D', name: 'under-replicated (led here)' },
        { field: 'Value #E', name: 'handler idle', unit: 'percentunit' },
      ],
    },
    { expr: agg('min', BY_BROKER, sel('sluice_cluster_broker_up', brokers)) },
    { expr: agg('sum', BY_BROKER, sel('sluice_cluster_broker_leaders', brokers)) },
    { expr: agg('sum', BY_BROKER, sel('sluice_cluster_broker_replicas', brokers)) },
    { expr: agg('sum', BY_BROKER, sel('kafka_server_replicamanager_underreplicatedpartitions', brokers)) },
    { expr: agg('avg', BY_BROKER, sel('kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent', brokers)) }),
  ],
};
